"""The screening filters every public list shares: parsing, checking, narrowing, near a city."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import City, Role, Screening, Status
from app.services.errors import ValidationFailed
from app.services.screenings import search
from tests.conftest import make_collective, make_screening, make_user


@pytest.fixture
def world(catalogue):
    """Published screenings in Helsinki, Espoo (20 km away), Tampere (160 km) and Kyiv."""
    kino = make_collective("kino-kollektiv")
    other = make_collective("other-collective")
    actor = make_user(Role.COORDINATOR)
    soon = (datetime.now(UTC) + timedelta(days=30)).replace(tzinfo=None, microsecond=0)
    made = {
        "helsinki": make_screening(kino, actor, Status.PUBLISHED, starts_at=soon),
        "espoo": make_screening(kino, actor, Status.PUBLISHED, city="Espoo",
                                starts_at=soon + timedelta(days=1)),
        "tampere": make_screening(other, actor, Status.PUBLISHED, city="Tampere",
                                  starts_at=soon + timedelta(days=2)),
        "kyiv": make_screening(other, actor, Status.PUBLISHED, city="Kyiv", country="UA",
                               starts_at=soon + timedelta(days=3)),
        "draft": make_screening(kino, actor, Status.DRAFT, starts_at=soon),
    }
    return {name: s.id for name, s in made.items()}


def _found(args, **kwargs) -> set[int]:
    filters = search.parse_filters(args, **kwargs)
    return set(db.session.scalars(search.upcoming(filters)))


def _ids(args) -> set[int]:
    return {s.id for s in _found(args)}


def test_no_filter_lists_every_public_upcoming_screening(world):
    assert _ids({}) == {world["helsinki"], world["espoo"], world["tampere"], world["kyiv"]}


@pytest.mark.parametrize("args, expected", [
    ({"country": "ua"}, {"kyiv"}),
    ({"country": "FI"}, {"helsinki", "espoo", "tampere"}),
    ({"collective": "other-collective"}, {"tampere", "kyiv"}),
    ({"film": "part-one"}, {"helsinki", "espoo", "tampere", "kyiv"}),
    ({"beneficiary": "solidarity-collectives", "country": "UA"}, {"kyiv"}),
])
def test_filters_narrow_the_list(world, args, expected):
    assert _ids(args) == {world[name] for name in expected}


def test_a_city_and_a_date_range(world):
    helsinki = db.session.get(Screening, world["helsinki"])
    day = helsinki.starts_at.date()
    assert _ids({"city": str(helsinki.city_id)}) == {world["helsinki"]}
    assert _ids({"from": (day + timedelta(days=1)).isoformat(),
                 "to": (day + timedelta(days=2)).isoformat()}) == {world["espoo"],
                                                                   world["tampere"]}


def test_near_a_city_uses_city_centres_and_the_radius(world):
    helsinki_id = db.session.get(Screening, world["helsinki"]).city_id
    assert _ids({"near": str(helsinki_id)}) == {world["helsinki"], world["espoo"]}
    assert _ids({"near": str(helsinki_id), "radius": "200"}) == {
        world["helsinki"], world["espoo"], world["tampere"]}
    # London to Paris, 344 km as the crow flies.
    assert search.distance_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(344, abs=1)


@pytest.mark.parametrize("args, field", [
    ({"country": "ZZ"}, "country"),
    ({"film": "no-such-film"}, "film"),
    ({"collective": "x" * 500}, "collective"),
    ({"beneficiary": "nobody"}, "beneficiary"),
    ({"city": "abc"}, "city"),
    ({"city": "999999"}, "city"),
    ({"city": "-1"}, "city"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "20260101"}, "from"),
    ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
    ({"near": "1", "radius": "-1"}, "radius"),
    ({"near": "1", "radius": "100000"}, "radius"),
    ({"radius": "10"}, "near"),
    ({"near": "999999"}, "near"),
    ({"status": "draft"}, "status"),
    ({"status": "nonsense"}, "status"),
])
def test_bad_filters_are_refused_naming_the_argument(world, args, field):
    with pytest.raises(ValidationFailed) as caught:
        search.parse_filters(args)
    assert field in caught.value.fields


def test_only_trusted_callers_may_ask_for_non_public_statuses(world):
    assert search.parse_filters({"status": "draft"}, allow_status=True).status == Status.DRAFT
    assert _ids({"status": "published"}) == _ids({})


def test_filters_round_trip_through_the_query_string(world):
    helsinki_id = db.session.get(Screening, world["helsinki"]).city_id
    args = {"country": "FI", "film": "part-one", "from": "2026-01-01", "to": "2026-12-31",
            "near": str(helsinki_id), "radius": "75"}
    filters = search.parse_filters(args)
    assert search.to_args(filters) == args
    assert search.parse_filters(search.to_args(filters)) == filters
    assert search.parse_filters({}) == search.ScreeningFilters()


def test_cities_near_never_uses_a_venue_point(world):
    helsinki = db.session.scalar(select(City).where(City.name == "Helsinki"))
    assert helsinki.id in search.cities_near(helsinki, 1)
