"""iCalendar (RFC 5545) for public screenings: the filtered feed and one screening's event.

Nothing here reads the logged-in user: feeds are public and cacheable, so a venue's address
appears only when privacy.address_is_public() says anyone may see it.
"""

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata

import icalendar
from flask_babel import gettext as _
from icalendar import Calendar, Event, vDuration
from sqlalchemy import and_, case, func, select

from ..extensions import db
from ..models import PUBLIC_STATUSES, Screening, Status, utcnow
from . import localtime, privacy
from .screenings import RUNNING_GRACE, get_public, search

PRODID = "-//Solidarity Screenings//Screening calendar 1.0//EN"
# Subscribed calendars poll this often (RFC 7986 REFRESH-INTERVAL, and Outlook's own name).
REFRESH = timedelta(hours=1)
DEFAULT_LENGTH = timedelta(hours=2)
# The calendar feed lists the soonest screenings up to this many: a subscription to "all"
# stays a size calendar programs accept.
MAX_EVENTS = 1000
# Before anything the site has ever published (an empty feed's Last-Modified).
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

ICAL_STATUS = {Status.CANCELLED: "CANCELLED", Status.POSTPONED: "TENTATIVE"}

# Part of every ETag: a release that changes the documents' bytes changes their ETags too.
FORMAT = f"1/icalendar {icalendar.__version__}/feedgen {metadata.version('feedgen')}"

PageUrl = Callable[[Screening], str]


@dataclass(frozen=True)
class Document:
    """A feed ready to answer a request: its validators now, its bytes only when needed (a
    304 skips rendering, which is most of a large feed's cost)."""

    etag: str
    last_modified: datetime
    render: Callable[[], bytes]


def validator(kind: str, address: str, url: str, screenings: Iterable[Screening],
              now: datetime) -> str:
    """An ETag from everything the document is made of: which screenings, in which order,
    each with its last change, and where it is served. The bytes are a function of these."""
    parts = [FORMAT, kind, address, url]
    parts.extend(f"{s.id}:{changed_at(s, now).isoformat()}" for s in screenings)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


def host_name(server_name: str | None, request_host: str) -> str:
    """The host that names this site in UIDs and tag URIs (SERVER_NAME, else the request's),
    without a port: the same screening must keep its UID whichever port served it."""
    host = (server_name or request_host or "localhost").strip().lower()
    return re.sub(r":\d+$", "", host)


def uid(screening: Screening, host: str) -> str:
    """The event's UID: stable for the screening's whole life (moves and cancellation too)."""
    return f"screening-{screening.id}@{host}"


def location(screening: Screening, now: datetime | None = None) -> str:
    """Where, as much as the public may know: the venue only when its address is public."""
    city = f"{screening.city.name}, {screening.city.country.name}"
    if not privacy.address_is_public(screening, now):
        return city
    venue = screening.venue
    parts = [venue.name, venue.address, city]
    return ", ".join(part for part in parts if part)


def duration(screening: Screening) -> timedelta:
    """The film's runtime, or two hours when it is not known."""
    minutes = screening.film.runtime_minutes
    return timedelta(minutes=minutes) if minutes else DEFAULT_LENGTH


def summary(screening: Screening) -> str:
    """The event title; a cancelled or postponed one says so (not every program shows STATUS)."""
    if screening.status == Status.CANCELLED:
        return _("Cancelled: %(title)s", title=screening.display_title)
    if screening.status == Status.POSTPONED:
        return _("Postponed: %(title)s", title=screening.display_title)
    return screening.display_title


def description(screening: Screening, page_url: str) -> str:
    """The screening's text, the fundraiser it serves and the link to its page."""
    fundraiser = screening.fundraiser
    parts = []
    if screening.status == Status.CANCELLED:
        parts.append(_("Cancelled: this screening will not take place."))
    elif screening.status == Status.POSTPONED:
        parts.append(_("Postponed: the new date will be announced."))
    if screening.description:
        parts.append(screening.description)
    parts.append(_("Film: %(title)s", title=screening.film.title))
    parts.append(_("Fundraiser for %(beneficiary)s: %(purpose)s",
                   beneficiary=fundraiser.beneficiary.name, purpose=fundraiser.purpose))
    hosts = ", ".join(c.name for c in screening.collectives)
    if hosts:
        parts.append(_("Hosted by %(hosts)s", hosts=hosts))
    parts.append(page_url)
    return "\n\n".join(parts)


def changed_at(screening: Screening, now: datetime | None = None) -> datetime:
    """When what the public sees of this screening last changed (its rows, or an address
    release that has come)."""
    moments = [screening.updated_at, screening.venue.updated_at, screening.fundraiser.updated_at,
               screening.film.updated_at, screening.city.updated_at,
               screening.city.country.updated_at,
               screening.fundraiser.beneficiary.updated_at,
               *(c.updated_at for c in screening.collectives)]
    release = screening.venue.address_release_at
    if release is not None and release <= (now or utcnow()):
        moments.append(release)
    return max(m for m in moments if m is not None)


def event(screening: Screening, host: str, page_url: str, now: datetime | None = None) -> Event:
    """The VEVENT of one screening, its times in the city's own zone."""
    zone = localtime.zone(screening.timezone)
    start = screening.starts_at.astimezone(zone)
    item = Event()
    item.add("uid", uid(screening, host))
    # Without a METHOD, DTSTAMP is when the event was last revised (RFC 5545 3.8.7.2), not
    # the time of the request: the same data gives the same document, as the ETag assumes.
    item.add("dtstamp", screening.updated_at.astimezone(UTC))
    item.add("last-modified", changed_at(screening, now).astimezone(UTC))
    item.add("created", screening.created_at.astimezone(UTC))
    item.add("sequence", screening.sequence or 0)
    item.start = start
    item.end = (screening.starts_at + duration(screening)).astimezone(zone)
    item.add("summary", summary(screening))
    item.add("description", description(screening, page_url))
    item.add("location", location(screening, now))
    item.add("url", page_url)
    item.add("status", ICAL_STATUS.get(screening.status, "CONFIRMED"))
    item.add("class", "PUBLIC")
    return item


def calendar(screenings: Iterable[Screening], *, host: str, page_url: PageUrl, name: str,
             feed_url: str | None = None, now: datetime | None = None) -> bytes:
    """A VCALENDAR with an event per screening and a VTIMEZONE for each zone they use."""
    now = now or utcnow()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))  # an X- name: icalendar needs the type
    if feed_url:
        cal.add("source", feed_url, parameters={"VALUE": "URI"})
    starts = []
    for screening in screenings:
        cal.add_component(event(screening, host, page_url(screening), now))
        starts.append(screening.starts_at.date())
    if starts:
        # Transitions only around the events: a zone from 1970 to 2038 is hundreds of lines.
        cal.add_missing_timezones(first_date=min(starts) - timedelta(days=366),
                                  last_date=max(starts) + timedelta(days=366))
    return cal.to_ical()


def calendar_name(filters: search.ScreeningFilters) -> str:
    """The calendar's name, naming the filters so two subscriptions can be told apart."""
    args = search.to_args(filters)
    if not args:
        return _("Solidarity Screenings")
    return _("Solidarity Screenings (%(filters)s)",
             filters=", ".join(f"{k} {v}" for k, v in args.items()))


def feed_screenings(filters: search.ScreeningFilters) -> list[Screening]:
    """Upcoming public screenings (cancelled and postponed included) for the feed, soonest
    first, eager-loaded."""
    return list(db.session.scalars(search.upcoming(filters).limit(MAX_EVENTS)))


def feed_changed_at(screenings: Iterable[Screening], now: datetime | None = None) -> datetime:
    """A Last-Modified for a feed: no earlier than any change that could alter its content.

    Besides the listed screenings' own changes it counts, in one query, the newest change to
    any public screening (one may have left the filters or the size limit) and the moment the
    latest one stopped being upcoming (it left the feed without being changed).
    """
    now = now or utcnow()
    finished = case((and_(Screening.starts_at < now - RUNNING_GRACE,
                          Screening.status != Status.POSTPONED), Screening.starts_at))
    newest_change, last_finished = db.session.execute(
        select(func.max(Screening.updated_at), func.max(finished))
        .where(Screening.status.in_(PUBLIC_STATUSES))
    ).one()
    moments = [EPOCH, *(changed_at(s, now) for s in screenings)]
    if newest_change is not None:
        moments.append(newest_change)
    if last_finished is not None:
        moments.append(min(now, last_finished + RUNNING_GRACE))
    return max(moments)


def feed_document(filters: search.ScreeningFilters, *, host: str, page_url: PageUrl,
                  feed_url: str, now: datetime | None = None) -> Document:
    """The calendar feed for the filters."""
    now = now or utcnow()
    items = feed_screenings(filters)
    return Document(
        etag=validator("ics", host, feed_url, items, now),
        last_modified=feed_changed_at(items, now),
        render=lambda: calendar(items, host=host, page_url=page_url,
                                name=calendar_name(filters), feed_url=feed_url, now=now),
    )


def screening_document(screening_id: int, *, host: str, page_url: PageUrl,
                       now: datetime | None = None) -> Document:
    """One public screening's calendar file; NotFound unless the public may see it."""
    now = now or utcnow()
    item = get_public(screening_id)
    return Document(
        etag=validator("ics-one", host, page_url(item), [item], now),
        last_modified=changed_at(item, now),
        render=lambda: calendar([item], host=host, page_url=page_url, name=item.display_title,
                                now=now),
    )
