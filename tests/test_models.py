"""The database schema itself refuses bad data (constraints), and UTCDateTime keeps times aware."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DataError, IntegrityError, StatementError

from app.extensions import db
from app.models import (
    AuditEvent,
    Beneficiary,
    CancelReason,
    Channel,
    City,
    Collective,
    Contribution,
    Country,
    ExchangeRate,
    Film,
    Fundraiser,
    Incident,
    IncidentKind,
    Membership,
    Role,
    Screening,
    Status,
    User,
    Venue,
)
from app.models.base import currency_check
from app.services import cities
from tests.conftest import make_collective, make_screening, make_user


@pytest.fixture(autouse=True)
def helsinki():
    """Helsinki as a city already in the database (with the gazetteer's id, point and zone)."""
    city = City(name="Helsinki", country=cities.ensure_country("FI"), lat=60.16952,
                lon=24.93545, timezone="Europe/Helsinki", geonames_id=658225)
    db.session.add(city)
    db.session.commit()
    return city


@pytest.fixture
def screening(catalogue):
    """A committed draft screening with its venue and fundraiser."""
    return make_screening(make_collective("kino-kollektiv"))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _refused(*objects, errors=IntegrityError) -> None:
    """Adding these objects fails in the database; the session is rolled back after."""
    db.session.add_all(objects)
    with pytest.raises(errors):
        db.session.flush()
    db.session.rollback()


def _refused_sql(sql: str, errors=IntegrityError, **params) -> None:
    """A raw SQL statement fails in the database; the session is rolled back after."""
    with pytest.raises(errors):
        db.session.execute(text(sql), params)
        db.session.flush()
    db.session.rollback()


def _contribution(fundraiser: Fundraiser, **changes) -> Contribution:
    values = dict(fundraiser_id=fundraiser.id, amount_minor=1000, currency="EUR",
                  received_on=date(2026, 4, 12), channel=Channel.DOOR)
    values.update(changes)
    return Contribution(**values)


# --- uniqueness ---------------------------------------------------------------------------


def test_film_slugs_are_unique(catalogue):
    _refused(Film(title="Another film", slug="part-one"))
    assert _count(Film) == 1


def test_beneficiary_slugs_and_names_are_unique(catalogue):
    _refused(Beneficiary(name="Someone else", slug="solidarity-collectives"))
    _refused(Beneficiary(name="Solidarity Collectives", slug="other-slug"))
    assert _count(Beneficiary) == 1


def test_collective_slugs_and_names_are_unique():
    make_collective("kino-kollektiv")
    _refused(Collective(name="Different name", slug="kino-kollektiv"))
    _refused(Collective(name="Kino Kollektiv", slug="different-slug"))
    assert _count(Collective) == 1


def test_emails_are_unique():
    make_user(email="alice@example.org")
    _refused(User(email="alice@example.org", display_name="Second Alice"))
    _refused(User(email="ALICE@example.org", display_name="Shouting Alice"))
    assert _count(User) == 1


def test_a_person_is_a_member_of_a_collective_once():
    collective = make_collective("kino-kollektiv")
    user = make_user(collective=collective)
    _refused(Membership(user_id=user.id, collective_id=collective.id))


def test_exchange_rates_are_unique_per_currency_and_day():
    db.session.add(ExchangeRate(currency="PLN", valid_on=date(2026, 4, 1),
                                per_base=Decimal("4.2")))
    db.session.commit()
    _refused(ExchangeRate(currency="PLN", valid_on=date(2026, 4, 1), per_base=Decimal("4.3")))


def test_a_city_name_is_unique_within_its_country(helsinki):
    _refused(City(name="Helsinki", country_id=helsinki.country_id, lat=60, lon=25,
                  timezone="Europe/Helsinki"))
    _refused(City(name="Elsewhere", country_id=helsinki.country_id, lat=60, lon=25,
                  timezone="Europe/Helsinki", geonames_id=658225))


def test_a_screening_has_one_fundraiser(screening, catalogue):
    _, beneficiary = catalogue
    _refused(Fundraiser(screening_id=screening.id, beneficiary_id=beneficiary.id,
                        purpose="A second fundraiser"))
    assert _count(Fundraiser) == 1


# --- e-mail case ------------------------------------------------------------------------------


def test_the_model_folds_emails_to_lower_case():
    user = User(email="  Alice@Example.ORG ", display_name="Alice")
    assert user.email == "alice@example.org"


def test_the_database_refuses_an_upper_case_email():
    user = make_user(email="alice@example.org")
    _refused_sql("UPDATE users SET email = 'Alice@example.org' WHERE id = :id", id=user.id)
    _refused_sql(
        "INSERT INTO users (email, display_name, role, is_active, session_version, created_at,"
        " updated_at) VALUES ('BOB@EXAMPLE.ORG', 'Bob', 'organiser', :yes, 1, :now, :now)",
        yes=True, now=datetime(2026, 1, 1),
    )
    assert db.session.scalar(select(User.email)) == "alice@example.org"


# --- currencies and amounts ------------------------------------------------------------------


BAD_CODES = ["eur", "Eur", "EU", "E", "", "E1R", "123", "E R", "ÉUR", "€UR"]


@pytest.mark.parametrize("code", BAD_CODES)
def test_a_contribution_currency_must_be_three_capital_letters(screening, code):
    _refused(_contribution(screening.fundraiser, currency=code))
    assert _count(Contribution) == 0


@pytest.mark.parametrize("code", BAD_CODES)
def test_an_exchange_rate_currency_must_be_three_capital_letters(code):
    _refused(ExchangeRate(currency=code, valid_on=date(2026, 4, 1), per_base=Decimal("1.5")))


@pytest.mark.parametrize("code", BAD_CODES)
def test_a_goal_currency_must_be_three_capital_letters(screening, code):
    fundraiser = screening.fundraiser
    fundraiser.goal_amount_minor, fundraiser.goal_currency = 1000, code
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("code", BAD_CODES)
def test_a_base_currency_must_be_three_capital_letters(screening, code):
    _refused(_contribution(screening.fundraiser, base_currency=code, base_amount_minor=1000,
                           rate_per_base=Decimal(1)))


def test_the_currency_check_does_not_depend_on_the_collation(request):
    """On PostgreSQL, BETWEEN 'A' AND 'Z' follows the collation; under a linguistic one (such
    as en_US, the usual default outside this C-collated test database) 'É' sorts between them.
    """
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite compares text byte by byte")
    if db.session.scalar(text("SELECT 1 FROM pg_collation WHERE collname = 'en-x-icu'")) is None:
        pytest.skip("no ICU English collation on this server")
    accepted = db.session.scalar(text(
        f'SELECT {currency_check("currency")} FROM (SELECT CAST(:code AS varchar(3)) '  # noqa: S608
        'COLLATE "en-x-icu" AS currency) AS typed'
    ), {"code": "ÉUR"})
    assert accepted is False


def test_a_four_letter_currency_is_refused(screening):
    _refused(_contribution(screening.fundraiser, currency="EURO"),
             errors=(IntegrityError, DataError))


def test_a_well_formed_contribution_is_stored(screening):
    db.session.add(_contribution(screening.fundraiser, currency="PLN", base_currency="EUR",
                                 base_amount_minor=250, rate_per_base=Decimal("4.2750"),
                                 rate_valid_on=date(2026, 4, 1)))
    db.session.commit()
    stored = db.session.scalar(select(Contribution))
    assert stored.rate_per_base == Decimal("4.2750")
    assert stored.version_id == 1


@pytest.mark.parametrize("amount", [0, -1, -100000])
def test_a_contribution_amount_must_be_positive(screening, amount):
    _refused(_contribution(screening.fundraiser, amount_minor=amount))


def test_amounts_beyond_32_bits_are_stored(screening):
    big = 2**40 + 1
    db.session.add(_contribution(screening.fundraiser, amount_minor=big, currency="UAH"))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Contribution.amount_minor)) == big


@pytest.mark.parametrize(
    "changes",
    [
        {"base_amount_minor": 100, "rate_per_base": None},
        {"base_amount_minor": None, "rate_per_base": Decimal("4.2")},
        {"base_amount_minor": -1, "rate_per_base": Decimal("4.2")},
    ],
)
def test_a_base_amount_comes_with_its_rate(screening, changes):
    _refused(_contribution(screening.fundraiser, base_currency="EUR", **changes))


@pytest.mark.parametrize("per_base", [Decimal("0"), Decimal("-1.5")])
def test_an_exchange_rate_must_be_positive(per_base):
    _refused(ExchangeRate(currency="PLN", valid_on=date(2026, 4, 1), per_base=per_base))


@pytest.mark.parametrize(
    "amount, currency",
    [(1000, None), (None, "EUR"), (0, "EUR"), (-500, "EUR")],
)
def test_a_goal_has_a_positive_amount_and_a_currency_or_neither(screening, amount, currency):
    fundraiser = screening.fundraiser
    fundraiser.goal_amount_minor, fundraiser.goal_currency = amount, currency
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_fundraiser_without_a_goal_is_allowed(screening):
    fundraiser = screening.fundraiser
    fundraiser.goal_amount_minor = fundraiser.goal_currency = None
    db.session.commit()
    assert db.session.scalar(select(Fundraiser.goal_currency)) is None


# --- screenings ---------------------------------------------------------------------------


def test_a_cancelled_screening_needs_a_reason(screening):
    screening.status = Status.CANCELLED
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_only_a_cancelled_screening_has_a_cancel_reason(screening):
    screening.cancel_reason = CancelReason.THREATS
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_cancelled_screening_with_a_reason_is_stored(screening):
    screening.status, screening.cancel_reason = Status.CANCELLED, CancelReason.VENUE_WITHDRAWN
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Screening, screening.id)
    assert (stored.status, stored.cancel_reason) == (Status.CANCELLED,
                                                     CancelReason.VENUE_WITHDRAWN)


@pytest.mark.parametrize("column", ["expected_attendance", "actual_attendance"])
def test_attendance_cannot_be_negative(screening, column):
    setattr(screening, column, -1)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_country_code_is_two_capital_letters():
    _refused(Country(code="fi", name="Lower case"))
    _refused(Country(code="F", name="Too short"))
    _refused(Country(code="FIN", name="Too long"), errors=(IntegrityError, DataError))


@pytest.mark.parametrize("code", ["12", "F1", "--"])
def test_a_country_code_has_no_digits_or_punctuation(code):
    _refused(Country(code=code, name="Not a country"))


@pytest.mark.parametrize("lat, lon", [(91, 0), (-91, 0), (0, 181), (0, -181)])
def test_city_coordinates_are_on_the_globe(helsinki, lat, lon):
    _refused(City(name="Nowhere", country_id=helsinki.country_id, lat=lat, lon=lon,
                  timezone="UTC"))


def test_an_incident_is_about_a_screening_or_a_collective():
    _refused(Incident(kind=IncidentKind.THREAT, description="Anonymous call"))


def test_foreign_keys_are_enforced():
    _refused(Contribution(fundraiser_id=999999, amount_minor=100, currency="EUR",
                          received_on=date(2026, 4, 12), channel=Channel.DOOR))


def test_deleting_a_screening_cascades_to_its_fundraiser_hosts_and_money(screening):
    db.session.add(_contribution(screening.fundraiser))
    db.session.commit()
    db.session.execute(text("DELETE FROM screenings WHERE id = :id"), {"id": screening.id})
    db.session.commit()
    assert _count(Fundraiser) == 0
    assert _count(Contribution) == 0
    assert db.session.scalar(text("SELECT count(*) FROM screening_hosts")) == 0
    assert _count(Venue) == 1  # the venue is not owned by the screening row


# --- enum columns -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, column, value",
    [
        ("screenings", "status", "archived"),
        ("screenings", "status", "DRAFT"),
        ("screenings", "cancel_reason", "bored"),
        ("venues", "visibility", "secret"),
        ("users", "role", "superuser"),
        ("memberships", "role", "owner"),
        ("contributions", "channel", "pigeon"),
        ("contributions", "state", "lost"),
        ("incidents", "kind", "rumour"),
    ],
)
def test_enum_columns_refuse_unknown_values(screening, table, column, value):
    collective = screening.collectives[0]
    user = make_user(collective=collective)
    db.session.add_all([
        _contribution(screening.fundraiser),
        Incident(collective_id=collective.id, kind=IncidentKind.OTHER, description="x",
                 reported_by_id=user.id),
    ])
    db.session.commit()
    if column == "cancel_reason":  # keep the cancelled/reason rule satisfied
        sql = f"UPDATE {table} SET status = 'cancelled', {column} = :value"  # noqa: S608
    else:
        sql = f"UPDATE {table} SET {column} = :value"  # noqa: S608
    _refused_sql(sql, value=value)


def test_the_orm_refuses_an_unknown_enum_value(screening):
    screening.status = "archived"
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()


def test_enum_values_are_stored_as_their_lower_case_values(screening):
    user = make_user(Role.COORDINATOR)
    db.session.commit()
    assert db.session.scalar(
        text("SELECT role FROM users WHERE id = :id"), {"id": user.id}
    ) == "coordinator"
    assert db.session.scalar(
        text("SELECT status FROM screenings WHERE id = :id"), {"id": screening.id}
    ) == "draft"
    assert db.session.scalar(text("SELECT visibility FROM venues")) == "city_only"


# --- UTCDateTime ----------------------------------------------------------------------------


def test_datetimes_come_back_aware_in_utc(screening):
    db.session.expire_all()
    stored = db.session.get(Screening, screening.id)
    for moment in (stored.starts_at, stored.created_at, stored.updated_at):
        assert moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(0)
        assert moment.tzinfo == UTC


def test_an_aware_time_in_another_zone_is_stored_as_the_same_moment(screening):
    helsinki_time = datetime(2027, 7, 15, 19, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
    screening.starts_at = helsinki_time
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Screening, screening.id).starts_at
    assert stored == helsinki_time
    assert stored.replace(tzinfo=None) == datetime(2027, 7, 15, 16, 0)
    assert stored.tzinfo == UTC


def test_microseconds_survive_the_round_trip(screening):
    moment = datetime(2027, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    screening.venue.address_release_at = moment
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Venue, screening.venue.id).address_release_at == moment


def test_null_datetimes_stay_null(screening):
    db.session.expire_all()
    stored = db.session.get(Screening, screening.id)
    assert stored.submitted_at is None
    assert stored.venue.address_release_at is None


def test_a_naive_datetime_is_refused(screening):
    screening.starts_at = datetime(2027, 7, 15, 19, 0)
    with pytest.raises(StatementError) as excinfo:
        db.session.flush()
    assert isinstance(excinfo.value.orig, ValueError)
    assert "naive" in str(excinfo.value)
    db.session.rollback()


def test_a_naive_datetime_is_refused_in_a_query():
    with pytest.raises(StatementError):
        db.session.scalars(
            select(Screening).where(Screening.starts_at > datetime(2027, 1, 1))
        ).all()
    db.session.rollback()


def test_comparisons_with_aware_datetimes_work_across_zones(screening):
    starts = screening.starts_at
    just_before_in_toronto = (starts - timedelta(seconds=1)).astimezone(
        ZoneInfo("America/Toronto")
    )
    found = db.session.scalars(
        select(Screening).where(Screening.starts_at > just_before_in_toronto)
    ).all()
    assert found == [screening]
    assert db.session.scalars(
        select(Screening).where(Screening.starts_at > starts)
    ).all() == []


def test_updated_at_moves_on_update_and_created_at_does_not(screening):
    created, updated = screening.created_at, screening.updated_at
    screening.title = "Changed"
    db.session.commit()
    assert screening.created_at == created
    assert screening.updated_at >= updated
    assert screening.updated_at.tzinfo == UTC


def test_audit_events_keep_json_values(screening):
    db.session.add(AuditEvent(action="test.json", object_type="screening",
                              object_id=screening.id, before={"status": "draft"},
                              after={"status": "submitted", "count": 2, "flag": True}))
    db.session.commit()
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "test.json"))
    assert event.before == {"status": "draft"}
    assert event.after == {"status": "submitted", "count": 2, "flag": True}
