"""Browser tests: the real app served on a free port from its own SQLite database (migrated
with `flask db upgrade`), driven through the system Chromium by Playwright.

Skipped when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1 (then they fail).
The accessibility checks also need axe-core from node_modules (`npm ci`): missing, they skip
likewise (or fail with REQUIRE_BROWSER=1).
"""

import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyotp
import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.models import (
    Beneficiary,
    City,
    Collective,
    Country,
    ExchangeRate,
    Film,
    Membership,
    MembershipRole,
    Role,
    Status,
    User,
)
from app.services import ledger, passwords, screenings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "x" * 20
ORGANISER = "organiser@example.org"
COORDINATOR = "coordinator@example.org"
# The two widths every page is checked at: a small phone and a laptop.
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}

# name, country code, country, centre, IANA zone, geonames id
CITIES = {
    "Helsinki": ("FI", "Finland", (60.16952, 24.93545), "Europe/Helsinki", 658225),
    "Warsaw": ("PL", "Poland", (52.22977, 21.01178), "Europe/Warsaw", 756135),
    "Berlin": ("DE", "Germany", (52.52437, 13.41053), "Europe/Berlin", 2950159),
}
# Venue points: a private venue's must never reach the map.
SECRET_POINT = (60.2055, 24.6559)
OPEN_POINT = (52.2370, 21.0175)
XSS_TITLE = '<img src=x onerror="window.__xss=1">Berlin night'


def _require_browser():
    """Skip (or fail, with REQUIRE_BROWSER=1) when the browser cannot be driven here."""
    problem = None
    if not os.path.exists(CHROMIUM):
        problem = f"{CHROMIUM} is missing (install Debian's chromium package)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[dev]')"
    if problem is None:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {problem}")
    pytest.skip(f"browser test skipped: {problem}; set REQUIRE_BROWSER=1 to make this fail")


def _closed_port() -> int:
    """A local port nothing listens on: tiles asked from it fail at once, as offline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Live:
    """The running server and what was seeded into it."""

    url: str
    tile_port: int
    ids: dict[str, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    app: object = None
    totp_secrets: dict[str, str] = field(default_factory=dict)

    def log_in(self, page, email: str, *, expect: str | None = None) -> None:
        """Log in through the real form in the browser; a coordinator through the 2FA step
        too, with the code computed from the user's secret as an authenticator app would."""
        page.goto(self.url + "/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("main form.form button[type=submit]")
        if email in self.totp_secrets:
            page.wait_for_url("**/login/two-factor")
            page.fill("#code", self.totp_code(email))
            page.click("main form.form button[type=submit]")
        page.wait_for_url(expect or ("**/coordination/" if email in self.totp_secrets
                                     else "**/organiser/"))

    def totp_code(self, email: str) -> str:
        """The current code of the user's authenticator. Each log-in within one 30-second
        step would reuse the code the replay guard refuses: forget the step used last."""
        with self.app.app_context():
            user = db.session.scalar(db.select(User).filter_by(email=email))
            user.totp_last_step = None
            db.session.commit()
        return pyotp.TOTP(self.totp_secrets[email]).now()


def _migrate(app) -> None:
    """`flask db upgrade`, the real command and migrations, run in this process."""
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def _seed() -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """Four screenings in Helsinki (private venues: one cluster on the city centre), one in
    Warsaw (a public venue with its own point), one in Berlin with a hostile title; a held
    one in the past with money in EUR and PLN (and a rate); an organiser of the collective and
    a coordinator with an authenticator (returned: email -> TOTP secret)."""
    for name, (code, country, (lat, lon), zone, geonames_id) in CITIES.items():
        db.session.add(City(name=name, country=Country(code=code, name=country), lat=lat,
                            lon=lon, timezone=zone, geonames_id=geonames_id))
    db.session.add_all([
        Film(title="Part One: Resistance", slug="part-one", part=1, year=2023,
             runtime_minutes=95),
        Beneficiary(name="Solidarity Collectives", slug="solidarity-collectives"),
        Collective(name="Kino Kollektiv", slug="kino-kollektiv", is_trusted=True),
    ])
    secret = pyotp.random_base32()
    actor = User(email=COORDINATOR, display_name="Coordinator", role=Role.COORDINATOR,
                 password_hash=passwords.hash_password(PASSWORD), totp_secret=secret,
                 totp_confirmed_at=datetime.now(UTC))
    organiser = User(email=ORGANISER, display_name="Organiser", role=Role.ORGANISER,
                     password_hash=passwords.hash_password(PASSWORD))
    db.session.add_all([actor, organiser])
    db.session.flush()
    collective = db.session.scalar(db.select(Collective).filter_by(slug="kino-kollektiv"))
    db.session.add(Membership(user=organiser, collective=collective,
                              role=MembershipRole.ADMIN))
    # Not trusted: its screenings wait for a coordinator's approval.
    club = Collective(name="Tampere Film Club", slug="tampere-film-club", is_trusted=False)
    db.session.add(Membership(user=organiser, collective=club, role=MembershipRole.MEMBER))
    db.session.add(ExchangeRate(currency="PLN", valid_on=date(2024, 1, 1),
                                per_base=Decimal("4.3")))
    soon = (datetime.now(UTC) + timedelta(days=20)).replace(hour=19, minute=0, second=0,
                                                            microsecond=0, tzinfo=None)
    plan = [(f"helsinki-{n}", f"Helsinki night {n}", "Helsinki", "FI", "city_only",
             SECRET_POINT) for n in range(1, 5)]
    plan += [("warsaw", "Warsaw open night", "Warsaw", "PL", "public", OPEN_POINT),
             ("berlin", XSS_TITLE, "Berlin", "DE", "on_request", None)]
    ids, titles = {}, {}
    for n, (key, title, city, country, visibility, point) in enumerate(plan):
        screening = screenings.create(screenings.ScreeningInput(
            film="part-one", collective="kino-kollektiv", city=city, country=country,
            venue_name=f"Venue {key}", venue_address=f"Street {n + 1}", visibility=visibility,
            starts_at=soon + timedelta(days=n), beneficiary="solidarity-collectives",
            purpose="Medical supplies", title=title), actor)
        screening.status = Status.PUBLISHED
        if point is not None:
            screening.venue.lat, screening.venue.lon = point
        db.session.flush()
        ids[key], titles[key] = screening.id, title
    past = screenings.create(screenings.ScreeningInput(
        film="part-one", collective="kino-kollektiv", city="Warsaw", country="PL",
        venue_name="Venue past", venue_address="Old Street 1", visibility="public",
        starts_at=soon - timedelta(days=60), beneficiary="solidarity-collectives",
        purpose="Radios", title="Warsaw spring night", goal_amount="800.00",
        goal_currency="EUR"), actor)
    past.status = Status.HELD
    db.session.flush()
    for amount, currency, state in [("120.00", "EUR", "confirmed"), ("400.00", "PLN",
                                                                     "collected")]:
        ledger.record_contribution(past.fundraiser, actor, amount=amount, currency=currency,
                                   received_on=(soon - timedelta(days=59)).date(),
                                   channel="door", state=state)
    ids["past"], titles["past"] = past.id, "Warsaw spring night"
    db.session.commit()
    return ids, titles, {COORDINATOR: secret}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The app served by werkzeug in a thread, on a migrated and seeded SQLite file."""
    _require_browser()
    folder = tmp_path_factory.mktemp("live")
    tile_port = _closed_port()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'live.db'}",
                     MAIL_OUTBOX_DIR=str(folder / "outbox"),
                     TILE_URL=f"http://127.0.0.1:{tile_port}/{{z}}/{{x}}/{{y}}.png")
    _migrate(app)
    with app.app_context():
        ids, titles, secrets = _seed()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", tile_port, ids, titles, app,
                   secrets)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser(live):
    """The system Chromium, headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# axe-core's tags for the WCAG 2.0, 2.1 and 2.2 success criteria at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = ("serious", "critical")


def require_axe() -> str:
    """axe.min.js from node_modules (installed by `npm ci` from package-lock.json)."""
    if not AXE.exists():
        problem = f"{AXE.relative_to(ROOT)} is missing (run `npm ci` at the repository root)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(f"accessibility test skipped: {problem}")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, source: str) -> list[dict]:
    """Run axe-core in the page (WCAG 2.x A and AA rules); its serious and critical
    violations, each with the rule, its help text and the offending nodes' selectors."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern (a
        # script tag would be refused, rightly: script-src allows only the site's files).
        page.evaluate(f"() => {{ {source}\n}}")
    found = page.evaluate("""async tags => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                      summary: n.failureSummary}))}));
    }""", WCAG_TAGS)
    return [v for v in found if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    """Violations as readable lines for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n['target']}  {n['html']}" for n in v["nodes"][:6]]
    return "\n".join(lines)


def shoot(page, name: str) -> None:
    """A full-page screenshot in ROOT/screenshots (gitignored) to look at by eye."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# Leaflet's and markercluster's own flags (no public API says "the map has stopped moving").
_MAP_STILL_JS = """() => {
    const found = window.screeningMap;
    if (!found) return false;
    const map = found.map;
    return !map._animatingZoom && !(map._panAnim && map._panAnim._inProgress)
        && !found.cluster._inZoomAnimation;
}"""


def map_settled(page) -> None:
    """Wait until the map has stopped zooming, panning and spreading clusters: a pin clicked
    in the middle of an animation may be swapped out under the pointer on a busy machine."""
    page.wait_for_function(_MAP_STILL_JS)
    # Two frames more, for the markers' own transitions to land where they end.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
