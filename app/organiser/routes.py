"""Organisers' pages under /organiser/: one blueprint, its routes split by area."""

from . import contributions, exports, incidents, lifecycle, money, screenings  # noqa: F401  (registers routes)
from .blueprint import bp

__all__ = ["bp"]
