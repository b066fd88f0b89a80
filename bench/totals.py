"""Dashboard query and page times on 10,000 screenings and 1,000,000 contributions.

Seeds (or reuses) a database with the app's own demo seeding, then times each ledger query
the dashboards run and the coordinator pages through the test client -- cold (the first
request after a ledger write) and warm (figures from the worker's cache) -- and counts the
SQL statements per page. Run from the repository root:

    .venv/bin/python -m bench.totals                     # SQLite file in bench/.data/
    .venv/bin/python -m bench.totals --postgres postgresql://postgres@127.0.0.1:5432/bench
"""

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
from sqlalchemy import distinct, event, func, select, update

from app import create_app
from app.extensions import db
from app.models import Contribution, LedgerDay, Screening, User
from app.services import demo, ledger, revisions, twofactor
from app.services.demo import bulk

DATA = Path(__file__).resolve().parent / ".data"
COORDINATOR = "coordinator@example.org"
PAGES = ["/coordination/", "/coordination/money"]
PAGE_TARGET_MS = 150  # the coordinator's dashboard page, median, on SQLite
WARM_UP = 3


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.totals", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="run against this PostgreSQL "
                        "database instead of the SQLite file (seeded there the same way)")
    parser.add_argument("--screenings", type=int, default=10_000)
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per figure")
    parser.add_argument("--slowest", type=int, default=5, metavar="N",
                        help="list each page's N slowest statements (0: none)")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip counting the pages' queries on a small database too")
    return parser.parse_args(argv)


def make_app(url: str):
    """The app on the bench database; testing settings: no CSRF, no rate limits."""
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url,
                      MAIL_OUTBOX_DIR=str(DATA / "outbox"), LEDGER_CACHE_SIZE=64)


def _timed(what: str, timings: dict, action: Callable[[], object], quiet: bool) -> None:
    start = time.perf_counter()
    action()
    db.session.commit()
    timings[what] = round(time.perf_counter() - start, 1)
    if not quiet:
        print(f"  {what}: {timings[what]} s", flush=True)


def complete(screenings: int, contributions: int) -> bool:
    """Whether the synthetic rows are all there and the day sums cover every contribution."""
    counted = db.session.scalar(select(func.coalesce(func.sum(LedgerDay.count), 0)))
    seeded = db.session.scalar(select(User.id).where(User.email == COORDINATOR)) is not None
    return (seeded and bulk.synthetic_screening_count() >= screenings
            and bulk.synthetic_contribution_count() >= contributions
            and counted == db.session.scalar(select(func.count(Contribution.id))))


def prepare(app, screenings: int, contributions: int, record: Path | None,
            quiet: bool = False) -> dict:
    """Migrate and seed unless the data is complete; the seeding times (kept from the run
    that seeded, if a record file is given)."""
    with app.app_context():
        flask_migrate.upgrade()
        if complete(screenings, contributions):
            if record is not None and record.exists():
                return json.loads(record.read_text()) | {"reused": True}
            return {"reused": True}
        if not quiet:
            print(f"Seeding {screenings:,} screenings and {contributions:,} contributions...",
                  flush=True)
        timings: dict = {}
        _timed("demo tour", timings, lambda: demo.seed(), quiet)
        _timed("synthetic screenings", timings, lambda: demo.seed(screenings, 0), quiet)
        _timed("synthetic contributions + ledger days", timings,
               lambda: demo.seed(screenings, contributions), quiet)
        timings["total"] = round(sum(timings.values()), 1)
        if record is not None:
            record.write_text(json.dumps(timings))
        return timings


def measure(action: Callable[[], object], runs: int, before: Callable[[], object] | None = None,
            warm_up: int = WARM_UP) -> tuple[float, float, float]:
    """Median and p95 (nearest rank) wall time and median CPU time (this process: the app
    and, on SQLite, the database engine), in milliseconds. `before` runs untimed before
    each run (e.g. a write, for a cold request)."""
    for _ in range(warm_up):
        if before is not None:
            before()
        action()
    wall, cpu = [], []
    for _ in range(runs):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    wall.sort()
    return (statistics.median(wall), wall[math.ceil(0.95 * len(wall)) - 1],
            statistics.median(cpu))


@contextmanager
def counted_queries(app):
    """Count the statements sent to the database inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def timed_statements(app):
    """(milliseconds, statement) of each statement sent inside the block."""
    found: list[tuple[float, str]] = []
    started: list[float] = []

    def before(*_args):
        started.append(time.perf_counter())

    def after(_conn, _cursor, statement, *_args):
        found.append(((time.perf_counter() - started.pop()) * 1000, statement))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def slowest(app, how_many: int) -> None:
    """Where each page's time goes: its slowest statements in one request."""
    client = logged_in_client(app)
    for path in PAGES:
        touch_ledger(app)  # cold: every figure computed
        with timed_statements(app) as found:
            start = time.perf_counter()
            client.get(path)
            total = (time.perf_counter() - start) * 1000
        in_sql = sum(ms for ms, _ in found)
        print(f"\nGET {path} (cold): {total:.0f} ms, of which {in_sql:.0f} ms in {len(found)} "
              f"statements; the slowest:")
        for ms, statement in sorted(found, reverse=True)[:how_many]:
            print(f"  {ms:7.1f}  {' '.join(statement.split())[:150]}")


_CLIENTS: dict[int, object] = {}


def logged_in_client(app):
    """A test client logged in as the demo coordinator, two-factor step included (once per
    app: a second login within the same 30 seconds would reuse the two-factor step)."""
    if id(app) in _CLIENTS:
        return _CLIENTS[id(app)]
    client = _CLIENTS[id(app)] = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == COORDINATOR))
        # The bench logs in on every run: forget the last used step, as tests/conftest does.
        db.session.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
        db.session.commit()
        code, _ = twofactor.demo_code(user)
        password = app.config["DEMO_PASSWORD"]
    response = client.post("/login", data={"email": COORDINATOR, "password": password})
    if response.headers.get("Location", "").startswith("/login/two-factor"):
        response = client.post("/login/two-factor", data={"code": code})
    if response.status_code != 302:
        sys.exit(f"Could not log in as {COORDINATOR}: {response.status_code}")
    return client


def filter_sets(today: date) -> list[tuple[str, ledger.Filters, str]]:
    """(label, filters for the services, query string for the pages)."""
    since = (today.replace(day=1) - timedelta(days=60)).replace(day=1)
    return [
        ("", ledger.Filters(), ""),
        (" [dates]", ledger.Filters(date_from=since, date_to=today),
         f"?from={since.isoformat()}&to={today.isoformat()}"),
        (" [country]", ledger.Filters(country="PL"), "?country=PL"),
    ]


def query_rows(app, runs: int) -> list[tuple]:
    """Each ledger query the dashboards run, uncached, with and without filters."""
    rows = []
    with app.app_context():
        for label, filters, _ in filter_sets(date.today()):
            rows.append((f"ledger.totals(){label}", *measure(
                lambda f=filters: ledger.totals(f), runs)))
            for grouping in ledger.GROUPINGS:
                rows.append((f"ledger.breakdown({grouping!r}){label}", *measure(
                    lambda g=grouping, f=filters: ledger.breakdown(g, f), runs)))
            db.session.remove()
    return rows


def touch_ledger(app) -> None:
    """A committed ledger write, as far as caches can tell: raises the ledger's revision."""
    with app.app_context():
        revisions.touch(revisions.LEDGER)
        db.session.commit()
        db.session.remove()


def page_queries(app, client, path: str, before: Callable[[], object] | None = None) -> int:
    if before is not None:
        before()
    with counted_queries(app) as statements:
        response = client.get(path)
    if response.status_code != 200:
        sys.exit(f"GET {path} answered {response.status_code}")
    return len(statements)


def page_urls() -> list[str]:
    urls = []
    for path in PAGES:
        for _label, _, query in filter_sets(date.today()):
            if path == "/coordination/" and query:
                continue  # the overview has no filters
            urls.append(path + query)
    return urls


def page_rows(app, runs: int) -> list[tuple]:
    """The coordinator pages, whole requests through the test client: cold (the first
    request after a ledger write: every figure computed) and warm (figures from the cache)."""
    client, rows = logged_in_client(app), []
    cold = lambda: touch_ledger(app)  # noqa: E731
    for url in page_urls():
        count = page_queries(app, client, url, cold)
        rows.append((f"GET {url} cold", *measure(lambda u=url: client.get(u), runs, cold),
                     count))
        client.get(url)
        count = page_queries(app, client, url)
        rows.append((f"GET {url} warm", *measure(lambda u=url: client.get(u), runs), count))
    return rows


def small_counts(urls: list[str]) -> dict[str, int]:
    """Queries per page, cold, on the demo tour alone (a few dozen contributions)."""
    path = DATA / "small.db"
    app = make_app(f"sqlite:///{path}")
    prepare(app, 0, 0, None, quiet=True)
    client = logged_in_client(app)
    return {url: page_queries(app, client, url, lambda: touch_ledger(app)) for url in urls}


def scale_summary(app) -> str:
    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(model))
                  for model in (Screening, Contribution, LedgerDay)]
        currencies = db.session.scalar(select(func.count(distinct(LedgerDay.currency))))
        dialect = db.engine.dialect.name
        db.session.remove()
    return (f"{dialect}: {counts[0]:,} screenings, {counts[1]:,} contributions in "
            f"{currencies} currencies, summed in {counts[2]:,} ledger days")


def main(argv=None) -> None:
    args = parse_args(argv)
    DATA.mkdir(exist_ok=True)
    if args.postgres:
        app, record = make_app(args.postgres), DATA / "totals-postgres.json"
    else:
        app, record = make_app(f"sqlite:///{DATA / 'totals.db'}"), DATA / "totals-sqlite.json"
    seeding = prepare(app, args.screenings, args.contributions, record)
    print("\nSeeding:", ", ".join(f"{k} {v} s" for k, v in seeding.items() if k != "reused")
          + (" (data reused; times from the run that seeded it)" if seeding.get("reused")
             else ""))
    print(scale_summary(app))
    print(f"\nMedian and p95 wall time, median CPU time of this process, of {args.runs} runs "
          f"after {WARM_UP} warm-up runs, in ms.\nQueries: uncached service calls. Pages: "
          f"cold = the first request after a ledger write (every figure computed), warm = "
          f"figures from the\nworker's cache (cache size {app.config['LEDGER_CACHE_SIZE']}).\n")
    queries, pages = query_rows(app, args.runs), page_rows(app, args.runs)
    width = max(len(row[0]) for row in queries + pages) + 2
    print(f"{'query':<{width}}{'median':>9}{'p95':>9}{'CPU':>9}")
    for name, median, p95, cpu in queries:
        print(f"{name:<{width}}{median:>9.1f}{p95:>9.1f}{cpu:>9.1f}")
    print(f"\n{'page':<{width}}{'median':>9}{'p95':>9}{'CPU':>9}{'queries':>9}")
    for name, median, p95, cpu, count in pages:
        print(f"{name:<{width}}{median:>9.1f}{p95:>9.1f}{cpu:>9.1f}{count:>9}")

    if args.slowest:
        slowest(app, args.slowest)

    print("\nTargets:")
    if not args.postgres:
        for name, median, _p95, cpu, _count in pages:
            verdict = "met" if median < PAGE_TARGET_MS else "MISSED"
            print(f"  median < {PAGE_TARGET_MS} ms on SQLite, {name}: {verdict} "
                  f"({median:.1f} ms, CPU {cpu:.1f} ms)")
    if not args.no_compare:
        small = small_counts(page_urls())
        for name, *_, count in pages:
            if not name.endswith(" cold"):
                continue
            url = name.removeprefix("GET ").removesuffix(" cold")
            verdict = "same" if small[url] == count else "DIFFERENT"
            print(f"  queries independent of rows, {url}: {verdict} "
                  f"({count} here, {small[url]} on the demo tour alone, SQLite)")


if __name__ == "__main__":
    main()
