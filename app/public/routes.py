"""Public pages: upcoming screenings with their map, the archive of past ones, one screening."""

from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..extensions import db
from ..services import ledger, public_money, screenings
from ..services.errors import ValidationFailed
from ..services.screenings import facets, search, urls
from .forms import ScreeningFilterForm

bp = Blueprint("public", __name__)
# The map's pins (app/api/geojson.py), fetched by app/static/js/map.js with the page's filters.
GEOJSON_PATH = "/api/v1/screenings.geojson"


def _page_number() -> int:
    """The requested page, 1 for anything that is not a positive number."""
    value = request.args.get("page", "1")
    # isascii(): "²".isdigit() is true, yet int("²") fails.
    if value.isascii() and value.isdigit() and 0 < int(value) < 1_000_000:
        return int(value)
    return 1


def _map_settings(which: str, args: dict[str, str]) -> dict[str, str]:
    """What map.js needs, as data-* attributes: the pins' URL with the page's filters, and the
    configured tile server."""
    config = current_app.config
    tiles = config.get("TILE_URL") or ""
    return {"geojson": f"{GEOJSON_PATH}?{urlencode({**args, 'when': which})}",
            "tiles": tiles,
            "attribution": (config.get("TILE_ATTRIBUTION") or "") if tiles else "",
            "max-zoom": str(config.get("TILE_MAX_ZOOM") or 18)}


def _list_page(which: str, template: str):
    """A filtered, paginated list of public screenings with its filter form (and map); bad
    filters answer 400 with the form showing what is wrong."""
    form = ScreeningFilterForm(formdata=request.args)
    try:
        filters = search.parse_filters(request.args)
    except ValidationFailed as exc:
        filters = None
        form.show_errors(exc)
    form.fill(facets.filter_choices(filters))
    if filters is None:
        return render_template(template, form=form, page=None, raised={}, args={},
                               map_settings=None), 400
    query = search.upcoming(filters) if which == "upcoming" else search.past(filters)
    per_page = current_app.config["SCREENINGS_PER_PAGE"]
    page = db.paginate(query, page=_page_number(), per_page=per_page, error_out=False)
    raised = ledger.raised_by_fundraiser(
        [s.fundraiser.id for s in page.items if s.fundraiser.totals_public]
    )
    args = search.to_args(filters)
    return render_template(template, form=form, page=page, raised=raised, args=args,
                           map_settings=_map_settings(which, args))


@bp.get("/")
def index():
    """Upcoming public screenings, soonest first, on a map and in a list, with filters."""
    return _list_page("upcoming", "public/index.html")


@bp.get("/past")
def past():
    """Screenings that already took place, latest first, with the same filters and map."""
    return _list_page("past", "public/past.html")


@bp.get("/screenings/<int:screening_id>")
@bp.get("/screenings/<int:screening_id>/<slug>")
def screening(screening_id: int, slug: str | None = None):
    """One public screening; the slug after the id is decoration and is corrected if wrong."""
    item = screenings.get_public(screening_id)
    wanted = urls.slug(item.display_title, item.city.name)
    if slug is not None and slug != wanted:
        return redirect(url_for("public.screening", screening_id=item.id, slug=wanted), 301)
    total = progress = None
    if item.fundraiser.totals_public:
        total = ledger.totals_for_fundraiser(item.fundraiser.id)
        progress = public_money.goal_progress(item.fundraiser, total)
    return render_template("public/screening.html", screening=item, total=total,
                           progress=progress, slug=wanted)


from . import transparency  # noqa: E402, F401, I001  (registers its route on bp)
from . import pages  # noqa: E402, F401  (collective, film and beneficiary pages)
from . import embed  # noqa: E402, F401  (the embeddable widget)
from . import seo  # noqa: E402, F401  (sitemap.xml and robots.txt)
from . import feeds  # noqa: E402, F401  (registers its routes on bp)
from . import vendor  # noqa: E402, F401  (Leaflet files from the xstatic packages)
