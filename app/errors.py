"""Error pages in the site's layout, and the mapping of domain errors to status codes."""

import logging

from flask import Flask, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from . import db_faults
from .extensions import db
from .services.errors import NotFound

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. If you were sending a "
                                "form, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your account cannot do this.")),
    404: (_l("Not found"), _l("There is nothing at this address. It may have been moved or "
                              "removed.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts.")),
    422: (_l("Could not process"), _l("The request could not be processed.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An error on our side stopped this page. It has been "
                                         "logged; nothing you sent was half-saved.")),
}


def propagates() -> bool:
    """Whether the test suite asked for unexpected errors to reach the test, not a page."""
    return current_app.testing and current_app.config.get("PROPAGATE_TEST_ERRORS", True)


def render_error(status: int):
    """The error page for a status code."""
    title, message = MESSAGES.get(status, (_("Error %(status)s", status=status), ""))
    return render_template("errors/error.html", status=status, title=title, message=message), status


def render_database_fault(fault: db_faults.Fault):
    """The page for a database fault: its status, and Retry-After when waiting helps."""
    body = render_template("errors/database.html", status=fault.status, title=fault.title,
                           message=fault.message)
    return body, fault.status, db_faults.headers(fault)


def install(app: Flask) -> None:
    """Register handlers for HTTP errors, domain NotFound, database faults and the unexpected."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        response = make_response(render_error(exc.code))
        # Keep what the exception says about itself, such as Allow on a 405.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(NotFound)
    def not_found(_exc: NotFound):
        return render_error(404)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        fault = db_faults.classify(exc)
        if fault is not None and not propagates():
            db_faults.recover(fault, exc, request.method, request.path)
            return render_database_fault(fault)
        # Roll back so that nothing half-written is committed by a later request.
        db.session.rollback()
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if propagates():
            raise exc
        return render_error(InternalServerError.code)
