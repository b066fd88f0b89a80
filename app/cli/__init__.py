"""The flask command groups, one module per area."""

from flask import Flask

from .accounts import demo_cli, users_cli
from .backup import backup_command, restore_command
from .imports import import_cli
from .ledger import ledger_cli
from .rates import rates_cli
from .tokens import tokens_cli

GROUPS = [users_cli, demo_cli, tokens_cli, rates_cli, ledger_cli, import_cli, backup_command,
          restore_command]


def install(app: Flask) -> None:
    """Register the command groups."""
    for group in GROUPS:
        app.cli.add_command(group)
