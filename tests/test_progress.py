"""Goal progress and unreported screenings (app/services/ledger/progress.py)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import ExchangeRate, Role, Status
from app.services import ledger
from app.services.errors import ValidationFailed
from app.services.ledger import Filters, progress
from tests.conftest import make_collective, make_screening, make_user

TODAY = date(2026, 6, 30)


def when(day: date, hour: int = 19) -> datetime:
    """A local (naive) start time on a day, as the screening form takes it."""
    return datetime(day.year, day.month, day.day, hour, 0)


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR)


@pytest.fixture
def kino(catalogue):
    return make_collective("kino-kollektiv")


def screening(collective, coordinator, day: date, status=Status.HELD, **changes):
    return make_screening(collective, coordinator, status, starts_at=when(day), **changes)


def give(item, actor, amount: str, currency: str = "EUR", state: str = "collected",
         received_on: date = date(2026, 4, 20)):
    ledger.record_contribution(item.fundraiser, actor, amount=amount, currency=currency,
                               received_on=received_on, channel="door", state=state,
                               today=TODAY)
    db.session.commit()


def rate(currency: str, valid_on: date, per_base: str) -> None:
    db.session.add(ExchangeRate(currency=currency, valid_on=valid_on,
                                per_base=Decimal(per_base)))
    db.session.commit()


# --- goal progress -----------------------------------------------------------------------


def test_a_base_currency_goal_compares_one_to_one(kino, coordinator):
    item = screening(kino, coordinator, date(2026, 4, 18), goal_amount="500.00")
    give(item, coordinator, "125.00")
    give(item, coordinator, "300.00", state="pledged")  # pledges are not progress
    [row] = progress.goal_progress(Filters()).items
    assert (row.goal_minor, row.goal_currency, row.goal_base_minor) == (50_000, "EUR", 50_000)
    assert row.raised_minor == 12_500 and row.percent == 25 and row.bar_value == 12_500
    assert row.title == "Part One: Resistance" and row.city == "Helsinki"
    assert row.country == "FI" and row.beneficiary == "Solidarity Collectives"
    assert row.local_day == date(2026, 4, 18) and row.status == Status.HELD


def test_a_goal_in_another_currency_uses_the_rate_of_the_screening_day(kino, coordinator):
    rate("PLN", date(2026, 1, 1), "4")
    rate("PLN", date(2026, 4, 1), "5")
    rate("PLN", date(2026, 5, 1), "2")  # after the screening: not used
    item = screening(kino, coordinator, date(2026, 4, 18), goal_amount="1000.00",
                     goal_currency="PLN")
    give(item, coordinator, "50.00")
    [row] = progress.goal_progress(Filters()).items
    assert row.goal_base_minor == 20_000  # 1000 PLN at 5 per EUR
    assert row.percent == 25


def test_a_goal_without_a_rate_has_unknown_progress(kino, coordinator):
    rate("UAH", date(2026, 5, 1), "45")  # only from after the screening
    item = screening(kino, coordinator, date(2026, 4, 18), goal_amount="10000",
                     goal_currency="UAH")
    give(item, coordinator, "80.00")
    [row] = progress.goal_progress(Filters()).items
    assert row.goal_base_minor is None and row.percent is None and row.bar_value == 0
    assert row.raised_minor == 8_000


def test_passing_the_goal_shows_more_than_100_percent_and_a_full_bar(kino, coordinator):
    item = screening(kino, coordinator, date(2026, 4, 18), goal_amount="100.00")
    give(item, coordinator, "150.00", state="transferred")
    [row] = progress.goal_progress(Filters()).items
    assert row.percent == 150 and row.bar_value == 10_000


def test_only_fundraisers_with_a_goal_and_no_drafts_latest_first(kino, coordinator):
    old = screening(kino, coordinator, date(2026, 3, 1))
    new = screening(kino, coordinator, date(2026, 5, 1), status=Status.PUBLISHED)
    screening(kino, coordinator, date(2026, 4, 1), goal_amount="", goal_currency="")
    screening(kino, coordinator, date(2026, 6, 1), status=Status.DRAFT)
    rows = progress.goal_progress(Filters()).items
    assert [r.screening_id for r in rows] == [new.id, old.id]


def test_goal_progress_is_paginated(kino, coordinator):
    for day in range(1, 6):
        screening(kino, coordinator, date(2026, 3, day))
    first = progress.goal_progress(Filters(), page=1, per_page=2)
    last = progress.goal_progress(Filters(), page=3, per_page=2)
    assert (first.total, first.pages, first.has_next, first.has_prev) == (5, 3, True, False)
    assert [r.local_day.day for r in first.items] == [5, 4]
    assert [r.local_day.day for r in last.items] == [1] and not last.has_next
    beyond = progress.goal_progress(Filters(), page=99, per_page=2)
    assert beyond.page == 3  # a page past the end shows the last one


def test_goal_progress_applies_the_filters(kino, coordinator):
    other = make_collective("other-collective")
    mine = screening(kino, coordinator, date(2026, 4, 10))
    theirs = screening(other, coordinator, date(2026, 4, 12), city="Warsaw", country="PL")
    later = screening(kino, coordinator, date(2026, 5, 20))

    def ids(**filters):
        return [r.screening_id for r in progress.goal_progress(Filters(**filters)).items]

    assert ids(collective_ids=frozenset({kino.id})) == [later.id, mine.id]
    assert ids(collective="other-collective") == [theirs.id]
    assert ids(country="PL") == [theirs.id]
    assert ids(date_from=date(2026, 4, 11), date_to=date(2026, 4, 30)) == [theirs.id]
    assert ids(film="part-one") == [later.id, theirs.id, mine.id]
    assert ids(collective_ids=frozenset()) == []


def test_a_co_hosted_screening_appears_once(kino, coordinator):
    other = make_collective("other-collective")
    item = screening(kino, coordinator, date(2026, 4, 10))
    item.collectives.append(other)
    db.session.commit()
    rows = progress.goal_progress(Filters(collective_ids=frozenset({kino.id, other.id})))
    assert [r.screening_id for r in rows.items] == [item.id] and rows.total == 1


def test_goal_progress_queries_do_not_grow_with_rows(kino, coordinator):
    rate("PLN", date(2026, 1, 1), "4")
    rate("UAH", date(2026, 1, 1), "45")

    def count() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            progress.goal_progress(Filters())
            progress.unreported(Filters())
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    screening(kino, coordinator, date(2026, 3, 1), goal_currency="PLN")
    few = count()
    for day, currency in zip(range(2, 12), ["PLN", "UAH", "EUR"] * 4, strict=False):
        item = screening(kino, coordinator, date(2026, 3, day), goal_currency=currency)
        if day % 2:
            give(item, coordinator, "10.00")
    db.session.expire_all()
    assert count() == few


# --- unreported screenings ---------------------------------------------------------------


def test_held_screenings_without_any_money_are_unreported_oldest_first(kino, coordinator):
    silent_old = screening(kino, coordinator, date(2026, 4, 1))
    silent_new = screening(kino, coordinator, date(2026, 5, 1))
    pledged = screening(kino, coordinator, date(2026, 3, 1))
    give(pledged, coordinator, "10.00", state="pledged")  # a pledge is a report
    reported = screening(kino, coordinator, date(2026, 3, 2))
    give(reported, coordinator, "10.00")
    upcoming = screening(kino, coordinator, date(2026, 7, 1), status=Status.PUBLISHED)
    found = progress.unreported(Filters(), today=TODAY)
    assert [r.screening_id for r in found.rows] == [silent_old.id, silent_new.id]
    assert found.total == 2
    assert found.rows[0].days_since == (TODAY - date(2026, 4, 1)).days
    assert found.rows[0].collectives == ("Kino Kollektiv",)
    assert upcoming.id not in [r.screening_id for r in found.rows]


def test_unreported_names_every_host_and_applies_filters(kino, coordinator):
    other = make_collective("other-collective")
    shared = screening(kino, coordinator, date(2026, 4, 1))
    shared.collectives.append(other)
    db.session.commit()
    theirs = screening(other, coordinator, date(2026, 4, 20), city="Warsaw", country="PL")
    found = progress.unreported(Filters(collective_ids=frozenset({kino.id})), today=TODAY)
    assert [r.screening_id for r in found.rows] == [shared.id]
    assert found.rows[0].collectives == ("Kino Kollektiv", "Other Collective")
    assert [r.screening_id for r in progress.unreported(
        Filters(country="PL"), today=TODAY).rows] == [theirs.id]
    assert progress.unreported(Filters(date_to=date(2026, 3, 31)), today=TODAY).total == 0


def test_the_list_is_limited_but_the_total_counts_all(kino, coordinator):
    for day in range(1, 5):
        screening(kino, coordinator, date(2026, 4, day))
    found = progress.unreported(Filters(), limit=2, today=TODAY)
    assert len(found.rows) == 2 and found.total == 4


# --- filters within a scope --------------------------------------------------------------


def test_another_collectives_slug_is_refused_like_an_unknown_one(kino):
    make_collective("other-collective")
    scope = frozenset({kino.id})
    with pytest.raises(ValidationFailed) as other:
        progress.scoped_filters({"collective": "other-collective"}, scope, {"kino-kollektiv"})
    with pytest.raises(ValidationFailed) as unknown:
        progress.scoped_filters({"collective": "no-such-one"}, scope, {"kino-kollektiv"})
    assert other.value.fields["collective"].replace("other-collective", "X") == \
        unknown.value.fields["collective"].replace("no-such-one", "X")
    ok = progress.scoped_filters({"collective": "kino-kollektiv", "from": "2026-01-01"}, scope,
                                 {"kino-kollektiv"})
    assert ok.collective_ids == scope and ok.collective == "kino-kollektiv"
    assert ok.date_from == date(2026, 1, 1)


def test_scoped_filters_report_every_bad_argument_at_once(kino):
    with pytest.raises(ValidationFailed) as failed:
        progress.scoped_filters({"from": "yesterday", "collective": "nope", "country": "ZZ"},
                                frozenset({kino.id}), {"kino-kollektiv"})
    assert set(failed.value.fields) == {"from", "collective", "country"}


def test_the_filter_bar_offers_countries_with_screenings_and_the_scope(kino, coordinator):
    other = make_collective("other-collective")
    screening(other, coordinator, date(2026, 4, 12), city="Warsaw", country="PL")
    screening(kino, coordinator, date(2026, 4, 12))
    everything = progress.filter_options()
    assert everything.countries == [("FI", "Finland"), ("PL", "Poland")]
    assert [slug for slug, _ in everything.collectives] == ["kino-kollektiv",
                                                            "other-collective"]
    assert everything.films == [("part-one", "Part One: Resistance")]
    mine = progress.filter_options(frozenset({kino.id}))
    assert mine.collectives == [("kino-kollektiv", "Kino Kollektiv")]
    assert mine.countries == [("FI", "Finland")]  # not where only others screen


def test_the_dashboard_gathers_every_figure(kino, coordinator):
    item = screening(kino, coordinator, datetime.now(UTC).date() - timedelta(days=3))
    give(item, coordinator, "40.00", received_on=TODAY)
    board = progress.dashboard(Filters(), today=TODAY)
    assert board.totals.base_amount_minor == 4_000
    assert set(board.breakdowns) == set(progress.DASHBOARD_GROUPINGS)
    assert board.goals.total == 1 and board.unreported.total == 0
    assert board.reached_percent == 0 and board.missing_rates == []


def test_currencies_without_a_rate_are_named_pledges_included(kino, coordinator):
    rate("PLN", date(2026, 1, 1), "4")
    item = screening(kino, coordinator, date(2026, 4, 18))
    give(item, coordinator, "10.00", "PLN")
    give(item, coordinator, "10.00", "UAH", state="pledged")
    give(item, coordinator, "10.00", "GBP")
    board = progress.dashboard(Filters(), today=TODAY)
    assert board.missing_rates == ["GBP", "UAH"]
    assert board.unconverted_all == 2 and board.totals.unconverted == 1
    assert progress.missing_rates(Filters(date_to=date(2026, 1, 1))) == []
