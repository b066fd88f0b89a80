"""GET /api/v1/totals: money raised in the base currency, optionally grouped; coordinators
see every fundraiser, everyone else the public ones."""

from flask import jsonify, request

from ..services import ledger, money
from ..services.errors import ValidationFailed
from .auth import caller
from .blueprint import bp
from .errors import ApiError


def _group_by() -> str | None:
    value = (request.args.get("group_by") or "").strip()
    if not value:
        return None
    if value not in ledger.GROUPINGS:
        raise ApiError(400, "bad_request", "The filter is not acceptable.",
                       {"group_by": f"Use one of: {', '.join(ledger.GROUPINGS)}."})
    return value


def _filters() -> ledger.Filters:
    user = caller()
    # Only coordinators see fundraisers whose totals are not public (DESIGN.md section 7).
    scope = ledger.Filters(public_only=not (user is not None and user.is_coordinator))
    try:
        return ledger.parse_filters(request.args, scope)
    except ValidationFailed as exc:
        # Query parameters at fault answer 400 across the API (bodies answer 422).
        raise ApiError(400, "bad_request", "The filter is not acceptable.", exc.fields) from None


@bp.get("/totals")
def totals():
    """{"currency", "total", "count", "unconverted", "groups": [...]}, amounts as strings."""
    group_by, filters = _group_by(), _filters()
    figures = ledger.totals(filters)
    base = figures.base_currency
    groups = ledger.breakdown(group_by, filters) if group_by else []
    return jsonify({
        "currency": base,
        "total": money.format_plain(figures.base_amount_minor, base),
        "count": figures.count,
        "unconverted": figures.unconverted,
        "groups": [{"key": g.key, "label": g.label,
                    "amount": money.format_plain(g.raised_minor, base),
                    "count": g.count, "unconverted": g.unconverted} for g in groups],
    })
