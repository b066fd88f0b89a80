"""The exchange-rates page: who may use it, a rate by hand (and what it re-converts), deleting
one, checking an ECB file before importing it, the history and the base-currency warning."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditEvent, Channel, Contribution, ExchangeRate, Role, Status
from app.services import ledger, rates
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page, visible_text
from tests.test_rate_limits import limited

HISTORY = (Path(__file__).parent / "fixtures" / "ecb" / "eurofxref-hist.csv").read_bytes()
URL = "/coordination/rates"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored() -> dict[tuple[str, date], Decimal]:
    return {(r.currency, r.valid_on): r.per_base
            for r in db.session.scalars(select(ExchangeRate))}


@pytest.fixture(autouse=True)
def kept_files(app, tmp_path, monkeypatch):
    """Checked files go to a temporary folder, not the instance folder."""
    folder = tmp_path / "rate_imports"
    monkeypatch.setitem(app.config, "RATE_IMPORT_DIR", str(folder))
    return folder


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR)


@pytest.fixture
def as_coordinator(client, coordinator):
    login(client, coordinator)
    return client


@pytest.fixture
def fundraiser(catalogue):
    organiser = make_user(Role.ORGANISER, make_collective("kino-kollektiv"))
    screening = make_screening(organiser.memberships[0].collective, actor=organiser,
                               status=Status.PUBLISHED)
    return screening.fundraiser


def give(fundraiser, amount: str, currency: str, received_on: date) -> Contribution:
    contribution = ledger.record_contribution(
        fundraiser, make_user(Role.COORDINATOR), amount=amount, currency=currency,
        received_on=received_on, channel=Channel.DOOR)
    db.session.commit()
    return contribution


def rate_form(currency="PLN", valid_on="2026-04-01", per_base="4.0000") -> dict:
    return {"rate-currency": currency, "rate-valid_on": valid_on, "rate-per_base": per_base}


def upload(client, data: bytes, name: str = "eurofxref-hist.csv"):
    return client.post(f"{URL}/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def token_of(response) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', page(response))
    assert match, "no confirmation form"
    return match.group(1)


# --- who may use it ----------------------------------------------------------------------------


@pytest.mark.parametrize("role, expected", [
    (None, "login"), (Role.ORGANISER, 403), (Role.COORDINATOR, 200), (Role.ADMIN, 200)])
def test_only_coordinators_and_admins_may_use_the_page(client, catalogue, role, expected):
    rate, _ = rates.set_rate("PLN", date(2026, 4, 1), "4.0000", None)
    db.session.commit()
    if role is not None:
        user = make_user(role, make_collective("kino") if role == Role.ORGANISER else None)
        login(client, user)
    requests = [
        ("GET", URL, None), ("GET", f"{URL}/{rate.id}/delete", None),
        ("POST", URL, rate_form(per_base="9.0000")),
        ("POST", f"{URL}/{rate.id}/delete", {}),
        ("POST", f"{URL}/import", {"file": (io.BytesIO(HISTORY), "eurofxref-hist.csv")}),
        ("POST", f"{URL}/import/confirm", {"token": "A" * 24}),
    ]
    for method, url, data in requests:
        response = client.open(url, method=method, data=data)
        if expected == "login":
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login?next=")
        elif expected == 403:
            assert response.status_code == 403, url
        else:
            assert response.status_code in (200, 302), (method, url, response.status_code)
            if method == "POST" and url == URL:
                break  # the remaining writes are tested below
    if expected != 200:
        assert stored() == {("PLN", date(2026, 4, 1)): Decimal("4.0000")}


def test_the_coordination_page_links_to_the_rates(as_coordinator):
    assert f'href="{URL}"' in page(as_coordinator.get("/coordination/"))


# --- a rate by hand ----------------------------------------------------------------------------


def test_a_rate_through_the_page_reconverts_a_contribution_and_changes_the_total(
        as_coordinator, fundraiser):
    give(fundraiser, "400.00", "PLN", date(2026, 4, 12))
    assert "1 not converted" in visible_text(as_coordinator.get("/coordination/"))

    response = as_coordinator.post(URL, data=rate_form(per_base="4.0000"),
                                   follow_redirects=True)
    text = visible_text(response)
    assert "Saved: 4 PLN per 1 EUR from 2026-04-01. 1 contribution re-converted." in text
    assert "€100.00" in visible_text(as_coordinator.get("/coordination/"))

    response = as_coordinator.post(URL, data=rate_form(per_base="5.0000"),
                                   follow_redirects=True)
    assert "Saved: 5 PLN per 1 EUR from 2026-04-01. 1 contribution re-converted." in \
        visible_text(response)
    assert "€80.00" in visible_text(as_coordinator.get("/coordination/"))
    assert stored() == {("PLN", date(2026, 4, 1)): Decimal("5.0000")}
    rate = db.session.scalars(select(ExchangeRate)).one()
    assert rate.source == "form"


@pytest.mark.parametrize("data, field, message", [
    (rate_form(per_base="4,2750"), "per_base", "Enter the rate as digits with a decimal point"),
    (rate_form(per_base="0"), "per_base", "A rate must be a number greater than zero."),
    (rate_form(per_base=""), "per_base", "This field is required."),
    (rate_form(currency="XYZ"), "currency", "XYZ is not a known ISO 4217 currency."),
    (rate_form(currency="EURO"), "currency", "Use a three-letter currency code"),
    (rate_form(currency="EUR"), "currency", "EUR is the base currency"),
    (rate_form(valid_on=(date.today() + timedelta(days=2)).isoformat()), "valid_on",
     "A rate cannot apply from a day that has not come yet."),
    (rate_form(valid_on="01/04/2026"), "valid_on", "Enter a date."),
])
def test_a_bad_rate_is_shown_beside_its_field_and_writes_nothing(as_coordinator, data, field,
                                                                 message):
    events = count(AuditEvent)  # logging in is audited
    response = as_coordinator.post(URL, data=data)
    assert response.status_code == 422
    html = page(response)
    error = re.search(rf'<p class="error" id="rate-{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1), html
    assert f'aria-describedby="rate-{field}-error"' in html
    assert (count(ExchangeRate), count(AuditEvent)) == (0, events)


def test_the_rate_field_asks_for_a_decimal_keyboard(as_coordinator):
    html = page(as_coordinator.get(URL))
    assert re.search(r'<input[^>]*id="rate-per_base"[^>]*inputmode="decimal"', html) or \
        re.search(r'<input[^>]*inputmode="decimal"[^>]*id="rate-per_base"', html)
    assert 'type="date"' in html
    assert "Units per 1 EUR" in html


def test_change_fills_the_form_with_the_rate(as_coordinator):
    rate, _ = rates.set_rate("PLN", date(2026, 4, 1), "4.2750", None)
    db.session.commit()
    html = page(as_coordinator.get(f"{URL}?edit={rate.id}"))
    assert 'value="PLN"' in html and 'value="2026-04-01"' in html and 'value="4.275"' in html
    assert as_coordinator.get(f"{URL}?edit=999999").status_code == 404


# --- deleting a rate ---------------------------------------------------------------------------


def test_deleting_asks_first_then_reconverts(as_coordinator, fundraiser):
    rates.set_rate("PLN", date(2026, 4, 1), "4.0000", None)
    may = rates.set_rate("PLN", date(2026, 5, 1), "5.0000", None)[0].id
    db.session.commit()
    give(fundraiser, "400.00", "PLN", date(2026, 5, 12))

    text = visible_text(as_coordinator.get(f"{URL}/{may}/delete"))
    assert "Delete the PLN rate from 2026-05-01?" in text
    assert stored()[("PLN", date(2026, 5, 1))] == Decimal("5.0000")

    response = as_coordinator.post(f"{URL}/{may}/delete", follow_redirects=True)
    assert "Deleted the rate of PLN from 2026-05-01. 1 contribution re-converted." in \
        visible_text(response)
    assert set(stored()) == {("PLN", date(2026, 4, 1))}
    assert "€100.00" in visible_text(as_coordinator.get("/coordination/"))
    assert as_coordinator.post(f"{URL}/{may}/delete").status_code == 404
    assert as_coordinator.get(f"{URL}/{may}/delete").status_code == 404


# --- importing an ECB file ---------------------------------------------------------------------


def test_a_file_is_checked_first_then_imported_on_confirmation(as_coordinator, fundraiser,
                                                               kept_files):
    give(fundraiser, "400.00", "PLN", date(2026, 4, 1))

    response = upload(as_coordinator, HISTORY)
    assert response.status_code == 200
    text = visible_text(response)
    events = count(AuditEvent)
    assert "Check before importing: eurofxref-hist.csv" in text
    assert "the ECB's historical file (eurofxref-hist.csv): 4 days from 2004-12-31 to " \
           "2026-04-02, 26 rates per 1 EUR. Nothing has been written yet." in text
    assert "New rates 26" in text and "Contributions converted again 1" in text
    assert (count(ExchangeRate), count(AuditEvent)) == (0, events)  # a dry run
    token = token_of(response)
    assert len(list(kept_files.iterdir())) == 1

    response = as_coordinator.post(f"{URL}/import/confirm", data={"token": token},
                                   follow_redirects=True)
    assert "Imported 26 rates: 26 new, 0 changed, 0 unchanged. 1 contribution re-converted." \
        in visible_text(response)
    assert count(ExchangeRate) == 26
    assert {r.source for r in db.session.scalars(select(ExchangeRate))} == {"import"}
    assert list(kept_files.iterdir()) == []
    assert "€93.57" in visible_text(as_coordinator.get("/coordination/"))  # 400 / 4.2750

    # The same confirmation again finds nothing to import.
    response = as_coordinator.post(f"{URL}/import/confirm", data={"token": token},
                                   follow_redirects=True)
    assert "no longer waiting to be imported" in visible_text(response)
    assert count(ExchangeRate) == 26


def test_a_file_already_imported_would_change_nothing(as_coordinator):
    confirm = as_coordinator.post(f"{URL}/import/confirm",
                                  data={"token": token_of(upload(as_coordinator, HISTORY))})
    assert confirm.status_code == 302
    text = visible_text(upload(as_coordinator, HISTORY))
    assert "Rates already there 26" in text
    assert "Importing this file would change nothing" in text
    assert "Import these rates" not in text


def test_a_bad_file_lists_its_problems_and_nothing_is_kept(as_coordinator, kept_files):
    data = b"Date,USD,XYZ,\n2026-04-01,1.08,4.27,\n"
    response = upload(as_coordinator, data, "rates.csv")
    assert response.status_code == 422
    text = visible_text(response)
    assert "rates.csv cannot be imported, so nothing was written:" in text
    assert "Row 1, column 3 (XYZ): XYZ is not an ISO 4217 currency" in text

    data = b"Date,USD,PLN,\n2026-04-01,1.08,-4,\n2026-04-01,1.08,4.2,\n"
    text = visible_text(upload(as_coordinator, data, "rates.csv"))
    assert 'Row 2, column PLN: a rate must be greater than zero, found "-4".' in text
    assert "Row 3, column Date: 2026-04-01 is already in row 2." in text
    assert count(ExchangeRate) == 0
    assert not kept_files.exists() or list(kept_files.iterdir()) == []


def test_no_file_is_a_field_error(as_coordinator):
    response = as_coordinator.post(f"{URL}/import", data={},
                                   content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a file." in visible_text(response)


def test_a_checked_file_is_only_for_whoever_uploaded_it(app, as_coordinator):
    token = token_of(upload(as_coordinator, HISTORY))
    other = app.test_client()
    login(other, make_user(Role.COORDINATOR))
    for bad in (token, "../../etc/passwd", "A" * 24):
        response = other.post(f"{URL}/import/confirm", data={"token": bad},
                              follow_redirects=True)
        assert "no longer waiting to be imported" in visible_text(response)
    assert count(ExchangeRate) == 0


# --- the history and the warnings --------------------------------------------------------------


def test_the_page_shows_current_rates_history_and_currencies_without_a_rate(
        as_coordinator, coordinator, fundraiser):
    rates.set_rate("PLN", date(2026, 4, 1), "4.2750", coordinator)
    rates.set_rate("PLN", date(2026, 5, 1), "4.3000", coordinator)
    db.session.commit()
    give(fundraiser, "9.00", "SEK", date(2026, 4, 1))
    text = visible_text(as_coordinator.get(URL))
    assert "PLN 4.3 2026-05-01 form 0" in text  # the current rate
    assert "SEK no rate 1 1" in text  # a contribution that cannot be converted
    assert f"2026-04-01 PLN 4.275 form {coordinator.email}" in text  # the history


def test_the_history_filters_by_currency_and_pages(as_coordinator):
    first = date(2026, 1, 1)
    rates.set_rates([("PLN", first + timedelta(days=n), Decimal("4.2")) for n in range(55)]
                    + [("USD", first, Decimal("1.08"))], None)
    db.session.commit()

    text = visible_text(as_coordinator.get(URL))
    assert "56 rates." in text and "Page 1 of 2" in text
    text = visible_text(as_coordinator.get(f"{URL}?currency=USD"))
    assert "1 rate." in text and "2026-01-01 USD 1.08" in text and "PLN 4.2 form" not in text
    html = page(as_coordinator.get(f"{URL}?currency=PLN"))
    assert "/coordination/rates?page=2&currency=PLN" in html
    assert as_coordinator.get(f"{URL}?currency=XYZ").status_code == 422


def test_a_base_currency_mismatch_shows_a_warning(as_coordinator, fundraiser):
    give(fundraiser, "10.00", "EUR", date(2026, 4, 1))
    assert "flask rates reconvert" not in page(as_coordinator.get(URL))
    db.session.execute(update(Contribution).values(base_currency="USD"))
    db.session.commit()
    text = visible_text(as_coordinator.get(URL))
    assert "1 contribution was converted to another base currency than EUR" in text
    assert "flask rates reconvert" in text


def test_checking_files_is_rate_limited_per_user(app):
    extra = limited(app)
    try:
        client = extra.test_client()
        login(client, make_user(Role.COORDINATOR))
        for _ in range(30):
            assert client.post(f"{URL}/import", data={}).status_code == 422
        assert client.post(f"{URL}/import", data={}).status_code == 429
        assert client.get(URL).status_code == 200
    finally:
        with extra.app_context():
            db.engine.dispose()
