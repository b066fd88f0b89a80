"""Correcting a contribution: the same rules as recording one, a reason for new figures,
an audit trail, and optimistic locking so that a stale copy never overwrites a newer one."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuditEvent, Contribution, ExchangeRate, Role, Status
from app.services import ledger
from app.services.errors import NotFound, ValidationFailed
from tests.conftest import login, make_collective, make_screening, make_user
from tests.test_lifecycle import add_helsinki, page, visible_text

TODAY = date.today()


@pytest.fixture(autouse=True)
def helsinki():
    return add_helsinki()


@pytest.fixture
def collective(catalogue):
    return make_collective("kino-kollektiv")


@pytest.fixture
def organiser(collective):
    return make_user(Role.ORGANISER, collective)


@pytest.fixture
def screening(collective, organiser):
    return make_screening(collective, actor=organiser, status=Status.HELD)


@pytest.fixture
def pln_rate():
    db.session.add(ExchangeRate(currency="PLN", valid_on=date(2020, 1, 1),
                                per_base=Decimal("4.0000")))
    db.session.commit()


@pytest.fixture
def contribution(screening, organiser):
    """12.50 EUR collected at the door yesterday, committed at version 1."""
    item = ledger.record_contribution(
        screening.fundraiser, organiser, amount="12.50", currency="EUR",
        received_on=TODAY - timedelta(days=1), channel="door", state="collected",
        note="Door bucket",
    )
    db.session.commit()
    assert item.version_id == 1
    return item


def edit(contribution, actor, **changes):
    """update_contribution() with the contribution's current values and some changes."""
    values = dict(
        version=contribution.version_id, amount="12.50", currency=contribution.currency,
        received_on=contribution.received_on, channel=contribution.channel,
        state=contribution.state, transfer_reference=contribution.transfer_reference or "",
        note=contribution.note, reason="",
    )
    values.update(changes)
    return ledger.update_contribution(contribution, actor, **values)


def stored(contribution_id: int) -> tuple:
    db.session.expire_all()
    c = db.session.get(Contribution, contribution_id)
    return (c.amount_minor, c.currency, c.received_on, c.channel, c.state,
            c.transfer_reference, c.note, c.base_amount_minor, c.version_id)


def updates() -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "contribution.update")
        .order_by(AuditEvent.id)
    ))


# --- the service --------------------------------------------------------------------------------


def test_a_new_amount_in_another_currency_is_converted_and_audited(contribution, organiser,
                                                                    pln_rate):
    assert edit(contribution, organiser, amount="200.00", currency="pln",
                reason="Counted again: it was złoty")
    db.session.commit()
    assert (contribution.amount_minor, contribution.currency) == (20000, "PLN")
    assert contribution.base_amount_minor == 5000  # 200 PLN / 4.0 = 50 EUR
    assert contribution.rate_per_base == Decimal("4.0000")
    assert contribution.version_id == 2
    [event] = updates()
    assert event.actor_id == organiser.id
    assert event.object_id == contribution.id
    assert (event.before["amount"], event.before["currency"]) == ("12.50", "EUR")
    assert event.before["base_amount_minor"] == 1250
    assert (event.after["amount"], event.after["currency"]) == ("200.00", "PLN")
    assert event.after["base_amount_minor"] == 5000
    assert event.after["why"] == "Counted again: it was złoty"
    assert "Door bucket" not in str(event.before) + str(event.after)


def test_without_a_rate_the_new_currency_is_left_unconverted(contribution, organiser):
    edit(contribution, organiser, amount="100", currency="UAH", reason="Hryvnia, not euro")
    db.session.commit()
    assert contribution.base_amount_minor is None
    assert ledger.totals().unconverted == 1


@pytest.mark.parametrize("changes", [{"amount": "13.00"}, {"currency": "PLN"},
                                     {"amount": "13", "reason": "   "}])
def test_new_figures_need_a_reason(contribution, organiser, pln_rate, changes):
    before = stored(contribution.id)
    with pytest.raises(ValidationFailed) as refused:
        edit(contribution, organiser, **changes)
    assert set(refused.value.fields) == {"reason"}
    db.session.rollback()
    assert stored(contribution.id) == before
    assert updates() == []


def test_other_fields_change_without_a_reason(contribution, organiser):
    assert edit(contribution, organiser, state="transferred", transfer_reference=" TX-81 ",
                received_on=TODAY - timedelta(days=3), channel="bar", note="Moved on")
    db.session.commit()
    assert contribution.state.value == "transferred"
    assert contribution.transfer_reference == "TX-81"
    assert contribution.note == "Moved on"
    [event] = updates()
    assert event.before["state"] == "collected"
    assert event.after["state"] == "transferred"
    assert event.after["transfer_reference"] == "TX-81"
    assert event.after["note_changed"] is True
    assert event.after["why"] is None


def test_saving_the_same_values_changes_nothing(contribution, organiser):
    assert edit(contribution, organiser) is False
    db.session.commit()
    assert contribution.version_id == 1
    assert updates() == []


@pytest.mark.parametrize(("changes", "fields"), [
    ({"amount": "0"}, {"amount"}),
    ({"amount": "-5", "reason": "x"}, {"amount"}),
    ({"amount": "12.345", "reason": "x"}, {"amount"}),
    ({"amount": "lots", "reason": "x"}, {"amount"}),
    ({"currency": "XYZ", "reason": "x"}, {"currency"}),
    ({"channel": "pocket"}, {"channel"}),
    ({"state": "lost"}, {"state"}),
    # Two days on: the screening's local day may already be the server's tomorrow.
    ({"received_on": TODAY + timedelta(days=2)}, {"received_on"}),
    ({"received_on": None}, {"received_on"}),
    ({"transfer_reference": "r" * 201}, {"transfer_reference"}),
    ({"note": "n" * 2001}, {"note"}),
    ({"amount": "13", "reason": "r" * 501}, {"reason"}),
    ({"amount": "", "channel": "x", "state": "y"}, {"amount", "channel", "state"}),
])
def test_bad_input_is_refused_like_a_new_contribution(contribution, organiser, changes, fields):
    before = stored(contribution.id)
    with pytest.raises(ValidationFailed) as refused:
        edit(contribution, organiser, **changes)
    assert set(refused.value.fields) == fields
    db.session.rollback()
    assert stored(contribution.id) == before


def test_a_pledge_may_be_dated_in_the_future(contribution, organiser):
    edit(contribution, organiser, state="pledged", received_on=TODAY + timedelta(days=10))
    db.session.commit()
    assert contribution.received_on == TODAY + timedelta(days=10)


def test_a_copy_opened_at_an_older_version_is_refused(contribution, organiser):
    edit(contribution, organiser, state="transferred")
    db.session.commit()
    before = stored(contribution.id)
    with pytest.raises(ledger.StaleEdit, match="changed since you opened it"):
        edit(contribution, organiser, version=1, amount="99.00", reason="typo")
    db.session.rollback()
    assert stored(contribution.id) == before


def test_a_save_by_someone_else_meanwhile_is_caught_by_the_database(contribution, organiser):
    """The version matched when checked, yet another session committed before our flush."""
    assert contribution.amount_minor == 1250  # our copy is loaded, at version 1
    with Session(db.engine) as other:
        theirs = other.get(Contribution, contribution.id)
        theirs.note = "Their edit"
        other.commit()
    with pytest.raises(ledger.StaleEdit):
        edit(contribution, organiser, version=1, amount="99.00", reason="my edit")
    db.session.rollback()
    assert stored(contribution.id)[0] == 1250
    assert stored(contribution.id)[6] == "Their edit"
    assert updates() == []


def test_a_contribution_of_another_fundraiser_is_not_found(collective, contribution):
    other = make_screening(collective, status=Status.HELD)
    with pytest.raises(NotFound):
        ledger.get_contribution(other.fundraiser, contribution.id)
    with pytest.raises(NotFound):
        ledger.get_contribution(other.fundraiser, 999999)


# --- the edit page -------------------------------------------------------------------------------


def _url(screening, contribution) -> str:
    return f"/organiser/screenings/{screening.id}/contributions/{contribution.id}/edit"


def form(**changes) -> dict:
    data = {"amount": "12.50", "currency": "EUR",
            "received_on": (TODAY - timedelta(days=1)).isoformat(), "channel": "door",
            "state": "collected", "transfer_reference": "", "note": "Door bucket",
            "reason": "", "version": "1"}
    data.update(changes)
    return data


def field_value(body: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', body)
    value = re.search(r'\bvalue="([^"]*)"', match.group(0)) if match else None
    return value.group(1) if value else None


def test_the_form_is_filled_with_the_current_figures(client, organiser, screening,
                                                     contribution):
    login(client, organiser)
    body = page(client.get(_url(screening, contribution)))
    assert field_value(body, "amount") == "12.50"
    assert field_value(body, "currency") == "EUR"
    assert field_value(body, "version") == "1"
    assert 'type="hidden"' in re.search(r'<input[^>]*name="version"[^>]*>', body).group(0)
    assert "Correct a contribution" in body
    # The screening page links to it.
    screening_page = page(client.get(f"/organiser/screenings/{screening.id}"))
    assert _url(screening, contribution) in screening_page


def test_correcting_through_the_form(client, organiser, screening, contribution):
    login(client, organiser)
    response = client.post(_url(screening, contribution),
                           data=form(amount="15.00", reason="Found a note in the bucket"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organiser/screenings/{screening.id}"
    assert contribution.amount_minor == 1500
    [event] = updates()
    assert event.after["why"] == "Found a note in the bucket"
    assert event.ip == "127.0.0.1"


def test_of_two_people_editing_the_same_copy_only_the_first_wins(app, client, collective,
                                                                organiser, screening,
                                                                contribution):
    login(client, organiser)
    colleague = app.test_client()
    login(colleague, make_user(Role.ORGANISER, collective))
    opened = field_value(page(client.get(_url(screening, contribution))), "version")
    assert field_value(page(colleague.get(_url(screening, contribution))), "version") == opened

    first = colleague.post(_url(screening, contribution),
                           data=form(amount="20.00", reason="Recounted", version=opened))
    assert first.status_code == 302
    assert contribution.amount_minor == 2000

    second = client.post(_url(screening, contribution),
                         data=form(amount="30.00", reason="Mine", version=opened))
    assert second.status_code == 302
    assert second.headers["Location"] == _url(screening, contribution)
    shown = visible_text(client.get(second.headers["Location"]))
    assert "This contribution was changed since you opened it" in shown
    assert contribution.amount_minor == 2000  # nothing overwritten
    assert [e.after["amount"] for e in updates()] == ["20.00"]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"amount": "13.00"}, "reason", "Say why"),
    ({"amount": "abc", "reason": "x"}, "amount", ""),
    ({"currency": "EU"}, "currency", "three-letter"),
    ({"received_on": "yesterday"}, "received_on", "This field is required."),
    ({"received_on": (TODAY + timedelta(days=2)).isoformat()}, "received_on", "future"),
    ({"channel": "pocket"}, "channel", "Not a valid choice."),
])
def test_bad_input_answers_422_and_changes_nothing(client, organiser, screening, contribution,
                                                   changes, field, message):
    login(client, organiser)
    before = stored(contribution.id)
    response = client.post(_url(screening, contribution), data=form(**changes))
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page(response))
    assert error is not None and message in error.group(1)
    assert stored(contribution.id) == before


def test_another_collectives_organiser_gets_404(client, screening, contribution):
    login(client, make_user(Role.ORGANISER, make_collective("elsewhere"),
                              admin_of_collective=True))
    before = stored(contribution.id)
    assert client.get(_url(screening, contribution)).status_code == 404
    response = client.post(_url(screening, contribution), data=form(amount="1", reason="x"))
    assert response.status_code == 404
    assert stored(contribution.id) == before


def test_a_contribution_under_another_screenings_address_is_404(client, collective,
                                                                contribution):
    coordinator = make_user(Role.COORDINATOR)
    other = make_screening(collective, status=Status.HELD)
    login(client, coordinator)
    assert client.get(_url(other, contribution)).status_code == 404
    assert client.post(_url(other, contribution), data=form(amount="1", reason="x")
                       ).status_code == 404
    assert contribution.amount_minor == 1250


def test_anonymous_visitors_are_sent_to_login(client, screening, contribution):
    response = client.post(_url(screening, contribution), data=form(amount="1", reason="x"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert contribution.amount_minor == 1250


@pytest.mark.parametrize("role", ["admin_of_collective", Role.COORDINATOR, Role.ADMIN])
def test_collective_admins_and_coordinators_may_correct(client, collective, screening,
                                                        contribution, role):
    if role == "admin_of_collective":
        user = make_user(Role.ORGANISER, collective, admin_of_collective=True)
    else:
        user = make_user(role)
    login(client, user)
    response = client.post(_url(screening, contribution), data=form(state="transferred",
                                                                      transfer_reference="T1"))
    assert response.status_code == 302
    assert contribution.transfer_reference == "T1"
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "contribution.update", AuditEvent.actor_id == user.id)) == 1
