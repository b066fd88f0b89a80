"""Request bodies: strict pydantic models (unknown fields and wrong JSON types are refused),
and reading a JSON body into one of them."""

from datetime import date
from typing import Annotated, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ApiError

# Small bodies only: a contribution or a rate is a few hundred bytes.
MAX_BODY_BYTES = 64 * 1024
JSON_TYPES = ("application/json",)

# Amounts are strings on purpose: a JSON number is a float to most clients.
DecimalString = Annotated[str, Field(max_length=32, examples=["120.50"])]
# The rate's own rules (greater than zero, at most 10 places) are services/rates.py's.
RateString = Annotated[str, Field(max_length=32, examples=["4.2750"])]
Strict = ConfigDict(extra="forbid", strict=True)
M = TypeVar("M", bound=BaseModel)


class ContributionIn(BaseModel):
    """Money raised for a screening's fundraiser."""

    model_config = Strict

    amount: DecimalString
    currency: str = Field(max_length=8, examples=["PLN"])
    received_on: date
    channel: str = Field(max_length=32, examples=["door"])
    state: str = Field("collected", max_length=32)
    note: str | None = Field(None, max_length=2000)
    transfer_reference: str | None = Field(None, max_length=200)


class RateIn(BaseModel):
    """An exchange rate: units of `currency` per one unit of the base currency, from a day."""

    model_config = Strict

    currency: str = Field(max_length=8, examples=["PLN"])
    valid_on: date
    per_base: RateString


def _message(error: dict) -> str:
    kind, field = error["type"], str(error["loc"][-1]) if error["loc"] else ""
    if kind == "extra_forbidden":
        return "Unknown field."
    if kind == "missing":
        return "This field is required."
    if kind == "string_type" and field in ("amount", "per_base"):
        return ("Send the amount as a JSON string such as \"120.50\"; numbers are refused, "
                "so that no floating-point rounding can creep in.")
    if kind == "string_type":
        return "Must be a string."
    if kind.startswith("date"):
        return "Use a date as YYYY-MM-DD."
    if kind == "string_too_long":
        return f"Use at most {error['ctx']['max_length']} characters."
    return error["msg"]


def parse_body(model: type[M]) -> M:
    """The JSON body as `model`: 415 if not JSON, 400 if unreadable, 422 with fields if wrong."""
    if request.mimetype not in JSON_TYPES:
        raise ApiError(415)
    request.max_content_length = MAX_BODY_BYTES
    raw = request.get_data(cache=True)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
        if any(not e["loc"] for e in errors):
            raise ApiError(400, "invalid_json", "The body must be a JSON object.") from None
        fields: dict[str, str] = {}
        for error in errors:
            fields.setdefault(".".join(str(part) for part in error["loc"]), _message(error))
        raise ApiError(422, "validation_failed", "Some fields are not acceptable; see fields.",
                       fields) from None
