"""The whole journey in a real browser, one session per actor: an organiser (on a phone)
registers a screening with its fundraiser, choosing the city from the autocomplete, submits it
and records money; a coordinator (2FA, on a laptop) publishes it and sees the dashboard's total
grow; a visitor (on a phone) finds it on the map and in the list, opens it and downloads its
calendar file. Each step leaves a screenshot in ROOT/screenshots."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.services import cities
from tests.browser.conftest import COORDINATOR, DESKTOP, ORGANISER, PHONE, map_settled, shoot

pytestmark = pytest.mark.browser

TITLE = "Riverside solidarity night"


# This module runs on its own live server and database (tests/browser/conftest.py): it turns
# off tests/conftest.py's per-test app context and gazetteer warm-up, which it does not use.
@pytest.fixture(autouse=True)
def _app_context():
    yield


@pytest.fixture(scope="session", autouse=True)
def _warm_gazetteer():
    return None


def _raised(page) -> Decimal:
    """The dashboard's headline "raised" figure, e.g. "€213.02" -> 213.02."""
    text = page.inner_text("[data-figure=raised]")
    return Decimal(re.sub(r"[^\d.]", "", text))


def _session(browser, size: dict):
    context = browser.new_context(viewport=size, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # Console errors too, except the map tiles that fail to load: no tile server here.
    page.on("console", lambda m: m.type == "error" and "Failed to load resource" not in m.text
            and page.errors.append(m.text))
    return page


def test_from_registration_to_the_visitors_calendar(live, browser):
    from icalendar import Calendar
    from playwright.sync_api import expect

    cities._names_index()  # the server runs in this process: build the city index once
    organiser = _session(browser, PHONE)
    coordinator = _session(browser, DESKTOP)
    visitor = _session(browser, PHONE)

    # The coordinator notes the tour's total before anything happens.
    live.log_in(coordinator, COORDINATOR)
    coordinator.goto(live.url + "/coordination/money")
    before = _raised(coordinator)

    # The organiser registers the screening with its fundraiser.
    live.log_in(organiser, ORGANISER)
    shoot(organiser, "flow-1-organiser-index-phone")
    organiser.goto(live.url + "/organiser/screenings/new")
    starts = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%dT19:30")
    organiser.select_option("#collective", "tampere-film-club")  # untrusted: needs approval
    organiser.fill("#title", TITLE)
    organiser.fill("#starts_at", starts)
    city = organiser.locator("#city")
    city.press_sequentially("Tamper", delay=30)
    option = organiser.get_by_role("option", name=re.compile(r"^Tampere, Finland"))
    option.first.wait_for()
    shoot(organiser, "flow-2-city-autocomplete-phone")
    option.first.click()
    expect(city).to_have_value("Tampere")
    expect(organiser.locator("#country")).to_have_value("FI")
    expect(organiser.locator("#city-timezone")).to_contain_text("Europe/Helsinki")
    organiser.fill("#venue_name", "Boathouse")
    organiser.fill("#venue_address", "Rantatie 4")
    organiser.check("#visibility-0")  # public: the address may be shown
    organiser.fill("#purpose", "Water filters")
    organiser.fill("#goal_amount", "600")
    organiser.click("main form.form button[type=submit]")
    organiser.wait_for_url(re.compile(r"/organiser/screenings/\d+$"))
    screening_id = int(organiser.url.rsplit("/", 1)[1])
    expect(organiser.locator(".flash-success")).to_contain_text("saved as a draft")
    expect(organiser.locator("h1")).to_have_text(TITLE)

    organiser.get_by_role("button", name="Submit for approval").click()
    expect(organiser.locator(".flash-success")).to_be_visible()
    shoot(organiser, "flow-3-submitted-phone")

    # ... and records money taken at the door today.
    organiser.get_by_role("link", name="Record a contribution").click()
    organiser.fill("#amount", "50.00")
    organiser.fill("#currency", "EUR")
    organiser.select_option("#state", "collected")
    shoot(organiser, "flow-4-contribution-form-phone")
    organiser.click("main form.form button[type=submit]")
    organiser.wait_for_url(f"**/organiser/screenings/{screening_id}")
    expect(organiser.locator(".flash-success")).to_contain_text("Contribution recorded.")
    expect(organiser.locator("main")).to_contain_text("€50.00")

    # The coordinator publishes it from the queue and sees the total grow by the money.
    coordinator.goto(live.url + "/coordination/")
    item = coordinator.locator(".queue li", has_text=TITLE)
    shoot(coordinator, "flow-5-queue-desktop")
    item.get_by_role("button", name="Publish").click()
    expect(coordinator.locator(".flash-success")).to_be_visible()
    expect(coordinator.locator(".queue li", has_text=TITLE)).to_have_count(0)
    coordinator.goto(live.url + "/coordination/money")
    assert _raised(coordinator) == before + Decimal("50.00")
    shoot(coordinator, "flow-6-money-desktop")

    # A visitor finds it on the map (a pin of its own) and in the list beside it.
    visitor.goto(live.url + "/")
    visitor.wait_for_selector("#map[data-loaded]")
    assert visitor.get_attribute("#map", "data-loaded") == "7"
    card = visitor.locator(".results .card", has_text=TITLE)
    expect(card).to_contain_text("Tampere, Finland")
    expect(card).to_contain_text("Boathouse, Rantatie 4")  # a public venue
    # Tampere is near Helsinki's four: one cluster of five, which a tap opens up.
    map_settled(visitor)
    visitor.locator(".marker-cluster", has_text="5").click()
    pin = visitor.locator(f'img.leaflet-marker-icon[title="{TITLE}, Tampere"]')
    pin.wait_for()
    map_settled(visitor)
    shoot(visitor, "flow-7-map-phone")
    pin.click()
    popup_link = visitor.locator(".leaflet-popup-content a")
    expect(popup_link).to_have_text(TITLE)
    map_settled(visitor)  # the popup pans the map into view first
    # Waiting set up before the click: the page can load before a wait begun after it.
    with visitor.expect_navigation(url=f"**/screenings/{screening_id}/**"):
        popup_link.click()
    expect(visitor.locator("h1")).to_have_text(TITLE)
    shoot(visitor, "flow-8-screening-phone")

    # ... and takes it home as a calendar event.
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Add to calendar").click()
    assert download.value.suggested_filename == f"screening-{screening_id}.ics"
    calendar = Calendar.from_ical(Path(download.value.path()).read_bytes())
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert TITLE in str(event["SUMMARY"])
    # The very moment chosen: 19:30 in Tampere's own zone.
    chosen = datetime.strptime(starts, "%Y-%m-%dT%H:%M").replace(tzinfo=ZoneInfo(
        "Europe/Helsinki"))
    assert event.decoded("DTSTART") == chosen
    assert "Tampere" in str(event["LOCATION"])

    for page in (organiser, coordinator, visitor):
        assert page.errors == [], page.errors
        page.context.close()
