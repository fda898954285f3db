"""`python -m umi_cli` runs the CLI."""

from umi_cli.cli.app import main

main()
