"""Password reset by emailed link: the round trip through the outbox, and everything it refuses."""

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import current_app
from sqlalchemy import func, select, update

from app import create_app
from app.extensions import db
from app.models import AuditEvent, PasswordReset, Role, User
from app.services import password_reset, passwords, users
from app.services.errors import ValidationFailed
from tests.conftest import PASSWORD, login, make_user
from tests.helpers import page

NEW_PASSWORD = "lantern orchard velvet"
SENT = "If an account uses that address, we have sent it a link"
INVALID = "This link is not valid any more"


def link_in(message) -> str:
    """The reset link of a mail."""
    match = re.search(r"(http\S+/password/reset/\S+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def path_of(url: str) -> str:
    return urlsplit(url).path


def token_of(url: str) -> str:
    return path_of(url).rsplit("/", 1)[1]


def request_link(client, user) -> str:
    """Ask for a reset link through the form; the path of the link that arrives."""
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 200
    return path_of(link_in(current_outbox()[-1]))


def current_outbox():
    from app.services import mail

    return mail.outbox_messages()


def logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def organiser():
    return make_user(Role.ORGANISER)


# --- the round trip -------------------------------------------------------------------------


def test_login_page_links_to_the_reset(client):
    response = client.get("/login")
    assert "Forgot your password?" in page(response)
    assert 'href="/password/forgot"' in page(response)
    assert client.get("/password/forgot").status_code == 200


def test_reset_round_trip_through_the_outbox(app, client, organiser, outbox):
    response = client.post("/password/forgot", data={"email": organiser.email.upper()})
    assert response.status_code == 200
    assert SENT in page(response)
    [message] = outbox()
    assert message["To"] == organiser.email
    assert message["Subject"] == "Reset your password"
    url = link_in(message)
    assert url.startswith("http://localhost/password/reset/")  # absolute, for a mail client
    assert len(token_of(url)) >= 43  # 32 random bytes, URL-safe base64

    form = client.get(path_of(url))
    assert form.status_code == 200
    assert 'name="password"' in page(form) and 'name="confirm"' in page(form)
    assert form.headers["Cache-Control"] == "no-store"
    done = client.post(path_of(url), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/organiser/"
    assert logged_in(client)  # logged in straight away
    notice = outbox()[-1]
    assert notice["Subject"] == "Your password was reset"
    assert token_of(url) not in notice.get_content()
    assert NEW_PASSWORD not in notice.get_content()

    stranger = app.test_client()
    old = stranger.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert old.status_code == 422
    login(stranger, organiser, NEW_PASSWORD)
    assert logged_in(stranger)

    db.session.refresh(organiser)
    assert organiser.password_changed_at is not None
    reset = db.session.scalars(select(PasswordReset)).one()
    assert reset.used_at is not None
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "auth.password_reset")).all()
    assert event.actor_id == organiser.id


def test_the_link_works_only_once(client, organiser):
    path = request_link(client, organiser)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = current_app.test_client().post(path, data={"password": "another fine passphrase",
                                                       "confirm": "another fine passphrase"})
    assert again.status_code == 410
    assert INVALID in page(again)
    db.session.refresh(organiser)
    assert passwords.verify(organiser.password_hash, NEW_PASSWORD)


def test_an_expired_link_is_refused(client, organiser):
    path = request_link(client, organiser)
    db.session.execute(update(PasswordReset).values(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    for response in (client.get(path), client.post(path, data={
            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})):
        assert response.status_code == 410
        assert INVALID in page(response)
    db.session.refresh(organiser)
    assert passwords.verify(organiser.password_hash, PASSWORD)


def test_unknown_used_and_expired_links_look_the_same(client, organiser):
    used = request_link(client, organiser)
    client.post(used, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    expired = request_link(client, organiser)
    reset = db.session.scalars(select(PasswordReset).where(PasswordReset.used_at.is_(None))).one()
    reset.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    stranger = current_app.test_client()
    answers = [stranger.get(p) for p in (used, expired, "/password/reset/made-up-token")]
    assert {r.status_code for r in answers} == {410}
    assert len({page(r) for r in answers}) == 1
    assert "Solidarity Screenings" in page(answers[0])  # the site's layout
    assert 'href="/password/forgot"' in page(answers[0])


def test_the_link_expires_after_the_configured_minutes(organiser):
    now = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    minutes = current_app.config["PASSWORD_RESET_VALID_MINUTES"]
    with current_app.test_request_context():
        password_reset.request_reset(organiser.email, now=now)
    reset = db.session.scalars(select(PasswordReset)).one()
    assert reset.expires_at == now + timedelta(minutes=minutes)
    token = token_of(link_in(current_outbox()[-1]))
    assert password_reset.find_valid(token, now=now + timedelta(minutes=minutes - 1)) == reset
    assert password_reset.find_valid(token, now=now + timedelta(minutes=minutes)) is None


# --- the same answer whether or not the account exists --------------------------------------


def test_unknown_and_inactive_emails_get_the_same_answer_and_no_mail(client, organiser, outbox):
    inactive = make_user(Role.ORGANISER, email="gone@example.org")
    inactive.is_active = False
    db.session.commit()
    known = client.post("/password/forgot", data={"email": organiser.email})
    answers = [client.post("/password/forgot", data={"email": email})
               for email in ("nobody@example.org", inactive.email)]
    assert [r.status_code for r in answers] == [known.status_code] * 2 == [200, 200]
    assert page(answers[0]) == page(answers[1]) == page(known)
    assert [m["To"] for m in outbox()] == [organiser.email]
    assert count(PasswordReset) == 1


def test_an_invalid_email_is_a_field_error_and_nothing_is_written(client, outbox):
    response = client.post("/password/forgot", data={"email": "not an email"})
    assert response.status_code == 422
    assert "Email" in page(response)
    assert outbox() == [] and count(PasswordReset) == 0


def test_a_link_for_a_user_deactivated_since_is_refused(client, organiser):
    path = request_link(client, organiser)
    organiser.is_active = False
    db.session.commit()
    assert client.get(path).status_code == 410


# --- what the new password must be -----------------------------------------------------------


@pytest.mark.parametrize(("password", "confirm", "message"), [
    ("short", "short", "Use at least 12 characters."),
    ("password1234", "password1234", "common"),
    (NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords are not the same."),
    ("", "", "This field is required."),
])
def test_a_bad_new_password_is_refused_and_the_link_still_works(client, organiser, password,
                                                                confirm, message):
    path = request_link(client, organiser)
    response = client.post(path, data={"password": password, "confirm": confirm})
    assert response.status_code == 422
    assert message in page(response)
    assert not logged_in(client)
    reset = db.session.scalars(select(PasswordReset)).one()
    assert reset.used_at is None
    db.session.refresh(organiser)
    assert passwords.verify(organiser.password_hash, PASSWORD)
    assert client.get(path).status_code == 200


def test_complete_refuses_a_password_made_of_the_users_email(organiser):
    with current_app.test_request_context():
        password_reset.request_reset(organiser.email)
    token = token_of(link_in(current_outbox()[-1]))
    with pytest.raises(ValidationFailed):
        password_reset.complete(password_reset.find_valid(token), organiser.email + "2026")


# --- what a reset ends ----------------------------------------------------------------------


def test_a_reset_ends_every_other_session_and_every_other_link(app, client, organiser):
    elsewhere = app.test_client()
    login(elsewhere, organiser)
    first = request_link(client, organiser)
    second = request_link(client, organiser)
    assert client.post(second, data={"password": NEW_PASSWORD,
                                     "confirm": NEW_PASSWORD}).status_code == 302
    assert not logged_in(elsewhere)
    assert client.get(first).status_code == 410
    assert db.session.scalar(select(func.count(PasswordReset.id)).where(
        PasswordReset.used_at.is_(None))) == 0


def test_a_reset_does_not_skip_two_factor_authentication(client, organiser):
    organiser.totp_secret = pyotp.random_base32()
    organiser.totp_confirmed_at = datetime.now(UTC)
    db.session.commit()
    path = request_link(client, organiser)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/two-factor"
    assert not logged_in(client)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "auth.login")) == 0
    code = pyotp.TOTP(organiser.totp_secret).now()
    finished = client.post("/login/two-factor", data={"code": code})
    assert finished.status_code == 302
    assert logged_in(client)


# --- secrets stay out of the database, the audit trail and the logs --------------------------


def test_only_the_hash_of_the_token_is_stored_and_nothing_secret_is_logged(client, organiser,
                                                                          caplog):
    caplog.set_level(logging.DEBUG)
    path = request_link(client, organiser)
    token = token_of(path)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    reset = db.session.scalars(select(PasswordReset)).one()
    assert reset.token_hash == hashlib.sha256(token.encode()).hexdigest()
    dump = []
    for table in db.metadata.sorted_tables:
        dump += [repr(tuple(row)) for row in db.session.execute(select(table))]
    dump = "\n".join(dump)
    assert token not in dump
    assert NEW_PASSWORD not in dump and PASSWORD not in dump
    events = " ".join(f"{e.action} {e.before} {e.after}" for e in db.session.scalars(
        select(AuditEvent)))
    assert "auth.password_reset" in events
    for secret in (token, NEW_PASSWORD, PASSWORD):
        assert secret not in events
        assert secret not in caplog.text


def test_the_forgot_form_needs_a_csrf_token_when_csrf_is_on(app, organiser, outbox):
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"], WTF_CSRF_ENABLED=True)
    try:
        browser = extra.test_client()
        assert browser.post("/password/forgot",
                            data={"email": organiser.email}).status_code == 400
        assert outbox() == [] and count(PasswordReset) == 0
    finally:
        with extra.app_context():
            db.engine.dispose()


def test_users_service_still_authenticates_after_a_reset(organiser):
    with current_app.test_request_context():
        password_reset.request_reset(organiser.email)
    reset = password_reset.find_valid(token_of(link_in(current_outbox()[-1])))
    user = password_reset.complete(reset, NEW_PASSWORD)
    db.session.commit()
    assert users.authenticate(organiser.email, NEW_PASSWORD) == user
    assert db.session.get(User, organiser.id).session_version == 2
