"""Location privacy on every public surface at once (DESIGN.md section 5).

Every GET route of the public and API blueprints is called, for each screening and with
the list filters, by an anonymous visitor and by a member of another collective: no private
venue's name, address or point may appear in any answer -- HTML, JSON, GeoJSON, iCalendar,
Atom, the embed, the sitemap or an error page. A route added later is swept too (the route
list comes from the URL map); one that cannot be called here must be named in SKIPPED.
"""

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import Role, Status, Visibility
from tests.conftest import login, make_collective, make_screening, make_user

# Endpoints whose answers hold no screening data, with why they are not swept.
SKIPPED = {
    "public.vendor": "Leaflet's own files",
    "static": "the site's CSS, JS and images",
    "api.openapi": "the API's description",
    "public.robots": "fixed text",
}
SECRETS = {
    Visibility.CITY_ONLY: ("Cellar Behind The Bakery", "Salakuja 13 B", 60.201234, 24.987654),
    Visibility.ON_REQUEST: ("Union Hall Backroom", "Tajnaya 7", 60.154321, 24.876543),
}
FUTURE_RELEASE = ("Garage Of The Printers", "Myohempi 5", 60.187777, 24.911111)
PUBLIC_VENUE = ("Open Cinema Hall", "Avoinkatu 1", 60.170001, 24.940001)


def _when(days: int) -> datetime:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=19, minute=0, second=0, microsecond=0, tzinfo=None)


def _screening(collective, actor, venue, visibility, days, status=Status.PUBLISHED,
               release_at=None):
    name, address, lat, lon = venue
    screening = make_screening(collective, actor, status, venue_name=name,
                               venue_address=address, visibility=visibility,
                               starts_at=_when(days), title=f"Sweep {days}")
    screening.venue.lat, screening.venue.lon = lat, lon
    screening.venue.address_release_at = release_at
    screening.fundraiser.totals_public = True
    db.session.commit()
    return screening


@pytest.fixture
def world(catalogue):
    hosts = make_collective("kino-kollektiv")
    actor = make_user(Role.COORDINATOR)
    made = [_screening(hosts, actor, venue, visibility, days)
            for days, (visibility, venue) in enumerate(SECRETS.items(), start=3)]
    made.append(_screening(hosts, actor, FUTURE_RELEASE, Visibility.CITY_ONLY, 9,
                           release_at=datetime.now(UTC) + timedelta(days=5)))
    made.append(_screening(hosts, actor, PUBLIC_VENUE, Visibility.PUBLIC, 10))
    # Past and cancelled ones are public too, and keep their venue private.
    made.append(_screening(hosts, actor, SECRETS[Visibility.CITY_ONLY], Visibility.CITY_ONLY,
                           -20, status=Status.HELD))
    made.append(_screening(hosts, actor, SECRETS[Visibility.ON_REQUEST],
                           Visibility.ON_REQUEST, 12, status=Status.CANCELLED))
    made.append(_screening(hosts, actor, SECRETS[Visibility.CITY_ONLY], Visibility.CITY_ONLY,
                           14, status=Status.DRAFT))
    outsider = make_user(Role.ORGANISER, make_collective("other-collective"))
    return {"hosts": hosts, "screenings": made, "outsider": outsider}


def _secrets() -> list[str]:
    found = []
    for name, address, lat, lon in [*SECRETS.values(), FUTURE_RELEASE]:
        found += [name, address, repr(lat), repr(lon), f"{lat:.4f}", f"{lon:.4f}"]
    return found


def _urls(app, world) -> list[str]:
    filters = ["", "?when=all", "?when=past", "?collective=kino-kollektiv", "?country=FI",
               "?film=part-one", "?beneficiary=solidarity-collectives"]
    urls, unknown = [], []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if "GET" not in rule.methods or rule.endpoint in SKIPPED or blueprint not in (
                "public", "api", "static"):
            continue
        arguments = set(rule.arguments)
        if not arguments:
            urls += [rule.rule + query for query in filters]
        elif arguments <= {"screening_id", "slug"}:
            for screening in world["screenings"]:
                path = rule.rule.replace("<int:screening_id>", str(screening.id))
                urls.append(path.replace("<slug>", "x"))
        elif arguments == {"slug"}:
            for slug in ("kino-kollektiv", "part-one", "solidarity-collectives"):
                urls.append(rule.rule.replace("<slug>", slug))
        else:
            unknown.append(rule.endpoint)
    assert not unknown, f"say how to sweep these routes (or why not, in SKIPPED): {unknown}"
    return urls


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_no_public_answer_gives_a_private_venue_away(app, client, world, who):
    if who == "outsider":
        login(client, world["outsider"])
    secrets, leaks, answered = _secrets(), [], 0
    for url in _urls(app, world):
        response = client.get(url, follow_redirects=True)
        assert response.status_code < 500, url
        body = response.get_data(as_text=True)
        answered += response.status_code == 200
        leaks += [(url, secret) for secret in secrets if secret in body]
    assert not leaks
    assert answered > 40  # the sweep reached real pages, not only errors


def test_the_sweep_would_see_a_leak(app, client, world):
    """The same checks find the public venue where it belongs: they are not blind."""
    name, address, lat, _lon = PUBLIC_VENUE
    screening = world["screenings"][3]
    page = client.get(f"/screenings/{screening.id}", follow_redirects=True).get_data(
        as_text=True)
    assert name in page and address in page
    geojson = client.get("/api/v1/screenings.geojson").get_data(as_text=True)
    assert repr(lat) in geojson
    calendar = client.get(f"/screenings/{screening.id}.ics").get_data(as_text=True)
    assert address in calendar
