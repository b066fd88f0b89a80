"""Every model, imported here so that the metadata and Alembic see them all."""

from .account import ApiToken, Invitation, PasswordReset, RecoveryCode
from .base import utcnow
from .catalogue import Beneficiary, Film
from .collective import Collective, Membership, MembershipRole
from .content import FilmText, ScreeningText
from .ledger import LedgerDay
from .money import Channel, Contribution, ContributionState, ExchangeRate, Fundraiser
from .ops import IdempotencyKey, ImportJob, ImportStatus, Revision
from .place import City, Country, Venue, Visibility
from .safety import AuditEvent, Incident, IncidentKind
from .screening import (
    PUBLIC_STATUSES,
    CancelReason,
    ChangeKind,
    Screening,
    ScreeningChange,
    Status,
    screening_hosts,
)
from .user import Role, User

__all__ = [
    "PUBLIC_STATUSES",
    "ApiToken",
    "AuditEvent",
    "Beneficiary",
    "CancelReason",
    "ChangeKind",
    "Channel",
    "City",
    "Collective",
    "Contribution",
    "ContributionState",
    "Country",
    "ExchangeRate",
    "Film",
    "FilmText",
    "Fundraiser",
    "IdempotencyKey",
    "ImportJob",
    "ImportStatus",
    "Incident",
    "IncidentKind",
    "Invitation",
    "LedgerDay",
    "Membership",
    "MembershipRole",
    "PasswordReset",
    "RecoveryCode",
    "Revision",
    "Role",
    "Screening",
    "ScreeningChange",
    "ScreeningText",
    "Status",
    "User",
    "Venue",
    "Visibility",
    "screening_hosts",
    "utcnow",
]
