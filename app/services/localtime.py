"""Local wall-clock times in a city's IANA zone, converted to and from UTC."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _


class LocalTimeError(ValueError):
    """The local time cannot be placed in the zone; the message is safe to show."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or LocalTimeError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LocalTimeError(_("Unknown time zone '%(zone)s'.", zone=name)) from exc


def local_to_utc(local: datetime, zone_name: str) -> datetime:
    """UTC for a naive local time; refuses times skipped by a daylight-saving change.

    In the repeated hour of an autumn change the first occurrence is taken.
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    tz = zone(zone_name)
    aware = local.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local:
        skipped = local.strftime("%Y-%m-%d %H:%M")
        raise LocalTimeError(_(
            "%(time)s does not exist in %(zone)s: the clocks skip it when daylight saving "
            "time starts. Choose a time an hour later.", time=skipped, zone=zone_name))
    return utc


def to_local(moment: datetime, zone_name: str) -> datetime:
    """The aware local time in the zone for a UTC moment."""
    return moment.astimezone(zone(zone_name))
