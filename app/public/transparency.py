"""The public transparency page: what the tour has raised, in aggregate only."""

from flask import render_template

from ..services import public_money
from .routes import bp


@bp.get("/transparency")
def transparency():
    """Money raised by public fundraisers, by beneficiary, film and country."""
    return render_template("public/transparency.html", summary=public_money.public_summary())
