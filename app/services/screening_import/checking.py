"""Checking each row against the same rules as the screening form, with the catalogue
loaded once: what each row would create, or why it is skipped or refused."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from ...models import Visibility
from .. import cities, localtime, money
from ..screenings import MAX_ATTENDANCE, MAX_LENGTHS
from .catalogue import Catalogue, CityRef, cell_date
from .layout import DEFAULT_START_TIME, LIST_SEPARATOR
from .messages import N_, Message, from_error
from .reading import Row

CREATE, DUPLICATE, REFUSED = "create", "duplicate", "refused"
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass
class Plan:
    """What a valid row creates: matched ids and checked values."""

    film_id: int
    collective_ids: list[int]
    city: CityRef
    beneficiary_id: int
    starts_at: datetime  # UTC
    local_day: date
    venue_name: str
    venue_address: str
    visibility: Visibility
    purpose: str
    goal_minor: int | None
    goal_currency: str | None
    attendance: int | None
    raised_amount: str | None  # checked text, recorded through the ledger on import
    raised_currency: str | None
    title: str
    description: str


@dataclass
class RowResult:
    """One row's outcome, with reasons (column, message) when refused or skipped."""

    number: int
    label: str
    outcome: str = CREATE
    reasons: list[tuple[str, Message]] = field(default_factory=list)
    plan: Plan | None = None
    duplicate_of: int | None = None
    screening_id: int | None = None  # once written


def _text(cells: dict, column: str) -> str:
    value = cells.get(column)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _amount_text(cells: dict, column: str) -> str:
    """An amount as text; number cells become their exact decimal form (120.5 -> "120.5")."""
    value = cells.get(column)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format(Decimal(str(value)), "f")
    return _text(cells, column)


def _start_time(value: object) -> time | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return time.fromisoformat(DEFAULT_START_TIME)
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    if isinstance(value, float) and 0 <= value < 1:  # a spreadsheet time: a fraction of a day
        minutes = round(value * 24 * 60)
        return time(minutes // 60, minutes % 60)
    match = _TIME.match(str(value).strip())
    if match:
        hour, minute, second = (int(part or 0) for part in match.groups())
        if hour < 24 and minute < 60 and second < 60:
            return time(hour, minute)
    return None


def _money(cells: dict, amount_col: str, currency_col: str, reasons: list):
    """(minor units, currency, checked text) or Nones; both columns or neither."""
    amount, currency = _amount_text(cells, amount_col), _text(cells, currency_col).upper()
    if not amount and not currency:
        return None, None, None
    if not currency:
        reasons.append((currency_col, Message.of(N_("Give the currency of %(column)s."),
                                                 column=amount_col)))
        return None, None, None
    try:
        currency = money.check_currency(currency)
    except money.MoneyError as exc:
        reasons.append((currency_col, from_error(exc)))
        return None, None, None
    if not amount:
        reasons.append((amount_col, Message.of(N_("Give the amount, or leave %(column)s empty."),
                                               column=currency_col)))
        return None, None, None
    try:
        minor = money.parse(amount, currency)
    except money.MoneyError as exc:
        reasons.append((amount_col, from_error(exc)))
        return None, None, None
    if minor <= 0:
        reasons.append((amount_col, Message(N_("The amount must be greater than zero, or left "
                                               "empty."))))
        return None, None, None
    return minor, currency, amount


def _attendance(cells: dict, reasons: list) -> int | None:
    text = _text(cells, "attendance")
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_ATTENDANCE:
        reasons.append(("attendance", Message.of(N_("Enter a whole number from 0 to %(limit)s."),
                                                 numbers=("limit",), limit=MAX_ATTENDANCE)))
        return None
    return int(text)


def _visibility(cells: dict, reasons: list) -> Visibility:
    text = _text(cells, "visibility").casefold().replace("-", " ").replace(" ", "_")
    try:
        return Visibility(text or Visibility.CITY_ONLY)
    except ValueError:
        reasons.append(("visibility", Message(N_("Use public, city_only or on_request."))))
        return Visibility.CITY_ONLY


def _match(cells: dict, catalogue: Catalogue, reasons: list):
    """The film, collectives, beneficiary and city the row names."""
    film_text = _text(cells, "film")
    film = catalogue.film(film_text)
    if film is None:
        reasons.append(("film", Message.of(N_("No film with the slug or title "
                                              "\u201c%(text)s\u201d."), text=film_text)
                        if film_text else Message(N_("Enter the film."))))
    collective_ids: list[int] = []
    names = [part.strip() for part in _text(cells, "collectives").split(LIST_SEPARATOR)]
    for name in filter(None, names):
        ref = catalogue.collective(name)
        if ref is None:
            reasons.append(("collectives", Message.of(
                N_("No collective with the slug or name \u201c%(text)s\u201d."), text=name)))
        elif ref.id not in collective_ids:
            collective_ids.append(ref.id)
    if not any(names):
        reasons.append(("collectives", Message(N_("Enter the host collective."))))
    beneficiary_text = _text(cells, "beneficiary")
    beneficiary = catalogue.beneficiary(beneficiary_text)
    if beneficiary is None:
        reasons.append(("beneficiary", Message.of(
            N_("No beneficiary with the slug or name \u201c%(text)s\u201d."),
            text=beneficiary_text) if beneficiary_text
            else Message(N_("Enter who the money was for."))))
    city_name, code = _text(cells, "city"), _text(cells, "country").upper()
    city = None
    if not code:
        reasons.append(("country", Message(N_("Enter the ISO 3166 country code (e.g. FI)."))))
    elif cities.country_name(code) is None:
        # The cities service's own messages (the same msgids, so the same translations).
        reasons.append(("country", Message.of(
            N_("'%(code)s' is not a known ISO 3166 country code."), code=code)))
    elif not city_name:
        reasons.append(("city", Message(N_("Enter the city."))))
    else:
        city = catalogue.city(city_name, code)
        if city is None:
            reasons.append(("city", Message.of(
                N_("We do not know a city called '%(name)s' in %(country)s."),
                name=city_name, country=cities.country_name(code))))
    return film, collective_ids, beneficiary, city


def _check(row: Row, catalogue: Catalogue, now: datetime) -> RowResult:
    cells, reasons = row.cells, []
    day, start = cell_date(cells.get("date")), _start_time(cells.get("start_time"))
    label = " \u00b7 ".join(filter(None, (day.isoformat() if day else _text(cells, "date"),
                                          _text(cells, "city"), _text(cells, "film"))))
    result = RowResult(row.number, label[:200])
    film, collective_ids, beneficiary, city = _match(cells, catalogue, reasons)
    if day is None:
        reasons.append(("date", Message(N_("Enter the date as YYYY-MM-DD (e.g. 2025-03-14).")
                                        if _text(cells, "date") else N_("Enter the date."))))
    if start is None:
        reasons.append(("start_time", Message(N_("Enter the local start time as HH:MM "
                                                 "(e.g. 19:30)."))))
    starts_at = None
    if day and start and city:
        try:
            starts_at = localtime.local_to_utc(datetime.combine(day, start), city.timezone)
        except localtime.LocalTimeError as exc:
            reasons.append(("start_time", from_error(exc)))
        else:
            if starts_at >= now:
                reasons.append(("date", Message(N_("Only past screenings can be imported (they "
                                                   "are recorded as held)."))))
    texts = {column: _text(cells, column) for column in MAX_LENGTHS if column in cells}
    for column, limit in MAX_LENGTHS.items():
        if len(texts.get(column, "")) > limit:
            reasons.append((column, Message.of(N_("Use at most %(limit)s characters."),
                                               limit=limit)))
    for column, missing in (("venue_name", N_("Enter the venue.")),
                            ("purpose", N_("Enter what the money was for."))):
        if not texts.get(column):
            reasons.append((column, Message(missing)))
    visibility = _visibility(cells, reasons)
    goal_minor, goal_currency, _ = _money(cells, "goal_amount", "goal_currency", reasons)
    _, raised_currency, raised = _money(cells, "raised_amount", "raised_currency", reasons)
    attendance = _attendance(cells, reasons)

    if film and city and day and city.id is not None \
            and (film.id, city.id, day) in catalogue.existing:
        # Re-importing the same file must be harmless: a screening already recorded is skipped.
        number = catalogue.existing[(film.id, city.id, day)]
        result.outcome, result.duplicate_of = DUPLICATE, number
        result.reasons = [("date", Message.of(N_("Already recorded as screening #%(id)s (same "
                                                 "film, city and date)."), id=number))]
        return result
    if reasons:
        result.outcome, result.reasons = REFUSED, reasons
        return result
    result.plan = Plan(
        film_id=film.id, collective_ids=collective_ids, city=city, beneficiary_id=beneficiary.id,
        starts_at=starts_at, local_day=day, venue_name=texts["venue_name"],
        venue_address=texts.get("venue_address", ""), visibility=visibility,
        purpose=texts["purpose"], goal_minor=goal_minor, goal_currency=goal_currency,
        attendance=attendance, raised_amount=raised, raised_currency=raised_currency,
        title=texts.get("title", ""), description=texts.get("description", ""),
    )
    return result


def check_rows(rows: list[Row], catalogue: Catalogue, now: datetime,
               progress: Callable[[int], None] | None = None) -> list[RowResult]:
    """Every row's outcome; a film, city and date repeated within the file is refused."""
    results: list[RowResult] = []
    seen: dict[tuple, int] = {}
    for done, row in enumerate(rows, start=1):
        result = _check(row, catalogue, now)
        if result.plan is not None:
            key = (result.plan.film_id, result.plan.city.key, result.plan.local_day)
            if key in seen:
                result.outcome, result.plan = REFUSED, None
                result.reasons = [("date", Message.of(
                    N_("Row %(row)s has the same film, city and date: a screening can be "
                       "listed once."), row=seen[key]))]
            else:
                seen[key] = row.number
        results.append(result)
        if progress is not None:
            progress(done)
    return results
