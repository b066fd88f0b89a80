"""What the API tests share: a small world of two collectives, tokens, and the error-shape check.

The other tests/test_api_*.py modules import from here; the few tests below check the helpers.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Collective, ExchangeRate, Role, Screening, Status, User
from app.services import api_tokens
from tests.conftest import make_collective, make_screening, make_user
from tests.test_lifecycle import add_helsinki

TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)
API = "/api/v1"


@dataclass
class World:
    """Collectives A and B, one person per role, a published screening of each."""

    a: Collective
    b: Collective
    organiser_a: User
    organiser_b: User
    coordinator: User
    unenrolled: User  # a coordinator without two-factor authentication
    screening_a: Screening
    screening_b: Screening


def build() -> World:
    """Commit the world (the catalogue fixture must be in place)."""
    add_helsinki()
    a, b = make_collective("collective-a"), make_collective("collective-b")
    coordinator = make_user(Role.COORDINATOR)
    world = World(
        a=a, b=b, organiser_a=make_user(Role.ORGANISER, a),
        organiser_b=make_user(Role.ORGANISER, b), coordinator=coordinator,
        unenrolled=make_user(Role.COORDINATOR, two_factor=False),
        screening_a=make_screening(a, coordinator, Status.PUBLISHED),
        screening_b=make_screening(b, coordinator, Status.PUBLISHED),
    )
    return world


@pytest.fixture
def world(catalogue) -> World:
    return build()


def token_for(user: User, label: str = "tests") -> str:
    """A committed token of the user; its plaintext."""
    plaintext, _record = api_tokens.create(user, label, actor=user)
    db.session.commit()
    return plaintext


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def add_rate(currency: str, per_base: str, valid_on: date = date(2020, 1, 1)) -> ExchangeRate:
    """A committed exchange rate."""
    rate = ExchangeRate(currency=currency, valid_on=valid_on, per_base=Decimal(per_base))
    db.session.add(rate)
    db.session.commit()
    return rate


def contribution_body(**changes) -> dict:
    """A valid contribution body: 120.50 EUR at the door, collected yesterday."""
    body = {"amount": "120.50", "currency": "EUR", "received_on": YESTERDAY.isoformat(),
            "channel": "door", "state": "collected"}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


def contributions_url(screening: Screening) -> str:
    return f"{API}/screenings/{screening.id}/contributions"


def error_of(response, status: int, code: str | None = None) -> dict:
    """The response's error object, after checking the shape exactly; returns it."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in error["fields"].items())
    if code is not None:
        assert error["code"] == code, error
    return error


# --- the helpers themselves ---------------------------------------------------------------------


def test_a_token_authenticates_its_user(world):
    token = token_for(world.organiser_a)
    assert token.startswith("ss_")
    assert api_tokens.authenticate(token).id == world.organiser_a.id


def test_the_error_check_refuses_other_shapes(app):
    class Fake:
        status_code, mimetype = 400, "application/json"

        def __init__(self, body):
            self.body = body

        def get_json(self):
            return self.body

        def get_data(self, as_text=False):
            return str(self.body)

    error_of(Fake({"error": {"code": "x", "message": "y", "fields": {}}}), 400)
    for wrong in ({"error": "x"}, {"error": {"code": "x", "message": "y"}},
                  {"error": {"code": "x", "message": "y", "fields": {}}, "extra": 1}):
        with pytest.raises(AssertionError):
            error_of(Fake(wrong), 400)
