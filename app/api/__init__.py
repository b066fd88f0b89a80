"""The JSON API under /api/v1: authentication, the error shape, and the route modules."""

from flask import Response

from ..extensions import csrf
from . import errors
from .auth import authenticate_request
from .blueprint import bp

# The global CSRF check reads form fields; the API checks cookie writes itself (auth.py), so
# that Bearer clients need no token.
csrf.exempt(bp)
errors.install(bp)
bp.before_request(authenticate_request)


@bp.after_request
def _no_caching(response: Response) -> Response:
    """API answers depend on who asks: no shared cache may keep or mix them up."""
    if "Cache-Control" in response.headers:
        # The view chose (the GeoJSON is the same public answer for everyone).
        return response
    response.headers["Cache-Control"] = "no-store"
    response.vary.update(("Authorization", "Cookie"))
    return response


from . import (  # noqa: E402,F401  (routes attach to bp)
    catalogue,
    contributions,
    geojson,
    openapi,  # GET /api/v1/openapi.json
    rates,
    screenings,
    totals,
    transitions,
)

__all__ = ["bp"]
