"""Lighthouse scores of the home page, a screening page and the coordinators' money dashboard.

Seeds a small SQLite database (bench/.data/lighthouse.db: the demo tour and a few synthetic
screenings and contributions), serves the app under gunicorn with production settings on a
free port of 127.0.0.1, logs in over HTTP as the demo coordinator (password and two-factor
code) for the dashboard, and runs Lighthouse (node_modules/lighthouse, `npm ci`) against
the system Chromium, mobile and desktop, several times per page. Prints the median score of
each category per page and form factor, and the failing audits of every category under the
target; exits non-zero when a score is under it. Run from the repository root:

    .venv/bin/python -m bench.lighthouse [--runs 3] [--only dashboard] [--no-fail]
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import update

from app.extensions import db
from app.models import Screening, User
from app.services import page_cache
from app.services.demo import bulk
from app.services.screenings import search
from bench import public
from bench.load import coordinator_cookie
from bench.totals import COORDINATOR, DATA, make_app, prepare

ROOT = Path(__file__).resolve().parent.parent
DB = DATA / "lighthouse.db"
REPORTS = DATA / "lighthouse"
# LIGHTHOUSE_CLI: another installation's cli/index.js, to try another version.
CLI = Path(os.environ.get("LIGHTHOUSE_CLI")
           or ROOT / "node_modules" / "lighthouse" / "cli" / "index.js")
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SHORT = {"performance": "perf", "accessibility": "a11y", "best-practices": "best-pr.",
         "seo": "SEO"}
FORM_FACTORS = ("mobile", "desktop")
# A list page of 20 and the map's pins: enough rows to fill every page, seeded in seconds.
SCREENINGS, CONTRIBUTIONS = 60, 3_000
# Lighthouse marks these as not counting towards a score.
UNSCORED = {"informative", "notApplicable", "manual", "error"}
# A login-only page is kept out of search engines on purpose (app/public/seo.py's robots.txt
# disallows /coordination/): Lighthouse's SEO category counts that against it.
PRIVATE = {"is-crawlable": "robots.txt disallows the login-only areas on purpose"}
# Lighthouse's own transient failures to record a page load; such a run is done again.
RETRIED = ("NO_NAVSTART", "NO_FCP", "NO_LCP", "PROTOCOL_TIMEOUT", "NO_TRACING_STARTED")
ATTEMPTS = 3


@dataclass
class Page:
    label: str
    path: str
    headers: dict = field(default_factory=dict)
    # Audits that fail on purpose here ({audit id: why}): left out of the verdict, not hidden.
    expected: dict = field(default_factory=dict)


@dataclass
class Runs:
    """The reports of one page in one form factor."""

    page: Page
    form_factor: str
    reports: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def scores(self, category: str, raw: bool = False) -> list[float]:
        expected = {} if raw else self.page.expected
        return [s for r in self.reports if (s := score(r, category, expected)) is not None]

    def median(self, category: str, raw: bool = False) -> int | None:
        scores = self.scores(category, raw)
        return round(statistics.median(scores) * 100) if scores else None

    def median_report(self, category: str) -> dict:
        """The run whose score in this category is the median (the lower one of a pair)."""
        ordered = sorted(self.reports, key=lambda r: score(r, category, {}) or 0)
        return ordered[(len(ordered) - 1) // 2]


def score(report: dict, category: str, expected: dict) -> float | None:
    """The category's score as Lighthouse computes it (the weighted mean of its scored
    audits), leaving out the audits expected to fail on this page."""
    if not expected:
        return report["categories"].get(category, {}).get("score")
    total = weights = 0.0
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref["id"] in expected or audit.get("score") is None \
                or audit.get("scoreDisplayMode") in UNSCORED:
            continue
        total += ref["weight"] * audit["score"]
        weights += ref["weight"]
    return total / weights if weights else None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and form "
                        "factor; the median is reported (default 3)")
    parser.add_argument("--target", type=int, default=95, help="lowest passing score (95)")
    parser.add_argument("--only", metavar="WORD", help="only the pages whose label contains "
                        "WORD (home, screening, dashboard)")
    parser.add_argument("--form-factor", choices=[*FORM_FACTORS, "both"], default="both")
    parser.add_argument("--no-fail", action="store_true",
                        help="print only: exit 0 even when a score is under the target")
    parser.add_argument("--all-failing", action="store_true", help="list the failing audits "
                        "of every category, not only of those under the target")
    parser.add_argument("--tiles", action="store_true", help="keep the map's tile server "
                        "(TILE_URL); by default the map has none, as the bench machine may "
                        "not reach it and each failed tile is a console error")
    parser.add_argument("--keep", action="store_true", help=f"keep the JSON and HTML reports "
                        f"in {REPORTS.relative_to(ROOT)}/ (else a temporary folder)")
    return parser.parse_args(argv)


# -- the data and the server ------------------------------------------------------------------

def prepared_database() -> tuple[str, int]:
    """The database URL, seeded if short, and the id of the first upcoming screening."""
    DATA.mkdir(exist_ok=True)
    url = f"sqlite:///{DB}"
    app = make_app(url)
    seeding = prepare(app, SCREENINGS, CONTRIBUTIONS, None, quiet=True)
    if not seeding.get("reused"):
        print(f"Seeded {DB.relative_to(ROOT)}: the demo tour, {SCREENINGS} synthetic "
              f"screenings, {CONTRIBUTIONS:,} contributions", flush=True)
    with app.app_context():
        page_cache.ensure_epoch(db.session.connection())
        # The bench logs in on every run: forget the last two-factor step used (a code is
        # accepted once), as bench/load.py does.
        db.session.execute(update(User).where(User.email == COORDINATOR)
                           .values(totp_last_step=None))
        db.session.commit()
        # A screening of the demo tour (a real description, a venue, a fundraiser), not a
        # synthetic one.
        upcoming = search.upcoming(search.ScreeningFilters())
        screening = db.session.scalars(
            upcoming.where(Screening.description != bulk.MARKER).limit(1)).first()
        screening_id = (screening or db.session.scalars(upcoming.limit(1)).one()).id
        db.session.remove()
        db.engine.dispose()
    return url, screening_id


def app_environment(url: str, tiles: bool) -> dict:
    """What a deployment sets (README, "Deploying"), minus https: see the bench README."""
    env = os.environ | {"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                        "DATABASE_URL": url, "MAIL_OUTBOX_DIR": str(DATA / "outbox")}
    if not tiles:
        env["TILE_URL"] = ""
    return env


# -- Lighthouse -------------------------------------------------------------------------------

def check_tools() -> None:
    if not CLI.exists():
        sys.exit(f"{CLI} is missing: run `npm install` (package.json)")
    if not shutil.which("node"):
        sys.exit("node is not installed")
    if not Path(CHROME).exists():
        sys.exit(f"No Chromium at {CHROME} (set CHROME_PATH)")


def lighthouse(url: str, form_factor: str, headers: dict, out: Path) -> dict:
    """One Lighthouse run; the JSON report (an HTML one next to it)."""
    command = ["node", str(CLI), url, "--quiet", "--output=json", "--output=html",
               f"--output-path={out}", "--only-categories=" + ",".join(CATEGORIES),
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu"]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    if headers:
        command.append("--extra-headers=" + json.dumps(headers))
    done = subprocess.run(command, cwd=ROOT, env=os.environ | {"CHROME_PATH": CHROME},
                          capture_output=True, text=True, timeout=300)
    report_path = out.with_suffix(".report.json")
    if done.returncode != 0 or not report_path.exists():
        raise RuntimeError(f"lighthouse exited {done.returncode}: {done.stderr[-2000:]}")
    report = json.loads(report_path.read_text())
    if report.get("runtimeError"):
        raise RuntimeError(f"{report['runtimeError'].get('code')}: "
                           f"{report['runtimeError'].get('message')}")
    if report.get("finalDisplayedUrl", url) != url:
        # Redirected (to the login page, when the cookie did not take): not the page asked for.
        raise RuntimeError(f"ended on {report['finalDisplayedUrl']}, not {url}")
    return report


def attempt(url: str, form_factor: str, headers: dict, out: Path) -> dict:
    """A run, done again (up to ATTEMPTS times) when Lighthouse failed to record the load."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return lighthouse(url, form_factor, headers, out)
        except RuntimeError as exc:
            if n == ATTEMPTS or not any(code in str(exc) for code in RETRIED):
                raise
            print("(retried: " + next(c for c in RETRIED if c in str(exc)) + ")", end=" ",
                  flush=True)
    raise AssertionError("unreachable")


def run_all(base: str, pages: list[Page], form_factors: list[str], runs: int,
            folder: Path) -> list[Runs]:
    results = []
    for page in pages:
        for form_factor in form_factors:
            entry = Runs(page, form_factor)
            for n in range(1, runs + 1):
                slug = f"{page.label.split()[0]}-{form_factor}-{n}"
                print(f"  {page.label} ({form_factor}) run {n}/{runs}...", end=" ", flush=True)
                try:
                    report = attempt(base + page.path, form_factor, page.headers, folder / slug)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    entry.errors.append(str(exc))
                    print("failed:", str(exc).strip().splitlines()[-1][:200])
                    continue
                entry.reports.append(report)
                print(" ".join(f"{SHORT[c]} {round(value * 100)}" for c in CATEGORIES
                               if (value := score(report, c, {})) is not None), flush=True)
            results.append(entry)
    return results


# -- the report -------------------------------------------------------------------------------

def table(results: list[Runs], runs: int, target: int) -> None:
    width = max(len(r.page.label) for r in results) + 2
    print(f"\nMedian of {runs} run(s) per page and form factor (target {target}; "
          "! under it):\n")
    print(f"{'page':<{width}}{'form':<9}" + "".join(f"{SHORT[c]:>10}" for c in CATEGORIES)
          + "   perf of each run")
    notes = set()
    for r in results:
        cells = []
        for category in CATEGORIES:
            score, raw = r.median(category), r.median(category, raw=True)
            mark = "" if score is None or score >= target else " !"
            if score != raw:
                mark += "*"
                notes.update(f"{r.page.label}: {audit} ({why}), Lighthouse's own score {raw}"
                             for audit, why in r.page.expected.items())
            cells.append(f"{'-' if score is None else score}{mark}".rjust(10))
        spread = ", ".join(str(round(s * 100)) for s in r.scores("performance"))
        print(f"{r.page.label:<{width}}{r.form_factor:<9}{''.join(cells)}   {spread}")
    for note in sorted(notes):
        print(f"* without the audit expected to fail on {note}")


def failing_audits(report: dict, category: str) -> list[str]:
    """The category's audits that score under 1, heaviest first, with their figures."""
    lines = []
    refs = sorted(report["categories"][category]["auditRefs"], key=lambda ref: -ref["weight"])
    for ref in refs:
        audit = report["audits"][ref["id"]]
        if audit.get("score") is None or audit["score"] >= 1 \
                or audit.get("scoreDisplayMode") in UNSCORED:
            continue
        value = f" -- {audit['displayValue']}" if audit.get("displayValue") else ""
        lines.append(f"    [{audit['score']:.2f}, weight {ref['weight']:g}] {audit['id']}: "
                     f"{audit['title']}{value}")
        lines.extend(f"        {item}" for item in _items(audit)[:5])
    return lines


def _items(audit: dict) -> list[str]:
    """A few of the elements or resources an audit names, so that one knows where to look."""
    found = []
    for item in (audit.get("details") or {}).get("items", []):
        if not isinstance(item, dict):
            continue
        node = item.get("node") or {}
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        text = node.get("snippet") or item.get("url") or source.get("url")
        if text:
            found.append(str(text)[:140])
    return found


def details(results: list[Runs], target: int, every: bool) -> bool:
    """Print what keeps each category under the target (every category's failing audits
    with `every`); whether every score is met."""
    met = True
    for r in results:
        if r.errors:
            met = False
            print(f"\n{r.page.label} ({r.form_factor}): {len(r.errors)} run(s) failed; the "
                  f"first:\n    {r.errors[0][:1000]}")
        if not r.reports:
            continue
        for category in CATEGORIES:
            score = r.median(category)
            under = score is not None and score < target
            met &= not under
            if not (under or every):
                continue
            audits = failing_audits(r.median_report(category), category)
            if audits or under:
                print(f"\n{r.page.label} ({r.form_factor}): {category} {score}, failing "
                      "audits (of the median run):")
                print("\n".join(audits or ["    (none scored under 1)"]))
    return met


def main(argv=None) -> None:
    args = parse_args(argv)
    check_tools()
    # Stopped from outside (timeout, kill): still stop the gunicorn it started (finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url, screening_id = prepared_database()
    pages = [Page("home /", "/"),
             Page(f"screening /screenings/{screening_id}", f"/screenings/{screening_id}"),
             Page("dashboard /coordination/money", "/coordination/money", expected=PRIVATE)]
    if args.only:
        pages = [p for p in pages if args.only in p.label]
    form_factors = list(FORM_FACTORS) if args.form_factor == "both" else [args.form_factor]
    server = public.start("lighthouse", "app:create_app()", app_environment(url, args.tiles))
    try:
        public.wait_until_answering(server, "/")
        base = f"http://{public.HOST}:{server.port}"
        for page in pages:
            if page.path.startswith("/coordination"):
                page.headers = {"Cookie": coordinator_cookie(url, server.port)}
        print(f"gunicorn ({public.WORKERS} workers, APP_ENV=production) at {base}; "
              f"Lighthouse {lighthouse_version()}, {chromium_version()}", flush=True)
        if args.keep:
            REPORTS.mkdir(parents=True, exist_ok=True)
            results = run_all(base, pages, form_factors, args.runs, REPORTS)
        else:
            with tempfile.TemporaryDirectory(prefix="lighthouse-") as folder:
                results = run_all(base, pages, form_factors, args.runs, Path(folder))
    finally:
        public.stop(server)
    table(results, args.runs, args.target)
    met = details(results, args.target, args.all_failing)
    if args.keep:
        print(f"\nReports: {REPORTS.relative_to(ROOT)}/*.report.html")
    print(f"\nEvery score at least {args.target}." if met
          else f"\nSome scores are under {args.target}.")
    if not met and not args.no_fail:
        sys.exit(1)


def lighthouse_version() -> str:
    return json.loads((CLI.parent.parent / "package.json").read_text())["version"]


def chromium_version() -> str:
    done = subprocess.run([CHROME, "--version"], capture_output=True, text=True)
    return done.stdout.strip() or "Chromium"


if __name__ == "__main__":
    main()
