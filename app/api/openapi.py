"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the API, built from the operations
(openapi_paths.py) and schemas (openapi_schemas.py), served with an ETag."""

import hashlib
import json

from flask import Response, current_app, request

from ..models import PUBLIC_STATUSES, Status
from ..services.screenings import search
from . import screening_args
from .blueprint import bp
from .catalogue import MAX_QUERY, MIN_QUERY
from .errors import CODES
from .openapi_paths import DOCUMENT, IDEMPOTENCY_KEY, MONEY, SHARED, Operation
from .openapi_schemas import COUNTRY_CODE, DATE, GROUPINGS, SLUG, ref, schemas
from .openapi_screening_paths import CATALOGUE, SCREENINGS
from .pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from .screenings import FLAG_VALUES

# The document changes only with a deploy: caches keep it, and ask again with the ETag.
CACHE_CONTROL = "public, no-cache"

WHEN = "Upcoming (soonest first), past (latest first) or all screenings."
TAGS = [
    {"name": "Screenings", "description": "Screenings, their lifecycle and their map."},
    {"name": "Contributions", "description": "Money raised for a screening's fundraiser."},
    {"name": "Rates", "description": "Exchange rates to the base currency."},
    {"name": "Totals", "description": "Money raised, in the base currency."},
    {"name": "Catalogue", "description": "Cities, collectives, films and beneficiaries."},
    {"name": "Meta", "description": "This document."},
]

# Why each shared error response happens; the code values are those app/api/errors.py sends.
ERROR_CAUSES = {
    400: "A query parameter out of bounds (named in `fields`), a body that is not a JSON "
         "object (`invalid_json`), a write with the session cookie but without the "
         "X-CSRFToken header (`csrf_failed`), or a malformed Idempotency-Key "
         "(`invalid_idempotency_key`).",
    401: "No credentials where an account is needed (`unauthorized`), or an unknown, revoked "
         "or malformed Bearer token (`invalid_token`) -- on any endpoint.",
    403: "The account may not do this (`forbidden`); coordinators and admins without "
         "two-factor authentication get `two_factor_required` on any endpoint.",
    404: "No such object, or one of another collective (`not_found`).",
    409: "The record changed meanwhile (`stale`), the change is not allowed in its "
         "current state (`conflict`), or a request with the same Idempotency-Key is still "
         "running (`idempotency_key_in_flight`; retry after Retry-After seconds).",
    412: "The If-Match ETag no longer matches the record (`precondition_failed`).",
    413: "The body is larger than 64 KiB (`too_large`).",
    415: "The body is not sent as Content-Type: application/json "
         "(`unsupported_media_type`).",
    422: "Body fields at fault, each named in `fields`, unknown fields included "
         "(`validation_failed`), a rule of the service (`rule_broken`), or an "
         "Idempotency-Key already used for another request (`idempotency_key_reused`).",
    429: "Too many requests (`rate_limited`); wait for Retry-After seconds.",
}


def _error_responses() -> dict[str, dict]:
    responses = {}
    for status, name in SHARED.items():
        response = {"description": ERROR_CAUSES[status], "content": {
            "application/json": {"schema": ref("Error"), "example": {"error": {
                "code": CODES.get(status, "precondition_failed"),
                "message": "What went wrong, in words.", "fields": {}}}}}}
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"},
                                                        "example": 'Bearer realm="api"'}}
        if status == 429:
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                   "description": "Seconds to wait."}}
        responses[name] = response
    return responses


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _parameters() -> dict[str, dict]:
    slug = {**SLUG, "maxLength": 100}
    return {
        "page": _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                                "default": 1}, "Which page, from 1; past the end, no items."),
        "per_page": _query("per_page", {"type": "integer", "minimum": 1,
                                        "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
                           "Items per page."),
        "currency": _query("currency", {"type": "string", "pattern": "^[A-Za-z]{3}$"},
                           "Only rates of this ISO 4217 currency."),
        "group_by": _query("group_by", {"enum": list(GROUPINGS)},
                           "Break the total down by this dimension (month keys are YYYY-MM)."),
        "from": _query("from", DATE, "From this day on (YYYY-MM-DD)."),
        "to": _query("to", DATE, "Up to and including this day (YYYY-MM-DD), not before "
                                 "`from`."),
        "country": _query("country", {**COUNTRY_CODE, "pattern": "^[A-Za-z]{2}$"},
                          "An ISO 3166-1 alpha-2 country code; an unknown one is a 400."),
        "film": _query("film", slug, "A film's slug; an unknown one is a 400."),
        "collective": _query("collective", slug, "A collective's slug; an unknown one is a "
                                                 "400."),
        "beneficiary": _query("beneficiary", slug, "A beneficiary's slug; an unknown one is "
                                                   "a 400."),
        "city": _query("city", {"type": "integer", "minimum": 1},
                       "A city's id (from /cities)."),
        "near": _query("near", {"type": "integer", "minimum": 1},
                       "Only screenings in cities whose centre lies within `radius` km of "
                       "this city's centre (a city id)."),
        "public_status": _query("status", {"enum": [s.value for s in PUBLIC_STATUSES]},
                                "Only screenings in this state."),
        "status": _query("status", {"enum": [s.value for s in Status]},
                         "Only screenings in this state (see the operation for who may ask "
                         "for which)."),
        "when_upcoming": _query("when", {"enum": list(screening_args.WHEN),
                                         "default": "upcoming"}, WHEN),
        "when_all": _query("when", {"enum": list(screening_args.WHEN), "default": "all"},
                           WHEN),
        "mine": _query("mine", {"enum": list(FLAG_VALUES), "default": "0"},
                       "1 (or true, yes): every screening of the caller's collectives, in "
                       "any state; needs an account."),
        "q": {**_query("q", {"type": "string", "minLength": MIN_QUERY, "maxLength": MAX_QUERY},
                       "The start of a city's name, in any language."), "required": True},
        "if_match": {"name": "If-Match", "in": "header", "required": False,
                     "schema": {"type": "string", "examples": ['"3"']},
                     "description": "The ETag of the screening as last read: a screening "
                                    "changed meanwhile answers 412."},
        "radius": _query("radius", {"type": "integer", "minimum": 1,
                                    "maximum": search.MAX_RADIUS_KM,
                                    "default": search.DEFAULT_RADIUS_KM},
                         "Kilometres around `near` (which it needs)."),
        "idempotency_key": IDEMPOTENCY_KEY,
    }


def operations() -> list[Operation]:
    """Every documented operation."""
    return [*SCREENINGS, *MONEY, *CATALOGUE, *DOCUMENT]


def document() -> dict:
    """The OpenAPI 3.1 document."""
    paths: dict[str, dict] = {}
    for operation in operations():
        paths.setdefault(operation.path, {})[operation.method] = operation.spec()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Solidarity Screenings API",
            "version": "1.0.0",
            "summary": "Screenings of the tour, their fundraisers, and the money raised.",
            "description": (
                "Lists answer `{\"items\", \"page\", \"pages\", \"total\"}`; errors answer "
                "`{\"error\": {\"code\", \"message\", \"fields\"}}` with a 4xx status. Amounts "
                "are decimal strings (a JSON number is refused); dates are YYYY-MM-DD."),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": bp.url_prefix, "description": "This site."}],
        "tags": TAGS,
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "parameters": _parameters(),
            "responses": _error_responses(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": (
                    "A personal API token (ss_...) from /account/tokens or "
                    "`flask tokens create`. Needs no CSRF token.")},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": (
                                   "The session cookie of a logged-in browser. Writes must "
                                   "also send the page's CSRF token in the X-CSRFToken "
                                   "header, else 400 csrf_failed.")},
            },
        },
    }


def _served() -> tuple[bytes, str]:
    """The document's bytes and ETag, built once per application."""
    cached = current_app.extensions.get("openapi_document")
    if cached is None:
        body = json.dumps(document(), ensure_ascii=False, separators=(",", ":")).encode()
        cached = (body, hashlib.sha256(body).hexdigest()[:32])
        current_app.extensions["openapi_document"] = cached
    return cached


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document; 304 when the If-None-Match ETag matches."""
    body, etag = _served()
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    # The same for everyone, so the API's no-store default does not apply (app/api/__init__.py
    # leaves a view's own Cache-Control alone).
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response.make_conditional(request)

