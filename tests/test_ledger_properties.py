"""The money ledger, property-based: random contributions, rates and edits, recorded through
the services, give totals and breakdowns equal to an independent computation in exact
fractions, and the ledger day sums stay equal to a fresh sum of the raw rows."""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from flask import current_app
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.extensions import db
from app.models import (
    Beneficiary,
    Channel,
    Contribution,
    ContributionState,
    ExchangeRate,
    Film,
    LedgerDay,
    Role,
    Status,
)
from app.models.ledger import LedgerMonth, LedgerMonthBase
from app.services import ledger, rates
from app.services.errors import ValidationFailed
from tests.conftest import make_collective, make_screening, make_user

TODAY = date(2026, 6, 30)
START = date(2026, 1, 1)
EXPONENTS = {"EUR": 2, "JPY": 0, "PLN": 2, "SEK": 2, "DKK": 2, "CAD": 2, "UAH": 2, "KWD": 3,
             "GBP": 2}
FOREIGN = sorted(set(EXPONENTS) - {"EUR"})
STATES = list(ContributionState)
RAISED = {ContributionState.COLLECTED, ContributionState.TRANSFERRED,
          ContributionState.CONFIRMED}
PROPERTIES = settings(max_examples=35, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])


# --- the world: fundraisers in several countries, films, beneficiaries, collectives -------


@dataclass(frozen=True)
class Place:
    """What the independent computation needs to know of one fundraiser."""

    fundraiser_id: int
    country: str
    city: str  # the city's id, as breakdown("city") keys it
    film: str
    beneficiary: str
    collectives: frozenset[str]
    hosts: frozenset[tuple[str, int]]  # (slug, id) of each host collective
    public: bool  # totals shown in public


class World:
    """The fixture's people and places (kept short in Hypothesis' failure reports)."""

    def __init__(self, coordinator, fundraisers: list, places: list[Place],
                 collective_ids: dict[str, int]) -> None:
        self.coordinator, self.fundraisers, self.places = coordinator, fundraisers, places
        self.collective_ids = collective_ids

    def __repr__(self) -> str:
        return "World()"


@pytest.fixture
def world(catalogue) -> World:
    """Four fundraisers, once per test function: FI twice (two cities; the second's totals
    private), PL, and UA co-hosted by the Finnish collective; two films, two beneficiaries."""
    coordinator = make_user(Role.COORDINATOR)
    db.session.add_all([
        Film(title="Part Two", slug="part-two", part=2, year=2025, runtime_minutes=84),
        Beneficiary(name="Black Flag Medical", slug="black-flag-medical"),
    ])
    kino, ruch, kyiv = (make_collective(s) for s in ("kino-kapina", "kolektyw-ruch",
                                                      "kinoklub-pidtrymka"))
    specs = [(kino, "Helsinki", "FI", "part-one", "solidarity-collectives"),
             (ruch, "Warsaw", "PL", "part-two", "black-flag-medical"),
             (kyiv, "Kyiv", "UA", "part-one", "black-flag-medical"),
             (kino, "Tampere", "FI", "part-two", "solidarity-collectives")]
    screenings = [make_screening(c, actor=coordinator, status=Status.PUBLISHED, city=city,
                                 country=country, film=film, beneficiary=beneficiary,
                                 venue_name=f"Hall {n}")
                  for n, (c, city, country, film, beneficiary) in enumerate(specs)]
    screenings[2].collectives.append(kino)  # co-hosted: counts for both collectives
    screenings[3].fundraiser.totals_public = False
    db.session.commit()
    places = [Place(s.fundraiser.id, s.city.country.code, str(s.city_id), s.film.slug,
                    s.fundraiser.beneficiary.slug, frozenset(c.slug for c in s.collectives),
                    frozenset((c.slug, c.id) for c in s.collectives), s.fundraiser.totals_public)
              for s in screenings]
    return World(coordinator, [s.fundraiser for s in screenings], places,
                 {c.slug: c.id for c in (kino, ruch, kyiv)})


def _reset() -> None:
    """Empty the ledger between examples (conftest empties tables only after the test)."""
    db.session.rollback()
    for model in (LedgerDay, LedgerMonth, LedgerMonthBase, Contribution, ExchangeRate):
        db.session.execute(delete(model))
    db.session.commit()


# --- the independent computation ----------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One contribution as the test knows it."""

    place: int
    amount: int
    currency: str
    state: ContributionState
    received_on: date


def _plain(minor: int, currency: str) -> str:
    places = EXPONENTS[currency]
    return f"{minor // 10**places}.{minor % 10**places:0{places}d}" if places else str(minor)


def expected_base(entry: Entry, table: dict, base: str = "EUR") -> int | None:
    """Base minor units at the latest rate valid on the day, exactly, rounded half-even."""
    if entry.currency == base:
        return entry.amount
    days = [day for cur, day in table if cur == entry.currency and day <= entry.received_on]
    if not days:
        return None
    per_base = Fraction(table[(entry.currency, max(days))])
    exact = Fraction(entry.amount, 10 ** EXPONENTS[entry.currency]) / per_base
    return round(exact * 10 ** EXPONENTS[base])  # Fraction rounds half to even


def expected_totals(rows: list[tuple[Entry, int | None]], base: str = "EUR") -> ledger.Totals:
    """What ledger.totals() must say for these (entry, base amount) rows."""
    currencies = defaultdict(lambda: [0, 0, 0, 0])
    by_state, counts, unconverted = ({str(s): 0 for s in STATES} for _ in range(3))
    for entry, amount in rows:
        state = str(entry.state)
        by_state[state] += amount or 0
        counts[state] += 1
        unconverted[state] += amount is None
        if entry.state in RAISED:
            sums = currencies[entry.currency]
            for i, value in enumerate((entry.amount, 1, amount or 0, amount is None)):
                sums[i] += value
    by_currency = [ledger.CurrencyTotal(c, *s) for c, s in sorted(currencies.items())]
    return ledger.Totals(base, sum(r.base_amount_minor for r in by_currency),
                         sum(r.unconverted for r in by_currency),
                         sum(r.count for r in by_currency), by_currency, by_state, counts,
                         unconverted)


def _keys(grouping: str, entry: Entry, place: Place) -> list[str]:
    if grouping == "collective":
        return sorted(place.collectives)
    if grouping == "month":
        return [entry.received_on.strftime("%Y-%m")]
    if grouping == "currency":
        return [entry.currency]
    return [getattr(place, grouping)]


def expected_groups(grouping: str, rows, places) -> dict[str, tuple]:
    """Per group key: (base sum per state, raised count, raised unconverted, pledges)."""
    groups: dict[str, list] = {}
    for entry, amount in rows:
        for key in _keys(grouping, entry, places[entry.place]):
            by_state, raised = groups.setdefault(key, [{str(s): 0 for s in STATES}, [0, 0, 0]])
            by_state[str(entry.state)] += amount or 0
            if entry.state in RAISED:
                raised[0] += 1
                raised[1] += amount is None
            else:
                raised[2] += 1
    return {key: (by_state, *raised) for key, (by_state, raised) in groups.items()}


def hosted(place: Place, filters: ledger.Filters) -> bool:
    """The collective picked and the scope must meet in one host (aggregates.filter_conditions:
    "a named collective within the scope")."""
    return any((filters.collective is None or slug == filters.collective)
               and (filters.collective_ids is None or cid in filters.collective_ids)
               for slug, cid in place.hosts)


def selected(entry: Entry, place: Place, filters: ledger.Filters) -> bool:
    """Whether the filters cover the entry, decided in Python."""
    return ((filters.date_from is None or entry.received_on >= filters.date_from)
            and (filters.date_to is None or entry.received_on <= filters.date_to)
            and (filters.country is None or filters.country.upper() == place.country)
            and (filters.film is None or filters.film == place.film)
            and (filters.beneficiary is None or filters.beneficiary == place.beneficiary)
            and ((filters.collective is None and filters.collective_ids is None)
                 or hosted(place, filters))
            and (filters.fundraiser_ids is None or place.fundraiser_id in filters.fundraiser_ids)
            and (place.public or not filters.public_only))


def check(world: World, recorded: dict[int, Entry], table: dict,
          filters: ledger.Filters | None = None, base: str = "EUR") -> None:
    """Every figure the ledger gives equals the independent computation."""
    assert ledger.mismatches() == []
    expected = {cid: expected_base(entry, table, base) for cid, entry in recorded.items()}
    stored = {cid: amount for cid, amount in db.session.execute(
        select(Contribution.id, Contribution.base_amount_minor))}
    assert stored == expected
    rows = [(entry, expected[cid]) for cid, entry in recorded.items()]
    assert ledger.totals() == expected_totals(rows, base)
    subsets = [(ledger.Filters(), rows)]
    if filters is not None:
        chosen = [(e, a) for e, a in rows if selected(e, world.places[e.place], filters)]
        assert ledger.totals(filters) == expected_totals(chosen, base)
        subsets.append((filters, chosen))
    for grouping in ledger.GROUPINGS:
        for subset_filters, subset in subsets:
            groups = ledger.breakdown(grouping, subset_filters)
            got = {g.key: (g.by_state, g.count, g.unconverted, g.pledged_count) for g in groups}
            assert got == expected_groups(grouping, subset, world.places), grouping
            if grouping == "month":
                assert [g.key for g in groups] == sorted(got)
            else:
                raised = [g.raised_minor for g in groups]
                assert raised == sorted(raised, reverse=True), grouping


# --- strategies ----------------------------------------------------------------------------

# Up to 10^8 minor units: at the smallest rate below, still under money.MAX_MINOR in any base
# (past it, a conversion is refused: see the tests at the end).
amounts = st.one_of(st.integers(1, 1000), st.integers(1, 100_000), st.integers(1, 10**8))
days = st.dates(START, TODAY)
# Rates like 2 or 0.4 often land exactly on half a cent: they put the rounding rule to work.
per_bases = st.one_of(
    st.integers(0, 6).flatmap(lambda places: st.decimals(
        Decimal("0.001"), Decimal("100000"), places=places, allow_nan=False,
        allow_infinity=False)),
    st.sampled_from([Decimal(r) for r in ("2", "20", "200", "0.2", "0.02", "4", "40", "0.4",
                                          "8", "0.8", "2.5", "0.25")]),
)


@st.composite
def entries(draw) -> Entry:
    state = draw(st.sampled_from(STATES))
    # Pledges may be dated after today; money in hand may not.
    last = TODAY + timedelta(days=60) if state == ContributionState.PLEDGED else TODAY
    return Entry(draw(st.integers(0, 3)), draw(amounts), draw(st.sampled_from(sorted(EXPONENTS))),
                 state, draw(st.dates(START, last)))


rate_entries = st.lists(st.tuples(st.sampled_from(FOREIGN), days, per_bases), max_size=12)
ledgers = st.lists(entries(), max_size=25)
optional = st.none().__or__
COLLECTIVE_SLUGS = ["kino-kapina", "kolektyw-ruch", "kinoklub-pidtrymka"]
filters = st.builds(
    ledger.Filters, date_from=optional(days), date_to=optional(days),
    country=optional(st.sampled_from(["FI", "pl", "UA", "SE"])),
    film=optional(st.sampled_from(["part-one", "part-two", "no-such-film"])),
    beneficiary=optional(st.sampled_from(["solidarity-collectives", "black-flag-medical"])),
    collective=optional(st.sampled_from(COLLECTIVE_SLUGS)), public_only=st.booleans(),
)
# An organiser's share (collective ids) and single fundraisers, as indexes into the world.
scopes = st.tuples(optional(st.frozensets(st.sampled_from(COLLECTIVE_SLUGS))),
                   optional(st.frozensets(st.integers(0, 3))))


def scoped(world: World, filters: ledger.Filters, scope: tuple) -> ledger.Filters:
    """The filters with the drawn collectives and fundraisers as the services take them."""
    slugs, indexes = scope
    return replace(
        filters,
        collective_ids=None if slugs is None else frozenset(world.collective_ids[s]
                                                            for s in slugs),
        fundraiser_ids=None if indexes is None else frozenset(
            world.places[i].fundraiser_id for i in indexes))


# --- helpers that drive the services -----------------------------------------------------


def record(world: World, entry: Entry) -> int:
    contribution = ledger.record_contribution(
        world.fundraisers[entry.place], world.coordinator,
        amount=_plain(entry.amount, entry.currency), currency=entry.currency,
        received_on=entry.received_on, channel=Channel.DOOR, state=entry.state, today=TODAY)
    return contribution.id


def set_rates(world: World, table: dict, batch: list) -> None:
    """Write rates through the service and into the test's own table (the last one wins)."""
    if batch:
        rates.set_rates(batch, world.coordinator, today=TODAY)
        for currency, valid_on, per_base in batch:
            table[(currency, valid_on)] = per_base


def start_ledger(world: World, rate_batch: list, ledger_entries: list[Entry]):
    """Reset, write the rates, record the contributions; the test's view of them."""
    _reset()
    table: dict = {}
    set_rates(world, table, rate_batch)
    recorded = {record(world, entry): entry for entry in ledger_entries}
    db.session.commit()
    return table, recorded


# --- the properties ------------------------------------------------------------------------


@PROPERTIES
@given(rate_batch=rate_entries, ledger_entries=ledgers, chosen=filters, scope=scopes)
def test_totals_and_breakdowns_equal_an_independent_computation(world, rate_batch,
                                                                ledger_entries, chosen, scope):
    table, recorded = start_ledger(world, rate_batch, ledger_entries)
    check(world, recorded, table, scoped(world, chosen, scope))


set_op = st.tuples(st.just("set"), st.sampled_from(FOREIGN), days, per_bases)
update_op = st.tuples(st.just("update"), st.integers(0, 100), per_bases)
delete_op = st.tuples(st.just("delete"), st.integers(0, 100))
rate_ops = st.lists(st.one_of(set_op, update_op, delete_op), min_size=1, max_size=6)


def change_rate(world: World, table: dict, op: tuple) -> None:
    """Apply one rate operation through the service and to the test's table."""
    kind, *args = op
    if kind == "set":
        set_rates(world, table, [tuple(args)])
        return
    if not table:
        return
    currency, valid_on = sorted(table)[args[0] % len(table)]
    if kind == "update":
        rates.set_rate(currency, valid_on, args[1], world.coordinator, today=TODAY)
        table[(currency, valid_on)] = args[1]
    else:
        rate = db.session.scalar(select(ExchangeRate).where(
            ExchangeRate.currency == currency, ExchangeRate.valid_on == valid_on))
        rates.delete_rate(rate, world.coordinator)
        del table[(currency, valid_on)]


@PROPERTIES
@given(rate_batch=rate_entries, ledger_entries=ledgers, ops=rate_ops)
def test_rate_changes_reconvert_exactly_what_they_affect(world, rate_batch, ledger_entries, ops):
    table, recorded = start_ledger(world, rate_batch, ledger_entries)
    for op in ops:
        change_rate(world, table, op)
        db.session.commit()
        check(world, recorded, table)


@PROPERTIES
@given(rate_batch=rate_entries, ledger_entries=ledgers,
       base=st.sampled_from(["PLN", "JPY", "KWD", "GBP"]))
def test_reconvert_all_after_a_new_base_currency(world, rate_batch, ledger_entries, base):
    """Rates then read as per unit of the new base; the old base has no rate: unconverted."""
    table, recorded = start_ledger(world, rate_batch, ledger_entries)
    current_app.config["BASE_CURRENCY"] = base
    try:
        rates.reconvert_all(world.coordinator)
        db.session.commit()
        check(world, recorded, table, base=base)
    finally:
        current_app.config["BASE_CURRENCY"] = "EUR"


edit_ops = st.lists(st.tuples(
    st.integers(0, 100), optional(amounts), optional(st.sampled_from(sorted(EXPONENTS))),
    optional(st.sampled_from(STATES)), optional(days)), min_size=1, max_size=6)


def edit(world: World, recorded: dict[int, Entry], op: tuple) -> None:
    """One update_contribution through the service, mirrored in the test's entries."""
    index, amount, currency, state, received_on = op
    cid = sorted(recorded)[index % len(recorded)]
    old = recorded[cid]
    new = replace(old, amount=amount or old.amount, currency=currency or old.currency,
                  state=state or old.state, received_on=received_on or old.received_on)
    if new.state != ContributionState.PLEDGED and new.received_on > TODAY:
        new = replace(new, received_on=TODAY)
    contribution = db.session.get(Contribution, cid)
    changed = ledger.update_contribution(
        contribution, world.coordinator, version=contribution.version_id,
        amount=_plain(new.amount, new.currency), currency=new.currency,
        received_on=new.received_on, channel=Channel.DOOR, state=new.state,
        reason="Counted again", today=TODAY)
    assert changed == (new != old)
    recorded[cid] = new


@PROPERTIES
@given(rate_batch=rate_entries, ledger_entries=st.lists(entries(), min_size=1, max_size=15),
       ops=edit_ops, chosen=filters, scope=scopes)
def test_edits_keep_the_sums_in_step(world, rate_batch, ledger_entries, ops, chosen, scope):
    table, recorded = start_ledger(world, rate_batch, ledger_entries)
    for op in ops:
        edit(world, recorded, op)
        db.session.commit()
        check(world, recorded, table, scoped(world, chosen, scope))


@PROPERTIES
@given(rate_batch=rate_entries, ledger_entries=ledgers, ops=st.lists(st.one_of(
    st.tuples(st.just("record"), entries()), st.tuples(st.just("edit"), edit_ops),
    st.tuples(st.just("rate"), rate_ops)), min_size=1, max_size=6))
def test_records_edits_and_rate_changes_interleaved(world, rate_batch, ledger_entries, ops):
    table, recorded = start_ledger(world, rate_batch, ledger_entries)
    for kind, arg in ops:
        if kind == "record":
            recorded[record(world, arg)] = arg
        elif kind == "edit" and recorded:
            for op in arg:
                edit(world, recorded, op)
        elif kind == "rate":
            for op in arg:
                change_rate(world, table, op)
        db.session.commit()
        check(world, recorded, table)


# --- edges found while probing the properties (regressions) -------------------------------


def _give(world: World, amount: str, currency: str, state="collected") -> Contribution:
    contribution = ledger.record_contribution(
        world.fundraisers[0], world.coordinator, amount=amount, currency=currency,
        received_on=date(2026, 2, 1), channel=Channel.DOOR, state=state, today=TODAY)
    db.session.commit()
    return contribution


# Rates of up to 15 significant digits and 10 places, below 10^10 (what the checks accept).
long_rates = st.tuples(st.one_of(st.integers(1, 10**15 - 1), st.integers(10**14, 10**15 - 1)),
                       st.integers(0, 10)).map(
    lambda t: Decimal(t[0]).scaleb(-t[1])).filter(lambda r: Decimal("0.001") <= r < 10**10)


@PROPERTIES
@example(per_base=Decimal("1234567890.12345"))
@given(per_base=long_rates)
def test_a_rate_reads_back_exactly_as_entered(world, per_base):
    """Up to 15 significant digits, a rate comes back from either database as entered
    (SQLite keeps it in a double; read with ten places it came back as 1234567890.1234500408)."""
    _reset()
    rates.set_rate("PLN", date(2026, 1, 1), per_base, world.coordinator, today=TODAY)
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(ExchangeRate.per_base)) == per_base
    contribution = _give(world, "100.00", "PLN")
    assert contribution.rate_per_base == per_base
    assert contribution.base_amount_minor == round(Fraction(10000) / Fraction(per_base))


def test_a_rate_with_more_significant_digits_than_are_kept_is_refused(world):
    # 1000000.0000004096 would read back from SQLite as ...4095 and round a tie the wrong way.
    with pytest.raises(ValidationFailed) as refused:
        rates.set_rate("PLN", date(2026, 1, 1), "1000000.0000004096", world.coordinator,
                       today=TODAY)
    assert set(refused.value.fields) == {"per_base"}


def test_a_base_amount_too_large_to_store_is_a_field_error(world):
    rates.set_rate("KWD", date(2026, 1, 1), "0.0000000001", world.coordinator, today=TODAY)
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        _give(world, "999999999999.999", "KWD")  # 10^24 euro cents: past BIGINT
    assert set(refused.value.fields) == {"amount"}


def test_a_rate_that_would_overflow_a_base_amount_is_refused(world):
    contribution = _give(world, "999999999999.999", "KWD")
    with pytest.raises(ValidationFailed) as refused:
        rates.set_rate("KWD", date(2026, 1, 1), "0.0000000001", world.coordinator,
                       today=TODAY)
    assert set(refused.value.fields) == {"per_base"}
    db.session.rollback()  # as the route does
    assert db.session.scalar(select(ExchangeRate.id)) is None
    assert db.session.get(Contribution, contribution.id).base_amount_minor is None
    assert ledger.mismatches() == []


def test_the_native_sum_of_the_currency_breakdown_is_raised_money_only(world):
    _give(world, "5.00", "PLN")
    _give(world, "10.00", "PLN", state="pledged")
    [group] = ledger.breakdown("currency")
    assert ledger.totals().by_currency[0].amount_minor == 500
    assert group.count == 1
    assert group.pledged_count == 1
    assert group.native == {"PLN": 500}


def test_a_collective_outside_the_scope_finds_nothing_even_as_a_co_host(world):
    """The collective picked must be one of the scope's: a co-host outside it shows nothing,
    though the screening is in the scope through its other host."""
    ledger.record_contribution(
        world.fundraisers[2], world.coordinator, amount="10.00", currency="EUR",
        received_on=date(2026, 2, 1), channel=Channel.DOOR, today=TODAY)
    db.session.commit()
    scope = frozenset({world.collective_ids["kino-kapina"]})
    assert ledger.totals(ledger.Filters(collective_ids=scope)).base_amount_minor == 1000
    assert ledger.totals(ledger.Filters(collective="kinoklub-pidtrymka",
                                        collective_ids=scope)).count == 0
