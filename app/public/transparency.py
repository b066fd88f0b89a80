"""The public transparency page: what the tour has raised, in aggregate only."""

from dataclasses import replace

from flask import render_template

from ..locales import with_country_names
from ..services import public_money
from .routes import bp


@bp.get("/transparency")
def transparency():
    """Money raised by public fundraisers, by beneficiary, film and country."""
    summary = public_money.public_summary()
    summary = replace(summary, by_country=with_country_names(summary.by_country))
    return render_template("public/transparency.html", summary=summary)
