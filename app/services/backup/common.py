"""What every backup format shares: the refusal error, the summary, the tables and revisions
this code knows, and the checks on a restore target."""

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from ...extensions import db

Progress = Callable[[str], None]
VERSION_TABLE = "alembic_version"
# alembic_version is Alembic's, not a model's; it is described here so that it is dumped too.
version_table = sa.Table(VERSION_TABLE, sa.MetaData(),
                         sa.Column("version_num", sa.String(64), primary_key=True))


class BackupError(Exception):
    """A backup or restore was refused or failed; the message is safe to show."""


@dataclass
class Summary:
    """What a backup wrote or a restore loaded: the format and each table's row count."""

    format: str
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows in every table together."""
        return sum(self.tables.values())


def quiet(_message: str) -> None:
    """A progress callback that says nothing."""


def model_tables() -> list[sa.Table]:
    """Every table of the models, parents before the tables that refer to them."""
    return list(db.metadata.sorted_tables)


def all_tables() -> list[sa.Table]:
    """The models' tables plus alembic_version (first: it says which schema the rest has)."""
    return [version_table, *model_tables()]


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def known_revisions() -> set[str]:
    """Every migration revision this code has."""
    return {rev.revision for rev in _script().walk_revisions()}


def head_revision() -> str:
    """The newest migration revision: the schema the models describe."""
    return _script().get_current_head()


def check_revision(revision: str | None) -> None:
    """Refuse a backup whose schema revision this code does not know, or not the newest."""
    if not revision:
        raise BackupError("The backup does not say which schema revision it has.")
    if revision not in known_revisions():
        raise BackupError(f"The backup comes from schema revision {revision!r}, which this "
                          "version of the application does not know (a newer version made "
                          "it?). Restore it with that version.")
    head = head_revision()
    if revision != head:
        raise BackupError(f"The backup has schema revision {revision!r}, this version of the "
                          f"application {head!r}. Restore it with the version that made it, "
                          "then upgrade (flask db upgrade) and take a new backup.")


def database_revision(connection: sa.Connection) -> str | None:
    """The revision recorded in a database's alembic_version (None without one)."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(sa.select(version_table.c.version_num)).scalar()


def count_rows(connection: sa.Connection, name: str) -> int:
    """Rows in one table, by name."""
    return connection.execute(
        sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()


def target_state(revision: str) -> str:
    """Whether the app's database may receive a restore at `revision`: "blank" (no schema at
    all), "behind" (our schema, empty, at an older revision): both are migrated first;
    "ready" (our schema at that revision, every table empty).
    Anything else is refused, and nothing has been touched yet."""
    with db.engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        ours = {t.name for t in model_tables()}
        foreign = names - ours - {VERSION_TABLE}
        if not names:
            return "blank"
        filled = sorted(name for name in names - {VERSION_TABLE} if count_rows(connection, name))
        if filled:
            shown = ", ".join(filled[:5]) + (" ..." if len(filled) > 5 else "")
            raise BackupError(f"The database is not empty (rows in {shown}). Restore only into "
                              "an empty database: create a new one and point DATABASE_URL at it.")
        if foreign:
            raise BackupError("The database has tables this application does not know ("
                              f"{', '.join(sorted(foreign)[:5])}). Restore into an empty "
                              "database.")
        current = database_revision(connection)
    if current is None or current not in known_revisions():
        raise BackupError(f"The database's schema is at revision {current!r}, which this "
                          "version does not know. Restore into an empty database.")
    return "ready" if current == revision else "behind"


def prepare_target(state: str, revision: str) -> None:
    """Migrate a blank (or empty, older) database to the backup's revision."""
    if state in ("blank", "behind"):
        import flask_migrate

        flask_migrate.upgrade(revision=revision)
