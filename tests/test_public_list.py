"""The public map-and-list pages (/ and /past): the filter form in the URL, pagination that
keeps it, bad filters as a 400 with field errors, the map's settings and vendored scripts,
the tile host in the CSP, and the venue address only for those who may see it."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.extensions import db
from app.models import Role, Status
from app.security import tile_source
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page, visible_text
from tests.test_public import card_titles
from tests.test_security_headers import dispose, extra_app

PRIVATE_VENUE, PRIVATE_ADDRESS = "Secret Basement", "Piilokatu 4"


def local(days: int, hour: int = 19) -> datetime:
    """A naive wall-clock time `days` from now."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR)


@pytest.fixture
def world(catalogue, coordinator):
    """Upcoming screenings in Helsinki, Espoo (20 km away), Tampere and Kyiv; past ones in
    Helsinki and Kyiv; a draft in Oulu; a collective with only a draft."""
    kino = make_collective("kino-kollektiv")
    other = make_collective("other-collective")
    make_collective("draft-only")
    made = {
        "helsinki": make_screening(kino, coordinator, Status.PUBLISHED, title="Helsinki night",
                                   starts_at=local(10), venue_name=PRIVATE_VENUE,
                                   venue_address=PRIVATE_ADDRESS),
        "espoo": make_screening(kino, coordinator, Status.PUBLISHED, title="Espoo night",
                                city="Espoo", starts_at=local(11), visibility="public",
                                venue_name="Open Hall", venue_address="Avoin tie 2"),
        "tampere": make_screening(other, coordinator, Status.PUBLISHED, title="Tampere night",
                                  city="Tampere", starts_at=local(40)),
        "kyiv": make_screening(other, coordinator, Status.PUBLISHED, title="Kyiv night",
                               city="Kyiv", country="UA", starts_at=local(12)),
        "old-helsinki": make_screening(kino, coordinator, Status.HELD, title="Old Helsinki",
                                       starts_at=local(-20)),
        "old-kyiv": make_screening(other, coordinator, Status.HELD, title="Old Kyiv",
                                   city="Kyiv", country="UA", starts_at=local(-10)),
        "draft": make_screening(kino, coordinator, Status.DRAFT, title="Oulu draft",
                                city="Oulu", starts_at=local(10)),
    }
    return made


def _options(response, name: str) -> dict[str, str]:
    """value -> label of a select's options in the page."""
    body = response.get_data(as_text=True)
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select, name
    return {value: label.strip() for value, label in
            re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))}


def _selected(response, name: str) -> str | None:
    body = response.get_data(as_text=True)
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.S).group(1)
    found = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|'
                      r'<option[^>]*value="([^"]*)"[^>]*selected', select)
    return (found.group(1) or found.group(2)) if found else None


def _map_data(response) -> dict[str, str]:
    body = response.get_data(as_text=True)
    tag = re.search(r'<div id="map"[^>]*>', body, re.S).group(0)
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag))


# --- the form and its choices ----------------------------------------------------------------


def test_the_form_offers_what_has_public_screenings(client, world):
    response = client.get("/")
    assert response.status_code == 200
    assert _options(response, "country") == {"": "Any country", "FI": "Finland",
                                              "UA": "Ukraine"}
    cities = _options(response, "city")
    assert sorted(cities.values()) == ["Any city", "Espoo", "Helsinki", "Kyiv", "Tampere"]
    assert "Oulu" not in page(response)  # only a draft there
    assert _options(response, "collective") == {
        "": "Any collective", "kino-kollektiv": "Kino Kollektiv",
        "other-collective": "Other Collective"}
    assert _options(response, "film") == {"": "Any film", "part-one": "Part One: Resistance"}
    assert _options(response, "beneficiary") == {
        "": "Any group", "solidarity-collectives": "Solidarity Collectives"}
    assert _options(response, "near") == {**cities, "": "Anywhere"}
    body = response.get_data(as_text=True)
    assert '<form method="get" action="/"' in body
    assert 'name="csrf_token"' not in body  # a GET form: a shareable link, no token
    assert '<optgroup label="Finland">' in body  # cities grouped by their country


def test_a_chosen_value_without_public_screenings_stays_selected(client, world):
    response = client.get("/?collective=draft-only")
    assert response.status_code == 200
    assert _options(response, "collective")["draft-only"] == "Draft Only"
    assert _selected(response, "collective") == "draft-only"
    assert "No upcoming screenings match these filters." in visible_text(response)


def test_the_options_follow_changes_at_once(client, world):
    assert "Oulu" not in _options(client.get("/"), "city").values()
    draft = world["draft"]
    draft.status = Status.PUBLISHED
    db.session.commit()
    assert "Oulu" in _options(client.get("/"), "city").values()  # not a stale cached list
    kino = draft.collectives[0]
    kino.name = "Kino Renamed"
    db.session.commit()
    assert _options(client.get("/"), "collective")["kino-kollektiv"] == "Kino Renamed"


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["Helsinki night", "Espoo night", "Kyiv night", "Tampere night"]),
    ("country=UA", ["Kyiv night"]),
    ("country=fi&collective=other-collective", ["Tampere night"]),
    ("film=part-one&beneficiary=solidarity-collectives",
     ["Helsinki night", "Espoo night", "Kyiv night", "Tampere night"]),
    ("collective=kino-kollektiv", ["Helsinki night", "Espoo night"]),
])
def test_filters_narrow_the_list(client, world, query, expected):
    assert card_titles(client.get(f"/?{query}")) == expected


def test_city_dates_and_near_filters(client, world):
    helsinki, espoo = world["helsinki"], world["espoo"]
    assert card_titles(client.get(f"/?city={helsinki.city_id}")) == ["Helsinki night"]
    day = local(11).date().isoformat()
    assert card_titles(client.get(f"/?from={day}&to={day}")) == ["Espoo night"]
    near = card_titles(client.get(f"/?near={helsinki.city_id}&radius=30"))
    assert near == ["Helsinki night", "Espoo night"]
    response = client.get(f"/?near={espoo.city_id}")  # the default radius, 50 km
    assert card_titles(response) == ["Helsinki night", "Espoo night"]
    assert _selected(response, "near") == str(espoo.city_id)


def test_the_chosen_values_are_shown_back(client, world):
    kyiv = world["kyiv"]
    response = client.get(f"/?country=UA&city={kyiv.city_id}&from=2000-01-01")
    assert _selected(response, "country") == "UA"
    assert _selected(response, "city") == str(kyiv.city_id)
    assert 'value="2000-01-01"' in response.get_data(as_text=True)
    shown = visible_text(response)
    assert "Showing screenings for Country: Ukraine · City: Kyiv · From: 2000-01-01" in shown
    assert "Clear filters" in shown
    assert "Clear filters" not in visible_text(client.get("/"))


def test_the_archive_has_the_same_filters(client, world):
    assert card_titles(client.get("/past")) == ["Old Kyiv", "Old Helsinki"]
    response = client.get("/past?country=FI")
    assert card_titles(response) == ["Old Helsinki"]
    assert '<form method="get" action="/past"' in response.get_data(as_text=True)
    assert _map_data(response)["geojson"] == "/api/v1/screenings.geojson?country=FI&amp;when=past"


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "field", "message"), [
    ("country=XX", "country", "There is no country with the code 'XX'."),
    ("collective=nobody", "collective", "There is no collective 'nobody'."),
    ("film=no-film", "film", "There is no film 'no-film'."),
    ("beneficiary=nobody", "beneficiary", "There is no beneficiary 'nobody'."),
    ("city=abc", "city", "Use a positive whole number."),
    ("city=999999", "city", "There is no such city."),
    ("from=2026-02-30", "from", "Use a date like 2026-04-30."),
    ("from=yesterday", "from", "Use a date like 2026-04-30."),
    ("from=2030-05-02&to=2030-05-01", "to", "The end date is before the start date."),
    ("near=999999", "near", "There is no such city."),
    ("radius=10", "near", "Choose the city to measure the distance from."),
    ("near=1&radius=-1", "radius", "Use a positive whole number."),
    ("near=1&radius=5000", "radius", "Use at most 1000 km."),
    ("status=draft", None, "status: Use one of"),
])
@pytest.mark.parametrize("path", ["/", "/past"])
def test_bad_filters_answer_400_with_the_field_error(client, world, path, query, field, message):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    shown = visible_text(response)
    assert "Please correct" in shown and message in shown
    body = response.get_data(as_text=True)
    if field is not None:
        wtf_name = {"from": "from", "to": "to"}.get(field, field)
        assert re.search(rf'name="{wtf_name}"[^>]*aria-invalid="true"|aria-invalid="true"'
                         rf'[^>]*name="{wtf_name}"', body), field
    assert card_titles(response) == []
    assert 'id="map"' not in body and "leaflet" not in body  # no map for a refused query
    assert "<details" in body and "<details class=\"filters\" open>" in body


def test_bad_input_is_shown_back_escaped(client, world):
    response = client.get('/?country=<script>&radius="><b>&near=1')
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<script>" not in body and '"><b>' not in body


@pytest.mark.parametrize("page_arg", ["10000", "0", "-1", "abc", "²"])
def test_any_page_number_answers_a_page(client, world, page_arg):
    response = client.get(f"/?page={page_arg}")
    assert response.status_code == 200
    if page_arg == "10000":
        assert card_titles(response) == []
        assert "There is no page 10000: the list has 1 page." in visible_text(response)
    else:
        assert len(card_titles(response)) == 4


# --- pagination keeps the filters ---------------------------------------------------------


def test_pages_keep_the_filters(app, client, world, coordinator):
    app.config["SCREENINGS_PER_PAGE"] = 2
    try:
        for n in range(3):
            make_screening(world["helsinki"].collectives[0], coordinator, Status.PUBLISHED,
                           title=f"Extra {n}", starts_at=local(20 + n))
        response = client.get("/?country=FI")
        assert card_titles(response) == ["Helsinki night", "Espoo night"]
        shown = visible_text(response)
        assert "6 upcoming screenings · page 1 of 3" in shown
        next_link = re.search(r'<a rel="next" href="([^"]*)"', page(response)).group(1)
        assert parse_qs(urlsplit(next_link).query) == {"country": ["FI"], "page": ["2"]}
        second = client.get(next_link)
        assert card_titles(second) == ["Extra 0", "Extra 1"]
        prev_link = re.search(r'<a rel="prev" href="([^"]*)"', page(second)).group(1)
        assert parse_qs(urlsplit(prev_link).query) == {"country": ["FI"], "page": ["1"]}
        beyond = client.get("/?country=FI&page=9")
        assert beyond.status_code == 200
        first = re.search(r'<a href="([^"]*)">Go to the first page', page(beyond)).group(1)
        assert parse_qs(urlsplit(first).query) == {"country": ["FI"]}
    finally:
        app.config["SCREENINGS_PER_PAGE"] = 20


# --- the map ---------------------------------------------------------------------------------


def test_the_map_panel_is_hidden_until_its_script_runs(client, world):
    response = client.get("/?country=FI&from=2000-01-01")
    body = response.get_data(as_text=True)
    panel = re.search(r'<div class="map-panel" id="map-panel"[^>]*>', body).group(0)
    assert " hidden" in panel  # without JavaScript the list is the page
    assert re.search(r'<div id="map"[^>]*role="region"[^>]*aria-label="Map of the upcoming '
                     r'screenings"[^>]*aria-describedby="map-note"', body, re.S)
    assert "The list holds the same screenings as the map." in visible_text(response)
    assert '<a class="skip-map" href="#results">Skip the map</a>' in body
    assert 'id="results"' in body
    data = _map_data(response)
    assert data["geojson"] == (
        "/api/v1/screenings.geojson?country=FI&amp;from=2000-01-01&amp;when=upcoming")
    assert data["tiles"] == ""  # the test configuration fetches no tiles
    assert data["max-zoom"] == "19"


def test_map_scripts_come_from_this_site_and_only_on_map_pages(client, world):
    body = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]*src="([^"]*)"', body)
    assert scripts == ["/static/vendor/leaflet/leaflet.js",
                       "/static/vendor/leaflet-markercluster/leaflet.markercluster.js",
                       "/static/js/map.js"]
    styles = re.findall(r'<link rel="stylesheet" href="([^"]*)"', body)
    assert "/static/vendor/leaflet/leaflet.css" in styles
    assert all(url.startswith("/") and not url.startswith("//") for url in scripts + styles)
    for path in (f"/screenings/{world['helsinki'].id}", "/login", "/transparency"):
        other = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "leaflet" not in other and "map.js" not in other, path


def test_tile_settings_reach_the_map_and_the_csp(app):
    extra = extra_app(app, TILE_URL="https://{s}.tiles.example.org/{z}/{x}/{y}.png",
                      TILE_ATTRIBUTION='&copy; <a href="https://example.org">Example</a>',
                      TILE_MAX_ZOOM=17)
    try:
        response = extra.test_client().get("/")
        data = _map_data(response)
        assert data["tiles"] == "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
        assert data["attribution"] == (
            "&amp;copy; &lt;a href=&#34;https://example.org&#34;&gt;Example&lt;/a&gt;")
        assert data["max-zoom"] == "17"
        policy = dict(part.split(" ", 1) for part in
                      response.headers["Content-Security-Policy"].split("; "))
        assert policy["img-src"] == "'self' data: https://*.tiles.example.org"
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    finally:
        dispose(extra)


@pytest.mark.parametrize(("url", "source"), [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
    ("/tiles/{z}/{x}/{y}.png", ""),  # this site: 'self' already covers it
    ("", ""),
])
def test_the_tile_host_for_the_csp(url, source):
    assert tile_source(url) == source


@pytest.mark.parametrize("url", ["https://tiles.{s}.example.org/{z}/{x}/{y}.png",
                                 "ftp://tiles.example.org/{z}/{x}/{y}.png",
                                 "https://a.org;script-src */{z}/{x}/{y}.png",
                                 "https://a.org 'unsafe-inline'/{z}.png"])
def test_a_tile_url_that_would_bend_the_csp_is_refused_at_start(app, url):
    with pytest.raises(RuntimeError, match="TILE_URL"):
        extra_app(app, TILE_URL=url)


@pytest.mark.parametrize(("path", "kind"), [
    ("/static/vendor/leaflet/leaflet.js", "javascript"),
    ("/static/vendor/leaflet/leaflet.css", "text/css"),
    ("/static/vendor/leaflet/images/marker-icon.png", "image/png"),
    ("/static/vendor/leaflet-markercluster/leaflet.markercluster.js", "javascript"),
    ("/static/vendor/leaflet-markercluster/MarkerCluster.Default.css", "text/css"),
])
def test_vendored_files_are_served_from_this_site(client, path, kind):
    with client.get(path) as response:  # closes the file
        assert response.status_code == 200
        assert kind in response.headers["Content-Type"]
        etag = response.headers["ETag"]
        assert "no-store" not in response.headers.get("Cache-Control", "")
    with client.get(path, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize("path", ["/static/vendor/nothing/leaflet.js",
                                  "/static/vendor/leaflet/leaflet.js.map",
                                  "/static/vendor/leaflet/../__init__.py",
                                  "/static/vendor/leaflet/%2e%2e/__init__.py",
                                  "/static/vendor/leaflet/missing.js"])
def test_nothing_else_is_served_from_the_vendor_folders(client, path):
    assert client.get(path).status_code == 404


def test_vendored_files_are_cacheable_for_a_logged_in_person(client):
    login(client, make_user(Role.ORGANISER))
    with client.get("/static/vendor/leaflet/leaflet.js") as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")


# --- the venue address on a card ----------------------------------------------------------------


@pytest.mark.parametrize(("viewer", "sees"), [
    ("anonymous", False), ("other-organiser", False), ("host-member", True),
    ("coordinator", True),
])
def test_a_private_address_shows_only_to_hosts_and_coordinators(client, world, viewer, sees):
    kino = world["helsinki"].collectives[0]
    user = {"anonymous": None,
            "other-organiser": make_user(Role.ORGANISER, make_collective("elsewhere")),
            "host-member": make_user(Role.ORGANISER, kino),
            "coordinator": make_user(Role.COORDINATOR)}[viewer]
    if user is not None:
        login(client, user)
    body = page(client.get("/"))
    assert (PRIVATE_ADDRESS in body) is sees
    assert (PRIVATE_VENUE in body) is sees
    # A public venue's address is for everyone.
    assert "Open Hall, Avoin tie 2" in visible_text(client.get("/"))


def test_a_released_address_appears_without_a_deploy(client, world):
    assert PRIVATE_ADDRESS not in page(client.get("/"))
    world["helsinki"].venue.address_release_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert f"{PRIVATE_VENUE}, {PRIVATE_ADDRESS}" in visible_text(client.get("/"))
