"""Template filters and globals: local times, money, privacy-aware venue text."""

from datetime import datetime

from babel import Locale
from flask import Flask, g
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .models import Status, Visibility
from .services import localtime, money, permissions, privacy

STATUS_LABELS = {
    Status.DRAFT: "Draft",
    Status.SUBMITTED: "Waiting for approval",
    Status.PUBLISHED: "Published",
    Status.POSTPONED: "Postponed",
    Status.RELOCATED: "Moved to a new venue",
    Status.HELD: "Took place",
    Status.CANCELLED: "Cancelled",
}

VISIBILITY_LABELS = {
    Visibility.PUBLIC: "Public: anyone can see the address",
    Visibility.CITY_ONLY: "City only: the public sees the city, members see the address",
    Visibility.ON_REQUEST: "On request: as city only, and people contact you for the address",
}


def local_time(moment: datetime, zone_name: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """The moment as wall-clock time in the zone, with the zone's abbreviation."""
    local = localtime.to_local(moment, zone_name)
    return f"{local.strftime(fmt)} {local.tzname()}"


def iso_local(moment: datetime, zone_name: str) -> str:
    """ISO 8601 with the local offset, for <time datetime>."""
    return localtime.to_local(moment, zone_name).isoformat()


def format_money(minor: int | None, currency: str | None) -> str:
    """Amount for display; an em dash when missing."""
    if minor is None or currency is None:
        return "—"
    return money.format_display(minor, currency, str(get_locale()))


def language_name(code_or_name: str | None) -> str:
    """English name of an ISO 639 code ("uk" -> "Ukrainian"), else the text as typed."""
    if not code_or_name:
        return ""
    return Locale("en").languages.get(code_or_name.strip().lower(), code_or_name)


def install(app: Flask) -> None:
    """Register the filters and globals."""
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(iso_local, "iso_local")
    app.add_template_filter(language_name, "language_name")
    app.add_template_global(format_money, "format_money")
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
