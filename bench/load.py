"""`make bench`: the load figures of issue 6 -- the public list page, a screening page, the
GeoJSON and the coordinator's money dashboard, each under gunicorn (2 sync workers) against a
bare Flask "hello" served the same way, on 10,000 screenings and 1,000,000 contributions.

Seeds (or reuses) the totals bench's database (bench/totals.py's builder), starts both
gunicorns on free ports of 127.0.0.1, logs in over HTTP as the demo coordinator (password and
two-factor code) for the dashboard, drives each target with wrk (else a built-in generator)
and prints requests/s, p50/p99, the ratio to hello, errors and the workers' peak memory, then
whether the targets are met. Run from the repository root:

    .venv/bin/python -m bench.load                    # SQLite: bench/.data/totals.db
    .venv/bin/python -m bench.load --postgres postgresql://postgres@127.0.0.1:5432/bench
"""

import argparse
import html
import http.client
import os
import re
import sys
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select, update

from app.extensions import db
from app.models import User
from app.services import page_cache, twofactor
from app.services.screenings import search
from bench import public
from bench.totals import COORDINATOR, DATA, make_app, prepare

WORKERS = public.WORKERS
RSS_TARGET_MIB = 150
GEOJSON = "/api/v1/screenings.geojson"


@dataclass
class Target:
    label: str
    server: str  # "hello" or "app"
    path: str
    headers: dict
    ratio_target: bool = False  # list page and GeoJSON: at least half of hello's rate
    checked: bool = True  # p99 and errors count towards "targets met"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="serve from this PostgreSQL database "
                        "(migrated and seeded there first; give it a database of its own)")
    parser.add_argument("--screenings", type=int, default=10_000)
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10, help="seconds per target")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured load "
                        "before each target")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--install-wrk", action="store_true",
                        help="apt-get install -y wrk when it is missing")
    parser.add_argument("--only", metavar="WORD", help="measure only the targets whose label "
                        "contains WORD (hello is always measured)")
    return parser.parse_args(argv)


def prepared_database(args) -> tuple[str, int]:
    """The database URL (seeded by bench/totals.py's builder) and an upcoming screening's id."""
    DATA.mkdir(exist_ok=True)
    if args.postgres:
        url, record = public.sqlalchemy_url(args.postgres), DATA / "totals-postgres.json"
    else:
        url, record = f"sqlite:///{DATA / 'totals.db'}", DATA / "totals-sqlite.json"
    app = make_app(url)
    seeding = prepare(app, args.screenings, args.contributions, record)
    if not seeding.get("reused"):
        print("Seeded:", ", ".join(f"{k} {v} s" for k, v in seeding.items()), flush=True)
    with app.app_context():
        # A database seeded before the page cache existed has no epoch yet: draw it, or the
        # cache would (rightly) keep nothing. The bench logs in on every run: forget the
        # coordinator's last used two-factor step, as tests/conftest does.
        page_cache.ensure_epoch(db.session.connection())  # see bench/public.ensure_epoch
        db.session.execute(update(User).where(User.email == COORDINATOR)
                           .values(totp_last_step=None))
        db.session.commit()
        screening_id = db.session.scalars(
            search.upcoming(search.ScreeningFilters()).limit(1)).one().id
        db.session.remove()
        db.engine.dispose()
    return url, screening_id


# -- logging in over HTTP ---------------------------------------------------------------------

def _request(port: int, method: str, path: str, cookies: dict, form: dict | None = None):
    connection = http.client.HTTPConnection(public.HOST, port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text
    finally:
        connection.close()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    if not found:
        sys.exit("No CSRF token on the login page")
    return html.unescape(found[1])


def coordinator_cookie(url: str, port: int) -> str:
    """Log in as the demo coordinator through the real forms; the Cookie header to send."""
    app = make_app(url)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == COORDINATOR))
        password = app.config["DEMO_PASSWORD"]
        code = twofactor.demo_code(user) if user.has_two_factor else None
        db.session.remove()
        db.engine.dispose()
    cookies: dict = {}
    _, _, page = _request(port, "GET", "/login", cookies)
    status, location, _ = _request(port, "POST", "/login", cookies, {
        "email": COORDINATOR, "password": password, "csrf_token": _csrf(page)})
    if status == 302 and "/login/two-factor" in location:
        if code is None:
            sys.exit("No two-factor code available for the demo coordinator right now")
        _, _, page = _request(port, "GET", "/login/two-factor", cookies)
        status, location, _ = _request(port, "POST", "/login/two-factor", cookies, {
            "code": code[0], "csrf_token": _csrf(page)})
    status_money, _, _ = _request(port, "GET", "/coordination/money", cookies)
    if status != 302 or status_money != 200:
        sys.exit(f"Could not log in as {COORDINATOR} (login {status}, dashboard {status_money})")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# -- the run ----------------------------------------------------------------------------------

def targets(screening_id: int, cookie: str) -> list[Target]:
    return [
        Target("hello GET /", "hello", "/", {}),
        Target("list page GET /", "app", "/", {}, ratio_target=True),
        Target(f"screening page GET /screenings/{screening_id}", "app",
               f"/screenings/{screening_id}", {}),
        # As browsers (and the map's fetch) ask for it: gzip, ~0.1 MB instead of 1.2 MB.
        Target(f"GET {GEOJSON} (gzip)", "app", GEOJSON, {"Accept-Encoding": "gzip"},
               ratio_target=True),
        Target("dashboard GET /coordination/money", "app", "/coordination/money",
               {"Cookie": cookie}),
        # For information: what a browser asks (gzip), a map revalidating (304), and the cost
        # of a miss -- any session cookie bypasses the public cache.
        Target(f"GET {GEOJSON} (identity, 1.2 MB)", "app", GEOJSON, {}, checked=False),
        Target("list page, uncached (a session cookie)", "app", "/",
               {"Cookie": "session=none"}, checked=False),
    ]


def verdicts(rows: list[tuple[Target, public.Result]], hello: public.Result,
             rss: dict[str, list[float]]) -> bool:
    print(f"\nTargets (ratio to hello >= {public.RATIO_TARGET} for the list page and the "
          f"GeoJSON; p99 < {public.P99_TARGET_MS} ms; no errors; workers < {RSS_TARGET_MIB} "
          "MiB):")
    met_all = True
    for target, r in rows:
        if not target.checked or target.server == "hello":
            continue
        errors = sum(r.errors.values())
        checks = [(f"p99 {r.p99:.1f} ms", r.p99 < public.P99_TARGET_MS),
                  (f"{errors} errors", errors == 0)]
        if target.ratio_target:
            ratio = r.rps / hello.rps if hello.rps else 0
            checks.insert(0, (f"ratio {ratio:.2f}", ratio >= public.RATIO_TARGET))
        met_all &= all(ok for _, ok in checks)
        print(f"  {target.label}: " + ", ".join(f"{text} {'met' if ok else 'MISSED'}"
                                                for text, ok in checks))
    peak = max(rss.get("app") or [0])
    met_all &= peak < RSS_TARGET_MIB
    print(f"  app worker peak RSS {peak:.0f} MiB: {'met' if peak < RSS_TARGET_MIB else 'MISSED'}")
    return met_all


def main(argv=None) -> None:
    args = parse_args(argv)
    url, screening_id = prepared_database(args)
    print(public.scale(url))
    how, load = public.generator(args)
    servers = {"hello": public.start("hello", "bench.hello_app:app", dict(os.environ)),
               "app": public.start("app", "app:create_app()", public.app_environment(url))}
    rows: list[tuple[Target, public.Result]] = []
    try:
        for server in servers.values():
            public.wait_until_answering(server, "/")
        cookie = coordinator_cookie(url, servers["app"].port)
        print(f"gunicorn, {WORKERS} sync workers each; load: {how}, {args.connections} "
              f"connections, {args.duration:g} s per target after {args.warmup:g} s warm-up",
              flush=True)
        chosen = [t for t in targets(screening_id, cookie)
                  if t.server == "hello" or not args.only or args.only in t.label]
        for target in chosen:
            result = public.measure(load, servers[target.server], target.path, args,
                                    target.headers)
            rows.append((target, result))
            print(f"  {target.label}: {result.rps:.0f} req/s", flush=True)
        etag = public.get(servers["app"].port, GEOJSON)[1].get("ETag")
        if etag and (not args.only or "geojson" in args.only.lower()):
            target = Target(f"GET {GEOJSON} (If-None-Match)", "app", GEOJSON,
                            {"If-None-Match": etag}, checked=False)
            rows.append((target, public.measure(load, servers["app"], GEOJSON, args,
                                                target.headers)))
        rss = {name: server.peak_rss_mib() for name, server in servers.items()}
    finally:
        for server in servers.values():
            public.stop(server)
    hello = rows[0][1]
    public.table([(t.label, r) for t, r in rows], hello, args.connections)
    print("Peak RSS of the gunicorn workers (VmHWM): " + "; ".join(
        f"{name} {', '.join(f'{mib:.0f}' for mib in peaks)} MiB" for name, peaks in rss.items()))
    met = verdicts(rows, hello, rss)
    print("\nAll targets met." if met else "\nSome targets MISSED.")


if __name__ == "__main__":
    main()
