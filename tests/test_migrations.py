"""The Alembic migrations build the schema the models describe, and can be undone and redone."""

import sys

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db, migrate

NO_DRIFT = "No new upgrade operations detected"


@pytest.fixture(autouse=True)
def _alembic_prints_to_the_cli_runner(monkeypatch):
    """Alembic's Config binds sys.stdout when alembic is imported; point it at the current one.

    Otherwise `flask db check` prints past the CLI runner, straight into pytest's capture.
    """

    def to_current_stdout(config):
        config.stdout = sys.stdout
        return config

    monkeypatch.setattr(migrate, "configure_callbacks",
                        [*migrate.configure_callbacks, to_current_stdout])


@pytest.fixture
def fresh_app(tmp_path):
    """A second application on its own empty SQLite file; its engine is disposed at the end."""
    application = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}")
    yield application
    with application.app_context():
        db.engine.dispose()


def _tables(application) -> set[str]:
    with application.app_context():
        return set(inspect(db.engine).get_table_names())


def _run_check(application):
    """Run `flask db check` against this application's database.

    The application's own context is pushed first: Flask's CLI reuses whatever app context is
    active (the suite's autouse one), which would silently check the wrong database.
    """
    with application.app_context():
        return application.test_cli_runner().invoke(args=["db", "check"])


def _check(application) -> str:
    """`flask db check` must succeed; what it printed."""
    result = _run_check(application)
    assert result.exit_code == 0, result.output
    return result.output


def _revisions(application) -> list[str]:
    """Every revision id, oldest first."""
    with application.app_context():
        config = application.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _revision(application) -> str | None:
    with application.app_context(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_a_fresh_database_migrates_to_the_models_without_drift(fresh_app):
    with fresh_app.app_context():
        flask_migrate.upgrade()
    assert _revision(fresh_app) == _revisions(fresh_app)[-1]
    model_tables = set(db.metadata.tables)
    assert model_tables <= _tables(fresh_app)

    assert NO_DRIFT in _check(fresh_app)


def test_the_migrations_downgrade_to_nothing_and_upgrade_again(fresh_app):
    with fresh_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
    assert _revision(fresh_app) is None
    assert _tables(fresh_app) <= {"alembic_version"}

    with fresh_app.app_context():
        flask_migrate.upgrade()
    assert _revision(fresh_app) == _revisions(fresh_app)[-1]
    assert set(db.metadata.tables) <= _tables(fresh_app)
    assert NO_DRIFT in _check(fresh_app)


def test_the_history_is_one_line_starting_at_the_initial_schema(fresh_app):
    revisions = _revisions(fresh_app)
    assert revisions[0] == "0001_initial"
    with fresh_app.app_context():
        script = ScriptDirectory.from_config(
            fresh_app.extensions["migrate"].migrate.get_config()
        )
        assert len(script.get_heads()) == 1


def test_each_revision_downgrades_one_step_and_upgrades_again(fresh_app):
    revisions = _revisions(fresh_app)
    with fresh_app.app_context():
        for index, revision in enumerate(revisions):
            flask_migrate.upgrade(revision=revision)
            assert _revision(fresh_app) == revision
            flask_migrate.downgrade(revision="-1")
            assert _revision(fresh_app) == (revisions[index - 1] if index else None)
            flask_migrate.upgrade(revision=revision)
    assert NO_DRIFT in _check(fresh_app)


def test_the_test_database_has_no_drift_either(app):
    """The suite's own database (PostgreSQL under `make test-pg`) matches the models too."""
    assert NO_DRIFT in _check(app)


def test_the_check_notices_drift(fresh_app):
    """Proof that the check above can fail: a schema missing an index is reported."""
    with fresh_app.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_screenings_status")
    result = _run_check(fresh_app)
    assert result.exit_code != 0
    assert NO_DRIFT not in result.output
    assert "ix_screenings_status" in result.output


def test_sqlite_column_changes_go_through_batch_mode(fresh_app):
    """SQLite cannot ALTER a column; Alembic's batch mode rebuilds the table, keeping its rows.

    The project's migrations are generated with render_as_batch, so every such change in
    migrations/versions is a batch operation.
    """
    assert fresh_app.extensions["migrate"].configure_args.get("render_as_batch") is True
    with fresh_app.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO films (id, title, slug, languages, subtitle_languages, synopsis, "
                "screening_condition, created_at, updated_at) VALUES (7, 'Part One', 'part-one', "
                "'[]', '[]', '', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        with db.engine.connect() as conn:
            operations = Operations(MigrationContext.configure(conn))
            with pytest.raises((NotImplementedError, OperationalError)):
                operations.alter_column("films", "title", type_=sa.String(300),
                                        existing_nullable=False)
            conn.rollback()
            with operations.batch_alter_table("films") as batch:
                batch.alter_column("title", type_=sa.String(300), existing_nullable=False)
            conn.commit()
        columns = {c["name"]: c["type"] for c in inspect(db.engine).get_columns("films")}
        assert columns["title"].length == 300
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, title FROM films")).all() == [(7, "Part One")]
