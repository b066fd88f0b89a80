"""The screenings service: registering and editing screenings, their lifecycle, and queries."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import (
    AuditEvent,
    City,
    Country,
    Fundraiser,
    Role,
    Screening,
    Status,
    Venue,
    Visibility,
    screening_hosts,
)
from app.services import cities, screenings
from app.services.errors import NotFound, TransitionError, ValidationFailed
from tests.conftest import make_collective, make_screening, make_user, screening_input

WINTER_EVENING = datetime(2027, 1, 15, 19, 0)  # Helsinki is UTC+2
SUMMER_EVENING = datetime(2027, 7, 15, 19, 0)  # Helsinki is UTC+3


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ))


@pytest.fixture(autouse=True)
def helsinki():
    """Helsinki as a city already in the database (with the gazetteer's id, point and zone)."""
    city = City(name="Helsinki", country=cities.ensure_country("FI"), lat=60.16952,
                lon=24.93545, timezone="Europe/Helsinki", geonames_id=658225)
    db.session.add(city)
    db.session.commit()
    return city


@pytest.fixture
def collective(catalogue):
    """The host collective (not trusted)."""
    return make_collective("kino-kollektiv")


@pytest.fixture
def organiser(collective):
    """A plain member of the host collective."""
    return make_user(Role.ORGANISER, collective)


# --- create -------------------------------------------------------------------------------


def test_create_registers_a_draft_with_venue_fundraiser_and_host(
    collective, organiser, catalogue, helsinki
):
    film, beneficiary = catalogue
    screening = screenings.create(
        screening_input(collective, starts_at=WINTER_EVENING, title="  Premiere night  ",
                        description=" With a discussion. ", language="uk", subtitles="fi"),
        organiser,
    )
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Screening, screening.id)
    assert stored.status is Status.DRAFT
    assert stored.film == film
    assert stored.city == helsinki
    assert stored.timezone == "Europe/Helsinki"
    assert stored.title == "Premiere night"
    assert stored.description == "With a discussion."
    assert (stored.language, stored.subtitles) == ("uk", "fi")
    assert stored.collectives == [collective]
    assert stored.created_by_id == organiser.id
    assert stored.submitted_at is None and stored.published_at is None
    assert stored.venue.name == "Lepakkomies"
    assert stored.venue.address == "Secret Street 1, Helsinki"
    assert stored.venue.visibility is Visibility.CITY_ONLY
    assert stored.venue.city == helsinki
    fundraiser = stored.fundraiser
    assert fundraiser.beneficiary == beneficiary
    assert fundraiser.purpose == "Medical supplies"
    assert fundraiser.goal_amount_minor == 50000
    assert fundraiser.goal_currency == "EUR"
    assert fundraiser.totals_public is True


@pytest.mark.parametrize(
    "local, expected_utc",
    [
        (WINTER_EVENING, datetime(2027, 1, 15, 17, 0, tzinfo=UTC)),
        (SUMMER_EVENING, datetime(2027, 7, 15, 16, 0, tzinfo=UTC)),
    ],
)
def test_create_stores_the_start_in_utc_from_the_citys_local_time(
    collective, organiser, local, expected_utc
):
    screening_id = screenings.create(screening_input(collective, starts_at=local), organiser).id
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Screening, screening_id)
    assert stored.starts_at == expected_utc
    assert stored.starts_at.utcoffset() == timedelta(0)


def test_create_accepts_a_start_with_an_explicit_offset(collective, organiser):
    aware = datetime(2027, 1, 15, 19, 0, tzinfo=UTC)
    screening = screenings.create(screening_input(collective, starts_at=aware), organiser)
    assert screening.starts_at == aware
    assert screening.timezone == "Europe/Helsinki"


@pytest.mark.parametrize(
    "amount, currency, minor, stored_currency",
    [
        ("500.00", "EUR", 50000, "EUR"),
        ("500", "eur", 50000, "EUR"),
        ("1000", "JPY", 1000, "JPY"),
        ("1.234", "KWD", 1234, "KWD"),
        ("2500,50", "PLN", 250050, "PLN"),
        ("", "", None, None),
        ("", "EUR", None, None),
        ("   ", "EUR", None, None),
    ],
)
def test_create_stores_the_goal_in_minor_units(
    collective, organiser, amount, currency, minor, stored_currency
):
    screening = screenings.create(
        screening_input(collective, goal_amount=amount, goal_currency=currency), organiser
    )
    db.session.commit()
    assert screening.fundraiser.goal_amount_minor == minor
    assert screening.fundraiser.goal_currency == stored_currency


def test_create_records_an_audit_event_without_the_address(collective, organiser):
    screening = screenings.create(
        screening_input(collective, starts_at=WINTER_EVENING), organiser
    )
    db.session.commit()
    [event] = _events("screening.create")
    assert event.actor_id == organiser.id
    assert (event.object_type, event.object_id) == ("screening", screening.id)
    assert event.after["status"] == "draft"
    assert event.after["film"] == "part-one"
    assert event.after["city"] == "Helsinki"
    assert event.after["starts_at"] == "2027-01-15T17:00:00+00:00"
    assert event.after["goal_minor"] == 50000
    assert event.after["goal_currency"] == "EUR"
    assert "Secret Street" not in str(event.after)


def test_a_coordinator_may_create_for_any_collective(collective):
    coordinator = make_user(Role.COORDINATOR)
    screening = screenings.create(screening_input(collective), coordinator)
    assert screening.collectives == [collective]


def test_create_flushes_but_does_not_commit(collective, organiser):
    screening = screenings.create(screening_input(collective), organiser)
    assert screening.id is not None
    db.session.rollback()
    assert _count(Screening) == 0


# --- create: refused input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, fields",
    [
        ({"film": "no-such-film"}, {"film"}),
        ({"film": ""}, {"film"}),
        ({"beneficiary": "no-such-group"}, {"beneficiary"}),
        ({"collective": "not-mine"}, {"collective"}),
        ({"collective": "no-such-collective"}, {"collective"}),
        ({"city": "Atlantis"}, {"city"}),
        ({"city": "   "}, {"city"}),
        ({"country": "XX"}, {"country"}),
        ({"country": ""}, {"country"}),
        ({"starts_at": datetime(2026, 3, 29, 3, 30)}, {"starts_at"}),
        ({"goal_amount": "12.345"}, {"goal_amount"}),
        ({"goal_amount": "-5.00"}, {"goal_amount"}),
        ({"goal_amount": "0"}, {"goal_amount"}),
        ({"goal_amount": "0.00"}, {"goal_amount"}),
        ({"goal_amount": "five hundred"}, {"goal_amount"}),
        ({"goal_amount": "500.5", "goal_currency": "JPY"}, {"goal_amount"}),
        ({"goal_currency": "XYZ"}, {"goal_currency"}),
        ({"goal_currency": ""}, {"goal_currency"}),
        ({"title": "t" * 201}, {"title"}),
        ({"description": "d" * 5001}, {"description"}),
        ({"purpose": "p" * 501}, {"purpose"}),
        ({"venue_name": "v" * 201}, {"venue_name"}),
        ({"venue_address": "a" * 501}, {"venue_address"}),
        ({"language": "l" * 36}, {"language"}),
        ({"subtitles": "s" * 36}, {"subtitles"}),
        ({"venue_name": ""}, {"venue_name"}),
        ({"venue_name": "   "}, {"venue_name"}),
        ({"purpose": ""}, {"purpose"}),
        ({"purpose": " \n "}, {"purpose"}),
        ({"visibility": "secret"}, {"visibility"}),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(organiser, collective, changes, fields):
    make_collective("not-mine")
    data = dataclasses.replace(screening_input(collective), **changes)
    with pytest.raises(ValidationFailed) as excinfo:
        screenings.create(data, organiser)
    assert set(excinfo.value.fields) == fields
    assert all(excinfo.value.fields.values())
    db.session.flush()
    assert _count(Screening) == 0
    assert _count(Venue) == 0
    assert _count(Fundraiser) == 0
    assert _count(screening_hosts) == 0
    assert _events("screening.create") == []


def test_create_reports_every_problem_at_once(organiser, collective):
    make_collective("not-mine")
    data = dataclasses.replace(
        screening_input(collective), film="no-such-film", beneficiary="no-such-group",
        collective="not-mine",
        starts_at=datetime(2026, 3, 29, 3, 30), goal_amount="12.345", title="t" * 201,
        description="d" * 5001, venue_name="  ", purpose="", visibility="secret",
    )
    with pytest.raises(ValidationFailed) as excinfo:
        screenings.create(data, organiser)
    assert set(excinfo.value.fields) == {
        "film", "beneficiary", "collective", "starts_at", "goal_amount", "title",
        "description", "venue_name", "purpose", "visibility",
    }
    db.session.flush()
    assert (_count(Screening), _count(Venue), _count(Fundraiser)) == (0, 0, 0)


def test_create_reports_an_unknown_currency_and_other_fields_together(organiser, collective):
    with pytest.raises(ValidationFailed) as excinfo:
        screenings.create(
            screening_input(collective, goal_currency="XYZ", city="Atlantis", purpose=""),
            organiser,
        )
    assert set(excinfo.value.fields) == {"goal_currency", "city", "purpose"}


def test_the_dst_gap_message_is_the_local_time_error(organiser, collective):
    with pytest.raises(ValidationFailed) as excinfo:
        screenings.create(
            screening_input(collective, starts_at=datetime(2026, 3, 29, 3, 30)), organiser
        )
    message = excinfo.value.fields["starts_at"]
    assert "2026-03-29 03:30" in message
    assert "does not exist" in message


def test_a_collective_admin_of_another_collective_cannot_create_for_this_one(collective):
    other = make_collective("elsewhere")
    outsider = make_user(Role.ORGANISER, other, admin_of_collective=True)
    with pytest.raises(ValidationFailed) as excinfo:
        screenings.create(screening_input(collective), outsider)
    assert set(excinfo.value.fields) == {"collective"}


# --- cities -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Kiev", "Київ", "kyiv", "KYIV"])
def test_a_city_is_found_by_its_alternate_names(organiser, collective, name):
    screening = screenings.create(
        screening_input(collective, city=name, country="UA", starts_at=WINTER_EVENING),
        organiser,
    )
    assert screening.city.name == "Kyiv"
    assert screening.city.country.code == "UA"
    assert screening.city.timezone == "Europe/Kyiv"
    assert screening.city.geonames_id == 703448
    assert screening.starts_at == datetime(2027, 1, 15, 17, 0, tzinfo=UTC)


def test_alternate_names_resolve_to_one_city_row(organiser, collective):
    first = screenings.create(
        screening_input(collective, city="Kiev", country="ua"), organiser
    )
    second = screenings.create(
        screening_input(collective, city="Київ", country="UA"), organiser
    )
    assert first.city.id == second.city.id
    assert db.session.scalar(select(func.count(City.id)).where(City.name == "Kyiv")) == 1
    assert _count(Country) == 2  # FI and UA


@pytest.mark.parametrize("name", ["helsinki", "HELSINKI", "  Helsinki  "])
def test_a_known_city_is_matched_ignoring_case_and_spaces(organiser, collective, helsinki, name):
    screening = screenings.create(screening_input(collective, city=name), organiser)
    assert screening.city == helsinki
    assert _count(City) == 1


def test_a_city_in_another_country_is_not_confused(organiser, collective):
    with pytest.raises(ValidationFailed) as excinfo:
        screenings.create(screening_input(collective, city="Kyiv", country="FI"), organiser)
    assert set(excinfo.value.fields) == {"city"}


def test_a_city_can_be_chosen_by_geonames_id(organiser, collective):
    """Regression: the gazetteer's dict is keyed by strings, the id given is an int."""
    screening = screenings.create(
        screening_input(collective, city="", country="", geonames_id=703448), organiser
    )
    assert screening.city.name == "Kyiv"
    assert screening.city.timezone == "Europe/Kyiv"


def test_a_known_city_can_be_chosen_by_geonames_id(organiser, collective, helsinki):
    screening = screenings.create(
        screening_input(collective, city="", country="", geonames_id=658225), organiser
    )
    assert screening.city == helsinki


def test_an_unknown_geonames_id_is_a_city_error(organiser, collective):
    with pytest.raises(ValidationFailed) as excinfo:
        screenings.create(screening_input(collective, geonames_id=999999999), organiser)
    assert set(excinfo.value.fields) == {"city"}


@pytest.mark.parametrize("typed", ["Örebro", "örebro", "ÖREBRO"])
def test_a_city_added_by_hand_is_found_by_its_name(organiser, collective, typed):
    """Regression: SQLite's lower() folds ASCII only, so "Örebro" was missed and re-added."""
    orebro = City(name="Örebro", country=cities.ensure_country("SE"), lat=59.27,
                  lon=15.21, timezone="Europe/Stockholm")
    db.session.add(orebro)
    db.session.commit()
    screening = screenings.create(
        screening_input(collective, city=typed, country="SE"), organiser
    )
    assert screening.city == orebro
    assert _count(City) == 2  # Helsinki and Örebro


def test_an_alternate_name_of_a_city_added_by_hand_finds_that_city(organiser, collective):
    """Regression: the gazetteer entry was inserted again beside the hand-made row."""
    lviv = City(name="Lviv", country=cities.ensure_country("UA"), lat=49.84, lon=24.02,
                timezone="Europe/Kyiv")
    db.session.add(lviv)
    db.session.commit()
    screening = screenings.create(
        screening_input(collective, city="Lemberg", country="UA"), organiser
    )
    assert screening.city == lviv
    assert db.session.scalar(select(func.count(City.id)).where(City.name == "Lviv")) == 1


# --- update and input_from -------------------------------------------------------------


def test_update_changes_the_screening_and_keeps_its_id(organiser, collective, catalogue):
    screening = make_screening(collective, actor=organiser, starts_at=WINTER_EVENING)
    original_id, venue_id, fundraiser_id = (
        screening.id, screening.venue.id, screening.fundraiser.id
    )
    screenings.update(
        screening,
        screening_input(collective, starts_at=SUMMER_EVENING, title="Moved to summer",
                        venue_name="Kulttuuritalo", venue_address="Open Street 2",
                        visibility="public", purpose="Vehicles", goal_amount="2000",
                        goal_currency="PLN"),
        organiser,
    )
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Screening, original_id)
    assert _count(Screening) == 1
    assert stored.title == "Moved to summer"
    assert stored.starts_at == datetime(2027, 7, 15, 16, 0, tzinfo=UTC)
    assert stored.venue.id == venue_id
    assert stored.venue.name == "Kulttuuritalo"
    assert stored.venue.address == "Open Street 2"
    assert stored.venue.visibility is Visibility.PUBLIC
    assert stored.fundraiser.id == fundraiser_id
    assert stored.fundraiser.purpose == "Vehicles"
    assert (stored.fundraiser.goal_amount_minor, stored.fundraiser.goal_currency) == (
        200000, "PLN"
    )
    assert stored.status is Status.DRAFT
    assert stored.version_id == 2


def test_update_can_move_a_screening_to_another_city(organiser, collective):
    screening = make_screening(collective, actor=organiser)
    screenings.update(
        screening, screening_input(collective, city="Kyiv", country="UA",
                                   starts_at=WINTER_EVENING), organiser,
    )
    assert screening.city.name == "Kyiv"
    assert screening.venue.city == screening.city
    assert screening.timezone == "Europe/Kyiv"
    assert screening.starts_at == datetime(2027, 1, 15, 17, 0, tzinfo=UTC)


def test_update_records_before_and_after(organiser, collective):
    screening = make_screening(collective, actor=organiser, starts_at=WINTER_EVENING)
    screenings.update(
        screening, screening_input(collective, starts_at=SUMMER_EVENING), organiser
    )
    db.session.commit()
    [event] = _events("screening.update")
    assert event.actor_id == organiser.id
    assert event.object_id == screening.id
    assert event.before["starts_at"] == "2027-01-15T17:00:00+00:00"
    assert event.after["starts_at"] == "2027-07-15T16:00:00+00:00"


def test_update_with_bad_input_changes_nothing(organiser, collective):
    screening = make_screening(collective, actor=organiser, title="Kept")
    with pytest.raises(ValidationFailed):
        screenings.update(
            screening, screening_input(collective, title="Changed", film="no-such-film"),
            organiser,
        )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Screening, screening.id).title == "Kept"
    assert _events("screening.update") == []


def test_input_from_round_trips_to_the_same_values(organiser, collective):
    data = screening_input(
        collective, starts_at=SUMMER_EVENING, title="Evening", description="Talk after.",
        language="uk", subtitles="en", visibility="on_request", goal_amount="1234.50",
        goal_currency="SEK",
    )
    screening = screenings.create(data, organiser)
    db.session.commit()
    db.session.expire_all()
    again = screenings.input_from(db.session.get(Screening, screening.id))
    assert dataclasses.asdict(again) == dataclasses.asdict(data)


def test_input_from_a_screening_without_a_goal(organiser, collective):
    screening = screenings.create(
        screening_input(collective, goal_amount="", goal_currency=""), organiser
    )
    again = screenings.input_from(screening)
    assert (again.goal_amount, again.goal_currency) == ("", "")


def test_updating_with_its_own_input_changes_nothing(organiser, collective):
    screening = make_screening(collective, actor=organiser, starts_at=SUMMER_EVENING)
    before = screenings._snapshot(screening)
    screenings.update(screening, screenings.input_from(screening), organiser)
    db.session.commit()
    assert screenings._snapshot(screening) == before
    assert screening.version_id == 1


# --- lifecycle ----------------------------------------------------------------------------


def test_submit_moves_a_draft_to_submitted(organiser, collective):
    screening = make_screening(collective, actor=organiser)
    screenings.submit(screening, organiser)
    db.session.commit()
    assert screening.status is Status.SUBMITTED
    assert screening.submitted_at is not None
    assert screening.published_at is None
    [event] = _events("screening.submit")
    assert (event.before, event.after) == ({"status": "draft"}, {"status": "submitted"})
    assert event.actor_id == organiser.id


def test_a_trusted_collective_publishes_directly_on_submit(catalogue):
    trusted = make_collective("trusted-kino", trusted=True)
    organiser = make_user(Role.ORGANISER, trusted)
    screening = make_screening(trusted, actor=organiser)
    screenings.submit(screening, organiser)
    db.session.commit()
    assert screening.status is Status.PUBLISHED
    assert screening.published_at == screening.submitted_at is not None
    [event] = _events("screening.submit_trusted")
    assert event.after == {"status": "published"}


def test_a_trusted_co_host_is_enough_to_publish_directly(organiser, collective):
    screening = make_screening(collective, actor=organiser)
    co_host = make_collective("trusted-co-host", trusted=True)
    screening.collectives.append(co_host)
    db.session.commit()
    screenings.submit(screening, organiser)
    assert screening.status is Status.PUBLISHED


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.DRAFT])
def test_only_a_draft_can_be_submitted(organiser, collective, status):
    screening = make_screening(collective, actor=organiser, status=status)
    with pytest.raises(TransitionError):
        screenings.submit(screening, organiser)
    assert screening.status is status
    assert screening.submitted_at is None


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_publish_a_submitted_screening(organiser, collective, role):
    screening = make_screening(collective, actor=organiser)
    screenings.submit(screening, organiser)
    coordinator = make_user(role)
    screenings.publish(screening, coordinator)
    db.session.commit()
    assert screening.status is Status.PUBLISHED
    assert screening.published_at is not None
    [event] = _events("screening.publish")
    assert event.actor_id == coordinator.id
    assert (event.before, event.after) == ({"status": "submitted"}, {"status": "published"})


def test_an_organiser_cannot_publish(organiser, collective):
    admin_of_collective = make_user(Role.ORGANISER, collective, admin_of_collective=True)
    screening = make_screening(collective, actor=organiser)
    screenings.submit(screening, organiser)
    for person in (organiser, admin_of_collective):
        with pytest.raises(TransitionError):
            screenings.publish(screening, person)
    assert screening.status is Status.SUBMITTED
    assert screening.published_at is None


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.SUBMITTED])
def test_only_a_submitted_screening_can_be_published(organiser, collective, status):
    screening = make_screening(collective, actor=organiser, status=status)
    with pytest.raises(TransitionError):
        screenings.publish(screening, make_user(Role.COORDINATOR))
    assert screening.status is status


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.RELOCATED])
def test_a_started_screening_can_be_marked_as_held(organiser, collective, status):
    screening = make_screening(collective, actor=organiser, status=status,
                               starts_at=WINTER_EVENING)
    screenings.mark_held(screening, organiser, now=screening.starts_at + timedelta(hours=2))
    db.session.commit()
    assert screening.status is Status.HELD
    [event] = _events("screening.held")
    assert event.after == {"status": "held"}


def test_a_screening_can_be_marked_as_held_from_its_start(organiser, collective):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    screenings.mark_held(screening, organiser, now=screening.starts_at)
    assert screening.status is Status.HELD


def test_a_screening_cannot_be_marked_as_held_before_it_starts(organiser, collective):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    with pytest.raises(TransitionError, match="after it has started"):
        screenings.mark_held(screening, organiser,
                             now=screening.starts_at - timedelta(minutes=1))
    with pytest.raises(TransitionError):
        screenings.mark_held(screening, organiser)  # the default start is a month away
    assert screening.status is Status.PUBLISHED


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.POSTPONED,
                                    Status.HELD, Status.CANCELLED])
def test_only_a_published_screening_can_be_marked_as_held(organiser, collective, status):
    screening = make_screening(collective, actor=organiser, status=status)
    with pytest.raises(TransitionError):
        screenings.mark_held(screening, organiser, now=screening.starts_at + timedelta(days=1))
    assert screening.status is status


# --- access -------------------------------------------------------------------------------


def test_get_editable_gives_the_screening_to_members_and_coordinators(organiser, collective):
    screening = make_screening(collective, actor=organiser)
    collective_admin = make_user(Role.ORGANISER, collective, admin_of_collective=True)
    for person in (organiser, collective_admin, make_user(Role.COORDINATOR),
                   make_user(Role.ADMIN)):
        assert screenings.get_editable(screening.id, person) == screening


def test_get_editable_hides_another_collectives_screening(organiser, collective):
    screening = make_screening(collective, actor=organiser)
    outsider = make_user(Role.ORGANISER, make_collective("elsewhere"),
                         admin_of_collective=True)
    with pytest.raises(NotFound) as hidden:
        screenings.get_editable(screening.id, outsider)
    with pytest.raises(NotFound) as missing:
        screenings.get_editable(screening.id + 1000, outsider)
    assert str(hidden.value) == str(missing.value)  # nothing tells them apart
    with pytest.raises(NotFound):
        screenings.get_editable(screening.id, None)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
def test_get_public_hides_drafts_and_submissions(collective, status):
    screening = make_screening(collective, status=status)
    with pytest.raises(NotFound):
        screenings.get_public(screening.id)


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.POSTPONED, Status.RELOCATED,
                                    Status.HELD, Status.CANCELLED])
def test_get_public_shows_public_statuses(collective, status):
    screening = make_screening(collective, status=status)
    assert screenings.get_public(screening.id) == screening


def test_get_public_refuses_a_missing_screening():
    with pytest.raises(NotFound):
        screenings.get_public(12345)


# --- listings -----------------------------------------------------------------------------

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # Helsinki: 14:00


def _at(collective, local: datetime, status: Status = Status.PUBLISHED, title: str = ""):
    actor = make_user(Role.COORDINATOR)
    return make_screening(collective, actor=actor, status=status, starts_at=local,
                          title=title)


def test_upcoming_and_past_queries_split_and_order_public_screenings(collective):
    far_future = _at(collective, datetime(2027, 5, 1, 19, 0), title="far future")
    soon = _at(collective, datetime(2027, 3, 2, 19, 0), title="soon")
    running = _at(collective, datetime(2027, 3, 1, 12, 30), title="started 1.5h ago")
    cancelled = _at(collective, datetime(2027, 3, 10, 19, 0), Status.CANCELLED, "cancelled")
    postponed = _at(collective, datetime(2027, 3, 11, 19, 0), Status.POSTPONED, "postponed")
    relocated = _at(collective, datetime(2027, 3, 12, 19, 0), Status.RELOCATED, "relocated")
    _at(collective, datetime(2027, 3, 3, 19, 0), Status.DRAFT, "draft")
    _at(collective, datetime(2027, 3, 4, 19, 0), Status.SUBMITTED, "submitted")
    finished = _at(collective, datetime(2027, 3, 1, 10, 0), title="started 4h ago")
    held = _at(collective, datetime(2027, 2, 1, 19, 0), Status.HELD, "held")
    old = _at(collective, datetime(2027, 1, 1, 19, 0), title="old, never marked held")
    _at(collective, datetime(2027, 1, 2, 19, 0), Status.DRAFT, "old draft")

    upcoming = list(db.session.scalars(screenings.upcoming_query(now=NOW)))
    past = list(db.session.scalars(screenings.past_query(now=NOW)))

    assert upcoming == [running, soon, cancelled, postponed, relocated, far_future]
    assert past == [finished, held, old]


def test_screenings_at_the_same_moment_are_ordered_by_id(collective):
    first = _at(collective, datetime(2027, 4, 1, 19, 0))
    second = _at(collective, datetime(2027, 4, 1, 19, 0))
    upcoming = list(db.session.scalars(screenings.upcoming_query(now=NOW)))
    past = list(db.session.scalars(screenings.past_query(now=datetime(2027, 5, 1, tzinfo=UTC))))
    assert upcoming == [first, second]
    assert past == [second, first]


# --- optimistic locking --------------------------------------------------------------------


def test_a_stale_copy_cannot_overwrite_a_newer_version(organiser, collective):
    screening = make_screening(collective, actor=organiser)
    assert screening.version_id == 1
    # Someone else saved the screening meanwhile (a direct UPDATE leaves our copy stale).
    db.session.execute(
        text("UPDATE screenings SET version_id = version_id + 1 WHERE id = :id"),
        {"id": screening.id},
    )
    screening.title = "My stale edit"
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()


def test_of_two_sessions_editing_the_same_version_only_the_first_wins(organiser, collective):
    screening = make_screening(collective, actor=organiser, title="Original")
    screening_id = screening.id
    assert screening.title == "Original"  # loaded at version 1

    with Session(db.engine) as other:
        theirs = other.get(Screening, screening_id)
        theirs.title = "Their edit"
        other.commit()
        assert theirs.version_id == 2

    screening.title = "My edit"
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Screening, screening_id).title == "Their edit"


def test_each_saved_change_raises_the_version(organiser, collective):
    screening = make_screening(collective, actor=organiser)
    versions = [screening.version_id]
    screenings.submit(screening, organiser)
    db.session.commit()
    versions.append(screening.version_id)
    coordinator = make_user(Role.COORDINATOR)
    screenings.publish(screening, coordinator)
    db.session.commit()
    versions.append(screening.version_id)
    assert versions[0] == 1
    assert versions == sorted(set(versions))  # strictly increasing


ONLY_VENUE_OR_FUNDRAISER = [
    {"purpose": "Drones instead"},
    {"goal_amount": "750.00"},
    {"venue_name": "Another hall"},
    {"venue_address": "Another street 5"},
    {"visibility": "public"},
]


@pytest.mark.parametrize("changes", ONLY_VENUE_OR_FUNDRAISER)
def test_a_stale_edit_of_only_the_venue_or_fundraiser_is_refused(organiser, collective, changes):
    """Regression: an edit touching only the venue or fundraiser once skipped the version check."""
    screening = make_screening(collective, actor=organiser)
    db.session.execute(
        text("UPDATE screenings SET version_id = version_id + 1 WHERE id = :id"),
        {"id": screening.id},
    )
    data = dataclasses.replace(screenings.input_from(screening), **changes)
    with pytest.raises(StaleDataError):
        screenings.update(screening, data, organiser)
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("changes", ONLY_VENUE_OR_FUNDRAISER)
def test_an_edit_of_only_the_venue_or_fundraiser_raises_the_version(
    organiser, collective, changes
):
    screening = make_screening(collective, actor=organiser)
    data = dataclasses.replace(screenings.input_from(screening), **changes)
    screenings.update(screening, data, organiser)
    db.session.commit()
    assert screening.version_id == 2
