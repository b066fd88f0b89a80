"""Collective membership: invitations and members (being built)."""

from flask import Blueprint

bp = Blueprint("members", __name__)
