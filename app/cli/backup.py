"""flask backup and flask restore: a consistent copy of the database, and loading one into an
empty database (also how a SQLite installation moves to PostgreSQL)."""

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..services import backup


def _say(message: str) -> None:
    click.echo(message)


def _refuse(exc: Exception) -> None:
    db.session.rollback()
    click.echo(f"Error: {exc}", err=True)
    raise SystemExit(1)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(backup.FORMATS), default="auto",
              show_default=True,
              help="sqlite: a copy of the SQLite file; pg_dump: PostgreSQL's custom format; "
                   "portable: a zip of every table that restores into either database. auto: "
                   "portable for a .zip name, else the database's own.")
@with_appcontext
def backup_command(path, fmt):
    """Take a consistent backup of the database into a new file PATH (while the app runs)."""
    try:
        summary = backup.create(path, fmt, progress=_say)
    except backup.BackupError as exc:
        _refuse(exc)
    except OSError as exc:
        _refuse(f"cannot write {path}: {exc.strerror or exc}")
    except SQLAlchemyError as exc:
        _refuse(f"the database failed: {getattr(exc, 'orig', None) or exc}")
    click.echo(f"Backed up {summary.rows} rows in {len(summary.tables)} tables to {path} "
               f"({summary.format}, schema revision {summary.revision}).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def restore_command(path):
    """Restore the backup file PATH into this (empty) database, after checking all of it."""
    try:
        summary = backup.restore(path, progress=_say)
        db.session.commit()
    except backup.BackupError as exc:
        _refuse(exc)
    except OSError as exc:
        _refuse(f"cannot read {path}: {exc.strerror or exc}")
    except SQLAlchemyError as exc:
        _refuse(f"the database failed (nothing was restored): "
                f"{getattr(exc, 'orig', None) or exc}")
    click.echo(f"Restored {summary.rows} rows in {len(summary.tables)} tables from {path} "
               f"({summary.format}, schema revision {summary.revision}); the ledger sums match "
               "the contributions.")
