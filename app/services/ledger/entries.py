"""The contributions ledger: recording and correcting contributions, converted to the base
currency at the rate of their day. Functions flush; the caller commits."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...models import (
    Channel,
    Contribution,
    ContributionState,
    ExchangeRate,
    Fundraiser,
    User,
    utcnow,
)
from .. import audit, localtime, money
from ..errors import DomainError, NotFound, ValidationFailed
from . import rollup
from .rollup import base_currency


def contributions_of(fundraiser_id: int) -> list[Contribution]:
    """A fundraiser's contributions, oldest first."""
    return list(db.session.scalars(
        select(Contribution).where(Contribution.fundraiser_id == fundraiser_id)
        .order_by(Contribution.received_on, Contribution.id)
    ))


def rate_for(currency: str, on: date) -> ExchangeRate | None:
    """The latest rate for the currency valid on or before the day, if any."""
    return db.session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency, ExchangeRate.valid_on <= on)
        .order_by(ExchangeRate.valid_on.desc())
        .limit(1)
    )


def convert(contribution: Contribution) -> None:
    """Store the base amount and the rate used; without a usable rate it stays unconverted.

    ValidationFailed (on the amount) when the base equivalent would be too large to keep.
    """
    base = base_currency()
    contribution.base_currency = base
    if contribution.currency == base:
        contribution.base_amount_minor = contribution.amount_minor
        contribution.rate_per_base, contribution.rate_valid_on = 1, None
        return
    rate = rate_for(contribution.currency, contribution.received_on)
    if rate is None:
        contribution.base_amount_minor = contribution.rate_per_base = None
        contribution.rate_valid_on = None
        return
    try:
        contribution.base_amount_minor = money.convert_to_base(
            contribution.amount_minor, contribution.currency, rate.per_base, base
        )
    except money.MoneyError as exc:
        raise ValidationFailed({"amount": str(exc)}) from exc
    contribution.rate_per_base, contribution.rate_valid_on = rate.per_base, rate.valid_on


MAX_NOTE = 2000
MAX_REFERENCE = 200
MAX_REASON = 500

# Lazy: str() it where it is raised, so that the message is in the reader's language.
STALE_CONTRIBUTION = _l("This contribution was changed since you opened it.")


class StaleEdit(DomainError):
    """Someone saved the record after this copy was opened; nothing was written."""


@dataclass(frozen=True)
class _Checked:
    amount_minor: int
    currency: str
    channel: Channel
    state: ContributionState


CONFIRM_BY_COORDINATOR = _l("Only a coordinator can mark money as confirmed received by the "
                            "beneficiary.")


def local_today(fundraiser: Fundraiser) -> date:
    """Today where the screening is: after a late screening east of the server, the
    organisers' "today" is already the server's tomorrow."""
    return localtime.to_local(utcnow(), fundraiser.screening.timezone).date()


def _check_confirmation(actor: User, state, previous: ContributionState | None,
                        errors: dict[str, str]) -> None:
    """Confirmed means a coordinator (for the beneficiary) confirmed receipt (DESIGN.md 6)."""
    if actor.is_coordinator:
        return
    if previous == ContributionState.CONFIRMED:
        errors["state"] = _("A confirmed contribution can only be changed by a coordinator.")
    elif state == ContributionState.CONFIRMED:
        errors["state"] = str(CONFIRM_BY_COORDINATOR)


def _stamp_confirmation(contribution: Contribution, actor: User) -> None:
    """Who confirmed receipt and when; cleared when the state moves away from confirmed."""
    if contribution.state == ContributionState.CONFIRMED:
        if contribution.confirmed_by_id is None:
            contribution.confirmed_by_id, contribution.confirmed_at = actor.id, utcnow()
    else:
        contribution.confirmed_by_id = contribution.confirmed_at = None


def _check(amount: str, currency: str, received_on: date | None, channel, state,
           today: date, errors: dict[str, str], locale: str | None = None) -> _Checked:
    """The rules every contribution follows, added to errors (all problems at once)."""
    amount_minor = 0
    try:
        currency = money.check_currency(currency)
    except money.MoneyError as exc:
        errors["currency"] = str(exc)
    else:
        try:
            amount_minor = money.parse(amount, currency, locale)
        except money.MoneyError as exc:
            errors["amount"] = str(exc)
        else:
            if amount_minor <= 0:
                errors["amount"] = _("The amount must be greater than zero.")
    try:
        channel = Channel(channel)
    except ValueError:
        errors["channel"] = _("Choose how the money came in.")
    try:
        state = ContributionState(state)
    except ValueError:
        errors["state"] = _("Choose the state of the money.")
    if received_on is None:
        errors["received_on"] = _("Enter the date.")
    elif state != ContributionState.PLEDGED and received_on > today:
        errors["received_on"] = _("Money already received cannot have a date in the future.")
    return _Checked(amount_minor, currency, channel, state)


SENT = (ContributionState.TRANSFERRED, ContributionState.CONFIRMED)


def _transfer_day(state, received_on: date | None, transferred_on: date | None, today: date,
                  errors: dict[str, str]) -> date | None:
    """The day money was sent on: given, or today when it is first marked as sent."""
    if state not in SENT:
        if transferred_on is not None:
            errors["transferred_on"] = _("Only money sent on to the beneficiary has a transfer "
                                         "date.")
        return None
    transferred_on = transferred_on or today
    if transferred_on > today:
        errors["transferred_on"] = _("The transfer date cannot be in the future.")
    elif received_on is not None and "received_on" not in errors and transferred_on < received_on:
        errors["transferred_on"] = _("Money cannot be sent on before it came in.")
    return transferred_on


def _check_texts(errors: dict[str, str], **texts: tuple[str, int]) -> None:
    for field, (value, limit) in texts.items():
        if len(value) > limit:
            errors[field] = _("Use at most %(limit)s characters.", limit=limit)


def record_contribution(
    fundraiser: Fundraiser,
    actor: User,
    *,
    amount: str,
    currency: str,
    received_on: date,
    channel: Channel | str,
    state: ContributionState | str = ContributionState.COLLECTED,
    note: str = "",
    transfer_reference: str = "",
    transferred_on: date | None = None,
    today: date | None = None,
    locale: str | None = None,
) -> Contribution:
    """Add a contribution (amount as typed, e.g. "120.50") converted to the base currency.

    Every problem comes back at once as field errors; flushes only.
    """
    errors: dict[str, str] = {}
    today = today or local_today(fundraiser)
    checked = _check(amount, currency, received_on, channel, state, today, errors, locale)
    transferred_on = _transfer_day(checked.state, received_on, transferred_on, today, errors)
    _check_confirmation(actor, checked.state, None, errors)
    reference = (transfer_reference or "").strip()
    _check_texts(errors, transfer_reference=(reference, MAX_REFERENCE),
                 note=(note or "", MAX_NOTE))
    if errors:
        raise ValidationFailed(errors)

    contribution = Contribution(
        fundraiser_id=fundraiser.id, amount_minor=checked.amount_minor,
        currency=checked.currency, received_on=received_on, channel=checked.channel,
        state=checked.state, note=note, transfer_reference=reference or None,
        transferred_on=transferred_on, recorded_by_id=actor.id,
    )
    convert(contribution)  # before add(): the rate query must not flush a half-built row
    _stamp_confirmation(contribution, actor)
    db.session.add(contribution)
    db.session.flush()
    rollup.apply(rollup.Entry.of(contribution, base_currency()), 1)
    audit.record(
        actor, "contribution.create", contribution,
        after={"amount": money.format_plain(checked.amount_minor, checked.currency),
               "currency": checked.currency, "state": checked.state,
               "base_amount_minor": contribution.base_amount_minor},
    )
    return contribution


def get_contribution(fundraiser: Fundraiser, contribution_id: int) -> Contribution:
    """One of this fundraiser's contributions; NotFound for any other."""
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.fundraiser_id != fundraiser.id:
        raise NotFound(_("No such contribution."))
    return contribution


def _figures(contribution: Contribution) -> dict:
    """The audited view of a contribution's money figures (the free-text note stays out)."""
    return {
        "amount": money.format_plain(contribution.amount_minor, contribution.currency),
        "currency": contribution.currency, "received_on": contribution.received_on,
        "channel": contribution.channel, "state": contribution.state,
        "transfer_reference": contribution.transfer_reference,
        "transferred_on": contribution.transferred_on,
        "base_amount_minor": contribution.base_amount_minor,
        "rate_per_base": contribution.rate_per_base,
    }


def update_contribution(
    contribution: Contribution,
    actor: User,
    *,
    version: int | str | None,
    amount: str,
    currency: str,
    received_on: date,
    channel: Channel | str,
    state: ContributionState | str,
    transfer_reference: str = "",
    transferred_on: date | None = None,
    note: str = "",
    reason: str = "",
    today: date | None = None,
    locale: str | None = None,
) -> bool:
    """Change a contribution opened at `version`, re-converted; False when nothing changed.

    The same rules as record_contribution(), and a reason whenever the amount or currency
    changes. StaleEdit when the record moved on since `version` (compared here, and again
    by the database on flush); nothing is written then.
    """
    if version is not None and str(version) != str(contribution.version_id):
        raise StaleEdit(str(STALE_CONTRIBUTION))
    errors: dict[str, str] = {}
    today = today or local_today(contribution.fundraiser)
    checked = _check(amount, currency, received_on, channel, state, today, errors, locale)
    if transferred_on is None and checked.state in SENT:
        transferred_on = contribution.transferred_on  # kept unless the form gives another
    transferred_on = _transfer_day(checked.state, received_on, transferred_on, today, errors)
    _check_confirmation(actor, checked.state, contribution.state, errors)
    reference, reason = (transfer_reference or "").strip(), (reason or "").strip()
    _check_texts(errors, transfer_reference=(reference, MAX_REFERENCE),
                 note=(note or "", MAX_NOTE), reason=(reason, MAX_REASON))
    money_changed = (checked.amount_minor, checked.currency) != (contribution.amount_minor,
                                                                 contribution.currency)
    if "amount" not in errors and "currency" not in errors and money_changed and not reason:
        errors["reason"] = _("Say why the amount or currency changes.")
    if errors:
        raise ValidationFailed(errors)

    before, note_before = _figures(contribution), contribution.note
    counted_before = rollup.Entry.of(contribution, base_currency())
    # No flush until every field is set: the rate lookup must not write a half edit.
    with db.session.no_autoflush:
        contribution.amount_minor, contribution.currency = checked.amount_minor, checked.currency
        contribution.received_on, contribution.channel = received_on, checked.channel
        contribution.state, contribution.note = checked.state, note or ""
        contribution.transfer_reference = reference or None
        contribution.transferred_on = transferred_on
        convert(contribution)
        _stamp_confirmation(contribution, actor)
    if not db.session.is_modified(contribution):
        return False
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleEdit(str(STALE_CONTRIBUTION)) from exc
    counted_after = rollup.Entry.of(contribution, base_currency())
    if counted_after != counted_before:
        rollup.apply(counted_before, -1)
        rollup.apply(counted_after, 1)
    audit.record(actor, "contribution.update", contribution, before=before,
                 after={**_figures(contribution), "why": reason or None,
                        "note_changed": note_before != contribution.note})
    return True
