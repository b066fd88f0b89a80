"""Calendars and feeds: iCalendar read back with icalendar's own parser, Atom with feedparser.

Local times are checked in the city's zone on both sides of a daylight-saving change, and
every feed is checked for private addresses (DESIGN.md section 5).
"""

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import feedparser
import pytest
from flask import render_template_string
from icalendar import Calendar
from sqlalchemy import update

from app.extensions import db
from app.models import Role, Screening, Status, Venue, Visibility
from app.services import atom_feed, calendars, screenings
from app.services.screenings import search
from tests.conftest import make_collective, make_screening, make_user

NEXT_YEAR = datetime.now(UTC).year + 1
JANUARY = datetime(NEXT_YEAR, 1, 15, 19, 30)  # Kyiv in winter: UTC+2
JULY = datetime(NEXT_YEAR, 7, 15, 19, 30)  # Kyiv in summer: UTC+3
KYIV = ZoneInfo("Europe/Kyiv")
SECRET_VENUE, SECRET_ADDRESS = "Hidden Basement", "Secret Street 1, Helsinki"


def _soon(days: int = 30) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(
        hour=19, minute=0, second=0, microsecond=0, tzinfo=None)


@pytest.fixture
def actor(catalogue):
    return make_user(Role.COORDINATOR)


@pytest.fixture
def kino(catalogue):
    return make_collective("kino-kollektiv")


def _publish(collective, actor, **changes) -> Screening:
    return make_screening(collective, actor, Status.PUBLISHED, **changes)


def _kyiv(collective, actor, starts_at: datetime, **changes) -> Screening:
    values = {"venue_name": "Kinoteatr Zhovten", "venue_address": "Kostiantynivska St 26",
              **changes}
    return _publish(collective, actor, city="Kyiv", country="UA", starts_at=starts_at, **values)


def _ics(client, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    return Calendar.from_ical(response.data)


def _events(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _atom(client, path: str = "/feeds/screenings.atom"):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def _uid(screening: Screening) -> str:
    return f"screening-{screening.id}@localhost"


def _backdate(hours: int = 2) -> datetime:
    """Move every row's updated_at into the past (so a later change is a later second)."""
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)
    for table in db.metadata.sorted_tables:
        if "updated_at" in table.c:
            db.session.execute(update(table).values(updated_at=past))
    db.session.commit()
    return past


# --- iCalendar ---------------------------------------------------------------------------------


def test_the_feed_is_a_calendar_with_local_times_on_both_sides_of_a_dst_change(client, kino,
                                                                                 actor):
    winter = _kyiv(kino, actor, JANUARY, title="Зимовий показ")
    summer = _kyiv(kino, actor, JULY)
    calendar = _ics(client, "/feeds/screenings.ics")
    assert calendar["VERSION"] == "2.0"
    assert "Solidarity Screenings" in str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Solidarity Screenings"
    assert calendar.get("REFRESH-INTERVAL").params["VALUE"] == "DURATION"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    events = _events(calendar)
    assert set(events) == {_uid(winter), _uid(summer)}
    for screening, utc_hour in ((winter, 17), (summer, 16)):
        event = events[_uid(screening)]
        assert event["DTSTART"].params["TZID"] == "Europe/Kyiv"
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (19, 30)  # the wall time in Kyiv
        assert start.astimezone(UTC) == screening.starts_at
        assert screening.starts_at.hour == utc_hour
        assert start.astimezone(UTC) == start.replace(tzinfo=None).replace(tzinfo=KYIV)
        assert event["DTEND"].params["TZID"] == "Europe/Kyiv"
        assert event.decoded("DTEND") - start == timedelta(minutes=95)  # the film's runtime
        assert str(event["STATUS"]) == "CONFIRMED"
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert event.decoded("LAST-MODIFIED") >= screening.updated_at.replace(microsecond=0)
        assert str(event["URL"]).startswith(f"http://localhost/screenings/{screening.id}/")
        assert str(event["URL"]) in str(event["DESCRIPTION"])
        assert "Medical supplies" in str(event["DESCRIPTION"])
    assert str(events[_uid(winter)]["SUMMARY"]) == "Зимовий показ"
    assert str(events[_uid(summer)]["SUMMARY"]) == "Part One: Resistance"
    # A VTIMEZONE for every zone used; the reader needs nothing else to place the times.
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Kyiv"]
    assert calendar.get_missing_tzids() == set()
    raw = client.get("/feeds/screenings.ics").get_data(as_text=True)
    assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in raw
    assert f"DTSTART;TZID=Europe/Kyiv:{NEXT_YEAR}0115T193000\r\n" in raw
    assert f"DTSTART;TZID=Europe/Kyiv:{NEXT_YEAR}0715T193000\r\n" in raw


def test_unknown_runtime_lasts_two_hours_and_one_vtimezone_per_zone(client, kino, actor):
    film = db.session.get(Screening, _publish(kino, actor).id).film
    film.runtime_minutes = None
    db.session.commit()
    _kyiv(kino, actor, JANUARY)
    calendar = _ics(client, "/feeds/screenings.ics")
    for event in calendar.walk("VEVENT"):
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)
    zones = sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE"))
    assert zones == ["Europe/Helsinki", "Europe/Kyiv"]


def test_uid_is_stable_and_a_new_date_raises_sequence_and_moves_dtstart(client, kino, actor):
    screening = _kyiv(kino, actor, JANUARY)
    first = _events(_ics(client, "/feeds/screenings.ics"))[_uid(screening)]
    again = _events(_ics(client, "/feeds/screenings.ics"))[_uid(screening)]
    assert again.to_ical() == first.to_ical()  # the same bytes for the same data
    screenings.reschedule(db.session.get(Screening, screening.id), actor,
                          JANUARY + timedelta(days=2, hours=1))
    db.session.commit()
    moved = _events(_ics(client, "/feeds/screenings.ics"))[_uid(screening)]
    assert int(moved["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert moved.decoded("DTSTART").replace(tzinfo=None) == datetime(NEXT_YEAR, 1, 17, 20, 30)
    assert moved["DTSTART"].params["TZID"] == "Europe/Kyiv"
    assert str(moved["STATUS"]) == "CONFIRMED"


def test_cancelled_stays_in_the_feed_with_status_cancelled_and_a_raised_sequence(client, kino,
                                                                                actor):
    screening = _publish(kino, actor)
    before = _events(_ics(client, "/feeds/screenings.ics"))[_uid(screening)]
    screenings.cancel(db.session.get(Screening, screening.id), actor, "threats",
                      "Names of people who threatened us")
    db.session.commit()
    for path in ("/feeds/screenings.ics", f"/screenings/{screening.id}.ics"):
        event = _events(_ics(client, path))[_uid(screening)]
        assert str(event["STATUS"]) == "CANCELLED"
        assert int(event["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
        assert str(event["SUMMARY"]).startswith("Cancelled: ")
        body = event.to_ical().decode()
        assert "threat" not in body.lower() and "Names of people" not in body


def test_postponed_is_tentative_and_relocated_raises_sequence(client, kino, actor):
    postponed, moved = _publish(kino, actor), _publish(kino, actor, venue_name="Old Hall")
    screenings.postpone(db.session.get(Screening, postponed.id), actor)
    screenings.relocate(db.session.get(Screening, moved.id), actor, venue_name="New Hall",
                        visibility=Visibility.PUBLIC, venue_address="Open Road 5")
    db.session.commit()
    events = _events(_ics(client, "/feeds/screenings.ics"))
    assert str(events[_uid(postponed)]["STATUS"]) == "TENTATIVE"
    assert int(events[_uid(postponed)]["SEQUENCE"]) == 1
    assert str(events[_uid(moved)]["STATUS"]) == "CONFIRMED"
    assert int(events[_uid(moved)]["SEQUENCE"]) == 1
    assert str(events[_uid(moved)]["LOCATION"]) == "New Hall, Open Road 5, Helsinki, Finland"


def _all_public_text(client, screening: Screening) -> str:
    return "".join(client.get(path).get_data(as_text=True) for path in (
        "/feeds/screenings.ics", f"/screenings/{screening.id}.ics", "/feeds/screenings.atom"))


@pytest.mark.parametrize("visibility", [Visibility.CITY_ONLY, Visibility.ON_REQUEST])
def test_location_of_a_private_venue_is_the_city_only(client, kino, actor, visibility):
    screening = _publish(kino, actor, venue_name=SECRET_VENUE, venue_address=SECRET_ADDRESS,
                         visibility=visibility)
    event = _events(_ics(client, f"/screenings/{screening.id}.ics"))[_uid(screening)]
    assert str(event["LOCATION"]) == "Helsinki, Finland"
    assert "GEO" not in event
    text = _all_public_text(client, screening)
    assert SECRET_VENUE not in text and "Secret Street" not in text
    # A release time still to come changes nothing.
    db.session.execute(update(Venue).values(
        address_release_at=datetime.now(UTC) + timedelta(hours=1)))
    db.session.commit()
    text = _all_public_text(client, screening)
    assert SECRET_VENUE not in text and "Secret Street" not in text


def test_location_shows_a_public_or_released_address(client, kino, actor):
    public = _publish(kino, actor, venue_name="Open Cinema", venue_address="Main Square 1",
                      visibility="public")
    released = _publish(kino, actor, venue_name=SECRET_VENUE, venue_address=SECRET_ADDRESS)
    db.session.execute(update(Venue).where(Venue.id == released.venue_id).values(
        address_release_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    events = _events(_ics(client, "/feeds/screenings.ics"))
    assert str(events[_uid(public)]["LOCATION"]) == "Open Cinema, Main Square 1, Helsinki, Finland"
    assert str(events[_uid(released)]["LOCATION"]) == (
        f"{SECRET_VENUE}, {SECRET_ADDRESS}, Helsinki, Finland")
    entries = {e.link: e for e in _atom(client).entries}
    assert any(SECRET_ADDRESS in e.summary for e in entries.values())


def test_drafts_and_submissions_never_appear_and_their_ics_is_404(client, kino, actor):
    shown = _publish(kino, actor)
    draft = make_screening(kino, actor, Status.DRAFT, title="Draft night")
    submitted = make_screening(kino, actor, Status.SUBMITTED, title="Submitted night")
    assert set(_events(_ics(client, "/feeds/screenings.ics"))) == {_uid(shown)}
    atom = _atom(client)
    assert len(atom.entries) == 1
    text = client.get("/feeds/screenings.atom").get_data(as_text=True)
    assert "Draft night" not in text and "Submitted night" not in text
    for hidden in (draft, submitted):
        assert client.get(f"/screenings/{hidden.id}.ics").status_code == 404
    assert client.get("/screenings/999999.ics").status_code == 404
    assert client.get(f"/screenings/{shown.id}.ics").status_code == 200


def test_filters_narrow_both_feeds(client, kino, actor):
    other = make_collective("other-collective")
    helsinki = _publish(kino, actor)
    kyiv = _kyiv(other, actor, JANUARY)
    cases = {"country=UA": {kyiv}, "collective=kino-kollektiv": {helsinki},
             "collective=other-collective&country=FI": set(),
             f"city={kyiv.city_id}": {kyiv}, "film=part-one": {helsinki, kyiv},
             f"from={NEXT_YEAR}-01-15&to={NEXT_YEAR}-01-15": {kyiv}, "": {helsinki, kyiv}}
    for query, wanted in cases.items():
        calendar = _ics(client, f"/feeds/screenings.ics?{query}")
        assert set(_events(calendar)) == {_uid(s) for s in wanted}, query
        atom = _atom(client, f"/feeds/screenings.atom?{query}")
        assert len(atom.entries) == len(wanted), query
    calendar = _ics(client, "/feeds/screenings.ics?country=UA")
    assert str(calendar["X-WR-CALNAME"]) == "Solidarity Screenings (country UA)"
    assert str(calendar["SOURCE"]) == "http://localhost/feeds/screenings.ics?country=UA"


@pytest.mark.parametrize("query", [
    "country=ZZ", "city=abc", "city=999999", "film=no-such-film", "collective=nobody",
    "beneficiary=nobody", "from=2026-13-01", "from=2027-02-01&to=2027-01-01", "near=1&radius=-1",
    "radius=50", "status=draft", "status=submitted", "from=" + "9" * 300,
])
@pytest.mark.parametrize("path", ["/feeds/screenings.ics", "/feeds/screenings.atom"])
def test_bad_filters_answer_400_in_plain_text(client, kino, actor, path, query):
    _publish(kino, actor)
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith("Bad filter.\n")


def test_host_names_the_site_without_a_port():
    assert calendars.host_name(None, "screenings.example:8443") == "screenings.example"
    assert calendars.host_name("Tour.Example.org", "127.0.0.1:5000") == "tour.example.org"
    assert calendars.host_name(None, "[::1]:5000") == "[::1]"


def test_server_name_sets_the_uid_host(app, client, kino, actor):
    screening = _publish(kino, actor)
    app.config["SERVER_NAME"] = "tour.example.org"
    try:
        response = client.get("/feeds/screenings.ics", base_url="http://tour.example.org")
    finally:
        app.config["SERVER_NAME"] = None
    uids = set(_events(Calendar.from_ical(response.data)))
    assert uids == {f"screening-{screening.id}@tour.example.org"}


# --- Atom --------------------------------------------------------------------------------------


def test_atom_feed_is_valid_with_stable_ids_and_updated_that_follows_edits(client, kino, actor):
    first = _kyiv(kino, actor, JULY, venue_name=SECRET_VENUE, venue_address=SECRET_ADDRESS)
    second = _publish(kino, actor, title="Second night")
    past = _backdate()
    feed = _atom(client)
    assert feed.feed.id == "tag:localhost,2026:feeds/screenings"
    assert {link.rel: link.href for link in feed.feed.links} == {
        "self": "http://localhost/feeds/screenings.atom", "alternate": "http://localhost/"}
    assert [e.id for e in feed.entries] == [f"tag:localhost,2026:screenings/{second.id}",
                                            f"tag:localhost,2026:screenings/{first.id}"]
    entry = {e.id: e for e in feed.entries}[f"tag:localhost,2026:screenings/{first.id}"]
    assert entry.link.startswith(f"http://localhost/screenings/{first.id}/")
    assert entry.title == f"Part One: Resistance — Kyiv, 15 Jul {NEXT_YEAR}"
    assert f"When: {JULY:%a} 15 Jul {NEXT_YEAR}, 19:30 EEST (Europe/Kyiv)" in entry.summary
    assert "Where: Kyiv, Ukraine" in entry.summary and "Status: Confirmed" in entry.summary
    assert [a.name for a in entry.authors] == ["Kino Kollektiv"]
    old_updated = entry.updated_parsed
    assert datetime(*old_updated[:6], tzinfo=UTC) == past
    text = client.get("/feeds/screenings.atom").get_data(as_text=True)
    assert SECRET_VENUE not in text and "Secret Street" not in text
    # An edit moves the entry's <updated> (and the entry to the top); the id stays.
    item = db.session.get(Screening, first.id)
    screenings.update(item, dataclasses.replace(screenings.input_from(item),
                                                description="Now with a talk."), actor)
    db.session.commit()
    feed = _atom(client)
    assert feed.entries[0].id == f"tag:localhost,2026:screenings/{first.id}"
    assert feed.entries[0].updated_parsed > old_updated
    assert "Now with a talk." in feed.entries[0].summary
    assert datetime(*feed.feed.updated_parsed[:6], tzinfo=UTC) > past


def test_atom_titles_say_cancelled_and_postponed(client, kino, actor):
    cancelled, postponed = _publish(kino, actor), _publish(kino, actor)
    screenings.cancel(db.session.get(Screening, cancelled.id), actor, "low_interest")
    screenings.postpone(db.session.get(Screening, postponed.id), actor)
    db.session.commit()
    titles = {e.id.rsplit("/", 1)[1]: e.title for e in _atom(client).entries}
    assert titles[str(cancelled.id)].startswith("Cancelled: Part One: Resistance — Helsinki")
    assert titles[str(postponed.id)].startswith("Postponed: ")


def test_atom_keeps_the_latest_changes_up_to_its_limit(client, kino, actor, monkeypatch):
    monkeypatch.setattr(atom_feed, "MAX_ENTRIES", 2)
    made = [_publish(kino, actor, title=f"Night {n}") for n in range(3)]
    ids = [e.id.rsplit("/", 1)[1] for e in _atom(client).entries]
    assert ids == [str(made[2].id), str(made[1].id)]
    assert atom_feed.MAX_ENTRIES == 2 and len(made) == 3


def test_calendar_feed_keeps_the_soonest_up_to_its_limit(client, kino, actor, monkeypatch):
    monkeypatch.setattr(calendars, "MAX_EVENTS", 2)
    made = [_publish(kino, actor, starts_at=_soon(days)) for days in (30, 10, 20)]
    assert set(_events(_ics(client, "/feeds/screenings.ics"))) == {_uid(made[1]), _uid(made[2])}


# --- conditional GET ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/feeds/screenings.ics", "/feeds/screenings.atom",
                                  "/feeds/screenings.ics?country=FI", "one"])
def test_conditional_get_answers_304_until_something_changes(client, kino, actor, path):
    screening = _publish(kino, actor)
    path = f"/screenings/{screening.id}.ics" if path == "one" else path
    _backdate()
    response = client.get(path)
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    screenings.cancel(db.session.get(Screening, screening.id), actor, "other")
    db.session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 200


def test_a_current_copy_is_answered_without_rendering_the_feed(client, kino, actor,
                                                              monkeypatch):
    _publish(kino, actor)
    etag = client.get("/feeds/screenings.ics").headers["ETag"]
    assert etag.startswith('W/"')
    rendered = []
    real = calendars.calendar
    monkeypatch.setattr(calendars, "calendar", lambda *a, **k: rendered.append(1) or real(*a, **k))
    # A session cookie passes the public page cache by: this is about the feed's own ETag.
    client.set_cookie("session", "not-a-login")
    assert client.get("/feeds/screenings.ics", headers={"If-None-Match": etag}).status_code == 304
    assert rendered == []
    assert client.get("/feeds/screenings.ics").headers["ETag"] == etag
    assert rendered == [1]


def test_a_renamed_film_changes_the_feeds_and_their_etags(client, kino, actor):
    screening = _publish(kino, actor)
    _backdate()
    paths = ("/feeds/screenings.ics", "/feeds/screenings.atom", f"/screenings/{screening.id}.ics")
    etags = [client.get(path).headers["ETag"] for path in paths]
    db.session.get(Screening, screening.id).film.title = "Part One: Renamed"
    db.session.commit()
    for path, etag in zip(paths, etags, strict=True):
        response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 200, path
        assert "Part One: Renamed" in response.get_data(as_text=True), path


def test_an_address_release_changes_the_validators_without_any_edit(client, kino, actor):
    screening = _publish(kino, actor, venue_name=SECRET_VENUE, venue_address=SECRET_ADDRESS)
    _backdate()
    # Past the public page cache (the UPDATE below goes around the ORM that tells it).
    client.set_cookie("session", "not-a-login")
    response = client.get("/feeds/screenings.ics")
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    # The release time arrives: an UPDATE that leaves updated_at alone, as the clock would.
    db.session.execute(update(Venue).where(Venue.id == screening.venue_id).values(
        address_release_at=datetime.now(UTC) - timedelta(minutes=5),
        updated_at=Venue.updated_at))
    db.session.commit()
    assert client.get("/feeds/screenings.ics",
                      headers={"If-None-Match": etag}).status_code == 200
    fresh = client.get("/feeds/screenings.ics", headers={"If-Modified-Since": modified})
    assert fresh.status_code == 200
    assert SECRET_ADDRESS in fresh.get_data(as_text=True).replace("\\,", ",")


def test_feed_last_modified_counts_a_screening_that_left_the_feed(kino, actor):
    screening = _publish(kino, actor, starts_at=_soon(1))
    past = _backdate(hours=48)
    starts = db.session.get(Screening, screening.id).starts_at
    everything = search.ScreeningFilters()
    assert calendars.feed_changed_at(calendars.feed_screenings(everything)) == past
    # Four hours after its start it has finished and left the feed without any change to it;
    # Last-Modified must move to that moment, or If-Modified-Since would keep the old copy.
    later = starts + timedelta(hours=4)
    assert calendars.feed_changed_at([], later) == starts + screenings.RUNNING_GRACE


# --- links -------------------------------------------------------------------------------------


def test_screening_page_links_to_its_calendar_file(client, kino, actor):
    screening = _publish(kino, actor)
    html = client.get(f"/screenings/{screening.id}").get_data(as_text=True)
    assert f'href="/screenings/{screening.id}.ics"' in html
    assert "Add to calendar" in html


def test_feed_links_macro_carries_the_filters(app):
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "_macros/feeds.html" import feed_links, feed_head_links %}'
            "{{ feed_head_links(args) }}{{ feed_links(args) }}{{ feed_links() }}",
            args={"country": "UA", "film": "part-one"})
    assert 'href="webcal://localhost/feeds/screenings.ics?country=UA&amp;film=part-one"' in html
    assert 'href="http://localhost/feeds/screenings.ics?country=UA&amp;film=part-one"' in html
    assert 'href="/feeds/screenings.atom?country=UA&amp;film=part-one"' in html
    assert ('<link rel="alternate" type="application/atom+xml" title="Upcoming screenings '
            '(Atom)" href="http://localhost/feeds/screenings.atom?country=UA&amp;film=part-one"'
            in html)
    assert 'href="webcal://localhost/feeds/screenings.ics"' in html
