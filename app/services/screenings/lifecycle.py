"""The screening lifecycle (DESIGN.md section 4): one function per transition.

Each checks who acts, the current state and the input before it changes anything, so a
refused transition (TransitionError, ValidationFailed, NotFound) writes nothing. Functions
flush; the caller commits.
"""

from datetime import datetime

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...extensions import db
from ...models import (
    CancelReason,
    ChangeKind,
    Screening,
    ScreeningChange,
    Status,
    User,
    Venue,
    Visibility,
    utcnow,
)
from .. import audit, localtime, permissions
from ..errors import NotFound, TransitionError, ValidationFailed
from .registry import MAX_LENGTHS

MAX_NOTE = 2000
MAX_ATTENDANCE = 1_000_000

# Relocated counts as published: it is public and on, only somewhere else.
LIVE = frozenset({Status.PUBLISHED, Status.RELOCATED})

# Which states each action may start from.
ALLOWED_FROM: dict[str, frozenset[Status]] = {
    "submit": frozenset({Status.DRAFT}),
    "publish": frozenset({Status.SUBMITTED}),
    "postpone": LIVE,
    "reschedule": LIVE | {Status.POSTPONED},
    "relocate": LIVE | {Status.POSTPONED},
    "cancel": frozenset(Status) - {Status.HELD, Status.CANCELLED},
    "held": LIVE,
}

# Lazy msgids: str() where raised, so that the message is in the reader's language.
REFUSALS = {
    "submit": _l("Only a draft can be submitted."),
    "publish": _l("Only a submitted screening can be published."),
    "postpone": _l("Only a published screening can be postponed."),
    "reschedule": _l("Only a published or postponed screening can get a new date."),
    "relocate": _l("Only a published or postponed screening can move to a new venue."),
    "cancel": _l("This screening can no longer be cancelled."),
    "held": _l("Only a published screening can be marked as held."),
}


def allowed_actions(screening: Screening, user: User | None) -> frozenset[str]:
    """The transitions this person may start from the screening's current state."""
    if not permissions.can_edit_screening(screening, user):
        return frozenset()
    return frozenset(
        action for action, states in ALLOWED_FROM.items()
        if screening.status in states and (action != "publish" or user.is_coordinator)
    )


def ensure_allowed(screening: Screening, actor: User | None, action: str) -> None:
    """NotFound for someone who may not edit it, TransitionError for a wrong state."""
    if not permissions.can_edit_screening(screening, actor):
        raise NotFound(_("No such screening."))
    if action == "publish" and not actor.is_coordinator:
        raise TransitionError(_("Only coordinators can publish screenings."))
    if screening.status not in ALLOWED_FROM[action]:
        raise TransitionError(str(REFUSALS[action]))


def _note(note: str | None, errors: dict[str, str]) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = _("Use at most %(limit)s characters.", limit=MAX_NOTE)
    return note


def _raise_sequence(screening: Screening) -> None:
    # iCalendar SEQUENCE: calendars replace their copy only when it goes up.
    screening.sequence = (screening.sequence or 0) + 1


def _transition(screening: Screening, actor: User, to: Status, action: str,
                **after) -> None:
    before = screening.status
    screening.status = to
    audit.record(actor, action, screening, before={"status": before},
                 after={"status": to, **after})
    db.session.flush()


def submit(screening: Screening, actor: User) -> None:
    """Send a draft for approval; a trusted host collective's screening is published at once."""
    ensure_allowed(screening, actor, "submit")
    screening.submitted_at = utcnow()
    if any(collective.is_trusted for collective in screening.collectives):
        screening.published_at = screening.submitted_at
        _transition(screening, actor, Status.PUBLISHED, "screening.submit_trusted")
    else:
        _transition(screening, actor, Status.SUBMITTED, "screening.submit")


def publish(screening: Screening, actor: User) -> None:
    """A coordinator approves a submitted screening, which makes it public."""
    ensure_allowed(screening, actor, "publish")
    screening.published_at = utcnow()
    _transition(screening, actor, Status.PUBLISHED, "screening.publish")


def postpone(screening: Screening, actor: User, note: str = "") -> None:
    """Put a published screening off; the new date is announced later with reschedule()."""
    ensure_allowed(screening, actor, "postpone")
    errors: dict[str, str] = {}
    note = _note(note, errors)
    if errors:
        raise ValidationFailed(errors)
    screening.changes.append(ScreeningChange(
        kind=ChangeKind.POSTPONED, from_starts_at=screening.starts_at, actor_id=actor.id,
        note=note,
    ))
    _raise_sequence(screening)
    _transition(screening, actor, Status.POSTPONED, "screening.postpone",
                sequence=screening.sequence)


def reschedule(screening: Screening, actor: User, starts_at: datetime | None,
               note: str = "") -> None:
    """Give a published or postponed screening a new start (local time in its city's zone).

    The screening is published again, or stays relocated if it moved venue before.
    """
    ensure_allowed(screening, actor, "reschedule")
    errors: dict[str, str] = {}
    note = _note(note, errors)
    new_start = None
    if starts_at is None:
        errors["starts_at"] = _("Enter the new date and time.")
    else:
        try:
            new_start = localtime.local_to_utc(starts_at, screening.timezone)
        except localtime.LocalTimeError as exc:
            errors["starts_at"] = str(exc)
        else:
            # After a postponement the old date may be confirmed again; otherwise it must move.
            if new_start == screening.starts_at and screening.status != Status.POSTPONED:
                errors["starts_at"] = _("That is the current date: enter the new one.")
    if errors:
        raise ValidationFailed(errors)
    old_start, old_status = screening.starts_at, screening.status
    screening.changes.append(ScreeningChange(
        kind=ChangeKind.RESCHEDULED, from_starts_at=old_start, to_starts_at=new_start,
        actor_id=actor.id, note=note,
    ))
    moved_before = old_status == Status.RELOCATED or any(
        change.kind == ChangeKind.RELOCATED for change in screening.changes
    )
    screening.starts_at = new_start
    screening.status = Status.RELOCATED if moved_before else Status.PUBLISHED
    _raise_sequence(screening)
    db.session.flush()
    audit.record(
        actor, "screening.reschedule", screening,
        before={"status": old_status, "starts_at": old_start.isoformat()},
        after={"status": screening.status, "starts_at": new_start.isoformat(),
               "sequence": screening.sequence},
    )


def relocate(screening: Screening, actor: User, *, venue_name: str, venue_address: str = "",
             visibility: Visibility | str = Visibility.CITY_ONLY, note: str = "") -> Venue:
    """Move a screening to a new venue in the same city; the old venue row is kept as history.

    The city stays: a move to another city changes the audience and the time zone, which is
    a new screening (cancel this one and register that).
    """
    ensure_allowed(screening, actor, "relocate")
    errors: dict[str, str] = {}
    note = _note(note, errors)
    name, address = (venue_name or "").strip(), (venue_address or "").strip()
    if not name:
        errors["venue_name"] = _("Enter the new venue.")
    for field, value in (("venue_name", name), ("venue_address", address)):
        if len(value) > MAX_LENGTHS[field]:
            errors[field] = _("Use at most %(limit)s characters.", limit=MAX_LENGTHS[field])
    try:
        visibility = Visibility(visibility)
    except ValueError:
        errors["visibility"] = _("Choose who may see the address.")
    old = screening.venue
    if not errors and (name, address, visibility) == (old.name, old.address, old.visibility):
        errors["venue_name"] = _("That is the current venue: enter where the screening moves "
                                 "to.")
    if errors:
        raise ValidationFailed(errors)
    old_status = screening.status
    # A new row, never an edit of the old one: the history must show where it was announced.
    # No address release time is carried over: after a forced move the hosts decide again.
    new = Venue(name=name, address=address, city=screening.city, visibility=visibility)
    db.session.add(new)
    screening.venue = new
    screening.changes.append(ScreeningChange(
        kind=ChangeKind.RELOCATED, from_venue=old, to_venue=new, actor_id=actor.id, note=note,
    ))
    screening.status = Status.RELOCATED
    _raise_sequence(screening)
    db.session.flush()
    audit.record(
        actor, "screening.relocate", screening,
        before={"status": old_status, "venue_id": old.id, "visibility": old.visibility},
        after={"status": screening.status, "venue_id": new.id, "visibility": new.visibility,
               "sequence": screening.sequence},
    )
    return new


def cancel(screening: Screening, actor: User, reason: CancelReason | str,
           note: str = "") -> None:
    """Call a screening off with a private reason code and note (the public sees "cancelled")."""
    ensure_allowed(screening, actor, "cancel")
    errors: dict[str, str] = {}
    note = _note(note, errors)
    try:
        reason = CancelReason(reason)
    except ValueError:
        errors["reason"] = _("Choose why the screening is cancelled.")
    if errors:
        raise ValidationFailed(errors)
    screening.cancel_reason, screening.cancel_note = reason, note or None
    _raise_sequence(screening)
    # The note may name people: it stays on the screening, out of the audit trail.
    _transition(screening, actor, Status.CANCELLED, "screening.cancel", reason=reason,
                sequence=screening.sequence)


def mark_held(screening: Screening, actor: User, now: datetime | None = None,
              attendance: int | None = None) -> None:
    """Record that a published screening took place (its start must have passed)."""
    ensure_allowed(screening, actor, "held")
    if screening.starts_at > (now or utcnow()):
        raise TransitionError(_("A screening can be marked as held only after it has started."))
    if attendance is not None:
        if isinstance(attendance, bool) or not isinstance(attendance, int) \
                or not 0 <= attendance <= MAX_ATTENDANCE:
            # The limit grouped as the reader writes numbers ("1,000,000", "1 000 000").
            limit = format_decimal(MAX_ATTENDANCE, locale=get_locale() or "en")
            raise ValidationFailed(
                {"attendance": _("Enter a whole number from 0 to %(limit)s.", limit=limit)}
            )
        screening.actual_attendance = attendance
        _transition(screening, actor, Status.HELD, "screening.held",
                    actual_attendance=attendance)
    else:
        _transition(screening, actor, Status.HELD, "screening.held")
