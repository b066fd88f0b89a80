"""Organisers' forms, one per action; importable from here."""

from .contribution import CHANNEL_LABELS, STATE_LABELS, ContributionEditForm, ContributionForm
from .incident import INCIDENT_KIND_LABELS, IncidentForm
from .lifecycle import (
    CANCEL_REASON_LABELS,
    ActionForm,
    CancelForm,
    HeldForm,
    PostponeForm,
    RelocateForm,
    RescheduleForm,
)
from .screening import CURRENCY_FORMAT, ScreeningForm, options

__all__ = [
    "CANCEL_REASON_LABELS",
    "CHANNEL_LABELS",
    "CURRENCY_FORMAT",
    "INCIDENT_KIND_LABELS",
    "STATE_LABELS",
    "ActionForm",
    "CancelForm",
    "ContributionEditForm",
    "ContributionForm",
    "HeldForm",
    "IncidentForm",
    "PostponeForm",
    "RelocateForm",
    "RescheduleForm",
    "ScreeningForm",
    "options",
]
