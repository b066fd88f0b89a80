"""Who may edit what (permissions) and who may see a venue's address and point (privacy)."""

from datetime import UTC, datetime, timedelta

import pytest
from flask_login import AnonymousUserMixin

from app.extensions import db
from app.models import City, Membership, Role, Visibility
from app.services import cities, permissions, privacy
from tests.conftest import make_collective, make_screening, make_user

VENUE_POINT = (60.1841, 24.9210)  # a street corner in Helsinki, not the city centre
CITY_CENTRE = (60.16952, 24.93545)
NOW = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def helsinki():
    """Helsinki as a city already in the database (with the gazetteer's id, point and zone)."""
    city = City(name="Helsinki", country=cities.ensure_country("FI"), lat=CITY_CENTRE[0],
                lon=CITY_CENTRE[1], timezone="Europe/Helsinki", geonames_id=658225)
    db.session.add(city)
    db.session.commit()
    return city


@pytest.fixture
def people(catalogue):
    """Collectives A and B and one person in each role, keyed by a short name."""
    collective_a = make_collective("collective-a")
    collective_b = make_collective("collective-b")
    return {
        "collective_a": collective_a,
        "collective_b": collective_b,
        "anonymous": None,
        "organiser_a": make_user(Role.ORGANISER, collective_a),
        "collective_admin_a": make_user(Role.ORGANISER, collective_a, admin_of_collective=True),
        "organiser_b": make_user(Role.ORGANISER, collective_b),
        "organiser_without_collective": make_user(Role.ORGANISER),
        "coordinator": make_user(Role.COORDINATOR),
        "admin": make_user(Role.ADMIN),
    }


# --- collective ids ------------------------------------------------------------------------


def test_member_and_admin_collective_ids(people):
    a, b = people["collective_a"].id, people["collective_b"].id
    assert permissions.member_collective_ids(people["organiser_a"]) == {a}
    assert permissions.admin_collective_ids(people["organiser_a"]) == set()
    assert permissions.member_collective_ids(people["collective_admin_a"]) == {a}
    assert permissions.admin_collective_ids(people["collective_admin_a"]) == {a}
    assert permissions.member_collective_ids(people["organiser_b"]) == {b}
    assert permissions.member_collective_ids(people["organiser_without_collective"]) == set()
    # Coordinators are not members of collectives by virtue of their role.
    assert permissions.member_collective_ids(people["coordinator"]) == set()
    assert permissions.admin_collective_ids(people["admin"]) == set()


def test_a_person_in_several_collectives(people):
    person = make_user(Role.ORGANISER, people["collective_a"])
    db.session.add(Membership(user=person, collective=people["collective_b"], role="admin"))
    db.session.commit()
    a, b = people["collective_a"].id, people["collective_b"].id
    assert permissions.member_collective_ids(person) == {a, b}
    assert permissions.admin_collective_ids(person) == {b}


@pytest.mark.parametrize("anonymous", [None, AnonymousUserMixin()])
def test_nobody_is_a_member_of_anything(people, anonymous):
    assert permissions.member_collective_ids(anonymous) == set()
    assert permissions.admin_collective_ids(anonymous) == set()


def test_a_revoked_membership_applies_at_once(people):
    organiser = people["organiser_a"]
    assert permissions.member_collective_ids(organiser) == {people["collective_a"].id}
    db.session.delete(organiser.memberships[0])
    db.session.commit()
    assert permissions.member_collective_ids(organiser) == set()


def test_collectives_for_new_screening(people):
    a, b = people["collective_a"], people["collective_b"]
    assert permissions.collectives_for_new_screening(people["organiser_a"]) == [a]
    assert permissions.collectives_for_new_screening(people["organiser_b"]) == [b]
    assert permissions.collectives_for_new_screening(
        people["organiser_without_collective"]) == []
    assert permissions.collectives_for_new_screening(people["coordinator"]) == [a, b]
    assert permissions.collectives_for_new_screening(people["admin"]) == [a, b]


# --- who may edit a screening ----------------------------------------------------------------


@pytest.mark.parametrize(
    "person, may_edit",
    [
        ("anonymous", False),
        ("organiser_a", True),
        ("collective_admin_a", True),
        ("organiser_b", False),
        ("organiser_without_collective", False),
        ("coordinator", True),
        ("admin", True),
    ],
)
def test_can_edit_screening_of_collective_a(people, person, may_edit):
    screening = make_screening(people["collective_a"])
    assert permissions.can_edit_screening(screening, people[person]) is may_edit


def test_an_anonymous_user_object_cannot_edit(people):
    screening = make_screening(people["collective_a"])
    assert permissions.can_edit_screening(screening, AnonymousUserMixin()) is False


@pytest.mark.parametrize(
    "person, may_edit",
    [("organiser_a", True), ("organiser_b", True), ("organiser_without_collective", False),
     ("anonymous", False)],
)
def test_every_host_of_a_shared_screening_may_edit_it(people, person, may_edit):
    screening = make_screening(people["collective_a"])
    screening.collectives.append(people["collective_b"])
    db.session.commit()
    assert permissions.can_edit_screening(screening, people[person]) is may_edit


# --- privacy: who sees the address -------------------------------------------------------


def _screening(people, visibility: Visibility, release_at: datetime | None = None):
    screening = make_screening(people["collective_a"], visibility=visibility.value)
    screening.venue.lat, screening.venue.lon = VENUE_POINT
    screening.venue.address_release_at = release_at
    db.session.commit()
    return screening


@pytest.mark.parametrize(
    "visibility, release_at, public",
    [
        (Visibility.PUBLIC, None, True),
        (Visibility.PUBLIC, NOW + timedelta(days=1), True),
        (Visibility.CITY_ONLY, None, False),
        (Visibility.CITY_ONLY, NOW + timedelta(seconds=1), False),
        (Visibility.CITY_ONLY, NOW, True),
        (Visibility.CITY_ONLY, NOW - timedelta(hours=3), True),
        (Visibility.ON_REQUEST, None, False),
        (Visibility.ON_REQUEST, NOW + timedelta(hours=3), False),
        (Visibility.ON_REQUEST, NOW - timedelta(seconds=1), True),
    ],
)
def test_address_is_public(people, visibility, release_at, public):
    screening = _screening(people, visibility, release_at)
    assert privacy.address_is_public(screening, now=NOW) is public


def test_the_release_time_is_compared_with_the_real_clock_by_default(people):
    past = _screening(people, Visibility.CITY_ONLY, datetime(2020, 1, 1, tzinfo=UTC))
    assert privacy.address_is_public(past) is True
    future = _screening(people, Visibility.CITY_ONLY, datetime(2100, 1, 1, tzinfo=UTC))
    assert privacy.address_is_public(future) is False


PRIVATE_VIEWERS = [
    ("anonymous", False),
    ("organiser_a", True),
    ("collective_admin_a", True),
    ("organiser_b", False),
    ("organiser_without_collective", False),
    ("coordinator", True),
    ("admin", True),
]


@pytest.mark.parametrize("visibility", [Visibility.CITY_ONLY, Visibility.ON_REQUEST])
@pytest.mark.parametrize("person, sees", PRIVATE_VIEWERS)
def test_a_private_address_is_seen_by_hosts_and_coordinators_only(
    people, visibility, person, sees
):
    screening = _screening(people, visibility, NOW + timedelta(hours=3))
    assert privacy.can_see_address(screening, people[person], now=NOW) is sees


@pytest.mark.parametrize("visibility", [Visibility.CITY_ONLY, Visibility.ON_REQUEST])
@pytest.mark.parametrize("person", [p for p, _ in PRIVATE_VIEWERS])
def test_a_released_address_is_seen_by_everyone(people, visibility, person):
    screening = _screening(people, visibility, NOW - timedelta(minutes=1))
    assert privacy.can_see_address(screening, people[person], now=NOW) is True


@pytest.mark.parametrize("person", [p for p, _ in PRIVATE_VIEWERS])
def test_a_public_address_is_seen_by_everyone(people, person):
    screening = _screening(people, Visibility.PUBLIC)
    assert privacy.can_see_address(screening, people[person], now=NOW) is True


def test_an_anonymous_user_object_does_not_see_a_private_address(people):
    screening = _screening(people, Visibility.CITY_ONLY)
    assert privacy.can_see_address(screening, AnonymousUserMixin(), now=NOW) is False


# --- privacy: the point on the public map ---------------------------------------------------


@pytest.mark.parametrize(
    "visibility, release_at, expected",
    [
        (Visibility.PUBLIC, None, VENUE_POINT),
        (Visibility.CITY_ONLY, None, CITY_CENTRE),
        (Visibility.CITY_ONLY, NOW + timedelta(minutes=1), CITY_CENTRE),
        (Visibility.CITY_ONLY, NOW - timedelta(minutes=1), VENUE_POINT),
        (Visibility.ON_REQUEST, None, CITY_CENTRE),
        (Visibility.ON_REQUEST, NOW + timedelta(days=1), CITY_CENTRE),
        (Visibility.ON_REQUEST, NOW - timedelta(days=1), VENUE_POINT),
    ],
)
def test_public_point_shows_the_venue_only_when_its_address_is_public(
    people, visibility, release_at, expected
):
    screening = _screening(people, visibility, release_at)
    assert privacy.public_point(screening, now=NOW) == pytest.approx(expected)


@pytest.mark.parametrize("visibility", [Visibility.CITY_ONLY, Visibility.ON_REQUEST])
def test_public_point_never_leaks_a_private_venue_point(people, visibility):
    screening = _screening(people, visibility)
    point = privacy.public_point(screening, now=NOW)
    assert point != pytest.approx(VENUE_POINT)
    assert point == (screening.city.lat, screening.city.lon)


def test_public_point_of_a_public_venue_without_coordinates_is_the_city(people):
    screening = make_screening(people["collective_a"], visibility="public")
    assert screening.venue.lat is None
    assert privacy.public_point(screening, now=NOW) == pytest.approx(CITY_CENTRE)
