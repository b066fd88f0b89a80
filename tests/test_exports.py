"""CSV exports (app/services/exports.py): every contribution and each breakdown, parsed back
and compared with the database; filters, organiser scope, formula injection, the file
format spreadsheets need, streaming, and who may download what."""

import csv
import io
import re
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from app.extensions import db
from app.models import (
    Beneficiary,
    City,
    Collective,
    Contribution,
    ContributionState,
    ExchangeRate,
    Film,
    Role,
    Status,
)
from app.services import cities, exports, ledger, localtime, money
from tests.conftest import login, make_collective, make_screening, make_user

DAY = date.today() - timedelta(days=30)  # the first screening's day; money comes after it
TITLE = '=HYPERLINK("http://evil.example/","click me")'
CONTRIBUTION_HEADER = [
    "id", "screening_id", "screening_title", "screening_date", "city", "country_code",
    "collectives", "film", "beneficiary", "received_on", "channel", "state", "amount",
    "currency", "base_amount", "base_currency", "rate_per_base", "rate_valid_on",
    "transfer_reference", "transferred_on", "confirmed_at",
]
BREAKDOWN_HEADER = [
    "key", "label", "raised", "reached", "pledged", "state_pledged", "state_collected",
    "state_transferred", "state_confirmed", "count", "unconverted", "base_currency",
]
COORDINATION = "/coordination/money/export"
ORGANISER = "/organiser/money/export"


def local(day: date, hour: int = 19) -> datetime:
    """A naive local wall-clock time, as the screening form takes it."""
    return datetime(day.year, day.month, day.day, hour, 0)


def parse(response) -> list[list[str]]:
    """The CSV body read back the way a spreadsheet import would."""
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def as_dicts(response) -> list[dict[str, str]]:
    header, *rows = parse(response)
    return [dict(zip(header, row, strict=True)) for row in rows]


def safe(text: str) -> str:
    """What a text cell must look like: formula starters get a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class World:
    """Two screenings in two countries; the first co-hosted, the second in odd currencies."""

    def __init__(self):
        for currency, per_base in (("JPY", "160"), ("KWD", "0.33")):
            db.session.add(ExchangeRate(currency=currency, valid_on=date(2020, 1, 1),
                                        per_base=Decimal(per_base)))
        db.session.add_all([
            Film(title="Part Two: Behind the Front", slug="part-two", part=2),
            Beneficiary(name="Black Flag Medical", slug="black-flag-medical"),
            City(name="Warsaw", country=cities.ensure_country("PL"), lat=52.22977,
                 lon=21.01178, timezone="Europe/Warsaw", geonames_id=756135),
        ])
        self.a = make_collective("kino-a")
        self.plus = Collective(name="+cmd", slug="plus-cmd")
        self.at = Collective(name="@SUM(1)", slug="at-sum")
        db.session.add_all([self.plus, self.at])
        db.session.commit()
        self.coordinator = make_user(Role.COORDINATOR)
        self.organiser_a = make_user(Role.ORGANISER, self.a)
        self.organiser_at = make_user(Role.ORGANISER, self.at)
        self.loner = make_user(Role.ORGANISER)
        self.s1 = make_screening(self.a, self.coordinator, Status.HELD, title=TITLE,
                                 starts_at=local(DAY))
        self.s1.collectives.append(self.plus)
        self.s2 = make_screening(self.at, self.coordinator, Status.HELD, title="Kino noc",
                                 city="Warsaw", country="PL", film="part-two",
                                 beneficiary="black-flag-medical", starts_at=local(DAY, 23))
        db.session.commit()
        f1, f2, by = self.s1.fundraiser, self.s2.fundraiser, self.coordinator

        def record(fundraiser, amount, currency, days, **kwargs):
            kwargs.setdefault("channel", "door")
            return ledger.record_contribution(fundraiser, by, amount=amount, currency=currency,
                                              received_on=DAY + timedelta(days=days), **kwargs)

        self.eur = record(f1, "120.50", "EUR", 0)
        self.jpy = record(f1, "5000", "JPY", 1, channel="bank_transfer", state="transferred",
                          transfer_reference="-2+3", transferred_on=DAY + timedelta(days=2))
        self.confirmed = record(f1, "10.00", "EUR", 1, state="confirmed",
                                transfer_reference="@ref")
        self.pledge = record(f1, "30.00", "EUR", 40, state="pledged")
        self.kwd = record(f2, "1.234", "KWD", 3, channel="online")
        self.uah = record(f2, "400.00", "UAH", 4)  # no UAH rate: unconverted
        db.session.commit()

    @property
    def all_ids(self) -> set[str]:
        return {str(c.id) for c in (self.eur, self.jpy, self.confirmed, self.pledge, self.kwd,
                                    self.uah)}


@pytest.fixture
def world(catalogue) -> World:
    db.session.add(City(name="Helsinki", country=cities.ensure_country("FI"), lat=60.16952,
                        lon=24.93545, timezone="Europe/Helsinki", geonames_id=658225))
    db.session.commit()
    return World()


def as_coordinator(client, world):
    login(client, world.coordinator)
    return client


def expected_row(contribution: Contribution) -> dict[str, str]:
    """The row the database says a contribution should have, built from the ORM objects."""
    c = db.session.get(Contribution, contribution.id)
    screening = c.fundraiser.screening
    converted = c.base_amount_minor is not None
    foreign = converted and c.currency != "EUR"
    return {
        "id": str(c.id), "screening_id": str(screening.id),
        "screening_title": safe(screening.display_title),
        "screening_date": localtime.to_local(screening.starts_at, screening.timezone)
        .date().isoformat(),
        "city": screening.city.name, "country_code": screening.city.country.code,
        "collectives": "; ".join(safe(h.name) for h in sorted(
            screening.collectives, key=lambda h: h.name.casefold())),
        "film": screening.film.title, "beneficiary": c.fundraiser.beneficiary.name,
        "received_on": c.received_on.isoformat(), "channel": str(c.channel),
        "state": str(c.state), "amount": money.format_plain(c.amount_minor, c.currency),
        "currency": c.currency,
        "base_amount": money.format_plain(c.base_amount_minor, "EUR") if converted else "",
        "base_currency": "EUR",
        "rate_per_base": format(c.rate_per_base.normalize(), "f") if foreign else "",
        "rate_valid_on": c.rate_valid_on.isoformat() if foreign else "",
        "transfer_reference": safe(c.transfer_reference or ""),
        "transferred_on": c.transferred_on.isoformat() if c.transferred_on else "",
        "confirmed_at": c.confirmed_at.strftime("%Y-%m-%dT%H:%M:%SZ") if c.confirmed_at else "",
    }


# --- the contributions file ----------------------------------------------------------------


def test_every_contribution_and_column_equals_the_database(client, world):
    response = as_coordinator(client, world).get(f"{COORDINATION}/contributions.csv")
    assert response.status_code == 200
    header, *_ = parse(response)
    assert header == CONTRIBUTION_HEADER
    rows = as_dicts(response)
    contributions = db.session.scalars(
        select(Contribution).order_by(Contribution.received_on, Contribution.id)).all()
    assert rows == [expected_row(c) for c in contributions]
    assert len(rows) == 6


def test_amounts_keep_their_exponents_and_unconverted_money_has_no_base_amount(client, world):
    rows = {r["id"]: r for r in as_dicts(as_coordinator(client, world).get(
        f"{COORDINATION}/contributions.csv"))}
    eur, jpy = rows[str(world.eur.id)], rows[str(world.jpy.id)]
    kwd, uah = rows[str(world.kwd.id)], rows[str(world.uah.id)]
    assert (eur["amount"], eur["currency"], eur["base_amount"], eur["rate_per_base"],
            eur["rate_valid_on"]) == ("120.50", "EUR", "120.50", "", "")
    assert (jpy["amount"], jpy["currency"], jpy["base_amount"], jpy["rate_per_base"],
            jpy["rate_valid_on"]) == ("5000", "JPY", "31.25", "160", "2020-01-01")
    assert (kwd["amount"], kwd["currency"], kwd["base_amount"], kwd["rate_per_base"]) == (
        "1.234", "KWD", "3.74", "0.33")  # 1.234 / 0.33 = 3.7394 -> 3.74
    assert (uah["amount"], uah["currency"], uah["base_amount"], uah["base_currency"],
            uah["rate_per_base"], uah["rate_valid_on"]) == ("400.00", "UAH", "", "EUR", "", "")
    assert jpy["state"] == "transferred" and jpy["channel"] == "bank_transfer"
    assert jpy["transferred_on"] == (DAY + timedelta(days=2)).isoformat()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                        rows[str(world.confirmed.id)]["confirmed_at"])
    assert eur["confirmed_at"] == "" and eur["transferred_on"] == ""


def test_screening_columns_of_a_co_hosted_screening(client, world):
    rows = as_dicts(as_coordinator(client, world).get(f"{COORDINATION}/contributions.csv"))
    first = next(r for r in rows if r["id"] == str(world.eur.id))
    assert first["screening_id"] == str(world.s1.id)
    assert first["screening_date"] == DAY.isoformat()
    assert (first["city"], first["country_code"]) == ("Helsinki", "FI")
    assert first["collectives"] == "'+cmd; Kino A"  # both hosts, sorted, neutralised
    assert first["film"] == "Part One: Resistance"
    assert first["beneficiary"] == "Solidarity Collectives"
    warsaw = next(r for r in rows if r["id"] == str(world.kwd.id))
    # 23:00 in Warsaw is 21:00 or 22:00 UTC: the local day is the screening's day.
    assert warsaw["screening_date"] == DAY.isoformat()
    assert warsaw["collectives"] == "'@SUM(1)"


def test_formula_cells_are_neutralised(client, world):
    rows = as_dicts(as_coordinator(client, world).get(f"{COORDINATION}/contributions.csv"))
    titles = {r["screening_title"] for r in rows}
    assert titles == {"'" + TITLE, "Kino noc"}
    references = {r["id"]: r["transfer_reference"] for r in rows}
    assert references[str(world.jpy.id)] == "'-2+3"
    assert references[str(world.confirmed.id)] == "'@ref"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_every_host_name_is_neutralised_not_only_the_first(client, world):
    world.s2.collectives.append(Collective(name="=evil()", slug="evil"))
    db.session.commit()
    rows = as_dicts(as_coordinator(client, world).get(
        f"{COORDINATION}/contributions.csv?country=PL"))
    # "=" sorts before "@": a spreadsheet splitting at "; " still finds no formula.
    assert {r["collectives"] for r in rows} == {"'=evil(); '@SUM(1)"}


@pytest.mark.parametrize(("cell", "written"), [
    ("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-3", "'-3"), ("@SUM(1)", "'@SUM(1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""),
    (None, ""), (12, "12"),
])
def test_neutralise(cell, written):
    assert exports.neutralise(cell) == written


def test_the_file_is_utf8_with_bom_and_crlf(client, world):
    response = as_coordinator(client, world).get(f"{COORDINATION}/contributions.csv")
    assert response.is_streamed and "Content-Length" not in response.headers
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\r\n") == 7  # the header and six rows
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert response.mimetype == "text/csv"
    assert response.mimetype_params.get("charset") == "utf-8"


def test_the_file_name_says_what_and_when(client, world):
    today = datetime.now(UTC).date().isoformat()
    client = as_coordinator(client, world)
    response = client.get(f"{COORDINATION}/contributions.csv")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="contributions-{today}.csv"')
    response = client.get(f"{COORDINATION}/country.csv?country=pl&from=2020-01-01")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="country-from-2020-01-01-country-PL-{today}.csv"')


def _filter_cases(w: World) -> list[tuple[str, set]]:
    day = lambda n: (DAY + timedelta(days=n)).isoformat()  # noqa: E731
    first = {w.eur, w.jpy, w.confirmed, w.pledge}
    return [
        ("country=PL", {w.kwd, w.uah}), ("country=fi", first),
        ("film=part-two", {w.kwd, w.uah}), ("beneficiary=solidarity-collectives", first),
        ("collective=plus-cmd", first), ("collective=at-sum", {w.kwd, w.uah}),
        (f"from={day(3)}", {w.kwd, w.uah, w.pledge}), (f"to={day(0)}", {w.eur}),
        (f"from={day(1)}&to={day(3)}", {w.jpy, w.confirmed, w.kwd}),
        (f"country=PL&from={day(4)}", {w.uah}), ("country=PL&film=part-one", set()),
    ]


def test_filters_narrow_the_contributions(client, world):
    client = as_coordinator(client, world)
    for query, wanted in _filter_cases(world):
        rows = as_dicts(client.get(f"{COORDINATION}/contributions.csv?{query}"))
        assert {r["id"] for r in rows} == {str(c.id) for c in wanted}, query


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01", "from"), ("from=20260101", "from"), ("to=yesterday", "to"),
    ("from=2026-05-01&to=2026-04-01", "to"), ("country=ZZ", "country"),
    ("film=no-such-film", "film"), ("beneficiary=nobody", "beneficiary"),
    ("collective=%3Cscript%3E", "collective"), ("film=" + "x" * 300, "film"),
])
@pytest.mark.parametrize("path", ["contributions.csv", "beneficiary.csv"])
def test_bad_filters_answer_400_in_plain_text(client, world, query, field, path):
    response = as_coordinator(client, world).get(f"{COORDINATION}/{path}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "Content-Disposition" not in response.headers
    text = response.get_data(as_text=True)
    assert f"{field}: " in text
    assert len(text) < 600


@pytest.mark.parametrize("name", ["nonsense", "state", "contribution", "COUNTRY", "..%2Fetc"])
def test_an_unknown_breakdown_is_404(client, world, name):
    assert as_coordinator(client, world).get(f"{COORDINATION}/{name}.csv").status_code == 404
    organiser = client.application.test_client()
    login(organiser, world.organiser_a)
    assert organiser.get(f"{ORGANISER}/{name}.csv").status_code == 404


# --- breakdown files -----------------------------------------------------------------------


def _expected_breakdown(group_by: str, filters: ledger.Filters) -> list[list[str]]:
    plain = lambda minor: money.format_plain(minor, "EUR")  # noqa: E731
    return [[g.key, safe(g.label), plain(g.raised_minor), plain(g.reached_minor),
             plain(g.pledged_minor), *(plain(g.by_state[s]) for s in
                                       ("pledged", "collected", "transferred", "confirmed")),
             str(g.count), str(g.unconverted), "EUR"]
            for g in ledger.breakdown(group_by, filters)]


@pytest.mark.parametrize("group_by", ledger.GROUPINGS)
def test_each_breakdown_equals_the_service(client, world, group_by):
    response = as_coordinator(client, world).get(f"{COORDINATION}/{group_by}.csv")
    assert response.status_code == 200
    assert response.get_data().startswith(b"\xef\xbb\xbf")
    header, *rows = parse(response)
    assert header == BREAKDOWN_HEADER
    assert rows == _expected_breakdown(group_by, ledger.Filters())
    assert rows


def test_the_collective_breakdown_in_figures(client, world):
    rows = {r["key"]: r for r in as_dicts(as_coordinator(client, world).get(
        f"{COORDINATION}/collective.csv"))}
    assert set(rows) == {"kino-a", "plus-cmd", "at-sum"}
    plus = rows["plus-cmd"]
    assert plus["label"] == "'+cmd"
    # 120.50 EUR + 5000 JPY (31.25) + 10.00 EUR confirmed; the 30.00 pledge beside it.
    assert (plus["raised"], plus["reached"], plus["pledged"]) == ("161.75", "41.25", "30.00")
    assert (plus["state_collected"], plus["state_transferred"], plus["state_confirmed"]) == (
        "120.50", "31.25", "10.00")
    assert (plus["count"], plus["unconverted"], plus["base_currency"]) == ("3", "0", "EUR")
    at = rows["at-sum"]
    assert (at["label"], at["raised"], at["count"], at["unconverted"]) == (
        "'@SUM(1)", "3.74", "2", "1")


def test_breakdown_filters_narrow_it(client, world):
    client = as_coordinator(client, world)
    rows = as_dicts(client.get(f"{COORDINATION}/country.csv?film=part-two"))
    assert [r["key"] for r in rows] == ["PL"]
    filters = ledger.Filters(country="FI")
    assert parse(client.get(f"{COORDINATION}/currency.csv?country=FI"))[1:] == (
        _expected_breakdown("currency", filters))


# --- organisers: their own collectives only --------------------------------------------------


def test_an_organiser_exports_only_their_collectives_money(client, world):
    login(client, world.organiser_at)
    rows = as_dicts(client.get(f"{ORGANISER}/contributions.csv"))
    assert {r["id"] for r in rows} == {str(world.kwd.id), str(world.uah.id)}
    client = client.application.test_client()
    login(client, world.organiser_a)
    rows = as_dicts(client.get(f"{ORGANISER}/contributions.csv"))
    assert {r["id"] for r in rows} == {str(c.id) for c in (world.eur, world.jpy,
                                                           world.confirmed, world.pledge)}
    assert rows == [expected_row(db.session.get(Contribution, int(r["id"]))) for r in rows]
    keys = {r["key"] for r in as_dicts(client.get(f"{ORGANISER}/collective.csv"))}
    assert keys == {"kino-a", "plus-cmd"}  # the co-host of their screening, never at-sum
    for group_by in ledger.GROUPINGS:
        text = client.get(f"{ORGANISER}/{group_by}.csv").get_data(as_text=True)
        assert "SUM(1)" not in text and "Warsaw" not in text and "KWD" not in text


def test_an_organiser_cannot_reach_another_collective_through_a_filter(client, world):
    login(client, world.organiser_a)
    for path in ("contributions.csv", "collective.csv"):
        response = client.get(f"{ORGANISER}/{path}?collective=at-sum")
        assert response.status_code == 400
        # Refused exactly like a slug that does not exist: no hint that it does.
        unknown = client.get(f"{ORGANISER}/{path}?collective=at-sun").get_data(as_text=True)
        assert response.get_data(as_text=True).replace("at-sum", "at-sun") == unknown
    rows = as_dicts(client.get(f"{ORGANISER}/contributions.csv?collective=kino-a&country=FI"))
    assert len(rows) == 4


def test_an_organiser_without_a_collective_gets_an_empty_file(client, world):
    login(client, world.loner)
    assert parse(client.get(f"{ORGANISER}/contributions.csv")) == [CONTRIBUTION_HEADER]
    assert parse(client.get(f"{ORGANISER}/film.csv")) == [BREAKDOWN_HEADER]


def test_a_coordinator_s_organiser_export_is_their_own_memberships(client, world):
    # As on /organiser/money: the whole tour is under /coordination/.
    login(client, world.coordinator)
    assert parse(client.get(f"{ORGANISER}/contributions.csv")) == [CONTRIBUTION_HEADER]
    assert len(parse(client.get(f"{COORDINATION}/contributions.csv"))) == 7


# --- who may download ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"{COORDINATION}/contributions.csv",
                                  f"{COORDINATION}/beneficiary.csv",
                                  f"{ORGANISER}/contributions.csv", f"{ORGANISER}/month.csv"])
@pytest.mark.parametrize("role", ["anonymous", "organiser", "collective_admin", "coordinator",
                                  "admin"])
def test_role_matrix(client, world, path, role):
    users = {
        "anonymous": None, "organiser": world.organiser_a,
        "collective_admin": make_user(Role.ORGANISER, world.a, admin_of_collective=True),
        "coordinator": world.coordinator, "admin": make_user(Role.ADMIN),
    }
    if users[role] is not None:
        login(client, users[role])
    response = client.get(path + "?country=FI")
    if role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    elif path.startswith(COORDINATION) and role in ("organiser", "collective_admin"):
        assert response.status_code == 403
        assert b"Solidarity Collectives" not in response.get_data()
    else:
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Cache-Control"] == "no-store"


# --- streaming --------------------------------------------------------------------------------


def _bulk_contributions(fundraiser_id: int, how_many: int) -> None:
    """Many rows at once, straight into the table (the export reads only contributions)."""
    db.session.execute(insert(Contribution), [
        {"fundraiser_id": fundraiser_id, "amount_minor": 1000 + n, "currency": "EUR",
         "received_on": DAY, "channel": "door", "state": ContributionState.COLLECTED,
         "base_currency": "EUR", "base_amount_minor": 1000 + n, "rate_per_base": 1,
         "transfer_reference": f"REF-{n:06}", "note": ""}
        for n in range(how_many)])
    db.session.commit()


def _peak_memory(filters: ledger.Filters) -> tuple[int, int]:
    """(rows written, peak bytes allocated) while the whole export is produced."""
    tracemalloc.start()
    try:
        size = sum(chunk.count("\r\n") for chunk in exports.contributions_csv(filters))
        return size - 1, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_export_runs_in_constant_memory(world):
    only = ledger.Filters(fundraiser_ids=frozenset({world.s1.fundraiser.id}))
    _peak_memory(only)  # warm up: compiled-statement caches are not the rows' memory
    _bulk_contributions(world.s1.fundraiser.id, 2_000)
    rows_small, small = _peak_memory(only)
    _bulk_contributions(world.s1.fundraiser.id, 4_000)
    rows_large, large = _peak_memory(only)
    assert (rows_small, rows_large) == (2_004, 6_004)
    # Three times the rows: a loaded list needs three times the memory; a stream does not.
    assert large < small * 1.5, (small, large)
