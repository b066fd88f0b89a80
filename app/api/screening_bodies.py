"""Screening request bodies (POST, PATCH, transitions) as strict pydantic models, and how
their fields map to the service's ScreeningInput and back to body paths for errors."""

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..services.content_languages import MAX_TEXT_LENGTH, MAX_TEXTS
from ..services.screenings import MAX_LENGTHS, MAX_NOTE
from .bodies import DecimalString, Strict
from .errors import ApiError

Visibility = Literal["public", "city_only", "on_request"]
# "2026-12-05T19:30" (local time in the city) or with an offset ("...+02:00", "...Z").
LOCAL_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")
SlugString = Annotated[str, Field(max_length=100, examples=["part-one"])]
# {code: text}; the service checks the codes, lengths and count (a 422 names "descriptions.uk").
Descriptions = Annotated[dict[str, str], Field(
    description=f"The description in other languages by BCP 47 code ({{\"uk\": \"...\"}}): "
                f"at most {MAX_TEXTS} languages of {MAX_TEXT_LENGTH} characters each. It "
                "replaces the stored set: a language left out, or with an empty text, is "
                "removed.",
    examples=[{"it": "Proiezione e incontro con i volontari.",
               "fr": "Projection et rencontre avec les bénévoles."}])]
LANGUAGE = ("A language code such as uk or pt-BR, or a language's name in English "
            "(\"Ukrainian\"); stored as the code.")


class CityIn(BaseModel):
    """A city by name and country, or by its GeoNames id (then alone)."""

    model_config = Strict

    name: str | None = Field(None, max_length=160, examples=["Kyiv"])
    country_code: str | None = Field(None, max_length=2, examples=["UA"])
    geonames_id: int | None = Field(None, ge=1, le=2_000_000_000, examples=[703448])


class VenueIn(BaseModel):
    """Where: the address is private unless visibility is public (DESIGN.md section 5)."""

    model_config = Strict

    name: str = Field(max_length=MAX_LENGTHS["venue_name"])
    address: str = Field("", max_length=MAX_LENGTHS["venue_address"])
    visibility: Visibility = "city_only"


class VenuePatch(BaseModel):
    """A partial venue change: only the fields sent change."""

    model_config = Strict

    name: str | None = Field(None, max_length=MAX_LENGTHS["venue_name"])
    address: str | None = Field(None, max_length=MAX_LENGTHS["venue_address"])
    visibility: Visibility | None = None


class GoalIn(BaseModel):
    """A fundraising goal; the amount is a decimal string."""

    model_config = Strict

    amount: DecimalString
    currency: str = Field(max_length=8, examples=["EUR"])


class FundraiserIn(BaseModel):
    """Who the money is for, what for, and an optional goal."""

    model_config = Strict

    beneficiary: SlugString
    purpose: str = Field(max_length=MAX_LENGTHS["purpose"])
    goal: GoalIn | None = None


class FundraiserPatch(BaseModel):
    """A partial fundraiser change; "goal": null removes the goal."""

    model_config = Strict

    beneficiary: SlugString | None = None
    purpose: str | None = Field(None, max_length=MAX_LENGTHS["purpose"])
    goal: GoalIn | None = None


class ScreeningIn(BaseModel):
    """A new screening (a draft); status, id and version are not the caller's to set."""

    model_config = Strict

    film: SlugString
    collective: SlugString
    city: CityIn
    venue: VenueIn
    starts_at: str = Field(max_length=40, examples=["2026-12-05T19:30"])
    title: str | None = Field(None, max_length=MAX_LENGTHS["title"])
    description: str | None = Field(None, max_length=MAX_LENGTHS["description"])
    language: str | None = Field(None, max_length=MAX_LENGTHS["language"], description=LANGUAGE)
    subtitles: str | None = Field(None, max_length=MAX_LENGTHS["subtitles"],
                                  description=LANGUAGE)
    descriptions: Descriptions | None = None
    fundraiser: FundraiserIn


class ScreeningPatch(BaseModel):
    """A partial change of a screening: only the fields sent change."""

    model_config = Strict

    film: SlugString | None = None
    collective: SlugString | None = None
    city: CityIn | None = None
    venue: VenuePatch | None = None
    starts_at: str | None = Field(None, max_length=40, examples=["2026-12-05T19:30"])
    title: str | None = Field(None, max_length=MAX_LENGTHS["title"])
    description: str | None = Field(None, max_length=MAX_LENGTHS["description"])
    language: str | None = Field(None, max_length=MAX_LENGTHS["language"], description=LANGUAGE)
    subtitles: str | None = Field(None, max_length=MAX_LENGTHS["subtitles"],
                                  description=LANGUAGE)
    descriptions: Descriptions | None = None
    fundraiser: FundraiserPatch | None = None


Target = Literal["submitted", "published", "postponed", "relocated", "cancelled", "held"]
CancelReasonCode = Literal["venue_withdrawn", "threats", "organiser_unavailable",
                           "low_interest", "other"]


class TransitionIn(BaseModel):
    """A lifecycle step: the state to go to, and what that step needs.

    submitted: nothing. published: nothing (a coordinator approving a submission), or
    starts_at (a new date for a published, relocated or postponed screening). relocated:
    venue (a new venue in the same city), or starts_at (a new date, staying relocated).
    postponed: nothing. cancelled: reason. held: attendance, optionally. All take a note.
    """

    model_config = Strict

    to: Target
    reason: CancelReasonCode | None = None
    note: str | None = Field(None, max_length=MAX_NOTE)
    starts_at: str | None = Field(None, max_length=40, examples=["2026-12-12T19:30"])
    venue: VenueIn | None = None
    attendance: int | None = Field(None, ge=0, le=1_000_000)


def parse_local_time(value: str, path: str = "starts_at") -> datetime:
    """A naive local time, or an aware one when an offset is given; 422 naming the path."""
    text = value.strip()
    if LOCAL_TIME.match(text):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise ApiError(422, "validation_failed", "Some fields are not acceptable; see fields.",
                   {path: "Use a date and time like 2026-12-05T19:30 (local time in the city), "
                          "optionally with an offset such as +02:00."})


# ScreeningInput and lifecycle field names -> the body paths a client sent.
BODY_PATHS = {
    "venue_name": "venue.name", "venue_address": "venue.address",
    "visibility": "venue.visibility", "purpose": "fundraiser.purpose",
    "beneficiary": "fundraiser.beneficiary", "goal_amount": "fundraiser.goal.amount",
    "goal_currency": "fundraiser.goal.currency", "country": "city.country_code",
}


def body_fields(fields: dict[str, str], *, by_geonames: bool = False) -> dict[str, str]:
    """The service's field names as body paths ("goal_amount" -> "fundraiser.goal.amount")."""
    paths = {**BODY_PATHS, "city": "city.geonames_id" if by_geonames else "city.name"}
    return {paths.get(name, name): message for name, message in fields.items()}
