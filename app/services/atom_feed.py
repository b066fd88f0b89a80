"""The Atom 1.0 feed of public screenings (feedgen): one entry per screening, newest change
first, never a private address (DESIGN.md section 5)."""

from collections.abc import Callable, Iterable
from datetime import datetime
from urllib.parse import urlencode

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from ..extensions import db
from ..models import Screening, Status, utcnow
from . import calendars, localtime
from .screenings import search

MAX_ENTRIES = 100
# The date in every tag: URI (RFC 4151): the site's names were minted under its host then.
TAG_DATE = "2026"
STATUS_WORDS = {Status.CANCELLED: _l("Cancelled"), Status.POSTPONED: _l("Postponed"),
                Status.RELOCATED: _l("Moved to a new venue"), Status.HELD: _l("Took place")}

PageUrl = Callable[[Screening], str]


def feed_id(host: str, filters: search.ScreeningFilters) -> str:
    """The feed's id: a tag URI naming the filters, the same on every request."""
    args = search.to_args(filters)
    query = f"?{urlencode(sorted(args.items()))}" if args else ""
    return f"tag:{host},{TAG_DATE}:feeds/screenings{query}"


def entry_id(screening: Screening, host: str) -> str:
    """A screening's entry id: a tag URI that survives new titles, dates and venues."""
    return f"tag:{host},{TAG_DATE}:screenings/{screening.id}"


def local_when(screening: Screening) -> str:
    """Date and wall-clock time in the screening's city, with the zone's abbreviation and name."""
    local = localtime.to_local(screening.starts_at, screening.timezone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()} ({screening.timezone})"


def title(screening: Screening) -> str:
    """The entry's title: status first when the screening is off, then what, where and when."""
    local = localtime.to_local(screening.starts_at, screening.timezone)
    text = f"{screening.display_title} — {screening.city.name}, {local:%d %b %Y}"
    if screening.status == Status.CANCELLED:
        return _("Cancelled: %(title)s", title=text)
    if screening.status == Status.POSTPONED:
        return _("Postponed: %(title)s", title=text)
    return text


def summary(screening: Screening, now: datetime | None = None) -> str:
    """Plain-text summary: when (local), where (as public as allowed), film, status, cause."""
    film = screening.film
    when = local_when(screening)
    if screening.status == Status.POSTPONED:
        when = _("postponed (was %(when)s); the new date will be announced", when=when)
    lines = [
        _("When: %(when)s", when=when),
        _("Where: %(where)s", where=calendars.location(screening, now)),
        _("Film: %(title)s (%(year)s)", title=film.title, year=film.year) if film.year
        else _("Film: %(title)s", title=film.title),
        _("Status: %(status)s", status=STATUS_WORDS.get(
            screening.status, pgettext("screening status", "Confirmed"))),
        _("Fundraiser for %(beneficiary)s: %(purpose)s",
          beneficiary=screening.fundraiser.beneficiary.name,
          purpose=screening.fundraiser.purpose),
    ]
    if screening.description:
        lines.append(screening.description)
    return "\n".join(lines)


def feed_screenings(filters: search.ScreeningFilters) -> list[Screening]:
    """Upcoming public screenings matching the filters, most recently changed first."""
    query = (search.upcoming(filters).order_by(None)
             .order_by(Screening.updated_at.desc(), Screening.id.desc()).limit(MAX_ENTRIES))
    return list(db.session.scalars(query))


def feed(screenings: Iterable[Screening], *, host: str, filters: search.ScreeningFilters,
         self_url: str, alternate_url: str, page_url: PageUrl, updated: datetime,
         now: datetime | None = None) -> bytes:
    """The Atom document (UTF-8 bytes)."""
    now = now or utcnow()
    from feedgen.feed import FeedGenerator  # lxml and feedgen: only workers that serve feeds

    fg = FeedGenerator()
    fg.id(feed_id(host, filters))
    fg.title(calendars.calendar_name(filters))
    fg.subtitle(_("Upcoming screenings, each paired with a fundraiser for a frontline "
                  "mutual-aid group. Times are local to each city."))
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=alternate_url, rel="alternate", type="text/html")
    fg.author({"name": _("Solidarity Screenings")})
    fg.generator("Solidarity Screenings")
    fg.updated(updated)
    for screening in screenings:
        url = page_url(screening)
        entry = fg.add_entry(order="append")
        entry.id(entry_id(screening, host))
        entry.title(title(screening))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.updated(calendars.changed_at(screening, now))
        entry.published(screening.published_at or screening.created_at)
        entry.summary(summary(screening, now), type="text")
        for collective in screening.collectives:
            entry.author({"name": collective.name})
    return fg.atom_str(pretty=True)



def document(filters: search.ScreeningFilters, *, host: str, self_url: str,
             alternate_url: str, page_url: PageUrl, now: datetime | None = None
             ) -> calendars.Document:
    """The Atom feed for the filters; its Last-Modified is also the feed's <updated>."""
    now = now or utcnow()
    items = feed_screenings(filters)
    changed = calendars.feed_changed_at(items, now)
    return calendars.Document(
        # <updated> is in the bytes, so it is in the ETag too.
        etag=calendars.validator("atom", host, f"{self_url} {alternate_url} {changed}", items,
                                 now),
        last_modified=changed,
        render=lambda: feed(items, host=host, filters=filters, self_url=self_url,
                            alternate_url=alternate_url, page_url=page_url, updated=changed,
                            now=now),
    )
