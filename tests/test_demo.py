"""The demo data loader: what it creates, that reruns change nothing, the CLI and bulk mode."""

from datetime import date

import pytest
from flask import current_app
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import (
    Beneficiary,
    CancelReason,
    Collective,
    Contribution,
    ContributionState,
    Film,
    Fundraiser,
    Membership,
    MembershipRole,
    Role,
    Screening,
    Status,
    Visibility,
    screening_hosts,
    utcnow,
)
from app.services import demo, ledger, money, privacy, users
from app.services.demo import bulk, data

COUNTRIES = {"FI", "NL", "PL", "DE", "UA", "DK", "PT", "SE", "ES", "CA", "IT"}


def _seed(**counts) -> str:
    report = demo.seed(**counts)
    db.session.commit()
    return report


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _demo_screenings() -> list[Screening]:
    return list(db.session.scalars(select(Screening).where(Screening.description != bulk.MARKER)))


def test_seed_creates_the_tour_with_films_collectives_and_people():
    report = _seed()

    films = db.session.scalars(select(Film).order_by(Film.part)).all()
    assert [f.part for f in films] == [1, 2, 3]
    assert all(f.screening_condition and f.subtitle_languages and f.runtime_minutes for f in films)
    names = set(db.session.scalars(select(Beneficiary.name)))
    assert {"Solidarity Collectives", "Black Flag Medical", "Operation Solidarity"} <= names
    collectives = db.session.scalars(select(Collective)).all()
    assert {c.home_city.country.code for c in collectives} == COUNTRIES
    assert {c.is_trusted for c in collectives} == {True, False}

    password = current_app.config["DEMO_PASSWORD"]
    roles = {"organiser@example.org": Role.ORGANISER, "collective-admin@example.org":
             Role.ORGANISER, "coordinator@example.org": Role.COORDINATOR,
             "admin@example.org": Role.ADMIN}
    for email, role in roles.items():
        user = users.authenticate(email, password)
        assert user is not None and user.role == role, email
    memberships = {m.user.email: m.role for m in db.session.scalars(select(Membership))}
    assert memberships == {"organiser@example.org": MembershipRole.MEMBER,
                           "collective-admin@example.org": MembershipRole.ADMIN}
    assert "organiser@example.org" in report and "coordinator@example.org" in report
    assert password in report


def test_seed_creates_screenings_in_every_status_with_money():
    _seed()

    screenings = _demo_screenings()
    assert len(screenings) == len(data.SCREENINGS)
    statuses = {s.status for s in screenings}
    assert {Status.HELD, Status.PUBLISHED, Status.SUBMITTED, Status.DRAFT,
            Status.CANCELLED} <= statuses
    cancelled = [s for s in screenings if s.status == Status.CANCELLED]
    assert [s.cancel_reason for s in cancelled] == [CancelReason.THREATS]
    now = utcnow()
    assert all(s.starts_at < now for s in screenings if s.status == Status.HELD)
    assert all(s.starts_at > now for s in screenings if s.status == Status.PUBLISHED)
    assert {s.venue.visibility for s in screenings} == set(Visibility)
    assert all(s.collectives and s.fundraiser for s in screenings)

    contributions = db.session.scalars(select(Contribution)).all()
    assert len(contributions) == sum(len(s.money) for s in data.SCREENINGS)
    assert {c.state for c in contributions} == set(ContributionState)
    assert {"EUR", "PLN", "DKK", "SEK", "CAD", "UAH"} <= {c.currency for c in contributions}
    assert len({c.channel for c in contributions}) >= 5
    assert all(c.received_on <= date.today() for c in contributions
               if c.state != ContributionState.PLEDGED)
    for c in contributions:
        if c.base_amount_minor is not None and c.currency != "EUR":
            assert c.base_amount_minor == money.convert_to_base(
                c.amount_minor, c.currency, c.rate_per_base, "EUR")
    totals = ledger.totals()
    assert totals.unconverted >= 1
    assert totals.base_amount_minor > 0
    assert {row.currency for row in totals.by_currency if row.unconverted} == {"GBP"}


def test_running_seed_twice_changes_nothing():
    _seed()
    counts, totals = _row_counts(), ledger.totals()

    report = _seed()

    assert _row_counts() == counts
    assert ledger.totals() == totals
    assert "(created 0 new)" in report
    # `make run` seeds on every start, so the way to log in is printed every time too.
    assert "organiser@example.org" in report


def test_seed_recreates_only_what_is_missing():
    _seed()
    counts = _row_counts()
    # The database cascades to the hosts, the fundraiser and its contributions.
    db.session.execute(delete(Screening).where(Screening.title == data.SCREENINGS[0].title))
    db.session.commit()

    report = _seed()

    assert "(created " in report and "(created 0 new)" not in report
    after = _row_counts()
    # The screening comes back with a new venue: apart from the audit trail, only venues grow.
    assert {k: v for k, v in after.items() if k not in ("audit_events", "venues")} == \
        {k: v for k, v in counts.items() if k not in ("audit_events", "venues")}


def test_cli_seed_exits_cleanly_and_prints_the_report(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])

    assert result.exit_code == 0, result.output
    assert "Demo data: 3 films" in result.output
    assert "coordinator@example.org" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Screening.id))) == len(data.SCREENINGS)


def test_cli_bulk_generation_creates_exactly_what_is_asked_once(app):
    runner = app.test_cli_runner()
    args = ["demo", "seed", "--screenings", "50", "--contributions", "500"]

    first = runner.invoke(args=args)
    db.session.expire_all()
    counts = _row_counts()
    second = runner.invoke(args=args)

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "created 50 screenings, 500 contributions" in first.output
    assert "created 0 screenings, 0 contributions" in second.output
    db.session.expire_all()
    assert _row_counts() == counts
    assert bulk.synthetic_screening_count() == 50
    assert bulk.synthetic_contribution_count() == 500
    synthetic = select(Screening.id).where(Screening.description == bulk.MARKER)
    assert db.session.scalar(select(func.count(Fundraiser.id))
                             .where(Fundraiser.screening_id.in_(synthetic))) == 50
    assert db.session.scalar(select(func.count()).select_from(screening_hosts)
                             .where(screening_hosts.c.screening_id.in_(synthetic))) == 50


def test_bulk_contributions_convert_like_the_ledger():
    _seed(screening_count=20, contribution_count=300)
    rows = db.session.scalars(select(Contribution).where(Contribution.note == bulk.MARKER)).all()

    assert len(rows) == 300
    for c in rows:
        assert c.amount_minor > 0 and c.base_currency == "EUR"
        rate = ledger.rate_for(c.currency, c.received_on)
        if c.currency == "EUR":
            assert c.base_amount_minor == c.amount_minor
        elif rate is None:
            assert c.base_amount_minor is None and c.rate_per_base is None
        else:
            assert c.rate_per_base == rate.per_base
            assert c.base_amount_minor == money.convert_to_base(
                c.amount_minor, c.currency, rate.per_base, "EUR")
    # Asking for more tops up to the new figure.
    _seed(screening_count=25, contribution_count=350)
    assert bulk.synthetic_screening_count() == 25
    assert bulk.synthetic_contribution_count() == 350


@pytest.mark.parametrize("path", ["/", "/past"])
def test_public_lists_never_show_private_addresses(client, path):
    _seed()
    html = client.get(path).get_data(as_text=True)

    screenings = _demo_screenings()
    private = [s.venue.address for s in screenings if not privacy.address_is_public(s)]
    assert private and not [address for address in private if address in html]
    if path == "/":
        upcoming = [s.title for s in screenings if s.status == Status.PUBLISHED]
        assert upcoming and all(title in html for title in upcoming)
        hidden = [s.title for s in screenings if s.status in (Status.DRAFT, Status.SUBMITTED)]
        assert not [title for title in hidden if title in html]


def test_public_screening_pages_hide_city_only_addresses(client):
    _seed()
    for screening in _demo_screenings():
        if screening.status in (Status.DRAFT, Status.SUBMITTED):
            continue
        html = client.get(f"/screenings/{screening.id}").get_data(as_text=True)
        shown = screening.venue.address in html
        assert shown == privacy.address_is_public(screening), screening.title
