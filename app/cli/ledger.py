"""flask ledger: check and rebuild the day sums the money dashboards read."""

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import audit, ledger

ledger_cli = AppGroup("ledger", help="The money ledger's sums.")


@ledger_cli.command("check")
def check():
    """Compare the day sums with a fresh sum of every contribution; exit 1 if they differ."""
    differences = ledger.mismatches()
    for key, raw, kept in differences[:20]:
        click.echo(f"{key}: contributions say {raw}, sums say {kept}", err=True)
    if differences:
        click.echo(f"{len(differences)} day sums differ; run `flask ledger rebuild`.", err=True)
        raise SystemExit(1)
    click.echo("The day sums match the contributions.")


@ledger_cli.command("rebuild")
def rebuild():
    """Recompute every day sum from the contributions (after a restore or a manual fix)."""
    ledger.rebuild_days()
    audit.record(None, "ledger.rebuild", None)
    db.session.commit()
    click.echo("Rebuilt the day sums from the contributions.")
