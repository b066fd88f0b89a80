"""Revision counters: raised by the changes caches depend on, in the same transaction."""

from datetime import date

from app.extensions import db
from app.models import ExchangeRate, Role, Status
from app.services import ledger, revisions
from tests.conftest import PASSWORD, login, make_collective, make_screening, make_user


def _both() -> tuple[int, int]:
    return revisions.current(revisions.PUBLIC), revisions.current(revisions.LEDGER)


def test_a_new_database_starts_at_zero():
    assert _both() == (0, 0)
    assert revisions.current_all() == {}


def test_a_screening_raises_public_and_ledger_once_per_transaction(catalogue):
    collective = make_collective()
    before = _both()
    make_screening(collective, status=Status.PUBLISHED)  # several flushes, two commits
    public, ledger_revision = _both()
    assert public > before[0] and ledger_revision > before[1]
    screening = make_screening(collective)
    after_second = _both()
    screening.status = Status.PUBLISHED
    db.session.commit()
    assert revisions.current(revisions.PUBLIC) == after_second[0] + 1


def test_a_contribution_raises_the_ledger(catalogue):
    collective = make_collective()
    screening = make_screening(collective, status=Status.HELD)
    organiser = make_user(Role.ORGANISER, collective)
    before = revisions.current(revisions.LEDGER)
    ledger.record_contribution(screening.fundraiser, organiser, amount="10", currency="EUR",
                               received_on=date(2026, 1, 5), channel="door",
                               today=date(2026, 1, 6))
    db.session.commit()
    assert revisions.current(revisions.LEDGER) == before + 1


def test_a_rolled_back_change_raises_nothing(catalogue):
    collective = make_collective()
    make_screening(collective)
    before = _both()
    db.session.add(ExchangeRate(currency="SEK", valid_on=date(2026, 1, 5), per_base="11.5"))
    db.session.flush()
    db.session.rollback()
    assert _both() == before


def test_a_login_is_not_a_change_to_public_data(client):
    user = make_user(Role.ORGANISER)
    before = _both()
    login(client, user, PASSWORD)
    assert client.get("/account/").status_code in (200, 302)
    assert _both() == before


def test_a_ledger_rebuild_made_with_core_statements_raises_the_ledger():
    before = revisions.current(revisions.LEDGER)
    ledger.rebuild_days()
    db.session.commit()
    assert revisions.current(revisions.LEDGER) == before + 1
