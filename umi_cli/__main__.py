"""`python -m umi_cli` runs the CLI."""

from umi_cli.entry import main

main()
