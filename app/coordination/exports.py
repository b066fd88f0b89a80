"""CSV exports for coordinators: every contribution and each money breakdown, with the same
query-string filters as the money dashboard. The organisers' exports reuse the helpers."""

from flask import Response, abort, request, stream_with_context
from flask_babel import gettext as _

from ..services import exports, ledger
from ..services.errors import ValidationFailed
from .blueprint import bp


def bad_filters(exc: ValidationFailed) -> Response:
    """A short plain-text 400 naming each filter at fault (a spreadsheet would hide HTML)."""
    # The argument names stay as typed in the address; the messages are in the reader's language.
    lines = [_("The export filters are not valid."),
             *(f"{name}: {message}" for name, message in exc.fields.items())]
    return Response("\n".join(lines) + "\n", status=400, mimetype="text/plain")


def csv_response(body, filename: str) -> Response:
    """A CSV download; `body` is text or an iterator of chunks (streamed)."""
    if not isinstance(body, str):
        body = stream_with_context(body)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def contributions_export(scope: frozenset[int] | None) -> Response:
    """Every contribution of the collectives in `scope` (None: all) within the request's
    filters, streamed."""
    try:
        filters = exports.parse_filters(request.args, scope)
    except ValidationFailed as exc:
        return bad_filters(exc)
    return csv_response(exports.contributions_csv(filters),
                        exports.export_filename("contributions", filters))


def breakdown_export(group_by: str, scope: frozenset[int] | None) -> Response:
    """One breakdown for the collectives in `scope` (None: all) within the request's filters
    (404 for an unknown breakdown)."""
    if group_by not in ledger.GROUPINGS:
        abort(404)
    try:
        filters = exports.parse_filters(request.args, scope)
    except ValidationFailed as exc:
        return bad_filters(exc)
    return csv_response(exports.breakdown_csv(group_by, filters),
                        exports.export_filename(group_by, filters))


@bp.get("/money/export/contributions.csv")
def export_contributions():
    """Every contribution of the tour as CSV."""
    return contributions_export(None)


@bp.get("/money/export/<group_by>.csv")
def export_breakdown(group_by: str):
    """The money of the tour by country, city, collective, film, beneficiary, month or
    currency, as CSV."""
    return breakdown_export(group_by, None)
