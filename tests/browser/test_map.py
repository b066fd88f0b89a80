"""The public map in a real browser: clustered pins from the GeoJSON, a popup that links to
the screening, private venues on their city's centre, no CSP violation, no tiles needed,
text-only popups, and the list alone without JavaScript."""

import pytest

from tests.browser.conftest import (
    CITIES,
    OPEN_POINT,
    SCREENSHOTS,
    SECRET_POINT,
    XSS_TITLE,
    map_settled,
)

pytestmark = pytest.mark.browser


# This module runs on its own live server and database (tests/browser/conftest.py): it turns
# off tests/conftest.py's per-test app context and gazetteer warm-up, which it does not use.
@pytest.fixture(autouse=True)
def _app_context():
    yield


@pytest.fixture(scope="session", autouse=True)
def _warm_gazetteer():
    return None

# Each pin's screening id and point, read from the Leaflet layers map.js made.
PINS_JS = """() => window.screeningMap.cluster.getLayers().map(m => ({
    id: m.feature.properties.id, lat: m.getLatLng().lat, lng: m.getLatLng().lng}))"""


def _watch(page) -> dict[str, list]:
    """Collect CSP violations (reported in the page and on the console), script errors and
    failed requests."""
    seen: dict[str, list] = {"csp": [], "errors": [], "failed": []}
    page.add_init_script("""
        window.__csp = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));""")
    page.on("console", lambda m: seen["csp"].append(m.text)
            if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("requestfailed", lambda r: seen["failed"].append((r.url, r.failure)))
    return seen


def _open_map(page, url: str, pins: int = 6) -> None:
    page.goto(url)
    page.wait_for_selector("#map[data-loaded]")
    assert page.get_attribute("#map", "data-loaded") == str(pins)


def test_the_map_clusters_pins_and_leads_to_the_screening(live, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = _watch(page)
    with page.expect_response(lambda r: "/api/v1/screenings.geojson" in r.url) as answer:
        _open_map(page, live.url + "/")
    geojson = answer.value.json()
    assert "when=upcoming" in answer.value.url

    # Four private Helsinki venues share the city centre: one cluster of four.
    cluster = page.locator(".marker-cluster", has_text="4")
    cluster.wait_for()
    from playwright.sync_api import expect  # only once the live fixture found Playwright

    # Warsaw and Berlin on their own (once the clusters' zoom animation has ended).
    expect(page.locator("img.leaflet-marker-icon")).to_have_count(2)
    assert "Screenings on the map: 6." in page.inner_text("#map-status")

    # Privacy: the private venues' pins sit on the city centre, never on the venue point;
    # the public venue's pin on its own point.
    pins = {pin["id"]: (pin["lat"], pin["lng"]) for pin in page.evaluate(PINS_JS)}
    helsinki = CITIES["Helsinki"][2]
    for n in range(1, 5):
        assert pins[live.ids[f"helsinki-{n}"]] == pytest.approx(helsinki)
    assert pins[live.ids["warsaw"]] == pytest.approx(OPEN_POINT)
    assert pins[live.ids["berlin"]] == pytest.approx(CITIES["Berlin"][2])
    points = [tuple(f["geometry"]["coordinates"][::-1]) for f in geojson["features"]]
    assert SECRET_POINT not in points

    page.screenshot(path=str(SCREENSHOTS / "map-desktop.png"), full_page=True)

    # A single pin: its popup names the public venue's address.
    map_settled(page)
    warsaw = page.locator('img.leaflet-marker-icon[title="Warsaw open night, Warsaw"]')
    warsaw.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Venue warsaw, Street 5, Warsaw, PL" in popup.inner_text()
    # Escape closes it from the focused pin too, and the focus stays on that pin.
    page.keyboard.press("Escape")
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    expect(warsaw).to_be_focused()

    # The cluster of identical points spreads out (spiderfies) on a click; follow one pin.
    map_settled(page)
    cluster.click()
    target = page.locator('img.leaflet-marker-icon[title="Helsinki night 2, Helsinki"]')
    target.wait_for()
    map_settled(page)
    target.click()
    link = page.locator(".leaflet-popup-content a")
    link.wait_for()
    assert link.inner_text() == "Helsinki night 2"
    assert "Helsinki, FI" in popup.inner_text()
    assert "Venue helsinki" not in popup.inner_text()  # a private venue: the city only
    map_settled(page)  # the popup pans the map into view first
    # Waiting set up before the click: the page can load before a wait begun after it.
    with page.expect_navigation(url=f"**/screenings/{live.ids['helsinki-2']}/**"):
        link.click()
    assert page.inner_text("h1") == "Helsinki night 2"

    # The tiles were asked for (the CSP let them through) and failed: no tile server here.
    tile_host = f"127.0.0.1:{live.tile_port}"
    assert any(tile_host in url for url, _failure in seen["failed"])
    assert seen["csp"] == []
    assert page.evaluate("window.__csp") == []
    assert seen["errors"] == []
    page.close()


def test_a_popup_shows_a_hostile_title_as_text(live, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = _watch(page)
    _open_map(page, live.url + "/?country=DE", pins=1)  # the filters reach the map
    assert page.evaluate(PINS_JS)[0]["id"] == live.ids["berlin"]
    page.locator("img.leaflet-marker-icon").click()
    link = page.locator(".leaflet-popup-content a")
    link.wait_for()
    assert link.inner_text() == XSS_TITLE
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert page.evaluate("window.__xss") is None
    assert seen["errors"] == [] and seen["csp"] == []
    page.close()


def test_the_phone_layout_and_the_list_without_javascript(live, browser):
    phone = browser.new_page(viewport={"width": 360, "height": 740})
    _open_map(phone, live.url + "/")
    phone.locator(".marker-cluster").first.wait_for()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways on a phone"
    phone.screenshot(path=str(SCREENSHOTS / "map-phone.png"), full_page=True)
    # Keyboard users can jump over the map to the list.
    phone.focus("a.skip-map")
    phone.keyboard.press("Enter")
    assert phone.evaluate("location.hash") == "#results"
    phone.close()

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live.url + "/")
    assert not page.locator("#map-panel").is_visible()
    assert page.locator(".card").count() == 6
    page.goto(live.url + "/?country=PL")
    assert page.locator(".card-title").all_inner_texts() == ["Warsaw open night"]
    context.close()


# Layout shifts not caused by input, summed as the browser reports them (CLS).
SHIFTS_JS = """() => { window.__shift = 0;
    new PerformanceObserver(list => list.getEntries().forEach(entry => {
        if (!entry.hadRecentInput) { window.__shift += entry.value; } }))
    .observe({type: 'layout-shift', buffered: true}); }"""


@pytest.mark.parametrize(("width", "height"), [(412, 823), (1350, 900)], ids=["phone", "wide"])
def test_the_list_stays_put_when_the_map_appears(live, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.add_init_script(f"({SHIFTS_JS})()")
    _open_map(page, live.url + "/")
    page.wait_for_timeout(300)  # let the observer deliver the last entries
    assert page.evaluate("window.__shift") < 0.01
    page.close()


def test_the_map_speaks_the_readers_language(live, browser):
    from babel.dates import get_month_names

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    with page.expect_response(lambda r: "/api/v1/screenings.geojson" in r.url) as answer:
        _open_map(page, live.url + "/")
    assert page.get_attribute("html", "lang") == "it"
    words = page.evaluate("JSON.parse(document.getElementById('messages-map').textContent)")
    assert page.inner_text("#map-status") == words["count"].replace("%(count)s", "6")
    warsaw = next(f for f in answer.value.json()["features"]
                  if f["properties"]["id"] == live.ids["warsaw"])
    month = int(warsaw["properties"]["starts_at"][5:7])
    page.click('img.leaflet-marker-icon[title="Warsaw open night, Warsaw"]')
    when = page.locator(".leaflet-popup-content .map-popup-when")
    when.wait_for()
    # The date in Italian (CLDR's month, as the browser's Intl has it), the wall-clock time
    # of Warsaw as the API gives it.
    italian_month = get_month_names("abbreviated", locale="it")[month]
    assert italian_month.lower() in when.inner_text().lower()
    assert warsaw["properties"]["starts_at"][11:16] in when.inner_text()
    context.close()
