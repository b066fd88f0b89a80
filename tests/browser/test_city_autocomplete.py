"""The city autocomplete of the screening form in a real browser (Playwright, system Chromium):
the ARIA combobox, the keyboard, the chosen country and the time zone beside the start time."""

import threading
from collections.abc import Iterator

import pytest

from app.models import Role
from app.services import cities
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _require_browser
from tests.conftest import PASSWORD, make_collective, make_user

pytestmark = pytest.mark.browser


# Unlike test_map.py this runs on the session app and its database (tests/conftest.py), so
# that the test can make the organiser and collective with the usual factories.
@pytest.fixture
def server_url(app) -> Iterator[str]:
    """The session app served over HTTP on a free port, in a thread, for this test."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser_page():
    """A fresh Chromium page; console errors (a CSP violation, a script error) are collected."""
    _require_browser()  # skips without Chromium or Playwright, unless REQUIRE_BROWSER=1
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(10_000)
            page.console_errors = []
            page.on("console", lambda message: message.type == "error"
                    and page.console_errors.append(message.text))
            page.on("pageerror", lambda error: page.console_errors.append(str(error)))
            yield page
        finally:
            browser.close()


@pytest.fixture
def form_page(server_url, browser_page, catalogue):
    """An organiser of collective A, logged in, on the form to register a screening."""
    cities.search("Kyiv")  # build the name index before the browser waits on it
    user = make_user(Role.ORGANISER, make_collective("collective-a"))
    page = browser_page
    page.goto(f"{server_url}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server_url}/organiser/")
    page.goto(f"{server_url}/organiser/screenings/new")
    return page


def test_typing_offers_cities_and_the_keyboard_chooses_one(form_page):
    from playwright.sync_api import expect

    page, city = form_page, form_page.locator("#city")
    expect(city).to_have_attribute("role", "combobox")
    expect(city).to_have_attribute("aria-expanded", "false")
    assert city.get_attribute("list") is None  # the datalist gave way to the listbox
    listbox = page.locator("#" + city.get_attribute("aria-controls"))
    expect(listbox).to_have_attribute("role", "listbox")
    zone = page.locator("#city-timezone")
    expect(zone).to_be_hidden()

    city.press_sequentially("Kiev", delay=30)  # an old spelling: the gazetteer knows it
    expect(listbox).to_be_visible()
    expect(city).to_have_attribute("aria-expanded", "true")
    first = listbox.locator("[role=option]").first
    expect(first).to_contain_text("Kyiv, Ukraine")
    expect(page.locator("[role=status]")).to_contain_text("found")

    city.press("ArrowDown")
    expect(city).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(first).to_have_attribute("aria-selected", "true")
    address = page.url
    city.press("Enter")  # chooses the city; the form is not sent
    expect(city).to_have_value("Kyiv")
    expect(page.locator("#country")).to_have_value("UA")
    expect(listbox).to_be_hidden()
    expect(city).to_have_attribute("aria-expanded", "false")
    expect(zone).to_be_visible()
    expect(zone).to_have_text("Times are local to the city: Europe/Kyiv")
    expect(page.locator("[role=status]")).to_contain_text("Kyiv, Ukraine chosen")
    assert page.url == address
    assert page.console_errors == []


def test_escape_closes_the_list_and_a_click_chooses(form_page):
    from playwright.sync_api import expect

    page, city = form_page, form_page.locator("#city")
    listbox = page.locator("#" + city.get_attribute("aria-controls"))
    city.press_sequentially("Warsz", delay=30)  # Polish for Warsaw
    expect(listbox).to_be_visible()
    city.press("ArrowDown")
    city.press("ArrowUp")  # wraps round to the last option
    options = listbox.locator("[role=option]")
    expect(options.last).to_have_attribute("aria-selected", "true")
    city.press("Escape")
    expect(listbox).to_be_hidden()
    expect(city).to_have_attribute("aria-expanded", "false")
    assert city.get_attribute("aria-activedescendant") is None
    expect(city).to_have_value("Warsz")  # Escape leaves what was typed

    city.press("ArrowDown")  # opens the list again
    expect(listbox).to_be_visible()
    listbox.get_by_role("option", name="Warsaw, Poland").first.click()
    expect(city).to_have_value("Warsaw")
    expect(page.locator("#country")).to_have_value("PL")
    expect(page.locator("#city-timezone")).to_have_text(
        "Times are local to the city: Europe/Warsaw")
    expect(city).to_be_focused()
    assert page.console_errors == []


def test_typing_again_forgets_the_zone_and_nothing_is_offered_for_nonsense(form_page):
    from playwright.sync_api import expect

    page, city = form_page, form_page.locator("#city")
    listbox = page.locator("#" + city.get_attribute("aria-controls"))
    city.press_sequentially("Helsin", delay=30)
    expect(listbox.locator("[role=option]").first).to_contain_text("Helsinki, Finland")
    city.press("ArrowDown")
    city.press("Enter")
    expect(page.locator("#city-timezone")).to_be_visible()
    city.fill("")
    city.press_sequentially("Qzxqzx", delay=30)
    expect(page.locator("#city-timezone")).to_be_hidden()
    expect(page.locator("[role=status]")).to_contain_text("No city found")
    expect(listbox).to_be_hidden()
    assert page.console_errors == []
