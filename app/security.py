"""Security headers, session time-outs and rate limits (being built)."""

from flask import Flask


def install(app: Flask) -> None:
    """Register the security hooks."""
