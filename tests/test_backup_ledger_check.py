"""The check every restore relies on: ledger.mismatches() is empty when the sums are in step,
also when one month cell gathers several ledger days."""

from datetime import date

from app.extensions import db
from app.models import Role
from app.services import ledger
from tests.conftest import make_collective, make_screening, make_user


def test_two_days_in_one_month_cell_are_in_step(catalogue):
    actor = make_user(Role.COORDINATOR)
    fundraiser = make_screening(make_collective()).fundraiser
    for day in (3, 17):
        ledger.record_contribution(fundraiser, actor, amount="10.00", currency="EUR",
                                   received_on=date(2026, 3, day), channel="door")
    db.session.commit()

    assert ledger.mismatches() == []
