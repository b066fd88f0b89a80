"""Public list page and GeoJSON under load, against a bare Flask "hello", all via gunicorn.

Serves the app and bench/hello_app.py with gunicorn (2 sync workers each, 127.0.0.1, free
ports), loads `/`, `/api/v1/screenings.geojson` and the hello route in turn with N
connections for a fixed time (wrk if installed, else a built-in asyncio generator), and
prints requests/s, p50/p99 latency, errors and the ratio to hello. Run from the repository
root:

    .venv/bin/python -m bench.public                     # SQLite file in bench/.data/
    .venv/bin/python -m bench.public --postgres postgresql://postgres@127.0.0.1:5432/bench
"""

import argparse
import asyncio
import cProfile
import gc
import http.client
import io
import math
import os
import pstats
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Contribution, Screening
from app.services import page_cache
from bench.totals import complete, timed_statements

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
TOTALS_DB, PUBLIC_DB = DATA / "totals.db", DATA / "public.db"
HOST = "127.0.0.1"
WORKERS = 2
# (label, server, path): the hello route first, the baseline of the ratios.
TARGETS = [("hello GET /", "hello", "/"), ("list page GET /", "app", "/"),
           ("GET /api/v1/screenings.geojson", "app", "/api/v1/screenings.geojson")]
RATIO_TARGET, P99_TARGET_MS = 0.5, 100
OK = range(200, 300)
TICKS = os.sysconf("SC_CLK_TCK")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.public", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="serve from this PostgreSQL "
                        "database instead (migrated and seeded there if short of screenings)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10, help="seconds per target")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unmeasured load "
                        "before each target (fills each worker's caches)")
    parser.add_argument("--screenings", type=int, default=10_000)
    parser.add_argument("--contributions", type=int, default=100_000,
                        help="when seeding a database of its own (bench/.data/public.db)")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto",
                        help="auto: wrk when installed, else the built-in one")
    parser.add_argument("--install-wrk", action="store_true",
                        help="apt-get install -y wrk when it is missing")
    parser.add_argument("--profile", action="store_true", help="also profile GET / through "
                        "the test client (cProfile) and print the top 10 functions")
    return parser.parse_args(argv)


# -- the data ---------------------------------------------------------------------------------

def sqlalchemy_url(url: str) -> str:
    """psycopg 3 is the installed driver; SQLAlchemy's postgresql:// means psycopg2."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def _ready(url: str, screenings: int) -> bool:
    """Migrated to the head, and the synthetic screenings completely seeded."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        heads = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
        ready = set(current) == set(heads.get_heads()) and complete(screenings, 0)
        db.session.remove()
        db.engine.dispose()
    return ready


def _flask(url: str, *command: str) -> None:
    env = os.environ | {"APP_ENV": "development", "DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT,
                   env=env, check=True)


def database(args) -> str:
    """The database URL to serve: the totals bench's SQLite file, read-only, when it is
    complete; else bench/.data/public.db or the PostgreSQL database, seeded if short."""
    if args.postgres:
        url = sqlalchemy_url(args.postgres)
    else:
        DATA.mkdir(exist_ok=True)
        read_only = f"sqlite:///file:{TOTALS_DB}?mode=ro&uri=true"
        if TOTALS_DB.exists() and _ready(read_only, args.screenings):
            ensure_epoch(f"sqlite:///{TOTALS_DB}")
            print(f"Data: {TOTALS_DB.relative_to(ROOT)} (the totals bench's, read-only)")
            return read_only
        url = f"sqlite:///{PUBLIC_DB}"
    if not _ready(url, args.screenings):
        print(f"Seeding {args.screenings:,} screenings, {args.contributions:,} contributions "
              "(flask demo seed)...", flush=True)
        _flask(url, "db", "upgrade")
        _flask(url, "demo", "seed", "--screenings", str(args.screenings),
               "--contributions", str(args.contributions))
    ensure_epoch(url)
    print(f"Data: {url.split('@')[-1]}")
    return url


def ensure_epoch(url: str) -> None:
    """A database seeded before the public cache existed has no epoch, and the cache keeps
    nothing without one (app/services/page_cache.py): draw it."""
    with create_app("testing", SQLALCHEMY_DATABASE_URI=url).app_context():
        page_cache.ensure_epoch(db.session.connection())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def scale(url: str) -> str:
    with create_app("testing", SQLALCHEMY_DATABASE_URI=url).app_context():
        counts = [db.session.scalar(select(func.count()).select_from(model))
                  for model in (Screening, Contribution)]
        dialect = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    return f"{dialect}: {counts[0]:,} screenings, {counts[1]:,} contributions"


# -- the servers ------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def workers(self) -> list[int]:
        """The worker pids: the processes whose parent is the gunicorn master."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.workers():
            with suppress(OSError), open(f"/proc/{pid}/stat") as stat:
                # utime and stime, in clock ticks
                total += sum(int(v) for v in stat.read().rsplit(")", 1)[1].split()[11:13])
        return total / TICKS

    def peak_rss_mib(self) -> list[float]:
        """Each worker's peak resident set (VmHWM)."""
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024)
        return sorted(peaks)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# gunicorn.conf.py (read from the working directory, for both servers alike) would replace a
# worker every ~1000 requests -- its warm caches and its CPU counters with it --, log every
# request.
GUNICORN_ENV = {"GUNICORN_MAX_REQUESTS": "0", "GUNICORN_ACCESSLOG": ""}


def start(name: str, spec: str, env: dict) -> Server:
    port, log = free_port(), DATA / f"gunicorn-{name}.log"
    env = {k: v for k, v in env.items() if k != "GUNICORN_CONTROL_SOCKET"} | GUNICORN_ENV
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class",
               "sync", "--bind", f"{HOST}:{port}", "--chdir", str(ROOT), spec]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    return Server(name, port, process, log)


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def wait_until_answering(server: Server, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            if get(server.port, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    stop(server)
    sys.exit(f"gunicorn ({server.name}) did not answer {path}; its log "
             f"({server.log}):\n{server.log.read_text()[-3000:]}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def app_environment(url: str) -> dict:
    """Production settings; rate limits off (the GeoJSON's read limit would answer 429)."""
    return os.environ | {"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                         "DATABASE_URL": url, "FLASK_RATELIMIT_ENABLED": "false",
                         "MAIL_OUTBOX_DIR": str(DATA / "outbox")}


# -- the load ---------------------------------------------------------------------------------

@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    p50: float = 0.0  # milliseconds
    p99: float = 0.0
    errors: Counter = field(default_factory=Counter)
    client_cpu: float = 0.0  # the generator's CPU seconds
    server_cpu: float = 0.0  # the gunicorn workers' CPU seconds

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank."""
    return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)] if ordered else float("nan")


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; (status, whether the connection stays open)."""
    head = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
    status = int(head[0].split(None, 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    keep = headers.get(b"connection") != b"close"
    if status in (204, 304) or status < 200:
        return status, keep
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
    else:
        await reader.read()
        keep = False
    return status, keep


async def _connection(port: int, request: bytes, deadline: float, latencies: list,
                      errors: Counter) -> None:
    """One client: request after request until the deadline, reconnecting whenever the
    server closes (gunicorn's sync workers close after every response)."""
    writer = None
    while (started := time.perf_counter()) < deadline:
        try:
            async with asyncio.timeout(10):
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
                writer.write(request)
                status, keep = await _response(reader)
        except (OSError, ValueError, IndexError, TimeoutError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError) as exc:
            errors[type(exc).__name__] += 1
            status, keep = None, False
        else:
            latencies.append((time.perf_counter() - started) * 1000)
            if status not in OK and status != 304:
                errors[f"HTTP {status}"] += 1
        if not keep and writer is not None:
            writer.close()
            writer = None


async def _load(port: int, path: str, connections: int, seconds: float, headers: dict):
    request = "".join([f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n",
                       *(f"{k}: {v}\r\n" for k, v in headers.items()), "\r\n"]).encode()
    latencies, errors = [], Counter()
    start = time.perf_counter()
    await asyncio.gather(*(_connection(port, request, start + seconds, latencies, errors)
                           for _ in range(connections)))
    return latencies, errors, time.perf_counter() - start


def python_load(port: int, path: str, connections: int, seconds: float,
                headers: dict) -> Result:
    """The built-in generator: asyncio connections in this process."""
    cpu = time.process_time()
    latencies, errors, elapsed = asyncio.run(_load(port, path, connections, seconds, headers))
    latencies.sort()
    return Result(len(latencies), elapsed, percentile(latencies, 50), percentile(latencies, 99),
                  errors, time.process_time() - cpu)


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def wrk_load(port: int, path: str, connections: int, seconds: float, headers: dict) -> Result:
    command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d",
               f"{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([*command, f"http://{HOST}:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    errors = Counter()
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors["HTTP not 2xx/3xx"] = int(found[1])
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                          r"timeout (\d+)", out):
        for kind, count in zip(("connect", "read", "write", "timeout"), found.groups(),
                               strict=True):
            errors[f"socket {kind}"] += int(count)
    quantile = {q: _ms(v) for q, v in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M)}
    if done is None or len(quantile) < 2:
        sys.exit(f"Could not read wrk's output:\n{out}")
    return Result(int(done[1]), _ms(done[2] + done[3]) / 1000, quantile["50"], quantile["99"],
                  +errors, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def generator(args):
    """(name, load function) as asked and available."""
    if args.generator != "python" and not shutil.which("wrk") and args.install_wrk:
        print("Installing wrk (apt-get install -y wrk)...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       stdout=subprocess.DEVNULL,
                       env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
    if shutil.which("wrk") and args.generator != "python":
        return "wrk", wrk_load
    if args.generator == "wrk":
        sys.exit("wrk is not installed (pass --install-wrk, or --generator python)")
    return "built-in asyncio (one process; latency includes the TCP connect)", python_load


def measure(load, server: Server, path: str, args, headers: dict | None = None) -> Result:
    headers = headers or {}
    if args.warmup > 0:
        # Until every connection got a few answers (at most a minute): each worker renders
        # its own first copy (a miss), which must not fall into the measured time.
        deadline = time.monotonic() + 60
        while (load(server.port, path, args.connections, args.warmup, headers).requests
               < 4 * args.connections and time.monotonic() < deadline):
            pass
    cpu = server.cpu_seconds()
    result = load(server.port, path, args.connections, args.duration, headers)
    result.server_cpu = server.cpu_seconds() - cpu
    return result


# -- the report -------------------------------------------------------------------------------

def cost(result: Result) -> float:
    """The gunicorn workers' CPU milliseconds per request."""
    return result.server_cpu * 1000 / result.requests if result.requests else float("nan")


def table(rows: list[tuple[str, Result]], hello: Result, connections: int) -> None:
    print(f"\n{'target':<44}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
          f"{'ratio':>7}{'CPU ms/req':>11}{'CPU ratio':>10}{'client':>8}")
    for label, r in rows:
        ratio = r.rps / hello.rps if hello.rps else float("nan")
        print(f"{label:<44}{r.requests:>9}{r.rps:>8.0f}{r.p50:>8.1f}{r.p99:>8.1f}"
              f"{sum(r.errors.values()):>7}{ratio:>7.2f}{cost(r):>11.2f}"
              f"{cost(hello) / cost(r):>10.2f}{r.client_cpu / r.seconds:>8.0%}")
        if r.errors:
            print(f"{'':<4}errors: {dict(r.errors)}")
    print(f"({connections} connections. CPU ms/req: the gunicorn workers' CPU time per request;"
          " CPU ratio: hello's\nof that divided by the target's; client: the load generator's"
          " share of one core.)")


def targets(rows: list[tuple[str, Result]], hello: Result) -> bool:
    print(f"\nTargets (ratio to hello >= {RATIO_TARGET}, p99 < {P99_TARGET_MS} ms, no errors):")
    met_all = True
    for label, r in rows:
        ratio = r.rps / hello.rps if hello.rps else 0
        errors = sum(r.errors.values())
        checks = [(f"ratio {ratio:.2f}", ratio >= RATIO_TARGET),
                  (f"p99 {r.p99:.1f} ms", r.p99 < P99_TARGET_MS),
                  (f"{errors} errors", errors == 0)]
        met_all &= all(ok for _, ok in checks)
        print(f"  {label}: " + ", ".join(f"{text} {'met' if ok else 'MISSED'}"
                                         for text, ok in checks))
    return met_all


def profile(url: str, path: str = "/", runs: int = 10) -> None:
    """Where a request's time goes, in this process through the test client."""
    # Without the public cache: this is what a miss (the first request after a write) costs.
    app = create_app("production", SECRET_KEY=secrets.token_hex(32),
                     SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False,
                     PUBLIC_CACHE_ENABLED=False)
    client = app.test_client()
    for _ in range(3):
        client.get(path)
    profiler, collecting = cProfile.Profile(), []

    def collector(phase: str, _info) -> None:
        collecting.append(time.perf_counter() * (-1 if phase == "start" else 1))

    gc.callbacks.append(collector)
    with timed_statements(app) as statements:
        start = time.perf_counter()
        profiler.enable()
        for _ in range(runs):
            status = client.get(path).status_code
        profiler.disable()
        each = (time.perf_counter() - start) * 1000 / runs
    gc.callbacks.remove(collector)
    in_sql = sum(ms for ms, _ in statements) / runs
    in_gc = sum(collecting[: len(collecting) // 2 * 2]) * 1000 / runs
    print(f"\nProfile of GET {path} through the test client ({status}), {runs} requests, "
          f"each: {each:.1f} ms (profiled), {len(statements) // runs} SQL statements taking "
          f"{in_sql:.1f} ms, {in_gc:.1f} ms in the garbage collector (cProfile charges it to "
          "whatever function was running)")
    site = str(Path(sys.modules["flask"].__file__).parent.parent) + "/"
    for order, only, what in (("tottime", "", "functions by own time"),
                              ("cumulative", f"{ROOT}/(app|templates)/",
                               "app functions and templates by cumulative time")):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(only, 10)
        text = out.getvalue().replace(site, "").replace(f"{ROOT}/", "")
        print(f"\nTop 10 {what}:\n" + text[text.index("   ncalls"):].rstrip())


def main(argv=None) -> None:
    args = parse_args(argv)
    DATA.mkdir(exist_ok=True)
    url = database(args)
    print(scale(url))
    how, load = generator(args)
    servers = {"hello": start("hello", "bench.hello_app:app", dict(os.environ)),
               "app": start("app", "app:create_app()", app_environment(url))}
    rows: list[tuple[str, Result]] = []
    try:
        for server in servers.values():
            wait_until_answering(server, "/")
        print(f"gunicorn, {WORKERS} sync workers each; load: {how}, {args.connections} "
              f"connections, {args.duration:g} s per target after {args.warmup:g} s warm-up",
              flush=True)
        for label, server, path in TARGETS:
            rows.append((label, measure(load, servers[server], path, args)))
        # Informational: a map revalidating the pins it already holds (ETag, 304).
        label, server, path = TARGETS[2]
        etag = get(servers[server].port, path)[1].get("ETag")
        if etag:
            rows.append((f"{label} (If-None-Match)",
                         measure(load, servers[server], path, args, {"If-None-Match": etag})))
        rss = {name: server.peak_rss_mib() for name, server in servers.items()}
    finally:
        for server in servers.values():
            stop(server)
    hello = rows[0][1]
    table(rows, hello, args.connections)
    print("Peak RSS of the gunicorn workers (VmHWM): " + "; ".join(
        f"{name} {', '.join(f'{mib:.0f}' for mib in peaks)} MiB" for name, peaks in rss.items()))
    met = targets(rows[1:3], hello)
    if args.profile:
        profile(url)
    print("\nAll targets met." if met else "\nSome targets MISSED.")


if __name__ == "__main__":
    main()
