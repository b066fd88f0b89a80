"""The OpenAPI operations: one Operation per path and method of the API, with its parameters,
body and every status it can answer (the auth hook's 401/403, rate limits' 429 and the body
reader's 400/413/415/422 are added where they apply)."""

import re
from dataclasses import dataclass, field

from ..ratelimits import table as rate_limit_table
from .openapi_schemas import ref

PUBLIC = "public"  # anyone; a token or session only changes what is shown
ACCOUNT = "account"  # any account
COORDINATOR = "coordinator"  # coordinators and admins

# The Idempotency-Key header of every POST (app/api/idempotency.py), listed by openapi.py in
# components.parameters as "idempotency_key".
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 257,
               "examples": ['"8e03978e-40d5-43e8-bc93-6894a57f9324"']},
    "description": (
        "A unique value (a new UUID) per operation, quoted or not, so that the request can be "
        "retried safely: a retry by the same account with the same key and body within 24 "
        "hours gets the first 2xx answer again (status, body, Location, ETag, and "
        "`Idempotent-Replayed: true`) and nothing is done twice. The same key with another "
        "body or address answers 422 `idempotency_key_reused`; while the first request is "
        "still running, 409 `idempotency_key_in_flight` with Retry-After. A request that "
        "failed (any 4xx or 5xx) did nothing, and may be sent again with the same key."),
}
REPLAYED = {"Idempotent-Replayed": {
    "description": "`true` when this is the stored answer to an earlier request with the same "
                   "Idempotency-Key (nothing was done again).",
    "schema": {"type": "string", "enum": ["true"]}}}

# Statuses answered by a shared response (components.responses), by name.
SHARED = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
          409: "Conflict", 412: "PreconditionFailed", 413: "TooLarge",
          415: "UnsupportedMediaType", 422: "ValidationFailed", 429: "RateLimited"}


@dataclass(frozen=True)
class Operation:
    """One documented path and method, and the Flask endpoint that serves it."""

    path: str  # below /api/v1, with {name} for each URL argument (as Flask names it)
    method: str  # lower case, as OpenAPI keys them
    endpoint: str
    summary: str
    tag: str
    auth: str = PUBLIC
    description: str = ""
    parameters: tuple[str, ...] = ()  # names in components.parameters
    body: str | None = None  # a component schema name
    example: dict | None = None  # a valid body (the tests check it against the model)
    ok: dict[int, dict] = field(default_factory=dict)  # status -> response object
    errors: tuple[int, ...] = ()  # statuses beyond those added from the rules above
    idempotent: bool = False  # takes an Idempotency-Key (a POST with @idempotent)

    @property
    def operation_id(self) -> str:
        """The view's name (each view serves one method, so the names are unique)."""
        return self.endpoint.removeprefix("api.")

    def statuses(self) -> list[int]:
        """Every error status the operation can answer."""
        found = {401, 403, *self.errors}  # any bad token; a coordinator without 2FA
        if self.parameters:
            found.add(400)
        if "{" in self.path:
            found.add(404)
        if self.body:
            found.update((400, 413, 415, 422))  # bad JSON or CSRF, too big, not JSON, fields
        if self.endpoint in rate_limit_table():
            found.add(429)
        if self.idempotent:
            found.update((400, 409, 422))  # malformed key, key in flight, key reused
        return sorted(found)

    def spec(self) -> dict:
        """The OpenAPI operation object."""
        result: dict = {"operationId": self.operation_id, "summary": self.summary,
                        "tags": [self.tag]}
        if self.description:
            result["description"] = self.description
        arguments = re.findall(r"{(\w+)}", self.path)
        parameters = [_path_parameter(name) for name in arguments]
        names = (*self.parameters, "idempotency_key") if self.idempotent else self.parameters
        parameters += [{"$ref": f"#/components/parameters/{name}"} for name in names]
        if parameters:
            result["parameters"] = parameters
        if self.body:
            media = {"schema": ref(self.body)}
            if self.example is not None:
                media["example"] = self.example
            result["requestBody"] = {"required": True, "content": {"application/json": media}}
        result["security"] = _security(self.auth)
        responses = {str(status): self._replayable(status, response)
                     for status, response in self.ok.items()}
        for status in self.statuses():
            responses[str(status)] = {"$ref": f"#/components/responses/{SHARED[status]}"}
        result["responses"] = dict(sorted(responses.items()))
        return result


    def _replayable(self, status: int, response: dict) -> dict:
        """A 2xx answer of an idempotent operation, with its replay marker header."""
        if not self.idempotent or not 200 <= status < 300:
            return response
        return {**response, "headers": {**response.get("headers", {}), **REPLAYED}}


def _path_parameter(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}}


def _security(auth: str) -> list[dict]:
    schemes = [{"bearerAuth": []}, {"cookieAuth": []}]
    return [{}, *schemes] if auth == PUBLIC else schemes


def json_response(description: str, schema: str, headers: dict | None = None) -> dict:
    """A JSON response whose body is a component schema."""
    response = {"description": description,
                "content": {"application/json": {"schema": ref(schema)}}}
    if headers:
        response["headers"] = headers
    return response


PAGE = ("page", "per_page")
NOT_MODIFIED = {304: {"description": "Not modified: the If-None-Match ETag still matches."}}
ETAG = {"ETag": {"description": "Send it back as If-None-Match to get a 304 while unchanged.",
                 "schema": {"type": "string"}}}

MONEY = [
    Operation(
        "/screenings/{screening_id}/contributions", "get", "api.list_contributions",
        "List a screening's contributions", "Contributions", ACCOUNT,
        "Newest first (by day received, then as recorded). For the host collective's "
        "members and coordinators; anyone else's screening answers 404.",
        parameters=PAGE, ok={200: json_response("One page of contributions.",
                                                "ContributionPage")}),
    Operation(
        "/screenings/{screening_id}/contributions", "post", "api.create_contribution",
        "Record a contribution", "Contributions", ACCOUNT,
        "Converted to the base currency at the rate of the day received, where a rate "
        "exists. Only coordinators may record a `confirmed` contribution.",
        body="ContributionIn",
        example={"amount": "120.50", "currency": "PLN", "received_on": "2026-04-12",
                 "channel": "door", "state": "collected"},
        ok={201: json_response("The contribution as stored.", "Contribution")},
        idempotent=True),
    Operation(
        "/rates", "get", "api.list_rates", "List exchange rates", "Rates", ACCOUNT,
        "Newest first, optionally of one currency.", parameters=("currency", *PAGE),
        ok={200: json_response("One page of rates.", "RatePage")}),
    Operation(
        "/rates", "post", "api.create_rate", "Set an exchange rate", "Rates", COORDINATOR,
        "A second rate for the same currency and day replaces the first; the contributions "
        "it affects are converted again.", body="RateIn",
        example={"currency": "PLN", "valid_on": "2026-04-01", "per_base": "4.2750"},
        ok={201: json_response("The rate and how many contributions were re-converted.",
                               "RateCreated")}, idempotent=True),
    Operation(
        "/totals", "get", "api.totals", "Money raised", "Totals", PUBLIC,
        "Coordinators see every fundraiser; everyone else only those whose totals are "
        "public.", parameters=("group_by", "from", "to", "country", "film", "beneficiary",
                               "collective"),
        ok={200: json_response("The total, and the groups asked for.", "Totals")}),
]

DOCUMENT = [
    Operation(
        "/openapi.json", "get", "api.openapi", "This document", "Meta", PUBLIC,
        "The OpenAPI 3.1 description of the API; cacheable, with an ETag.",
        ok={200: {"description": "The OpenAPI document.", "headers": ETAG,
                  "content": {"application/json": {"schema": {"type": "object"}}}},
            **NOT_MODIFIED}),
]

