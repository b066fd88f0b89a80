"""Collective, film and beneficiary pages, the embeddable widget, titles and sharing tags,
/sitemap.xml and /robots.txt; and location privacy on each of them (DESIGN.md section 5)."""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import City, Country, Role, Status
from app.services import cities, listings
from app.templating import local_time
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page

HIDDEN_VENUE, HIDDEN_ADDRESS = "Hidden Cellar Club", "Kellarikatu 13 B"
OPEN_VENUE, OPEN_ADDRESS = "Open Doors Hall", "Avoinkatu 1"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def known_cities():
    """Helsinki and Warsaw already known, so that no test searches the whole gazetteer."""
    db.session.add_all([
        City(name="Helsinki", country=Country(code="FI", name="Finland"), lat=60.16952,
             lon=24.93545, timezone="Europe/Helsinki", geonames_id=658225),
        City(name="Warsaw", country=Country(code="PL", name="Poland"), lat=52.22977,
             lon=21.01178, timezone="Europe/Warsaw", geonames_id=756135),
    ])
    db.session.commit()


def local(days: int, hour: int = 19) -> datetime:
    """A naive wall-clock time `days` from now at `hour`."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


@pytest.fixture
def world(catalogue):
    """Collective A's public, past, draft and submitted screenings, and B's one."""
    film, beneficiary = catalogue
    film.synopsis, beneficiary.description = "Neighbours became medics.", "Volunteer medics."
    beneficiary.website = "https://example.org/medics"
    a, b = make_collective("kino-a"), make_collective("kino-b")
    a.description = "Films & fundraisers in Helsinki."
    a.public_contact, a.home_city_id = "kino-a@example.org", db.session.scalar(
        select(City.id).where(City.name == "Helsinki"))
    db.session.commit()
    coordinator = make_user(Role.COORDINATOR)
    hidden = dict(venue_name=HIDDEN_VENUE, venue_address=HIDDEN_ADDRESS)
    items = {
        "upcoming": make_screening(a, coordinator, Status.PUBLISHED, title="Autumn night",
                                   starts_at=local(10), **hidden),
        "open": make_screening(a, coordinator, Status.PUBLISHED, title="Open night",
                               starts_at=local(12), venue_name=OPEN_VENUE,
                               venue_address=OPEN_ADDRESS, visibility="public"),
        "past": make_screening(a, coordinator, Status.HELD, title="Last spring",
                               starts_at=local(-30), **hidden),
        "draft": make_screening(a, coordinator, Status.DRAFT, title="Draft night", **hidden),
        "submitted": make_screening(a, coordinator, Status.SUBMITTED, title="Submitted night",
                                    **hidden),
        "other": make_screening(b, coordinator, Status.PUBLISHED, title="Warsaw night",
                                city="Warsaw", country="PL", starts_at=local(11)),
    }
    return {"a": a, "b": b, "film": film, "beneficiary": beneficiary, "coordinator": coordinator,
            **items}


def titles(response) -> list[str]:
    """The screening titles of the cards on a page, in order."""
    return re.findall(r'<h3 class="card-title">\s*<a href="[^"]*">([^<]*)</a>',
                      response.get_data(as_text=True))


class HeadReader(HTMLParser):
    """The <title>, the <meta> tags and the <link> tags of a page's head."""

    def __init__(self, html: str):
        super().__init__()
        self.title, self.meta, self.links, self._in_title = "", {}, {}, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "title":
            self._in_title = True
        elif tag == "meta" and "content" in attrs:
            self.meta[attrs.get("name") or attrs.get("property")] = attrs["content"]
        elif tag == "link":
            self.links[attrs.get("rel")] = attrs.get("href")

    def handle_endtag(self, tag):
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data


# --- the collective, film and beneficiary pages -------------------------------------------------


def test_the_collective_page_shows_it_and_its_public_screenings(client, world):
    response = client.get("/collectives/kino-a")
    assert response.status_code == 200
    html = page(response)
    assert "<h1>Kino A</h1>" in html
    assert "from Helsinki, Finland" in html and "kino-a@example.org" in html
    assert "Films & fundraisers in Helsinki." in html
    upcoming, past = html.split('id="past-heading"')
    assert titles(response) == ["Autumn night", "Open night", "Last spring"]
    assert "Last spring" in past and "Autumn night" in upcoming
    for private in ("Draft night", "Submitted night", "Warsaw night"):
        assert private not in html
    assert 'href="/?collective=kino-a"' in html
    assert 'href="http://localhost/feeds/screenings.ics?collective=kino-a"' in html
    assert 'href="webcal://localhost/feeds/screenings.ics?collective=kino-a"' in html
    assert 'href="http://localhost/feeds/screenings.atom?collective=kino-a"' in html
    head = HeadReader(response.get_data(as_text=True))
    assert head.title.startswith("Kino A, Helsinki")
    assert head.meta["description"] == "Films & fundraisers in Helsinki."
    assert head.links["canonical"] == "http://localhost/collectives/kino-a"


def test_the_collective_page_offers_the_iframe_line_to_copy(client, world):
    world["a"].name = 'Kino "A" <b>'
    db.session.commit()
    response = client.get("/collectives/kino-a")
    snippet = re.search(r'<textarea id="embed-snippet"[^>]*>([^<]*)</textarea>',
                        response.get_data(as_text=True)).group(1)
    # Shown as text in the box; once copied it is one valid line of HTML, the name escaped.
    copied = page(response).split('<textarea id="embed-snippet"')[1].split(">", 1)[1]
    copied = copied.split("</textarea>")[0]
    assert "<b>" not in snippet
    assert copied == ('<iframe src="http://localhost/embed?collective=kino-a" '
                      'title="Upcoming screenings: Kino &#34;A&#34; &lt;b&gt;" width="100%" '
                      'height="420" loading="lazy"></iframe>')


def test_the_film_page(client, world):
    response = client.get("/films/part-one")
    assert response.status_code == 200
    html = page(response)
    assert "<h1>Part One: Resistance</h1>" in html
    for fact in ("Part 1", "2023", "95 minutes", "Neighbours became medics."):
        assert fact in html
    assert titles(response) == ["Autumn night", "Warsaw night", "Open night", "Last spring"]
    assert 'href="/?film=part-one"' in html
    assert "http://localhost/feeds/screenings.ics?film=part-one" in html
    assert HeadReader(html).meta["description"] == "Neighbours became medics."


def test_the_beneficiary_page(client, world):
    response = client.get("/beneficiaries/solidarity-collectives")
    assert response.status_code == 200
    html = page(response)
    assert "<h1>Solidarity Collectives</h1>" in html and "Volunteer medics." in html
    assert '<a href="https://example.org/medics" rel="nofollow ugc">' in html
    assert "Autumn night" in html and "Draft night" not in html
    assert "http://localhost/feeds/screenings.atom?beneficiary=solidarity-collectives" in html


@pytest.mark.parametrize("website", ["javascript:alert(1)", " JaVaScRiPt:alert(1)",
                                     "data:text/html,x", "https://exa mple.org"])
def test_a_website_that_is_not_http_is_not_a_link(client, world, website):
    world["beneficiary"].website = website
    db.session.commit()
    html = client.get("/beneficiaries/solidarity-collectives").get_data(as_text=True)
    assert "javascript:" not in html.lower() and "data:text" not in html
    assert "Website" not in html


@pytest.mark.parametrize("path", ["/collectives/nobody", "/films/nothing",
                                  "/beneficiaries/no-one", "/collectives/" + "a" * 300,
                                  "/collectives/kino-a/extra"])
def test_unknown_slugs_answer_404(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Not found" in page(response)


def test_a_collective_without_public_screenings_has_an_empty_page(client, world):
    make_collective("kino-c")
    html = page(client.get("/collectives/kino-c"))
    assert "No upcoming screenings are announced." in html
    assert "No screenings have taken place yet." in html


def test_long_lists_are_capped_with_a_link_to_the_whole_list(client, world, monkeypatch):
    monkeypatch.setattr(listings, "UPCOMING_LIMIT", 1)
    monkeypatch.setattr(listings, "PAST_LIMIT", 1)
    make_screening(world["a"], world["coordinator"], Status.HELD, title="Older spring",
                   starts_at=local(-60))
    response = client.get("/collectives/kino-a")
    assert titles(response) == ["Autumn night", "Last spring"]
    html = page(response)
    assert '<a href="/?collective=kino-a">All upcoming screenings' in html
    assert '<a href="/past?collective=kino-a">All past screenings</a>' in html


def test_the_subject_pages_run_the_same_number_of_queries_for_more_screenings(client, world):
    from tests.test_query_counts import counted_queries

    def queries(path):
        with counted_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    paths = ["/collectives/kino-a", "/films/part-one", "/beneficiaries/solidarity-collectives"]
    before = [queries(path) for path in paths]
    for n in range(3):
        make_screening(world["a"], world["coordinator"], Status.PUBLISHED, title=f"More {n}",
                       starts_at=local(20 + n), venue_name=f"Hall {n}")
    assert [queries(path) for path in paths] == before


# --- location privacy on every one of these pages ------------------------------------------------


SUBJECT_PATHS = ["/collectives/kino-a", "/films/part-one", "/beneficiaries/solidarity-collectives"]
# Public whoever looks: even a host member's login must not put the address into them.
ALWAYS_PUBLIC_PATHS = ["/embed?collective=kino-a", "/embed", "/sitemap.xml", "/robots.txt"]


@pytest.mark.parametrize("role, sees_it", [("anonymous", False), ("member_b", False),
                                           ("member_a", True), ("coordinator", True)])
def test_a_private_venue_only_for_those_who_may_see_it(client, world, role, sees_it):
    if role == "member_a":
        login(client, make_user(Role.ORGANISER, world["a"]))
    elif role == "member_b":
        login(client, make_user(Role.ORGANISER, world["b"]))
    elif role == "coordinator":
        login(client, world["coordinator"])
    for path in SUBJECT_PATHS:
        html = page(client.get(path))
        assert (HIDDEN_ADDRESS in html) is sees_it, (role, path)
        assert (HIDDEN_VENUE in html) is sees_it, (role, path)
    for path in ALWAYS_PUBLIC_PATHS:
        html = page(client.get(path))
        assert HIDDEN_VENUE not in html and "Kellarikatu" not in html, (role, path)


def test_the_embed_shows_a_public_or_released_address_only(client, world):
    html = page(client.get("/embed?collective=kino-a"))
    assert f"{OPEN_VENUE}, {OPEN_ADDRESS}" in html
    assert HIDDEN_ADDRESS not in html
    world["upcoming"].venue.address_release_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert f"{HIDDEN_VENUE}, {HIDDEN_ADDRESS}" in page(client.get("/embed?collective=kino-a"))


def test_the_screening_page_meta_never_carries_a_private_address(client, world):
    login(client, make_user(Role.ORGANISER, world["a"]))  # a member sees the address itself
    response = client.get(f"/screenings/{world['upcoming'].id}", follow_redirects=True)
    html = page(response)
    assert HIDDEN_ADDRESS in html  # in the page, for the member
    head = html.split("</head>")[0]
    assert HIDDEN_ADDRESS not in head and HIDDEN_VENUE not in head


# --- the embeddable widget -----------------------------------------------------------------------


def test_the_embed_lists_upcoming_public_screenings_compactly(client, world):
    response = client.get("/embed?collective=kino-a")
    assert response.status_code == 200
    html = page(response)
    assert "<script" not in html and "site.css" not in html and "/static/css/embed.css" in html
    assert "Autumn night" in html and "Open night" in html
    for absent in ("Last spring", "Draft night", "Submitted night", "Warsaw night"):
        assert absent not in html
    item = world["upcoming"]
    shown = local_time(item.starts_at, item.timezone)  # "Sat 05 Dec 2026, 19:00 EET"
    assert shown.startswith(local(10).strftime("%a %d %b %Y, 19:00 EE"))
    assert f">{shown}</time>" in html
    assert "Europe/Helsinki" in html and "Helsinki, Finland" in html
    links = re.findall(r'<a href="([^"]+)" target="_blank" rel="noopener">Autumn night</a>', html)
    assert links == [f"http://localhost/screenings/{world['upcoming'].id}"]


@pytest.mark.parametrize("query, shown", [("country=PL", ["Warsaw night"]),
                                          ("film=part-one&collective=kino-b", ["Warsaw night"]),
                                          ("", ["Autumn night", "Warsaw night", "Open night"])])
def test_the_embed_takes_any_list_filter(client, world, query, shown):
    html = page(client.get(f"/embed?{query}"))
    assert re.findall(r'class="embed-title"><a [^>]*>([^<]+)</a>', html) == shown


@pytest.mark.parametrize("query, field", [("collective=nobody", "collective"),
                                          ("from=2026-13-01", "from"), ("radius=-1", "radius"),
                                          ("status=draft", "status"), ("city=abc", "city"),
                                          ("collective=%3Cscript%3E", "collective")])
def test_bad_embed_filters_answer_a_small_400_page(client, world, query, field):
    response = client.get(f"/embed?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"<li>{field}: " in html and "<script>" not in html
    assert "site-header" not in html  # its own small page, not the site's layout
    assert "X-Frame-Options" not in response.headers


def test_only_the_embed_may_be_framed(client, world):
    embed = client.get("/embed?collective=kino-a")
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]
    for path in ("/collectives/kino-a", "/films/part-one", "/", "/sitemap.xml", "/robots.txt",
                 f"/screenings/{world['upcoming'].id}"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


# --- titles, descriptions and sharing tags -------------------------------------------------------


def test_the_screening_page_has_a_title_description_and_sharing_tags(client, world):
    item = world["upcoming"]
    response = client.get(f"/screenings/{item.id}", follow_redirects=True)
    head = HeadReader(response.get_data(as_text=True))
    day = local(10).strftime("%d %b %Y")
    assert head.title == f"Autumn night, Helsinki, {day} · Solidarity Screenings"
    description = head.meta["description"]
    assert description.startswith(f"Part One: Resistance, {local(10):%a %d %b %Y, %H:%M}")
    assert "Helsinki, Finland" in description
    assert description.endswith("Fundraiser for Solidarity Collectives: Medical supplies")
    canonical = f"http://localhost/screenings/{item.id}/autumn-night-helsinki"
    assert head.links["canonical"] == canonical
    assert head.meta["og:url"] == canonical
    assert head.meta["og:type"] == "website"
    assert head.meta["og:site_name"] == "Solidarity Screenings"
    assert head.meta["og:title"] == f"Autumn night, Helsinki, {day}"
    assert head.meta["og:description"] == description


def test_the_screening_page_links_its_film_hosts_and_beneficiary(client, world):
    html = page(client.get(f"/screenings/{world['upcoming'].id}", follow_redirects=True))
    assert '<a href="/films/part-one">Part One: Resistance</a>' in html
    assert '<a href="/collectives/kino-a">Kino A</a>' in html
    assert '<a href="/beneficiaries/solidarity-collectives">Solidarity Collectives</a>' in html


def test_titles_and_sharing_tags_are_escaped(client, world):
    payload = '"><script>alert(1)</script>&'
    make_screening(world["a"], world["coordinator"], Status.PUBLISHED, title=payload,
                   starts_at=local(15))
    world["film"].synopsis = payload
    db.session.commit()
    for path in ("/films/part-one", "/collectives/kino-a", "/embed"):
        assert "<script>alert(1)" not in client.get(path).get_data(as_text=True), path
    html = client.get("/films/part-one").get_data(as_text=True)
    link = re.search(r'<a href="(/screenings/\d+)">&#34;&gt;&lt;script&gt;', html).group(1)
    raw = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "<script>alert(1)" not in raw
    head = HeadReader(raw)
    assert head.title.startswith(payload)  # escaped in the source, the text itself when read
    assert head.meta["og:title"].startswith(payload)
    assert HeadReader(html).meta["description"] == payload


@pytest.mark.parametrize("path, title", [
    ("/collectives/kino-a", "Kino A, Helsinki · Solidarity Screenings"),
    ("/films/part-one", "Part One: Resistance (2023): screenings · Solidarity Screenings"),
    ("/beneficiaries/solidarity-collectives",
     "Solidarity Collectives: fundraising screenings · Solidarity Screenings"),
])
def test_each_page_has_its_own_title_and_description(client, world, path, title):
    head = HeadReader(client.get(path).get_data(as_text=True))
    assert head.title == title
    assert head.meta["description"]
    assert not head.meta["description"].startswith("Screenings of a documentary film")


# --- sitemap.xml and robots.txt ------------------------------------------------------------------


def test_the_sitemap_lists_public_pages_only(client, world):
    make_collective("kino-drafts-only")
    make_screening(db.session.get(type(world["a"]), world["a"].id), world["coordinator"])
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)  # noqa: S314 (ours; raises unless well-formed)
    assert root.tag == f"{SITEMAP}urlset"
    entries = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
               for url in root.iter(f"{SITEMAP}url")}
    base = "http://localhost"
    public = [world[k] for k in ("upcoming", "open", "past", "other")]
    expected = {f"{base}/", f"{base}/past", f"{base}/transparency",
                f"{base}/collectives/kino-a", f"{base}/collectives/kino-b",
                f"{base}/films/part-one", f"{base}/beneficiaries/solidarity-collectives"}
    expected |= {loc for loc in entries if re.fullmatch(rf"{base}/screenings/\d+/[a-z0-9-]+", loc)}
    assert set(entries) == expected
    listed_ids = {int(loc.split("/")[4]) for loc in entries if "/screenings/" in loc}
    assert listed_ids == {s.id for s in public}
    for loc, lastmod in entries.items():
        assert datetime.fromisoformat(lastmod).tzinfo is not None, loc
        if "/screenings/" in loc:  # the canonical address: no redirect to correct the slug
            assert client.get(loc.removeprefix(base)).status_code == 200, loc
    text = response.get_data(as_text=True)
    for secret in (HIDDEN_VENUE, HIDDEN_ADDRESS, "Draft night", "kino-drafts-only"):
        assert secret not in text


def test_the_sitemap_answers_not_modified_to_a_matching_etag(client, world):
    first = client.get("/sitemap.xml")
    again = client.get("/sitemap.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/organiser/", "/coordination/", "/account/", "/api/", "/login",
                 "/invitations/", "/password/"):
        assert f"Disallow: {path}" in lines
    assert "Allow: /" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert not any(line in ("Disallow: /", "Disallow: /collectives/") for line in lines)


# --- the organiser form: the city's time zone beside the start time ------------------------------


def test_the_city_zone_is_found_without_adding_the_city(app):
    before = db.session.scalar(select(func.count()).select_from(City))
    assert cities.timezone_for("Kiev", "UA") == "Europe/Kyiv"
    assert cities.timezone_for("helsinki", "fi") == "Europe/Helsinki"
    assert cities.timezone_for("Atlantis", "FI") is None
    assert cities.timezone_for("", "FI") is None and cities.timezone_for("Kyiv", "") is None
    assert db.session.scalar(select(func.count()).select_from(City)) == before


def test_the_form_loads_the_autocomplete_and_shows_the_zone_when_editing(client, world):
    login(client, make_user(Role.ORGANISER, world["a"]))
    html = page(client.get("/organiser/screenings/new"))
    assert '<script src="/static/js/city-autocomplete.js" defer></script>' in html
    assert 'data-city-autocomplete=""' in html and 'list="known-cities"' in html
    assert re.search(r'<p class="hint zone-hint" id="city-timezone" hidden>', html)
    html = page(client.get(f"/organiser/screenings/{world['upcoming'].id}/edit"))
    assert "Times are local to the city: <strong data-zone-name>Europe/Helsinki</strong>" in html


def test_a_form_sent_back_with_errors_shows_the_typed_city_zone(client, world):
    login(client, make_user(Role.ORGANISER, world["a"]))
    response = client.post("/organiser/screenings/new", data={
        "film": "part-one", "collective": "kino-a", "city": "Kiev", "country": "UA",
        "venue_name": "", "visibility": "city_only", "starts_at": "2031-03-01T19:30",
        "beneficiary": "solidarity-collectives", "purpose": "Medics"})
    assert response.status_code == 422
    assert "Times are local to the city: <strong data-zone-name>Europe/Kyiv</strong>" in page(
        response)
