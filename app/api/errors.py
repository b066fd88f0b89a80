"""The API's one error shape, {"error": {"code", "message", "fields"}}, for every 4xx and 5xx."""

import logging

from flask import Blueprint, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import db_faults
from ..errors import propagates
from ..extensions import db
from ..services.errors import DomainError, NotFound, TransitionError, ValidationFailed
from ..services.ledger import StaleEdit

log = logging.getLogger(__name__)

PREFIX = "/api/v1"

# Machine-readable codes for the statuses the API answers with.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
    507: "disk_full",
}
MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication is needed: a session cookie or an Authorization: Bearer token.",
    403: "Your account cannot do this.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    409: "The request conflicts with the current state of the record.",
    413: "The request body is larger than this API accepts.",
    415: "Send the body as JSON, with Content-Type: application/json.",
    422: "The request could not be processed.",
    429: "Too many requests; wait a moment and try again.",
    500: "An error on our side stopped this request. It has been logged; nothing was saved.",
}


class ApiError(Exception):
    """An error the API answers with its status, code, message and field messages."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 fields: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message or MESSAGES.get(status, ""))
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message or MESSAGES.get(status, "")
        self.fields = fields or {}
        self.headers = headers or {}


def is_api_request() -> bool:
    """Whether the request is addressed to the API (matched or not)."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def error_response(status: int, code: str | None = None, message: str | None = None,
                   fields: dict[str, str] | None = None, headers: dict[str, str] | None = None):
    """The JSON error response."""
    body = {"error": {"code": code or CODES.get(status, "error"),
                      "message": message or MESSAGES.get(status, ""),
                      "fields": fields or {}}}
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _from_http(exc: HTTPException):
    status = exc.code or 500
    if status < 400:
        return exc  # a redirect (such as a missing trailing slash) stays one
    # Keep what the exception says about itself (Allow on a 405, Retry-After on a 429).
    headers = {name: value for name, value in exc.get_headers()
               if name.lower() not in ("content-type", "content-length")}
    code, message = CODES.get(status), MESSAGES.get(status)
    if isinstance(exc, CSRFError):
        code, message = "csrf_failed", ("A write with a session cookie needs the CSRF token "
                                        "in the X-CSRFToken header.")
    return error_response(status, code, message, headers=headers)


def answer_routing_errors():
    """Unknown addresses and methods under /api/v1 answer JSON, not the site's HTML page.

    Routing failed before any blueprint was chosen, so the blueprint's handlers never see
    these; an app-wide hook runs before Flask raises them.
    """
    exc = request.routing_exception
    if exc is None or not is_api_request() or not isinstance(exc, HTTPException):
        return None
    return _from_http(exc)


def install(bp: Blueprint) -> None:
    """Register the handlers on the API blueprint (and the app-wide routing-error hook)."""
    bp.before_app_request(answer_routing_errors)

    @bp.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @bp.errorhandler(ValidationFailed)
    def validation_failed(exc: ValidationFailed):
        db.session.rollback()
        return error_response(422, "validation_failed",
                              "Some fields are not acceptable; see fields.", exc.fields)

    @bp.errorhandler(NotFound)
    def not_found(_exc: NotFound):
        db.session.rollback()
        return error_response(404)

    @bp.errorhandler(StaleEdit)
    def stale(exc: StaleEdit):
        db.session.rollback()
        return error_response(409, "stale", str(exc))

    @bp.errorhandler(TransitionError)
    def transition(exc: TransitionError):
        db.session.rollback()
        return error_response(409, "conflict", str(exc))

    @bp.errorhandler(DomainError)
    def domain(exc: DomainError):
        # Any other rule that blocked the action: the input was understood, not accepted.
        db.session.rollback()
        return error_response(422, "rule_broken", str(exc))

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _from_http(exc)

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception):
        fault = db_faults.classify(exc)
        if fault is not None and not propagates():
            db_faults.recover(fault, exc, request.method, request.path)
            return error_response(fault.status, fault.code, str(fault.message),
                                  headers=db_faults.headers(fault))
        # As the site's own handler: roll back, log, never show a traceback.
        db.session.rollback()
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if propagates():
            raise exc
        return error_response(500)
