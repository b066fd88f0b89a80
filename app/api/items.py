"""JSON items: amounts as decimal strings, dates ISO 8601, timestamps with their UTC offset."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ..models import Contribution, ExchangeRate, Screening, User, utcnow
from ..services import content_languages, ledger, localtime, money, permissions, privacy
from ..services.screenings import urls


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def decimal_string(value: Decimal | None) -> str | None:
    """A decimal without exponent or trailing zeros ("4.275", "1"), or None."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return text


def amount(minor: int | None, currency: str | None) -> dict | None:
    """{"amount": "12.50", "currency": "EUR"}, or None without an amount."""
    if minor is None or currency is None:
        return None
    return {"amount": money.format_plain(minor, currency), "currency": currency}


def contribution(item: Contribution) -> dict:
    """A contribution as the API shows it; base and rate are null while unconverted."""
    converted = item.base_amount_minor is not None and item.base_currency is not None
    return {
        "id": item.id,
        "amount": money.format_plain(item.amount_minor, item.currency),
        "currency": item.currency,
        "received_on": iso(item.received_on),
        "channel": str(item.channel),
        "state": str(item.state),
        "base": amount(item.base_amount_minor, item.base_currency) if converted else None,
        # A contribution in the base currency itself used no rate table entry: per_base "1".
        "rate": {"per_base": decimal_string(item.rate_per_base),
                 "valid_on": iso(item.rate_valid_on)} if converted else None,
        "transfer_reference": item.transfer_reference,
        "transferred_on": iso(item.transferred_on),
        "confirmed_at": iso(item.confirmed_at),
        "created_at": iso(item.created_at),
    }


def rate(item: ExchangeRate) -> dict:
    """An exchange rate: units of the currency per one base unit, from valid_on."""
    return {
        "id": item.id,
        "currency": item.currency,
        "valid_on": iso(item.valid_on),
        "per_base": decimal_string(item.per_base),
        "source": item.source,
        "created_at": iso(item.created_at),
    }


# --- screenings (DESIGN.md section 7) ------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is looking, read once per request so a page of items runs no query per item."""

    user: User | None = None
    collective_ids: frozenset[int] = frozenset()
    is_coordinator: bool = False

    @classmethod
    def of(cls, user: User | None) -> "Viewer":
        """The viewer for a user (None: anonymous)."""
        if user is None or not user.is_authenticated:
            return cls()
        return cls(user, frozenset(permissions.member_collective_ids(user)), user.is_coordinator)

    def may_edit(self, screening: Screening) -> bool:
        """permissions.can_edit_screening, from the memberships read once."""
        return self.is_coordinator or any(c.id in self.collective_ids
                                          for c in screening.collectives)

    def sees_address(self, screening: Screening, now: datetime) -> bool:
        """privacy.can_see_address: public or released, or a host member, or a coordinator."""
        return privacy.address_is_public(screening, now) or (
            self.user is not None and self.may_edit(screening))


def screening(item: Screening, viewer: Viewer, raised: dict[int, tuple[int, int]],
              base_currency: str, now: datetime,
              descriptions: dict[int, dict[str, str]] | None = None) -> dict:
    """A screening as the API shows it to this viewer; `raised` from
    ledger.raised_by_fundraiser and `descriptions` from
    content_languages.descriptions_by_screening (one query each for a whole page)."""
    fundraiser, venue, city = item.fundraiser, item.venue, item.city
    shows_raised = fundraiser.totals_public or viewer.may_edit(item)
    sees_address = viewer.sees_address(item, now)
    return {
        "id": item.id,
        "url": urls.public_path(item),
        "title": item.display_title,
        "film": {"slug": item.film.slug, "title": item.film.title},
        "collectives": [{"slug": c.slug, "name": c.name} for c in item.collectives],
        # The city's centre, never the venue's point.
        "city": {"name": city.name, "country_code": city.country.code, "lat": city.lat,
                 "lon": city.lon},
        "starts_at": localtime.to_local(item.starts_at, item.timezone).isoformat(),
        "timezone": item.timezone,
        "status": item.status.value,
        # Codes ("uk"); a value typed before codes were required comes back as it was.
        "language": item.language,
        "subtitles": item.subtitles,
        # The hosts' own text, and the same in other languages by code.
        "description": item.description or "",
        "descriptions": (descriptions or {}).get(item.id, {}),
        # The name can give the place away too: both null where the address is hidden.
        "venue": {"name": venue.name if sees_address else None,
                  "address": venue.address if sees_address else None,
                  "visibility": venue.visibility.value},
        "fundraiser": {
            "beneficiary": {"slug": fundraiser.beneficiary.slug,
                            "name": fundraiser.beneficiary.name},
            "purpose": fundraiser.purpose,
            "goal": amount(fundraiser.goal_amount_minor, fundraiser.goal_currency),
            "raised": amount(raised.get(fundraiser.id, (0, 0))[0], base_currency)
            if shows_raised else None,
        },
    }


def screenings(rows: list[Screening], viewer: Viewer, now: datetime | None = None) -> list[dict]:
    """Items for a page of screenings: the money raised is read in one query for all."""
    now = now or utcnow()
    visible = [s.fundraiser.id for s in rows if s.fundraiser.totals_public or viewer.may_edit(s)]
    raised = ledger.raised_by_fundraiser(visible)
    base = ledger.base_currency()
    descriptions = content_languages.descriptions_by_screening(row.id for row in rows)
    return [screening(row, viewer, raised, base, now, descriptions) for row in rows]
