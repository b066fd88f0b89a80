"""PostgreSQL going away answers 503, leaves nothing half-written, and the app recovers alone.

A TCP proxy sits between a dedicated app and a scratch database (<suite db>_faults); cutting
it is PostgreSQL stopping: at the start of a request, between two requests (a pooled
connection broken while idle), and in the middle of recording a contribution (just before
the contribution INSERT, the ledger upsert or the audit INSERT is sent). Runs where PostgreSQL
answers (TEST_DATABASE_URL's server or the local default); REQUIRE_POSTGRES=1 makes it a must.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import AuditEvent, Contribution, LedgerDay
from tests.db_fault_support import (
    Seed,
    api_post,
    assert_fault_json,
    assert_fault_page,
    html_post,
    logged_in,
    make_app,
    seed_world,
)
from tests.scratch_db import scratch_database, server_or_skip
from tests.tcp_proxy import CuttableProxy


@dataclass
class PgFaults:
    app: Flask
    proxy: CuttableProxy
    seed: Seed
    direct_url: str  # the scratch database, not through the proxy

    def written(self) -> tuple[int, int, int]:
        """Contributions, ledger day rows and audit events, read past the proxy."""
        import psycopg

        with psycopg.connect(self.direct_url) as connection:
            return tuple(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                         for table in ("contributions", "ledger_days", "audit_events"))

    @contextmanager
    def cut_when(self, prefix: str) -> Iterator[list[str]]:
        """Cut the proxy just before the first statement that starts with prefix is sent."""
        with self.app.app_context():
            engine = db.engine
        seen: list[str] = []

        def cut(_conn, _cursor, statement, _parameters, _context, _many):
            if not seen and statement.lstrip().startswith(prefix):
                seen.append(statement)
                self.proxy.cut()

        event.listen(engine, "before_cursor_execute", cut)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", cut)
            self.proxy.resume()


@pytest.fixture(scope="module")
def pg(tmp_path_factory) -> Iterator[PgFaults]:
    server = server_or_skip()
    directory = tmp_path_factory.mktemp("pg_faults")
    with scratch_database(server, "faults") as url:
        proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        application = make_app(proxied.render_as_string(hide_password=False), directory)
        try:
            with application.app_context():
                seed = seed_world()
            yield PgFaults(application, proxy, seed,
                           url.set(drivername="postgresql").render_as_string(hide_password=False))
        finally:
            proxy.cut()
            with application.app_context():
                db.engine.dispose()


def test_postgres_stopped_answers_503_and_the_app_recovers_without_a_restart(pg):
    client = logged_in(pg.app, pg.seed)
    api = pg.app.test_client()
    assert client.get("/").status_code == 200  # a pooled connection now waits for reuse
    pg.proxy.cut()
    try:
        assert_fault_page(client.get("/"), 503, "not answering", "try again in a minute")
        assert_fault_page(html_post(client, pg.seed), 503, "not answering")
        assert_fault_json(api.get("/api/v1/screenings"), 503, "unavailable")
        assert_fault_json(api_post(api, pg.seed), 503, "unavailable")
    finally:
        pg.proxy.resume()
    # The pooled connections died with the proxy; pool_pre_ping discards them, no restart.
    assert client.get("/").status_code == 200
    assert api.get("/api/v1/screenings").status_code == 200


def test_a_broken_pooled_connection_is_discarded_before_use(pg):
    api = pg.app.test_client()
    assert api.get("/api/v1/screenings").status_code == 200
    pg.proxy.cut()  # the server goes away and comes back between two requests
    pg.proxy.resume()
    assert api.get("/api/v1/screenings").status_code == 200


@pytest.mark.parametrize("statement", ["INSERT INTO contributions", "INSERT INTO ledger_days",
                                       "INSERT INTO audit_events"])
def test_postgres_lost_mid_write_leaves_nothing_half_written(pg, statement):
    client = logged_in(pg.app, pg.seed)
    before = pg.written()
    with pg.cut_when(statement) as seen:
        assert_fault_page(html_post(client, pg.seed), 503, "not answering")
    assert seen, f"no statement began with {statement!r}"
    assert pg.written() == before  # the contribution, its ledger sum and its audit all or none

    with pg.cut_when(statement) as seen:
        assert_fault_json(api_post(pg.app.test_client(), pg.seed), 503, "unavailable")
    assert seen and pg.written() == before

    # The next request succeeds on the same app, and the sums agree with the rows.
    assert api_post(pg.app.test_client(), pg.seed).status_code == 201
    contributions, _days, audits = pg.written()
    assert contributions == before[0] + 1 and audits == before[2] + 1
    with pg.app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Contribution))
        summed = db.session.scalar(select(func.sum(LedgerDay.count)))
        raised = db.session.scalar(select(func.sum(Contribution.amount_minor)))
        in_days = db.session.scalar(select(func.sum(LedgerDay.amount_minor)))
        assert summed == rows and in_days == raised
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audits
        db.session.remove()

