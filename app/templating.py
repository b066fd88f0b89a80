"""Template filters and globals: local times, money, privacy-aware venue text, texts in the
reader's language."""

from datetime import datetime

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_percent as babel_percent
from flask import Flask, g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .locales import LazyLabels, country_name
from .models import Status, Visibility
from .services import content_languages, localtime, money, permissions, privacy

STATUS_LABELS = LazyLabels({
    Status.DRAFT: _l("Draft"),
    Status.SUBMITTED: _l("Waiting for approval"),
    Status.PUBLISHED: _l("Published"),
    Status.POSTPONED: _l("Postponed"),
    Status.RELOCATED: _l("Moved to a new venue"),
    Status.HELD: _l("Took place"),
    Status.CANCELLED: _l("Cancelled"),
})

VISIBILITY_LABELS = LazyLabels({
    Visibility.PUBLIC: _l("Public: anyone can see the address"),
    Visibility.CITY_ONLY: _l("City only: the public sees the city, members see the address"),
    Visibility.ON_REQUEST: _l("On request: as city only, and people contact you for the "
                              "address"),
})

DEFAULT_TIME_FORMAT = "%a %d %b %Y, %H:%M"
DATE_FORMAT = "%d %b %Y"
# The same fields as the English strftime formats, in each language's own order and words
# (CLDR skeletons of the date and the time: "Fri 12 Jun 2026, 19:00" is "ven 12 giu 2026,
# 19:00" in Italian).
SKELETONS = {DEFAULT_TIME_FORMAT: ("yMMMEd", "Hm"), DATE_FORMAT: ("yMMMd", None)}


def _locale() -> Locale:
    return get_locale() or Locale("en")


def _wall_clock(local: datetime, fmt: str) -> str:
    """English keeps its strftime format; other languages get the CLDR pattern of the same
    fields (a format without a skeleton stays as strftime writes it)."""
    locale = _locale()
    if locale.language == "en" or fmt not in SKELETONS:
        return local.strftime(fmt)
    date_skeleton, time_skeleton = SKELETONS[fmt]
    day = format_skeleton(date_skeleton, local, locale=locale)
    if time_skeleton is None:
        return day
    clock = format_skeleton(time_skeleton, local, locale=locale)
    # The locale's own way of joining a date and a time ("{1}, {0}", "{1} à {0}").
    return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", clock)


def local_time(moment: datetime, zone_name: str, fmt: str = DEFAULT_TIME_FORMAT) -> str:
    """The moment as wall-clock time in the zone, in the reader's language, with the zone's
    abbreviation."""
    local = localtime.to_local(moment, zone_name)
    return f"{_wall_clock(local, fmt)} {local.tzname()}"


def local_date(moment: datetime, zone_name: str) -> str:
    """The day of the moment in the zone, in the reader's language ("12 Jun 2026")."""
    return _wall_clock(localtime.to_local(moment, zone_name), DATE_FORMAT)


def format_percent(whole: int) -> str:
    """A whole percentage in the reader's language ("24%", "24 %" in German)."""
    return babel_percent(whole / 100, locale=_locale())


def iso_local(moment: datetime, zone_name: str) -> str:
    """ISO 8601 with the local offset, for <time datetime>."""
    return localtime.to_local(moment, zone_name).isoformat()


def format_money(minor: int | None, currency: str | None) -> str:
    """Amount for display; an em dash when missing."""
    if minor is None or currency is None:
        return "—"
    return money.format_display(minor, currency, str(_locale()))


def language_name(code_or_name: str | None) -> str:
    """The name of an ISO 639 code in the reader's language ("uk" -> "Ukrainian" in English,
    "ucraino" in Italian), else the text as typed."""
    if not code_or_name:
        return ""
    return _locale().languages.get(code_or_name.strip().lower(), code_or_name)


def install(app: Flask) -> None:
    """Register the filters and globals."""
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(iso_local, "iso_local")
    app.add_template_filter(language_name, "language_name")
    app.add_template_filter(country_name, "country_name")
    app.add_template_global(format_money, "format_money")
    app.add_template_global(format_percent, "format_percent")
    # public/_languages.html: a description or synopsis for the reader, and the languages shown.
    app.add_template_global(content_languages.content_text, "content_text")
    app.add_template_global(content_languages.showing_line, "showing_line")
    app.add_template_global(STATUS_LABELS, "STATUS_LABELS")
    app.add_template_global(VISIBILITY_LABELS, "VISIBILITY_LABELS")
    app.add_template_global(Status, "Status")
    app.add_template_global(generate_csrf, "csrf_token")

    @app.context_processor
    def privacy_helpers():
        def can_see_address(screening) -> bool:
            # Memberships read once per request, not once per card of a list.
            if "member_collective_ids" not in g:
                g.member_collective_ids = permissions.member_collective_ids(current_user)
            return privacy.can_see_address(screening, current_user,
                                           member_ids=g.member_collective_ids)

        return {"can_see_address": can_see_address}
