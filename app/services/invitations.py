"""Invitations: signed, single-use, expiring links that are the only way to get an account."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from babel.dates import format_date
from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Collective, Invitation, Membership, MembershipRole, Role, User, utcnow
from . import audit, mail, passwords, permissions, users
from .errors import DomainError, NotFound, ValidationFailed

SALT = "invitation"

# Site roles from weakest to strongest: an invitation may raise an account's role, never lower it.
ROLE_RANK = {Role.ORGANISER: 0, Role.COORDINATOR: 1, Role.ADMIN: 2}


class InvalidInvitation(DomainError):
    """The link is tampered, unknown, used, revoked or expired (deliberately not saying which)."""


class WrongAccount(DomainError):
    """The invitation belongs to another account than the one logged in."""


def _serializer() -> URLSafeTimedSerializer:
    """Signs links with the app secret, salted so no other kind of signed value passes."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _hash(nonce: str) -> str:
    """What the database keeps of a link: the SHA-256 of its random part."""
    return hashlib.sha256(nonce.encode()).hexdigest()


def _valid_hours() -> int:
    """How long a link works (INVITATION_VALID_HOURS)."""
    return int(current_app.config["INVITATION_VALID_HOURS"])


def invitable_site_roles(actor: User) -> list[Role]:
    """Site roles this actor may give in an invitation: only site admins go above organiser."""
    return list(Role) if permissions.is_site_admin(actor) else [Role.ORGANISER]


def _normalised_email(email: str) -> str:
    """The email validated and folded to lower case; ValidationFailed if it is not an address."""
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed({"email": str(exc)}) from None


def _pending_for(email: str, collective: Collective) -> list[Invitation]:
    """Invitations of this email to this collective not yet used or withdrawn."""
    return list(db.session.scalars(select(Invitation).where(
        Invitation.email == email, Invitation.collective_id == collective.id,
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
    )))


def create(
    actor: User,
    collective: Collective,
    email: str,
    membership_role: MembershipRole | str = MembershipRole.MEMBER,
    site_role: Role | str = Role.ORGANISER,
    now: datetime | None = None,
) -> tuple[Invitation, str]:
    """Invite an email to a collective and mail the link; returns the invitation and its token."""
    if not permissions.can_manage_members(collective, actor):
        raise NotFound(_("No such collective."))
    now = now or utcnow()
    errors: dict[str, str] = {}
    try:
        email = _normalised_email(email)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    try:
        membership_role = MembershipRole(membership_role)
    except ValueError:
        errors["membership_role"] = _("Choose member or admin.")
    try:
        site_role = Role(site_role)
    except ValueError:
        errors["site_role"] = _("Choose organiser, coordinator or admin.")
    else:
        if site_role not in invitable_site_roles(actor):
            errors["site_role"] = _("Only a site admin may invite coordinators or admins.")
    if "email" not in errors:
        existing = users.find_by_email(email)
        if existing is not None and db.session.scalar(select(Membership.id).where(
                Membership.user_id == existing.id, Membership.collective_id == collective.id)):
            errors["email"] = _("This person is already a member of this collective.")
    if errors:
        raise ValidationFailed(errors)

    for previous in _pending_for(email, collective):
        _revoke(previous, actor, now, reason="reinvited")
    nonce = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email, role=site_role, collective=collective, membership_role=membership_role,
        token_hash=_hash(nonce), expires_at=now + timedelta(hours=_valid_hours()),
        invited_by_id=actor.id, created_at=now,
    )
    db.session.add(invitation)
    db.session.flush()
    token = _serializer().dumps({"i": invitation.id, "n": nonce})
    audit.record(actor, "invitation.create", invitation, after={
        "email": email, "collective": collective.slug, "membership_role": membership_role,
        "site_role": site_role, "expires_at": invitation.expires_at.isoformat(),
    })
    _send(invitation, actor, token)
    db.session.flush()
    return invitation, token


def _send(invitation: Invitation, actor: User, token: str) -> None:
    """Mail the link with who invited whom to what; the token goes nowhere else. The mail is
    in the language of the request that sends it (the inviter's)."""
    link = url_for("members.accept", token=token, _external=True)
    collective = invitation.collective
    names = {"inviter": actor.display_name, "collective": collective.name}
    if invitation.membership_role == MembershipRole.ADMIN:
        invited = _("%(inviter)s invited you to join %(collective)s as an admin on Solidarity "
                    "Screenings, where collectives register film screenings and the "
                    "fundraisers paired with them.", **names)
    else:
        invited = _("%(inviter)s invited you to join %(collective)s as a member on Solidarity "
                    "Screenings, where collectives register film screenings and the "
                    "fundraisers paired with them.", **names)
    # "05 Jun 2026" in English, as before; the month in the mail's language elsewhere.
    day = format_date(invitation.expires_at, "dd MMM y", locale=get_locale() or "en")
    expires = _("%(date)s, %(time)s UTC", date=day,
                time=invitation.expires_at.strftime("%H:%M"))
    paragraphs = [_("Hello,"), invited]
    if invitation.role != Role.ORGANISER:
        paragraphs.append(_("Your account will have the site role: %(role)s.",
                            role=users.SITE_ROLE_NAMES[invitation.role]))
    paragraphs += [
        _("To accept, open this link (it works once, until %(expires)s):", expires=expires),
        link,
        _("If you did not expect this invitation, you can ignore this message."),
    ]
    mail.send(
        invitation.email,
        _("Invitation to join %(collective)s on Solidarity Screenings",
          collective=collective.name),
        "\n\n".join(paragraphs) + "\n",
    )


def verify(token: str, now: datetime | None = None, lock: bool = False) -> Invitation:
    """The pending invitation a link stands for; InvalidInvitation for anything else."""
    now = now or utcnow()
    try:
        payload = _serializer().loads(token, max_age=_valid_hours() * 3600)
    except BadSignature:  # also covers SignatureExpired
        raise InvalidInvitation("This invitation link is not valid.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int) \
            or not isinstance(payload.get("n"), str):
        raise InvalidInvitation("This invitation link is not valid.")
    query = select(Invitation).where(Invitation.id == payload["i"]).options(
        selectinload(Invitation.collective), selectinload(Invitation.invited_by))
    if lock:
        # Two accepts of one link at the same moment: the second waits, then sees it used.
        query = query.with_for_update()
    invitation = db.session.scalar(query)
    if (
        invitation is None
        or not hmac.compare_digest(_hash(payload["n"]), invitation.token_hash)
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        raise InvalidInvitation("This invitation link is not valid.")
    return invitation


def invited_account(invitation: Invitation) -> User | None:
    """The existing account with the invited email, if there is one."""
    return users.find_by_email(invitation.email)


def accept_new(invitation: Invitation, name: str, password: str,
               now: datetime | None = None) -> User:
    """Create the invited person's account and membership; ValidationFailed for bad input."""
    # The account does not exist yet, so the words to keep out of the password come from here.
    inputs = passwords.user_inputs_for(email=invitation.email, name=name)
    if problem := passwords.problem_with(password, inputs):
        raise ValidationFailed({"password": problem})
    user = users.create_user(invitation.email, invitation.role, password, display_name=name)
    _accept(invitation, user, now or utcnow())
    return user


def accept_existing(invitation: Invitation, user: User, now: datetime | None = None) -> None:
    """Add the logged-in, invited account to the collective; WrongAccount for anyone else."""
    if not user.is_authenticated or user.email != invitation.email:
        raise WrongAccount(_("This invitation was sent to another account."))
    if ROLE_RANK[invitation.role] > ROLE_RANK[user.role]:
        before = user.role
        user.role = invitation.role
        audit.record(user, "user.role_change", user, before={"role": before},
                     after={"role": user.role, "reason": "invitation"})
    _accept(invitation, user, now or utcnow())


def _accept(invitation: Invitation, user: User, now: datetime) -> None:
    """Mark the invitation used and add the membership it promised, in the caller's transaction."""
    invitation.accepted_at = now
    invitation.accepted_by_id = user.id
    audit.record(user, "invitation.accept", invitation, after={
        "user_id": user.id, "collective": invitation.collective.slug if invitation.collective
        else None,
    })
    if invitation.collective is not None:
        membership = db.session.scalar(select(Membership).where(
            Membership.user_id == user.id, Membership.collective_id == invitation.collective_id))
        if membership is None:
            membership = Membership(user=user, collective=invitation.collective,
                                    role=invitation.membership_role)
            db.session.add(membership)
            db.session.flush()
            audit.record(user, "membership.create", membership, after={
                "user_id": user.id, "collective": invitation.collective.slug,
                "role": membership.role, "invitation_id": invitation.id,
            })
        elif membership.role == MembershipRole.MEMBER \
                and invitation.membership_role == MembershipRole.ADMIN:
            membership.role = MembershipRole.ADMIN
            audit.record(user, "membership.role_change", membership,
                         before={"role": MembershipRole.MEMBER},
                         after={"role": MembershipRole.ADMIN, "invitation_id": invitation.id})
    db.session.flush()


def pending(collective: Collective, now: datetime | None = None) -> list[Invitation]:
    """The collective's invitations that can still be accepted, soonest to expire first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Invitation).where(
            Invitation.collective_id == collective.id, Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None), Invitation.expires_at > now,
        ).order_by(Invitation.expires_at, Invitation.id)
    ))


def get_pending(collective: Collective, invitation_id: int) -> Invitation:
    """One of the collective's invitations; NotFound if it is another collective's."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.collective_id != collective.id:
        raise NotFound(_("No such invitation."))
    return invitation


def revoke(invitation: Invitation, actor: User, now: datetime | None = None) -> None:
    """Withdraw an invitation so that its link stops working."""
    if invitation.collective is None or not permissions.can_manage_members(
            invitation.collective, actor):
        raise NotFound(_("No such invitation."))
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise DomainError(_("This invitation was already used or withdrawn."))
    _revoke(invitation, actor, now or utcnow(), reason="revoked")


def _revoke(invitation: Invitation, actor: User, now: datetime, reason: str) -> None:
    """Withdraw without checks (the callers checked), audited with the reason."""
    invitation.revoked_at = now
    audit.record(actor, "invitation.revoke", invitation,
                 before={"email": invitation.email, "status": "pending"},
                 after={"status": "revoked", "reason": reason})
    db.session.flush()
