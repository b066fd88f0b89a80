"""GET and POST /api/v1/rates: exchange rates, read by any account, set by coordinators."""

from flask import jsonify, request

from ..extensions import db
from ..services import money, rates
from . import items
from .auth import require_coordinator, require_user
from .blueprint import bp
from .bodies import RateIn, parse_body
from .errors import ApiError
from .idempotency import idempotent
from .pagination import page_args, paginate


def _currency_filter() -> str | None:
    raw = request.args.get("currency")
    if raw is None or not raw.strip():
        return None
    try:
        return money.check_currency(raw[:8])
    except money.MoneyError as exc:
        raise ApiError(400, "bad_request", "The filter is not acceptable.",
                       {"currency": str(exc)}) from None


@bp.get("/rates")
def list_rates():
    """Rates, newest first, optionally of one currency, a page at a time."""
    require_user()
    currency = _currency_filter()
    args = page_args()
    return jsonify(paginate(rates.rates_query(currency), args, items.rate))


@bp.post("/rates")
@idempotent
def create_rate():
    """Set a rate (a second one for the same currency and day replaces it) and re-convert
    the contributions it affects; 201 with the rate and how many were re-converted."""
    user = require_coordinator()
    body = parse_body(RateIn)
    rate, reconverted = rates.set_rate(body.currency, body.valid_on, body.per_base, user,
                                       source="api")
    db.session.commit()
    return jsonify({"rate": items.rate(rate), "reconverted": reconverted}), 201
