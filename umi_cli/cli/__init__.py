"""Typer commands: argument parsing and exit codes; one module per command group."""
