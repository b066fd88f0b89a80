"""The flask command groups, one module per area."""

from flask import Flask

from .accounts import demo_cli, users_cli

GROUPS = [users_cli, demo_cli]


def install(app: Flask) -> None:
    """Register the command groups."""
    for group in GROUPS:
        app.cli.add_command(group)
