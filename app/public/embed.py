"""The embeddable widget: a compact list of upcoming screenings other sites show in a frame."""

from flask import render_template, request, url_for

from ..security import allow_framing
from ..services import listings, privacy
from ..services.errors import ValidationFailed
from ..services.screenings import search
from .routes import bp


@bp.get("/embed")
@allow_framing
def embed():
    """Upcoming public screenings for any list filter (?collective=...), framable by any site."""
    try:
        filters = search.parse_filters(request.args)
    except ValidationFailed as exc:
        # Its own small page, framable too: the site that embeds it shows the problem.
        return render_template("public/embed.html", errors=exc.fields, listing=None), 400
    listing = listings.embed_list(filters)
    # address_is_public, never can_see_address: a host member's login must not put the
    # address into a page that other sites show.
    return render_template("public/embed.html", errors=None, listing=listing,
                           address_is_public=privacy.address_is_public,
                           more_url=url_for("public.index", **search.to_args(filters),
                                            _external=True))
