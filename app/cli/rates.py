"""flask rates: import the European Central Bank's files, list rates, re-convert contributions."""

from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import User
from ..services import rate_import, rates, users
from ..services.ledger import rollup

rates_cli = AppGroup("rates", help="Exchange rates.")

LAYOUTS = {"daily": "ECB daily file (eurofxref.csv layout)",
           "historical": "ECB historical file (eurofxref-hist.csv layout)"}


def _actor(email: str | None) -> User | None:
    if email is None:
        return None
    user = users.find_by_email(email)
    if user is None:
        click.echo(f"Error: there is no account with the email {email}.", err=True)
        raise SystemExit(1)
    return user


def report_lines(report: rate_import.ImportReport) -> list[str]:
    """The import report as printed lines."""
    parsed, written = report.parsed, report.written
    lines = [
        f"File: {LAYOUTS[parsed.layout]}, {parsed.days} day(s) from {parsed.first_day} to "
        f"{parsed.last_day}, {len(parsed.entries)} rate(s) per 1 {parsed.base}.",
        f"{'Would create' if report.dry_run else 'Created'}: {written.created}",
        f"{'Would update' if report.dry_run else 'Updated'}: {written.updated}",
        f"Unchanged: {written.unchanged}",
        f"{'Would re-convert' if report.dry_run else 'Re-converted'}: "
        f"{written.reconverted} contribution(s)",
        "Rates per currency:",
        *(f"  {code}  {count}" for code, count in parsed.per_currency.items()),
    ]
    if report.dry_run:
        lines.append("Dry run: nothing was written.")
    return lines


@rates_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only report what the import would do.")
@click.option("--as", "actor_email", default=None, metavar="EMAIL",
              help="The account the audit log names (default: the system).")
def import_rates(file: Path, dry_run: bool, actor_email: str | None):
    """Import an ECB CSV (or zip) file: eurofxref.csv or eurofxref-hist.csv. All or nothing."""
    actor = _actor(actor_email)
    try:
        report = rate_import.import_file(file.read_bytes(), actor, dry_run=dry_run)
    except rate_import.ImportRefused as exc:
        db.session.rollback()
        click.echo(f"Error: {file.name} was not imported; nothing was written.", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        if exc.more:
            click.echo(f"  ... and {exc.more} more problem(s).", err=True)
        raise SystemExit(1) from None
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report_lines(report):
        click.echo(line)


@rates_cli.command("reconvert")
@click.option("--as", "actor_email", default=None, metavar="EMAIL",
              help="The account the audit log names (default: the system).")
def reconvert(actor_email: str | None):
    """Convert every contribution again with the current rates (after BASE_CURRENCY changed)."""
    actor = _actor(actor_email)
    changed = rates.reconvert_all(actor)
    db.session.commit()
    click.echo(f"Re-converted {changed} contribution(s) to {rollup.base_currency()}.")


@rates_cli.command("list")
@click.option("--currency", default=None, help="Every rate of this currency, newest first.")
def list_rates(currency: str | None):
    """The latest rate of each currency in use, or the history of one currency."""
    base = rollup.base_currency()
    if currency:
        items = db.session.scalars(rates.rates_query(currency)).all()
        if not items:
            click.echo(f"No rates for {currency.strip().upper()}.")
        for rate in items:
            value = rate_import.rate_text(rate.per_base)
            click.echo(f"{rate.valid_on}  {rate.currency}  {value:>18}  {rate.source}")
        return
    current = rate_import.current_rates()
    if not current:
        click.echo("No rates and no contributions in other currencies yet.")
        return
    click.echo(f"Units per 1 {base}, latest rate of each currency:")
    for row in current:
        if row.rate is None:
            click.echo(f"{row.currency}  no rate ({row.unconverted} contribution(s) not "
                       "converted)")
        else:
            value = rate_import.rate_text(row.rate.per_base)
            click.echo(f"{row.currency}  {value:>18}  from {row.rate.valid_on}  "
                       f"({row.rate.source})")

