"""Account pages: password change and reset, two-factor authentication (being built)."""

from flask import Blueprint

bp = Blueprint("account", __name__)
