"""The money dashboard: what the tour raised, where, by whom, for whom, and how much reached
the beneficiary; shared with the organisers' page (app/organiser/money.py), which narrows it
to their collectives."""

from dataclasses import replace
from datetime import date
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError

from ..locales import with_country_names
from ..models import utcnow
from ..money_filters_form import MoneyFilterForm
from ..services import charts
from ..services.errors import ValidationFailed
from ..services.ledger import FILTER_ARGS, base_currency, progress
from ..services.ledger import cache as ledger_cache
from .blueprint import bp

EXPORT_BASE = "/coordination/money/export"  # the CSV exports (app/coordination/exports)
PER_PAGE = 20


def _rates_url() -> str:
    try:
        return url_for("coordination.rates")
    except BuildError:  # the rates page may not be registered yet
        return "/coordination/rates"


def _presets(today: date) -> list[tuple[str, dict[str, str]]]:
    """Quick date ranges for the filter bar."""
    return [(_("This month"), {"from": today.replace(day=1).isoformat(),
                               "to": today.isoformat()}),
            (_("This year"), {"from": today.replace(month=1, day=1).isoformat(),
                              "to": today.isoformat()})]


def render_money_page(*, scope: frozenset[int] | None, endpoint: str, heading: str,
                      export_base: str | None, all_collectives: str):
    """The dashboard page: its body from the ledger cache, or rendered (see _render_body).

    The body depends only on the ledger (names included: renaming a film raises the ledger
    revision), the filters, the scope, the reader's language and role, and the day; it is kept
    per ledger revision (services/ledger/cache.py), so a dashboard reloaded while nothing
    changed costs a revision check and the page around it.
    """
    today = utcnow().date()
    arguments = (endpoint, scope, tuple(sorted(request.args.items(multi=True))),
                 str(get_locale()), bool(current_user.is_coordinator), today, str(heading),
                 export_base, str(all_collectives))
    body, status = ledger_cache.cached("money-page", arguments, lambda: _render_body(
        scope=scope, endpoint=endpoint, heading=heading, export_base=export_base,
        all_collectives=all_collectives, today=today))
    return render_template("money/dashboard.html", heading=heading, body=body), status


def _render_body(*, scope: frozenset[int] | None, endpoint: str, heading: str,
                 export_base: str | None, all_collectives: str, today: date):
    """Parse the filters, gather the figures, draw the charts; 400 with messages on bad input.

    `scope`: the collective ids the figures are limited to (None: the whole tour).
    """
    choices = progress.filter_options(scope)
    form = MoneyFilterForm(formdata=request.args)
    form.fill(choices, all_collectives)
    typed = {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}
    board = month_chart = country_chart = None
    if scope is None or scope:
        try:
            filters = progress.scoped_filters(
                request.args, scope,
                None if scope is None else {slug for slug, _ in choices.collectives})
        except ValidationFailed as exc:
            form.show_errors(exc)
        else:
            board = progress.dashboard(filters, page=request.args.get("page", 1, type=int),
                                       per_page=PER_PAGE)
            board = replace(board, breakdowns={
                **board.breakdowns, "country": with_country_names(board.breakdowns["country"])})
            unconverted = board.totals.unconverted
            month_chart = charts.month_chart(
                board.breakdowns["month"], board.totals.base_currency,
                unconverted=board.unconverted_all)
            country_chart = charts.country_chart(
                board.breakdowns["country"], board.totals.base_currency, unconverted=unconverted)
    body = Markup(render_template(  # noqa: S704 (the template's own autoescaped output)
        "money/_body.html", heading=heading, endpoint=endpoint, form=form, board=board,
        month_chart=month_chart, country_chart=country_chart,
        months=charts.fill_month_groups(board.breakdowns["month"]) if board else [],
        scope=scope, typed=typed, query=urlencode(typed), export_base=export_base,
        rates_url=_rates_url(), presets=_presets(today), base=base_currency(),
    ))
    return body, 400 if form.errors else 200


@bp.get("/money")
def money():
    """The tour's money with filters, charts, goal progress and unreported screenings."""
    return render_money_page(scope=None, endpoint="coordination.money", heading=_("Money"),
                             export_base=EXPORT_BASE, all_collectives=_("All collectives"))
