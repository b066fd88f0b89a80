"""Rate limits: one table by endpoint name, applied after the blueprints are registered."""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, request, session
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .auth.session import PENDING_KEY
from .extensions import limiter

log = logging.getLogger(__name__)


def by_address() -> str:
    """The client's address (as ProxyFix reports it when PROXY_COUNT trusts a proxy)."""
    return f"ip:{get_remote_address()}"


def _email_digest() -> str:
    # A digest, not the address: Flask-Limiter logs the key of every limit that is hit, and
    # the keys sit in Redis. Folded the way accounts are, so "Victim@X" counts as "victim@x".
    email = (request.form.get("email") or "").strip().lower()[:254]
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def by_email() -> str:
    """The submitted email, whatever the address (mail to one person, from anywhere)."""
    return f"email:{_email_digest()}"


def by_email_and_address() -> str:
    """The submitted email from this address: guessing one account from one place.

    Never the email alone: that bucket would let anyone lock the owner out of their own
    account from everywhere by failing on purpose.
    """
    return f"email:{_email_digest()}|{by_address()}"


def by_user() -> str:
    """The logged-in user (the address for anyone else: such requests go to the login page)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return by_address()


def by_pending_user() -> str:
    """The user waiting for the second factor, across addresses; else the address."""
    # The marker app/auth/session.py keeps between the password and the second step. Only
    # its user id matters here: whether it is still valid is the view's business.
    marker = session.get(PENDING_KEY)
    if isinstance(marker, dict) and isinstance(marker.get("user"), int):
        return f"pending:{marker['user']}"
    return by_address()


@dataclass(frozen=True)
class Rule:
    """One limit ("5/minute;30/hour") on POSTs to an endpoint, counted per key."""

    limit: str
    key: Callable[[], str]
    scope: str
    methods: tuple[str, ...] = ("POST",)


# Every POST counts, success or not: the login and two-factor views may answer a failure
# with 200 or 422, and counting only failures would silently stop if that changed. The
# numbers leave a person who mistypes a few times far from any limit.
LIMITS: dict[str, tuple[Rule, ...]] = {
    "auth.login": (
        Rule("30/minute", by_address, "address"),
        Rule("5/minute;30/hour", by_email_and_address, "account"),
    ),
    "auth.two_factor": (
        Rule("30/minute", by_address, "address"),
        # Six digits are a million guesses; this allows about 500 a day for one account.
        Rule("5/minute;20/hour", by_pending_user, "pending-user"),
    ),
    "account.forgot_password": (
        Rule("10/minute;50/hour", by_address, "address"),
        Rule("5/hour", by_email, "email"),  # no mail bombing of one inbox
    ),
    "account.reset_password": (
        Rule("10/minute;50/hour", by_address, "address"),
    ),
    # Pages that check a password or a code for someone already logged in.
    **dict.fromkeys(
        ("account.change_password", "account.two_factor_setup",
         "account.regenerate_recovery_codes", "account.disable_two_factor",
         "account.replace_authenticator"),
        (Rule("10/minute;50/hour", by_user, "user"),),
    ),
    "members.invite": (
        Rule("30/hour", by_user, "user"),
    ),
    "organiser.new_screening": (
        Rule("30/hour", by_user, "user"),
    ),
    # Creating personal API tokens on the account page.
    "account.tokens": (
        Rule("20/hour", by_user, "user"),
    ),
    # Reading an ECB file (the full history holds 200,000 rates) costs seconds of work.
    **dict.fromkeys(
        ("coordination.check_rate_file", "coordination.import_rate_file"),
        (Rule("30/hour", by_user, "user"),),
    ),
}

# The write API (/api/v1): each endpoint gets WRITE_API_RULES (per user, whether the
# request came with a token or the session cookie, on every method that changes something).
WRITE_API_ENDPOINTS: tuple[str, ...] = ("api.create_contribution", "api.create_rate",
                                        "api.create_screening", "api.update_screening",
                                        "api.create_transition")
WRITE_API_RULES = (Rule("60/minute;1000/hour", by_user, "api-write",
                        methods=("POST", "PUT", "PATCH", "DELETE")),)
# Reads: generous for a person or a script, a ceiling for a runaway loop. Totals are public,
# so anonymous callers count per address (by_user falls back to it).
READ_API_ENDPOINTS: tuple[str, ...] = ("api.list_contributions", "api.list_rates",
                                       "api.totals", "api.list_screenings", "api.get_screening",
                                       "api.screenings_geojson", "api.search_cities",
                                       "api.list_collectives", "api.list_films",
                                       "api.list_beneficiaries")
READ_API_RULES = (Rule("300/minute;5000/hour", by_user, "api-read", methods=("GET",)),)


def table() -> dict[str, tuple[Rule, ...]]:
    """Every rate-limited endpoint with its rules."""
    return {**LIMITS, **dict.fromkeys(WRITE_API_ENDPOINTS, WRITE_API_RULES),
            **dict.fromkeys(READ_API_ENDPOINTS, READ_API_RULES)}


def install(app: Flask, limits: dict[str, tuple[Rule, ...]] | None = None) -> None:
    """Wrap each listed view with its limits; a missing endpoint is logged and skipped."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    for endpoint, rules in (table() if limits is None else limits).items():
        view = app.view_functions.get(endpoint)
        if view is None:
            log.warning("Rate limits for %s not applied: there is no such endpoint", endpoint)
            continue
        # Stacked limiter.limit wrappers check every limit once, in the innermost one.
        for rule in rules:
            view = limiter.limit(rule.limit, key_func=rule.key, scope=rule.scope,
                                 methods=list(rule.methods))(view)
        app.view_functions[endpoint] = view
