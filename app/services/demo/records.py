"""Get-or-create of each demo record by its natural key, through the services where they exist."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import (
    Beneficiary,
    CancelReason,
    City,
    Collective,
    Contribution,
    ContributionState,
    ExchangeRate,
    Film,
    Membership,
    MembershipRole,
    Screening,
    Status,
    User,
    utcnow,
)
from .. import audit, cities, content_languages, ledger, localtime, screenings, users
from . import data


class Tally:
    """How many demo objects of each kind exist, and how many this run created."""

    def __init__(self) -> None:
        self.present: Counter[str] = Counter()
        self.created: Counter[str] = Counter()

    def saw(self, kind: str, created: bool) -> None:
        """Count one object of a kind, found or created."""
        self.present[kind] += 1
        self.created[kind] += int(created)


def _get_or_add(model, tally: Tally, kind: str, key: dict, **values):
    """The row with these key values, else a new one with the other values too."""
    row = db.session.scalar(select(model).filter_by(**key))
    tally.saw(kind, row is None)
    if row is None:
        row = model(**key, **values)
        db.session.add(row)
        db.session.flush()
    return row


Places = dict[tuple[str, str], City]


def resolve_places() -> Places:
    """Every demo city by (gazetteer name, country code), found in the database or added."""
    wanted = sorted({(c[2], c[3]) for c in data.COLLECTIVES}
                    | {(s.city, s.country) for s in data.SCREENINGS})
    return {(name, code): cities.resolve(name, code) for name, code in wanted}


def ensure_catalogue(tally: Tally, places: Places) -> None:
    """The trilogy, the beneficiaries and the host collectives with their home cities."""
    for film in data.FILMS:
        values = {k: v for k, v in film.items() if k != "slug"}
        row = _get_or_add(Film, tally, "films", {"slug": film["slug"]},
                          screening_condition=data.CONDITION, **values)
        synopses = data.FILM_SYNOPSES.get(film["slug"])
        if synopses and not row.texts:  # never undo a coordinator's edits on a rerun
            content_languages.set_film_texts(row, list(synopses.items()))
    for beneficiary in data.BENEFICIARIES:
        values = {k: v for k, v in beneficiary.items() if k != "slug"}
        _get_or_add(Beneficiary, tally, "beneficiaries", {"slug": beneficiary["slug"]}, **values)
    for slug, name, city, country, trusted, contact in data.COLLECTIVES:
        description = (f"Activist collective in {city} that screens the trilogy with "
                       "fundraisers for frontline mutual-aid groups.")
        _get_or_add(Collective, tally, "collectives", {"slug": slug}, name=name,
                    description=description, home_city=places[(city, country)],
                    is_trusted=trusted, public_contact=contact)


def ensure_users(tally: Tally) -> dict[str, User]:
    """The demo accounts by email, with the demo password and their memberships."""
    password = current_app.config["DEMO_PASSWORD"]
    collective = db.session.scalar(
        select(Collective).where(Collective.slug == data.ORGANISER_COLLECTIVE)
    )
    accounts = {}
    for email, name, role, membership_role in data.USERS:
        user = users.find_by_email(email)
        tally.saw("users", user is None)
        if user is None:
            user = users.create_user(email, role, password, display_name=name)
        if email in data.DEMO_TWO_FACTOR_EMAILS and not user.has_two_factor:
            _enrol_demo_two_factor(user)
        if membership_role is not None:
            _get_or_add(Membership, tally, "memberships",
                        {"user_id": user.id, "collective_id": collective.id},
                        role=MembershipRole(membership_role))
        accounts[email] = user
    return accounts


def _enrol_demo_two_factor(user: User) -> None:
    """Switch two-factor on with the public demo secret (see data.DEMO_TOTP_SECRET)."""
    user.totp_secret, user.totp_confirmed_at = data.DEMO_TOTP_SECRET, utcnow()
    audit.record(None, "auth.2fa_enabled", user, after={"via": "demo_seed"})
    db.session.flush()


def rates_for_base(base: str) -> dict[date, dict[str, Decimal]]:
    """The demo rates re-expressed per unit of the base currency (they are given per EUR)."""
    tables = {}
    for valid_on, per_eur in data.RATES_PER_EUR.items():
        per_eur = {"EUR": "1", **per_eur}
        if base not in per_eur:
            continue  # no demo rate links this base currency to the others
        base_per_eur = Decimal(per_eur[base])
        tables[valid_on] = {
            currency: (Decimal(rate) / base_per_eur).quantize(Decimal("0.000001"))
            for currency, rate in per_eur.items() if currency != base
        }
    return tables


def ensure_rates(tally: Tally, actor: User) -> None:
    """The exchange rates, before any contribution, so that contributions convert."""
    for valid_on, table in rates_for_base(ledger.base_currency()).items():
        for currency, per_base in table.items():
            _get_or_add(ExchangeRate, tally, "rates", {"currency": currency, "valid_on": valid_on},
                        per_base=per_base, entered_by_id=actor.id)


def _input(spec: data.Screening, film: Film, city: City, today: date) -> screenings.ScreeningInput:
    """What an organiser would type for this demo screening."""
    currency, subtitles = data.COUNTRIES[spec.country]
    hour, minute = map(int, spec.time.split(":"))
    return screenings.ScreeningInput(
        film=film.slug, collective=spec.collective, city=city.name, country=spec.country,
        geonames_id=city.geonames_id, venue_name=spec.venue, venue_address=spec.address,
        visibility=spec.visibility,
        starts_at=datetime.combine(today + timedelta(days=spec.days), time(hour, minute)),
        beneficiary=spec.beneficiary, purpose=spec.purpose, title=spec.title,
        description=f"{film.title}, followed by a conversation and a fundraiser.",
        language=film.languages[0], subtitles=subtitles,
        goal_amount=spec.goal, goal_currency=currency if spec.goal else "",
    )


def _move_to(screening: Screening, spec: data.Screening, actor: User, coordinator: User) -> None:
    """Take a new draft through the lifecycle services to the status the spec asks for."""
    if spec.status == Status.DRAFT:
        return
    screenings.submit(screening, actor)
    if screening.status == Status.SUBMITTED and spec.status != Status.SUBMITTED:
        screenings.publish(screening, coordinator)
    if spec.status == Status.HELD:
        screenings.mark_held(screening, actor)
        # A stable head count derived from the title, so reruns never differ.
        screening.actual_attendance = 30 + sum(map(ord, spec.title)) % 120
    elif spec.status == Status.CANCELLED:
        screenings.cancel(screening, coordinator, CancelReason.THREATS, data.CANCEL_NOTE)
    if spec.title in data.RELEASE_HOURS:
        hours = data.RELEASE_HOURS[spec.title]
        screening.venue.address_release_at = screening.starts_at - timedelta(hours=hours)
    db.session.flush()


def ensure_screenings(tally: Tally, accounts: dict[str, User], places: Places) -> None:
    """Every demo screening with its fundraiser and contributions, each found or created."""
    coordinator = accounts["coordinator@example.org"]
    organiser = accounts["organiser@example.org"]
    films = {f.part: f for f in db.session.scalars(
        select(Film).where(Film.slug.in_([f["slug"] for f in data.FILMS]))
    )}
    today = datetime.now().date()
    for spec in data.SCREENINGS:
        film = films[spec.part]
        actor = organiser if spec.collective == data.ORGANISER_COLLECTIVE else coordinator
        city = places[(spec.city, spec.country)]
        # The natural key of a demo screening: film, city and title.
        screening = db.session.scalar(select(Screening).where(
            Screening.film_id == film.id, Screening.city_id == city.id,
            Screening.title == spec.title,
        ).limit(1))
        tally.saw("screenings", screening is None)
        if screening is None:
            screening = screenings.create(_input(spec, film, city, today), actor)
            _move_to(screening, spec, actor, coordinator)
        descriptions = data.SCREENING_DESCRIPTIONS.get(spec.title)
        if descriptions and not screening.texts:
            content_languages.set_screening_texts(screening, list(descriptions.items()))
        for entry in spec.money:
            _ensure_contribution(tally, screening, entry, spec.country, actor, coordinator)


def _ensure_contribution(tally: Tally, screening: Screening, entry: tuple, country: str,
                         actor: User, coordinator: User) -> None:
    """One demo contribution, keyed by fundraiser, channel and note."""
    amount, channel, state, days_after, *other = entry
    currency = other[0] if other else data.COUNTRIES[country][0]
    fundraiser, note = screening.fundraiser, data.NOTES[channel]
    known = db.session.scalar(select(Contribution.id).where(
        Contribution.fundraiser_id == fundraiser.id, Contribution.channel == channel,
        Contribution.note == note,
    ).limit(1))
    tally.saw("contributions", known is None)
    if known is not None:
        return
    today = datetime.now().date()
    received_on = localtime.to_local(screening.starts_at, screening.timezone).date()
    received_on += timedelta(days=days_after)
    if state != ContributionState.PLEDGED:
        received_on = min(received_on, today)
    contribution = ledger.record_contribution(
        fundraiser, actor, amount=amount, currency=currency, received_on=received_on,
        channel=channel, state=state, note=note,
    )
    if state in (ContributionState.TRANSFERRED, ContributionState.CONFIRMED):
        contribution.transferred_on = min(received_on + timedelta(days=7), today)
        contribution.transfer_reference = f"{fundraiser.beneficiary.slug[:3].upper()}-" \
                                          f"{received_on:%Y%m%d}-{fundraiser.id}"
    if state == ContributionState.CONFIRMED:
        contribution.confirmed_by_id, contribution.confirmed_at = coordinator.id, utcnow()
    db.session.flush()

