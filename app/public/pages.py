"""Public pages of a collective, a film and a beneficiary, each with its screenings and feeds."""

from flask import render_template, url_for
from flask_babel import gettext as _
from markupsafe import escape

from ..services import listings
from ..services.screenings import search
from .routes import bp


def embed_snippet(embed_url: str, name: str) -> str:
    """The one <iframe> line a collective copies into its own site, as HTML source."""
    title = escape(_("Upcoming screenings: %(name)s", name=name))
    return (f'<iframe src="{escape(embed_url)}" title="{title}" width="100%" height="420" '
            f'loading="lazy"></iframe>')


def _render(kind: str, slug: str):
    page = listings.subject_page(kind, slug)
    args = search.to_args(page.filters)
    extra = {}
    if kind == "collective":
        embed_url = url_for("public.embed", **args, _external=True)
        extra = {"embed_url": embed_url, "embed_snippet": embed_snippet(embed_url,
                                                                        page.subject.name)}
    return render_template(
        f"public/{kind}.html", page=page, raised=page.raised, feed_args=args,
        all_upcoming=url_for("public.index", **args), all_past=url_for("public.past", **args),
        canonical=url_for(f"public.{kind}", slug=page.subject.slug, _external=True),
        website=listings.safe_website(getattr(page.subject, "website", None)), **extra,
    )


@bp.get("/collectives/<slug>")
def collective(slug: str):
    """A host collective, its screenings, and the line to embed its list on another site."""
    return _render("collective", slug)


@bp.get("/films/<slug>")
def film(slug: str):
    """A film on tour and its screenings."""
    return _render("film", slug)


@bp.get("/beneficiaries/<slug>")
def beneficiary(slug: str):
    """A group that receives the money, and the screenings raising money for it."""
    return _render("beneficiary", slug)
