"""The public pages: upcoming and past lists, pagination, one screening, and location privacy.

A private venue's name and address must never reach a public page for anyone but the
host collective's members and coordinators (DESIGN.md section 5).
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from app.extensions import db
from app.models import City, Country, Role, Screening, Status
from app.services import ledger
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page, visible_text

NEXT_YEAR = date.today().year + 1
HIDDEN_VENUE, HIDDEN_ADDRESS = "Hidden Cellar Club", "Kellarikatu 13 B"
PAST_VENUE, PAST_ADDRESS = "Old Hidden Hall", "Vanhakatu 7"


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


@pytest.fixture
def collective(catalogue):
    """The host collective (with the film and beneficiary in the catalogue)."""
    return make_collective("kino-kollektiv")


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR)


def local(days: int, hour: int = 19) -> datetime:
    """A naive wall-clock time `days` from now at `hour`."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


def card_titles(response) -> list[str]:
    """The screening titles of a public list, in page order."""
    return re.findall(r'<h3 class="card-title">\s*<a href="[^"]*">([^<]*)</a>',
                      response.get_data(as_text=True))


# --- lists -----------------------------------------------------------------------------


def test_index_lists_published_upcoming_screenings_by_start(client, collective, coordinator):
    # Helsinki 19:30 EEST is 16:30 UTC, before Warsaw 19:00 CEST (17:00 UTC) on the same day.
    make_screening(collective, coordinator, Status.PUBLISHED, title="Warsaw evening",
                   city="Warsaw", country="PL", starts_at=datetime(NEXT_YEAR, 7, 10, 19, 0))
    make_screening(collective, coordinator, Status.PUBLISHED, title="Helsinki late evening",
                   starts_at=datetime(NEXT_YEAR, 7, 10, 19, 30))
    make_screening(collective, coordinator, Status.PUBLISHED, title="Earliest",
                   starts_at=datetime(NEXT_YEAR, 7, 9, 20, 0))
    make_screening(collective, coordinator, Status.DRAFT, title="Draft night")
    make_screening(collective, coordinator, Status.SUBMITTED, title="Submitted night")
    make_screening(collective, coordinator, Status.PUBLISHED, title="Past night",
                   starts_at=local(-10))

    response = client.get("/")
    assert response.status_code == 200
    assert card_titles(response) == ["Earliest", "Helsinki late evening", "Warsaw evening"]
    shown = visible_text(response)
    helsinki = datetime(NEXT_YEAR, 7, 10, 19, 30).strftime("%a %d %b %Y, %H:%M")
    warsaw = datetime(NEXT_YEAR, 7, 10, 19, 0).strftime("%a %d %b %Y, %H:%M")
    assert f"{helsinki} EEST Helsinki late evening Helsinki, Finland" in shown
    assert f"{warsaw} CEST Warsaw evening Warsaw, Poland" in shown
    assert shown.count("Part One: Resistance · hosted by Kino Kollektiv") == 3
    for hidden in ("Draft night", "Submitted night", "Past night"):
        assert hidden not in shown


def test_index_keeps_a_screening_that_started_within_three_hours(client, collective,
                                                                 coordinator):
    started = datetime.now(UTC) - timedelta(hours=1)
    make_screening(collective, coordinator, Status.PUBLISHED, title="Running now",
                   starts_at=started)
    assert card_titles(client.get("/")) == ["Running now"]
    assert card_titles(client.get("/past")) == []


def test_past_lists_past_public_screenings_latest_first(client, collective, coordinator):
    make_screening(collective, coordinator, Status.HELD, title="Last month", starts_at=local(-30))
    make_screening(collective, coordinator, Status.PUBLISHED, title="Last week",
                   starts_at=local(-7))
    make_screening(collective, coordinator, Status.DRAFT, title="Old draft", starts_at=local(-3))
    make_screening(collective, coordinator, Status.SUBMITTED, title="Old submission",
                   starts_at=local(-3))
    make_screening(collective, coordinator, Status.PUBLISHED, title="Next week",
                   starts_at=local(7))

    response = client.get("/past")
    assert response.status_code == 200
    assert card_titles(response) == ["Last week", "Last month"]
    assert card_titles(client.get("/")) == ["Next week"]


def test_cancelled_screenings_stay_listed_with_a_badge(client, collective, coordinator):
    make_screening(collective, coordinator, Status.CANCELLED, title="Called off")
    response = client.get("/")
    assert card_titles(response) == ["Called off"]
    assert "Cancelled" in visible_text(response)


def test_empty_lists_say_so(client):
    assert "No upcoming screenings are announced yet." in page(client.get("/"))
    assert "No screenings have taken place yet." in page(client.get("/past"))


@pytest.fixture
def twenty_one_upcoming(collective, coordinator, app):
    """21 published upcoming screenings, Night 01 soonest; one more than a page holds."""
    assert app.config["SCREENINGS_PER_PAGE"] == 20
    for day in range(1, 22):
        make_screening(collective, coordinator, Status.PUBLISHED, title=f"Night {day:02d}",
                       starts_at=local(day))


def test_pagination_puts_the_21st_screening_on_page_2(client, twenty_one_upcoming):
    first = client.get("/")
    assert card_titles(first) == [f"Night {day:02d}" for day in range(1, 21)]
    assert "Page 1 of 2" in page(first)
    assert 'href="/?page=2"' in page(first)

    second = client.get("/?page=2")
    assert second.status_code == 200
    assert card_titles(second) == ["Night 21"]
    assert "Page 2 of 2" in page(second)


def test_past_is_paginated_too(client, collective, coordinator):
    for day in range(1, 22):
        make_screening(collective, coordinator, Status.HELD, title=f"Past {day:02d}",
                       starts_at=local(-day))
    assert len(card_titles(client.get("/past"))) == 20
    assert card_titles(client.get("/past?page=2")) == ["Past 21"]


ODD_PAGE_NUMBERS = ["0", "-1", "abc", "99999", "", "1.5", "1e3", "%202", "%00", "%D9%A3",
                    "99999999999999999999", "2&page=3"]


@pytest.mark.parametrize("path", ["/", "/past"])
def test_odd_page_numbers_never_fail(client, twenty_one_upcoming, path):
    for value in ODD_PAGE_NUMBERS:
        response = client.get(f"{path}?page={value}")
        assert response.status_code == 200, value


def test_invalid_page_numbers_show_the_first_page(client, twenty_one_upcoming):
    for value in ("0", "-1", "abc", "99999999999999999999"):
        assert card_titles(client.get(f"/?page={value}"))[0] == "Night 01", value


@pytest.mark.parametrize("path", ["/", "/past"])
def test_a_superscript_page_number_does_not_fail(client, path):
    response = client.get(f"{path}?page=%C2%B2")
    assert response.status_code == 200


# --- one screening -------------------------------------------------------------------------


def test_a_public_screening_has_its_page(client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.PUBLISHED,
                               title="Solidarity night", starts_at=datetime(NEXT_YEAR, 7, 10, 19))
    response = client.get(f"/screenings/{screening.id}")
    assert response.status_code == 200
    shown = visible_text(response)
    assert "Solidarity night" in shown
    assert "Part One: Resistance" in shown
    assert "Helsinki, Finland" in shown
    assert "Kino Kollektiv" in shown
    assert "Solidarity Collectives" in shown
    assert "Medical supplies" in shown
    assert datetime(NEXT_YEAR, 7, 10, 19).strftime("%a %d %b %Y, %H:%M") + " EEST" in shown


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
def test_unpublished_screenings_are_404(client, collective, coordinator, status):
    screening = make_screening(collective, coordinator, status, title="Not yet public")
    for url in (f"/screenings/{screening.id}", f"/screenings/{screening.id}/not-yet-public"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Not yet public" not in page(response)


def test_unpublished_screening_is_404_even_for_its_hosts(client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.DRAFT)
    login(client, make_user(Role.ORGANISER, collective))
    assert client.get(f"/screenings/{screening.id}").status_code == 404


def test_a_missing_screening_is_404(client):
    assert client.get("/screenings/999999").status_code == 404
    assert client.get("/screenings/999999/anything").status_code == 404


def test_a_wrong_slug_redirects_permanently_to_the_right_one(client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.PUBLISHED,
                               title="Solidarity Night!")
    right = f"/screenings/{screening.id}/solidarity-night-helsinki"
    response = client.get(f"/screenings/{screening.id}/wrong-slug")
    assert response.status_code == 301
    assert response.headers["Location"] == right
    assert client.get(right).status_code == 200
    assert client.get(f"/screenings/{screening.id}").status_code == 200


# --- location privacy ------------------------------------------------------------------------


@pytest.fixture
def private_screenings(request, collective, coordinator):
    """An upcoming and a past published screening whose venues are private."""
    visibility = request.param
    upcoming = make_screening(collective, coordinator, Status.PUBLISHED, title="Upcoming night",
                              venue_name=HIDDEN_VENUE, venue_address=HIDDEN_ADDRESS,
                              visibility=visibility)
    past = make_screening(collective, coordinator, Status.HELD, title="Past night",
                          venue_name=PAST_VENUE, venue_address=PAST_ADDRESS,
                          visibility=visibility, starts_at=local(-10))
    return upcoming, past


def _viewer(kind: str, collective):
    """A user of the kind, or None for an anonymous visitor."""
    if kind == "anonymous":
        return None
    if kind == "other-collective-organiser":
        return make_user(Role.ORGANISER, make_collective("other-collective"),
                         admin_of_collective=True)
    if kind == "host-member":
        return make_user(Role.ORGANISER, collective)
    return make_user(Role(kind))


@pytest.mark.parametrize("private_screenings", ["city_only", "on_request"], indirect=True)
@pytest.mark.parametrize("viewer", ["anonymous", "other-collective-organiser"])
def test_private_venue_never_reaches_outsiders(client, collective, private_screenings, viewer):
    user = _viewer(viewer, collective)
    if user is not None:
        login(client, user)
    upcoming, past = private_screenings
    for url in ("/", "/past", f"/screenings/{upcoming.id}", f"/screenings/{past.id}",
                f"/screenings/{upcoming.id}/upcoming-night-helsinki", "/?page=1"):
        response = client.get(url)
        assert response.status_code == 200, url
        for body in (response.get_data(as_text=True), page(response)):
            for secret in (HIDDEN_VENUE, HIDDEN_ADDRESS, PAST_VENUE, PAST_ADDRESS,
                           "Kellarikatu", "Vanhakatu"):
                assert secret not in body, (url, secret)
    assert "Helsinki, Finland" in visible_text(client.get(f"/screenings/{upcoming.id}"))


@pytest.mark.parametrize("private_screenings", ["city_only", "on_request"], indirect=True)
@pytest.mark.parametrize("viewer", ["host-member", "coordinator", "admin"])
def test_private_venue_is_shown_to_hosts_and_coordinators(client, collective,
                                                          private_screenings, viewer):
    login(client, _viewer(viewer, collective))
    upcoming, past = private_screenings
    shown = visible_text(client.get(f"/screenings/{upcoming.id}"))
    assert f"{HIDDEN_VENUE}, {HIDDEN_ADDRESS}" in shown
    assert f"{PAST_VENUE}, {PAST_ADDRESS}" in visible_text(client.get(f"/screenings/{past.id}"))
    assert "keep the venue private" not in shown


def test_on_request_venue_tells_the_public_to_contact_the_collective(client, collective,
                                                                     coordinator):
    on_request = make_screening(collective, coordinator, Status.PUBLISHED,
                                visibility="on_request")
    city_only = make_screening(collective, coordinator, Status.PUBLISHED, visibility="city_only")
    assert "contact the collective for the address" in visible_text(
        client.get(f"/screenings/{on_request.id}"))
    city_only_text = visible_text(client.get(f"/screenings/{city_only.id}"))
    assert "The hosts keep the venue private." in city_only_text
    assert "contact the collective" not in city_only_text


def test_public_venue_shows_its_address_to_everyone(client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.PUBLISHED, visibility="public",
                               venue_name="Open House", venue_address="Avoinkatu 1")
    shown = visible_text(client.get(f"/screenings/{screening.id}"))
    assert "Open House, Avoinkatu 1" in shown
    assert "keep the venue private" not in shown


@pytest.mark.parametrize(("release_in", "shown"), [(timedelta(hours=-1), True),
                                                   (timedelta(hours=3), False)],
                         ids=["released", "not-yet-released"])
def test_address_release_time(client, collective, coordinator, release_in, shown):
    screening = make_screening(collective, coordinator, Status.PUBLISHED, visibility="city_only",
                               venue_name=HIDDEN_VENUE, venue_address=HIDDEN_ADDRESS)
    screening.venue.address_release_at = datetime.now(UTC) + release_in
    db.session.commit()
    body = page(client.get(f"/screenings/{screening.id}"))
    assert (HIDDEN_ADDRESS in body) is shown
    assert (HIDDEN_VENUE in body) is shown


# --- money on public pages -------------------------------------------------------------------


def _raise_money(screening: Screening, actor, amount: str) -> None:
    ledger.record_contribution(screening.fundraiser, actor, amount=amount, currency="EUR",
                               received_on=date.today(), channel="door")
    db.session.commit()


def test_public_totals_show_what_was_raised(client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.PUBLISHED, title="Raising")
    _raise_money(screening, coordinator, "120.50")
    assert "Raised so far: €120.50" in visible_text(client.get(f"/screenings/{screening.id}"))
    assert "raised €120.50" in visible_text(client.get("/"))


def test_private_totals_stay_private(client, collective, coordinator):
    screening = make_screening(collective, coordinator, Status.PUBLISHED, title="Quiet")
    screening.fundraiser.totals_public = False
    db.session.commit()
    _raise_money(screening, coordinator, "120.50")
    assert "120.50" not in page(client.get(f"/screenings/{screening.id}"))
    assert "120.50" not in page(client.get("/"))
