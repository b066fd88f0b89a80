"""Public pages: upcoming screenings, the archive of past ones, one screening."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from slugify import slugify

from ..extensions import db
from ..services import ledger, public_money, screenings

bp = Blueprint("public", __name__)


def _page_number() -> int:
    """The requested page, 1 for anything that is not a positive number."""
    value = request.args.get("page", "1")
    # isascii(): "²".isdigit() is true, yet int("²") fails.
    if value.isascii() and value.isdigit() and 0 < int(value) < 1_000_000:
        return int(value)
    return 1


def _list_page(query, template: str):
    per_page = current_app.config["SCREENINGS_PER_PAGE"]
    page = db.paginate(query, page=_page_number(), per_page=per_page, error_out=False)
    raised = ledger.raised_by_fundraiser(
        [s.fundraiser.id for s in page.items if s.fundraiser.totals_public]
    )
    return render_template(template, page=page, raised=raised)


@bp.get("/")
def index():
    """Upcoming published screenings, soonest first."""
    return _list_page(screenings.upcoming_query(), "public/index.html")


@bp.get("/past")
def past():
    """Screenings that already took place, latest first."""
    return _list_page(screenings.past_query(), "public/past.html")


@bp.get("/screenings/<int:screening_id>")
@bp.get("/screenings/<int:screening_id>/<slug>")
def screening(screening_id: int, slug: str | None = None):
    """One public screening; the slug after the id is decoration and is corrected if wrong."""
    item = screenings.get_public(screening_id)
    wanted = slugify(f"{item.display_title} {item.city.name}")
    if slug is not None and slug != wanted:
        return redirect(url_for("public.screening", screening_id=item.id, slug=wanted), 301)
    total = progress = None
    if item.fundraiser.totals_public:
        total = ledger.totals_for_fundraiser(item.fundraiser.id)
        progress = public_money.goal_progress(item.fundraiser, total)
    return render_template("public/screening.html", screening=item, total=total,
                           progress=progress, slug=wanted)


from . import transparency  # noqa: E402, F401  (registers its route on bp)
