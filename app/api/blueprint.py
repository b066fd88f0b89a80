"""The api blueprint object, mounted at /api/v1; the route modules attach to it."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
