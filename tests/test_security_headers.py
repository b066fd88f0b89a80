"""Security headers: on every response (error pages too), framing, HSTS and caching rules."""

import re
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.models import Role
from app.security import CSP, allow_framing
from tests.conftest import PASSWORD, login, make_collective, make_user

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def extra_app(app, config_name="testing", **overrides):
    """Another app on the session app's database, with some settings changed."""
    overrides.setdefault("TILE_URL", "")  # the expected policy has no tile server
    extra = create_app(config_name, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"], **overrides)
    extra.test_client_class = type(app.test_client())
    return extra


def dispose(extra) -> None:
    with extra.app_context():
        db.engine.dispose()


def assert_security_headers(response, *, frameable=False):
    """The headers every response carries."""
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(self)"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer")
    if frameable:
        assert "X-Frame-Options" not in headers
        assert headers["Content-Security-Policy"] == EXPECTED_CSP.replace(
            "frame-ancestors 'none'", "frame-ancestors *")
    else:
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Content-Security-Policy"] == EXPECTED_CSP


def test_the_policy_is_strict():
    assert CSP == EXPECTED_CSP
    assert "unsafe" not in CSP  # neither unsafe-inline nor unsafe-eval
    directives = dict(part.split(" ", 1) for part in CSP.split("; "))
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/", 200),
        ("get", "/past", 200),
        ("get", "/login", 200),
        ("get", "/no-such-page", 404),
        ("get", "/screenings/999999", 404),
        ("post", "/", 405),
        ("get", "/organiser/", 302),  # the redirect to the login page
        ("get", "/static/css/site.css", 200),
    ],
)
def test_every_response_carries_the_headers(client, method, path, status):
    with getattr(client, method)(path) as response:  # closes the static file
        assert response.status_code == status
        assert_security_headers(response)
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in response.headers  # not in tests


def test_error_500_page_carries_the_headers(app):
    extra = extra_app(app, PROPAGATE_TEST_ERRORS=False)

    @extra.get("/boom")
    def boom():
        raise RuntimeError("broken on purpose")

    try:
        response = extra.test_client().get("/boom")
        assert response.status_code == 500
        assert "Something went wrong" in response.get_data(as_text=True)
        assert_security_headers(response)
    finally:
        dispose(extra)


def test_csrf_failure_page_carries_the_headers(app):
    user = make_user()
    extra = extra_app(app, WTF_CSRF_ENABLED=True)
    try:
        response = extra.test_client().post("/login", data={"email": user.email,
                                                            "password": PASSWORD})
        assert response.status_code == 400
        assert_security_headers(response)
    finally:
        dispose(extra)


def test_a_view_can_allow_framing_and_nothing_else_changes(app):
    extra = extra_app(app)

    @extra.get("/embed-test")
    @allow_framing
    def embed_test():
        return "<p>widget</p>"

    @allow_framing  # the order of the decorators does not matter
    @extra.get("/embed-test-outer")
    def embed_test_outer():
        return "<p>widget</p>"

    @extra.get("/not-embeddable")
    def not_embeddable():
        return "<p>page</p>"

    try:
        client = extra.test_client()
        for path in ("/embed-test", "/embed-test-outer"):
            response = client.get(path)
            assert response.status_code == 200
            assert_security_headers(response, frameable=True)
        assert_security_headers(client.get("/not-embeddable"))
        assert_security_headers(client.get("/"))
    finally:
        dispose(extra)


def test_hsts_only_in_production(app):
    production = extra_app(app, "production", SECRET_KEY="x" * 40, RATELIMIT_ENABLED=False)
    debugging = extra_app(app, "production", SECRET_KEY="x" * 40, RATELIMIT_ENABLED=False,
                          DEBUG=True)
    development = extra_app(app, "development", RATELIMIT_ENABLED=False)
    try:
        for path in ("/", "/no-such-page"):
            response = production.test_client().get(path, base_url="https://localhost")
            assert response.headers["Strict-Transport-Security"] == (
                "max-age=63072000; includeSubDomains")
            assert_security_headers(response)
        assert "Strict-Transport-Security" not in debugging.test_client().get("/").headers
        assert "Strict-Transport-Security" not in development.test_client().get("/").headers
    finally:
        for extra in (production, debugging, development):
            dispose(extra)


@pytest.mark.parametrize("path", ["/password/reset/some-token", "/invitations/some-token"])
def test_pages_with_a_token_in_the_address_send_no_referrer_and_are_not_stored(client, path):
    response = client.get(path)
    assert_security_headers(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def cache_control(client, path: str) -> str:
    with client.get(path) as response:
        return response.headers.get("Cache-Control", "")


def test_public_pages_for_anonymous_visitors_may_be_cached(client):
    for path in ("/", "/past", "/static/css/site.css"):
        assert "no-store" not in cache_control(client, path)


def test_pages_for_logged_in_users_are_not_stored(client):
    collective = make_collective()
    user = make_user(Role.ORGANISER, collective)
    login(client, user)
    for path in ("/", "/organiser/", "/no-such-page"):
        assert cache_control(client, path) == "no-store"
    # The stylesheet is the same for everyone: no reason to fetch it again on every page.
    assert "no-store" not in cache_control(client, "/static/css/site.css")


def test_a_form_page_with_a_csrf_token_is_not_stored(app):
    extra = extra_app(app, WTF_CSRF_ENABLED=True)
    try:
        response = extra.test_client().get("/login")
        assert 'name="csrf_token"' in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
    finally:
        dispose(extra)


# What a strict CSP would block: inline scripts and styles, and event-handler attributes.
INLINE_PATTERNS = {
    # A data block (type application/json) is never run, so the policy does not apply to it.
    "inline <script>": re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>",
                                  re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "on* handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix()
                                            for p in TEMPLATES.rglob("*.html")))
def test_templates_need_nothing_the_policy_blocks(template):
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    found = [name for name, pattern in INLINE_PATTERNS.items() if pattern.search(source)]
    assert found == [], f"{template}: {', '.join(found)}"
