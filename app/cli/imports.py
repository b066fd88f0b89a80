"""flask import: bulk imports from spreadsheets (past screenings)."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import screening_import, users

import_cli = AppGroup("import", help="Import data from spreadsheets.")


@import_cli.command("screenings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--as", "actor_email", default=None, metavar="EMAIL",
              help="The coordinator or admin account the audit log and the ledger name "
                   "(needed unless --dry-run).")
def import_screenings(file: Path, dry_run: bool, actor_email: str | None):
    """Import past screenings from a CSV or XLSX file (see the README for the columns).

    All or nothing: if any row is refused, nothing is written. Rows already recorded (same
    film, city and date) are skipped, so importing the same file again is harmless.
    """
    actor = None
    if actor_email:
        actor = users.find_by_email(actor_email)
        if actor is None or not actor.is_coordinator:
            raise click.ClickException(f"There is no coordinator or admin account with the "
                                       f"email {actor_email}.")
    elif not dry_run:
        raise click.ClickException("Name the coordinator or admin responsible with --as EMAIL "
                                   "(the audit log and the ledger record who imported).")
    if file.stat().st_size > screening_import.MAX_BYTES:
        raise click.ClickException(f"{file.name} is larger than "
                                   f"{screening_import.MAX_BYTES // (1024 * 1024)} MB: split it.")
    bar = None

    def on_rows(total: int) -> None:
        nonlocal bar
        # On stderr: the report on stdout stays clean for a pipe.
        bar = click.progressbar(length=total, label="Checking rows", file=sys.stderr)
        bar.__enter__()

    def progress(done: int) -> None:
        bar.update(done - bar.pos)

    try:
        report = screening_import.import_file(file.read_bytes(), file.name, actor,
                                              dry_run=dry_run, on_rows=on_rows,
                                              progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if report.written:
        db.session.commit()
    else:
        db.session.rollback()
    for line in report.lines():
        click.echo(line)
    if report.refused:
        raise SystemExit(1)
