"""The month sums (ledger_months, ledger_month_bases): kept equal to a fresh sum of the raw
contributions through records, edits, refiling and host changes; date ranges cut at any day
answer exactly; `flask ledger check|rebuild` cover them."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Channel, City, Contribution, ExchangeRate, LedgerDay, Role, Status
from app.models.ledger import LedgerMonth, LedgerMonthBase
from app.services import ledger, screenings
from app.services.ledger import sources
from tests.conftest import make_collective, make_screening, make_user, screening_input

TODAY = date(2026, 6, 30)


@pytest.fixture
def world(catalogue):
    """Two collectives' fundraisers in Helsinki (EUR) and Warsaw (PLN, with a rate)."""
    db.session.add(ExchangeRate(currency="PLN", valid_on=date(2026, 1, 1),
                                per_base=Decimal("4")))
    kino, ruch = make_collective("kino-kollektiv"), make_collective("kolektyw-ruch")
    organiser = make_user(Role.COORDINATOR)
    first = make_screening(kino, actor=organiser, status=Status.PUBLISHED)
    second = make_screening(ruch, actor=organiser, status=Status.PUBLISHED, city="Warsaw",
                            country="PL", venue_name="Hall 2")
    db.session.commit()
    return organiser, kino, ruch, first.fundraiser, second.fundraiser


def _give(fundraiser, actor, amount, currency, day, state="collected"):
    contribution = ledger.record_contribution(
        fundraiser, actor, amount=amount, currency=currency, received_on=day,
        channel=Channel.DOOR, state=state, today=TODAY)
    db.session.commit()
    return contribution


def _month_rows(model) -> dict:
    names = ("received_month", "host_id", "city_id", "film_id", "beneficiary_id", "state")
    return {tuple(str(getattr(row, n)) for n in names)
            + ((row.currency,) if model is LedgerMonth else ()): row.count
            for row in db.session.scalars(select(model))}


def test_every_write_keeps_both_month_tables_equal_to_the_contributions(world):
    organiser, _kino, _ruch, helsinki, warsaw = world
    _give(helsinki, organiser, "10.00", "EUR", date(2026, 3, 5))
    _give(helsinki, organiser, "3.00", "EUR", date(2026, 3, 6))  # same month, cell, state
    _give(helsinki, organiser, "5.00", "EUR", date(2026, 3, 28), "pledged")
    edited = _give(warsaw, organiser, "40.00", "PLN", date(2026, 4, 2))
    _give(warsaw, organiser, "12.00", "GBP", date(2026, 4, 30))  # no rate: unconverted

    assert ledger.mismatches() == []
    cell = db.session.scalars(select(LedgerMonth).where(LedgerMonth.currency == "PLN")).one()
    assert (cell.received_month, cell.host_id, cell.amount_minor, cell.base_amount_minor) == \
        ("2026-04", world[2].id, 4000, 1000)
    bases = db.session.scalars(select(LedgerMonthBase).where(
        LedgerMonthBase.received_month == "2026-04")).all()
    assert [(b.count, b.base_amount_minor, b.unconverted) for b in bases] == [(2, 1000, 1)]

    ledger.update_contribution(edited, organiser, version=edited.version_id, amount="80.00",
                               currency="PLN", received_on=date(2026, 5, 1),
                               channel=Channel.DOOR, state="transferred", reason="Recounted",
                               today=TODAY)
    db.session.commit()
    assert ledger.mismatches() == []
    # The April cell lost the contribution; May gained it in its new state.
    assert {k[0] for k in _month_rows(LedgerMonth) if k[-1] == "PLN"} == {"2026-05"}


def test_moving_a_screening_refiles_its_month_sums(world):
    organiser, kino, _ruch, helsinki, _warsaw = world
    _give(helsinki, organiser, "10.00", "EUR", date(2026, 3, 5))
    screening = helsinki.screening
    screenings.update(screening, screening_input(kino, city="Tampere", title="Moved"), organiser)
    db.session.commit()

    assert ledger.mismatches() == []
    tampere = db.session.scalar(select(City.id).where(City.name == "Tampere"))
    assert {row.city_id for row in db.session.scalars(select(LedgerMonthBase))} == {tampere}


def test_a_new_co_host_moves_the_sums_out_of_the_single_host_cells(world):
    organiser, kino, ruch, helsinki, _warsaw = world
    _give(helsinki, organiser, "10.00", "EUR", date(2026, 3, 5))
    assert {row.host_id for row in db.session.scalars(select(LedgerMonth))} == {kino.id}

    helsinki.screening.collectives.append(ruch)
    db.session.commit()

    assert ledger.mismatches() == []
    assert {row.host_id for row in db.session.scalars(select(LedgerMonth))} == {0}
    assert {row.host_id for row in db.session.scalars(select(LedgerDay))} == {0}
    # Counted once in the total, in full for each host, in either collective's share.
    assert ledger.totals().base_amount_minor == 1000
    groups = {g.key: g.raised_minor for g in ledger.breakdown("collective")}
    assert groups == {"kino-kollektiv": 1000, "kolektyw-ruch": 1000}
    for scope in ({kino.id}, {ruch.id}, {kino.id, ruch.id}):
        assert ledger.totals(collective_ids=scope).base_amount_minor == 1000

    helsinki.screening.collectives.remove(kino)
    db.session.commit()
    assert ledger.mismatches() == []
    assert {row.host_id for row in db.session.scalars(select(LedgerMonth))} == {ruch.id}
    assert ledger.totals(collective_ids={kino.id}).base_amount_minor == 0


@pytest.mark.parametrize(("start", "end"), [
    (date(2026, 3, 1), date(2026, 4, 30)),  # whole months only
    (date(2026, 3, 2), date(2026, 4, 29)),  # most of each month: month sums less the rest
    (date(2026, 3, 28), date(2026, 4, 3)),  # a few days of each: the days alone
    (date(2026, 3, 6), date(2026, 3, 27)),  # inside one month
    (date(2026, 3, 5), date(2026, 3, 5)),
    (None, date(2026, 3, 27)), (date(2026, 3, 6), None), (None, None),
])
def test_a_date_range_cut_at_any_day_gives_the_exact_figures(world, start, end):
    organiser, _kino, _ruch, helsinki, warsaw = world
    days = [date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 28), date(2026, 3, 31),
            date(2026, 4, 1), date(2026, 4, 3), date(2026, 4, 30)]
    for n, day in enumerate(days):
        _give(helsinki if n % 2 else warsaw, organiser, f"{n + 1}.00", "EUR", day)
    expected = sum(n + 1 for n, day in enumerate(days)
                   if (start is None or day >= start) and (end is None or day <= end)) * 100
    filters = ledger.Filters(date_from=start, date_to=end)

    assert ledger.totals(filters).base_amount_minor == expected
    for grouping in ledger.GROUPINGS:
        groups = ledger.breakdown(grouping, filters)
        assert sum(g.raised_minor for g in groups) == expected, grouping  # one host each
        assert all(g.count for g in groups)  # a group emptied by the subtraction is dropped
    months = {g.key: g.raised_minor for g in ledger.breakdown("month", filters)}
    assert sum(months.values()) == expected


def test_the_plan_reads_few_days_and_subtracts_the_rest():
    plan = sources.plan(ledger.Filters(date_from=date(2026, 3, 2), date_to=date(2026, 4, 3)))
    assert (plan.first_month, plan.last_month) == ("2026-03", "2026-03")
    assert plan.minus == ((date(2026, 3, 1), date(2026, 3, 1)),)
    assert plan.plus == ((date(2026, 4, 1), date(2026, 4, 3)),)
    inside = sources.plan(ledger.Filters(date_from=date(2026, 2, 10), date_to=date(2026, 2, 12)))
    assert not inside.months and inside.plus == ((date(2026, 2, 10), date(2026, 2, 12)),)


def test_check_finds_a_drifted_month_cell_and_rebuild_repairs_it(app, world):
    organiser, *_rest, helsinki, _warsaw = world
    _give(helsinki, organiser, "10.00", "EUR", date(2026, 3, 5))
    db.session.execute(update(LedgerMonthBase).values(count=LedgerMonthBase.count + 1))
    db.session.commit()
    runner = app.test_cli_runner()

    drifted = runner.invoke(args=["ledger", "check"])
    assert drifted.exit_code == 1 and "ledger_month_bases" in drifted.output
    assert runner.invoke(args=["ledger", "rebuild"]).exit_code == 0
    db.session.expire_all()
    assert ledger.mismatches() == []
    assert db.session.scalar(select(func.sum(LedgerMonthBase.count))) == 1


def test_a_rebuild_of_one_currency_recomputes_its_cells_only(world):
    organiser, *_rest, helsinki, warsaw = world
    _give(helsinki, organiser, "10.00", "EUR", date(2026, 3, 5))
    _give(warsaw, organiser, "40.00", "PLN", date(2026, 3, 6))
    # A raw change made behind the services' back, then the rebuild a rate change runs.
    db.session.execute(update(Contribution).where(Contribution.currency == "PLN")
                       .values(base_amount_minor=2000))
    ledger.rebuild_days(currency="PLN", since=date(2026, 3, 1))
    db.session.commit()

    assert ledger.mismatches() == []
    assert ledger.totals().base_amount_minor == 3000
