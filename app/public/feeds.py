"""Calendar and Atom feeds of public screenings, with the list's filters and conditional GET."""

from flask import Response, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.http import is_resource_modified

from ..models import Screening
from ..services import atom_feed, calendars
from ..services.errors import ValidationFailed
from ..services.screenings import search, urls
from .routes import bp

ICS_TYPE = "text/calendar; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
# Feeds are the same for everyone, so shared caches may keep them, briefly: an address
# release or a cancellation should reach subscribers within minutes.
MAX_AGE = 300


def _host() -> str:
    return calendars.host_name(current_app.config.get("SERVER_NAME"), request.host)


def _page_url(screening: Screening) -> str:
    slug = urls.slug(screening.display_title, screening.city.name)
    return url_for("public.screening", screening_id=screening.id, slug=slug, _external=True)


def _bad_filters(exc: ValidationFailed) -> Response:
    lines = [_("Bad filter."), *(f"{name}: {message}" for name, message in exc.fields.items())]
    return Response("\n".join(lines) + "\n", 400, mimetype="text/plain")


def _conditional(document: calendars.Document, content_type: str,
                 filename: str | None = None) -> Response:
    """304 when the client's copy is current (rendered only when it is not)."""
    response = Response(content_type=content_type)
    # The fixed phrases follow the reader's language: one validator per language.
    etag = f"{document.etag}-{get_locale() or 'en'}"
    # Weak: the same data gives the same document, though not promised byte for byte.
    response.set_etag(etag, weak=True)
    response.last_modified = document.last_modified
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if is_resource_modified(request.environ, etag=etag,
                            last_modified=document.last_modified):
        response.set_data(document.render())
    else:
        response.status_code = 304
    return response


@bp.get("/feeds/screenings.ics")
def feed_ics():
    """Upcoming public screenings as an iCalendar feed (the list's filters apply)."""
    try:
        filters = search.parse_filters(request.args)
    except ValidationFailed as exc:
        return _bad_filters(exc)
    feed_url = url_for("public.feed_ics", _external=True, **search.to_args(filters))
    document = calendars.feed_document(filters, host=_host(), page_url=_page_url,
                                       feed_url=feed_url)
    return _conditional(document, ICS_TYPE, "screenings.ics")


@bp.get("/screenings/<int:screening_id>.ics")
def screening_ics(screening_id: int):
    """One public screening as an iCalendar file (404 for drafts and submissions)."""
    document = calendars.screening_document(screening_id, host=_host(), page_url=_page_url)
    return _conditional(document, ICS_TYPE, f"screening-{screening_id}.ics")


@bp.get("/feeds/screenings.atom")
def feed_atom():
    """Upcoming public screenings as an Atom feed, most recently changed first."""
    try:
        filters = search.parse_filters(request.args)
    except ValidationFailed as exc:
        return _bad_filters(exc)
    args = search.to_args(filters)
    document = atom_feed.document(
        filters, host=_host(), self_url=url_for("public.feed_atom", _external=True, **args),
        alternate_url=url_for("public.index", _external=True, **args), page_url=_page_url,
    )
    return _conditional(document, ATOM_TYPE)
