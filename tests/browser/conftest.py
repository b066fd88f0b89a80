"""Browser tests: the real app served on a free port from its own SQLite database (migrated
with `flask db upgrade`), driven through the system Chromium by Playwright.

Skipped when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1 (then they fail).
"""

import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.models import Beneficiary, City, Collective, Country, Film, Role, Status, User
from app.services import passwords, screenings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "screenshots"

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


def _migrate(app) -> None:
    """`flask db upgrade`, the real command and migrations, run in this process."""
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def _seed() -> tuple[dict[str, int], dict[str, str]]:
    """Four screenings in Helsinki (private venues: one cluster on the city centre), one in
    Warsaw (a public venue with its own point), one in Berlin with a hostile title."""
    for name, (code, country, (lat, lon), zone, geonames_id) in CITIES.items():
        db.session.add(City(name=name, country=Country(code=code, name=country), lat=lat,
                            lon=lon, timezone=zone, geonames_id=geonames_id))
    db.session.add_all([
        Film(title="Part One: Resistance", slug="part-one", part=1, year=2023,
             runtime_minutes=95),
        Beneficiary(name="Solidarity Collectives", slug="solidarity-collectives"),
        Collective(name="Kino Kollektiv", slug="kino-kollektiv", is_trusted=True),
    ])
    actor = User(email="coordinator@example.org", display_name="Coordinator",
                 role=Role.COORDINATOR, password_hash=passwords.hash_password("x" * 20))
    db.session.add(actor)
    db.session.flush()
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
    db.session.commit()
    return ids, titles


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
        ids, titles = _seed()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", tile_port, ids, titles)
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
