"""Account pages: the overview, changing the password, managing two-factor authentication, and
the demo accounts' codes."""

import pytest
from flask import current_app
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import AuditEvent, RecoveryCode, Role
from app.services import demo, passwords, twofactor
from app.services.demo import data as demo_data
from tests.conftest import PASSWORD, login, make_collective, make_user
from tests.test_two_factor import (
    CODE_PATTERN,
    enrol,
    events,
    fresh_code,
    log_in,
    logged_in,
    page,
    password_step,
    without_two_factor,
)

NEW_PASSWORD = "lantern orchard velvet"


@pytest.fixture
def organiser():
    return without_two_factor(make_user(Role.ORGANISER))


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post("/account/password", data={
        "current_password": current, "password": new,
        "confirm": new if confirm is None else confirm})


# --- the overview ---------------------------------------------------------------------------


def test_the_overview_needs_a_login(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_overview_shows_who_you_are_and_links_to_what_you_can_do(client):
    kino, film = make_collective("kino-kollektiv"), make_collective("film-club")
    user = without_two_factor(make_user(Role.ORGANISER, kino, admin_of_collective=True))
    from app.models import Membership

    db.session.add(Membership(user=user, collective=film))
    db.session.commit()
    login(client, user)
    text = page(client.get("/account/"))
    assert user.display_name in text and user.email in text and "Organiser" in text
    assert "Kino Kollektiv (admin)" in text and "Film Club" in text
    assert text.index("Film Club") < text.index("Kino Kollektiv")
    assert "Off." in text and 'href="/account/two-factor"' in text
    assert 'href="/account/password"' in text
    assert 'href="/account/"' in text  # the "Account" link in the navigation


def test_the_overview_of_an_enrolled_user_links_to_codes_and_switching_off(client, organiser):
    enrol(organiser)
    log_in(client, organiser)
    text = page(client.get("/account/"))
    assert "On." in text and "10 unused recovery codes" in text
    assert 'href="/account/two-factor/recovery-codes"' in text
    assert 'href="/account/two-factor/disable"' in text
    assert 'href="/account/two-factor/replace"' in text


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_are_told_they_cannot_switch_two_factor_off(client, role):
    user = without_two_factor(make_user(role))
    enrol(user)
    log_in(client, user)
    text = page(client.get("/account/"))
    assert 'href="/account/two-factor/disable"' not in text
    assert "must keep two-factor authentication on" in text


# --- changing the password ------------------------------------------------------------------


def test_a_password_change_ends_other_sessions_but_not_this_one(app, client, organiser, outbox):
    other = app.test_client()
    login(client, organiser)
    login(other, organiser)
    assert logged_in(client) and logged_in(other)

    response = change(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"
    assert "Your password was changed." in page(client.get("/account/"))
    assert logged_in(client)
    assert not logged_in(other)

    db.session.refresh(organiser)
    assert passwords.verify(organiser.password_hash, NEW_PASSWORD)
    assert len(events("auth.password_change")) == 1
    [message] = outbox()
    assert message["To"] == organiser.email and "changed" in message["Subject"]
    third = app.test_client()
    assert password_step(third, organiser).status_code == 422  # the old password
    login(third, organiser, NEW_PASSWORD)


def test_a_remembered_login_stays_remembered_after_a_password_change(client, organiser):
    client.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                "remember": "y"})
    change(client)
    client.delete_cookie("session")
    assert logged_in(client)  # the remember cookie was renewed with the new session version


def test_a_wrong_current_password_is_a_field_error_and_changes_nothing(client, organiser,
                                                                      outbox):
    login(client, organiser)
    response = change(client, current="not the password")
    assert response.status_code == 422
    assert "This is not your current password." in page(response)
    db.session.refresh(organiser)
    assert passwords.verify(organiser.password_hash, PASSWORD)
    assert organiser.session_version == 1
    assert outbox() == [] and events("auth.password_change") == []
    assert logged_in(client)


@pytest.mark.parametrize(("new", "confirm", "message"), [
    ("short", None, "Use at least 12 characters."),
    ("qwertyuiopas", None, "harder to guess"),
    (NEW_PASSWORD, "something else entirely", "The two passwords are not the same."),
    ("x" * 129, None, "Use at most 128 characters."),
])
def test_the_new_password_must_follow_the_policy(client, organiser, new, confirm, message):
    login(client, organiser)
    response = change(client, new=new, confirm=confirm)
    assert response.status_code == 422
    assert message in page(response)
    db.session.refresh(organiser)
    assert passwords.verify(organiser.password_hash, PASSWORD)


def test_the_password_form_needs_a_login(client):
    assert client.get("/account/password").headers["Location"].startswith("/login")


def test_a_password_change_without_a_csrf_token_is_refused(app, organiser, outbox):
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"], WTF_CSRF_ENABLED=True)
    extra.test_client_class = type(app.test_client())
    try:
        browser = extra.test_client()
        page_ = page(browser.get("/login"))
        token = page_.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        browser.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                     "csrf_token": token})
        assert change(browser).status_code == 400
        db.session.refresh(organiser)
        assert passwords.verify(organiser.password_hash, PASSWORD)
        assert outbox() == []
    finally:
        with extra.app_context():
            db.engine.dispose()


# --- managing two-factor authentication -------------------------------------------------------


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(client, organiser,
                                                                         outbox):
    old_codes = enrol(organiser)
    log_in(client, organiser)
    assert client.get("/account/two-factor/recovery-codes").status_code == 200
    refused = client.post("/account/two-factor/recovery-codes", data={"code": old_codes[0]})
    assert refused.status_code == 422  # a recovery code does not make new ones
    response = client.post("/account/two-factor/recovery-codes",
                           data={"code": fresh_code(organiser)})
    assert response.status_code == 200
    new_codes = CODE_PATTERN.findall(page(response))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 10
    assert len(events("auth.2fa_recovery_codes_regenerated")) == 1
    assert outbox()[-1]["Subject"] == "New recovery codes"
    client.post("/logout")
    password_step(client, organiser)
    assert client.post("/login/two-factor", data={"code": old_codes[1]}).status_code == 422
    assert client.post("/login/two-factor", data={"code": new_codes[1]}).status_code == 302


def test_an_organiser_can_switch_two_factor_off_with_password_and_code(client, organiser,
                                                                       outbox):
    enrol(organiser)
    log_in(client, organiser)
    wrong = client.post("/account/two-factor/disable",
                        data={"password": "not my password", "code": fresh_code(organiser)})
    assert wrong.status_code == 422
    assert "This is not your current password." in page(wrong)
    db.session.refresh(organiser)
    assert organiser.has_two_factor
    response = client.post("/account/two-factor/disable",
                           data={"password": PASSWORD, "code": fresh_code(organiser)})
    assert response.headers["Location"] == "/account/"
    db.session.refresh(organiser)
    assert not organiser.has_two_factor and organiser.totp_secret is None
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0
    assert len(events("auth.2fa_disabled")) == 1
    assert outbox()[-1]["Subject"] == "Two-factor authentication is off"
    client.post("/logout")
    assert password_step(client, organiser).headers["Location"] == "/organiser/"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_cannot_switch_two_factor_off(client, role):
    user = without_two_factor(make_user(role))
    enrol(user)
    log_in(client, user)
    response = client.post("/account/two-factor/disable",
                           data={"password": PASSWORD, "code": fresh_code(user)})
    assert response.headers["Location"] == "/account/"
    db.session.refresh(user)
    assert user.has_two_factor
    with pytest.raises(twofactor.TwoFactorError):
        twofactor.disable(user, PASSWORD, fresh_code(user))
    assert events("auth.2fa_disabled") == []


def test_a_coordinator_who_lost_the_phone_replaces_the_authenticator(client, outbox):
    coordinator = without_two_factor(make_user(Role.COORDINATOR))
    codes = enrol(coordinator)
    old_secret = coordinator.totp_secret
    password_step(client, coordinator)
    client.post("/login/two-factor", data={"code": codes[0]})
    response = client.post("/account/two-factor/replace",
                           data={"password": PASSWORD, "code": codes[1]})
    assert response.headers["Location"] == "/account/two-factor"
    db.session.refresh(coordinator)
    assert coordinator.totp_secret != old_secret and not coordinator.has_two_factor
    assert client.get("/coordination/").headers["Location"] == "/account/two-factor"
    assert len(events("auth.2fa_replaced")) == 1
    assert outbox()[-1]["Subject"] == "Your authenticator app was replaced"
    client.post("/account/two-factor", data={"code": fresh_code(coordinator)})
    assert client.get("/coordination/").status_code == 200


def test_the_management_pages_need_two_factor_to_be_on(client, organiser):
    login(client, organiser)
    for path in ("/account/two-factor/recovery-codes", "/account/two-factor/disable",
                 "/account/two-factor/replace"):
        response = client.post(path, data={"password": PASSWORD, "code": "123456"})
        assert response.headers["Location"] == "/account/", path
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action.like("auth.2fa%"))) == 0


# --- the demo accounts ----------------------------------------------------------------------


def test_demo_coordinator_logs_in_with_the_code_the_cli_prints(app, client):
    demo.seed()
    db.session.commit()
    runner = app.test_cli_runner()
    password = current_app.config["DEMO_PASSWORD"]
    for email in demo_data.DEMO_TWO_FACTOR_EMAILS:
        result = runner.invoke(args=["demo", "code", email])
        assert result.exit_code == 0, result.output
        code = result.stdout.strip()
        assert code.isdigit() and len(code) == 6
        browser = app.test_client()
        browser.post("/login", data={"email": email, "password": password})
        response = browser.post("/login/two-factor", data={"code": code})
        assert response.headers["Location"] == "/coordination/"
        assert browser.get("/coordination/").status_code == 200

    demo.seed()  # a second run keeps the secrets
    db.session.commit()
    again = runner.invoke(args=["demo", "code", "coordinator@example.org"])
    assert again.exit_code == 0  # the next step's code, since this step's was used


def test_the_demo_code_command_refuses_other_accounts(app):
    real = make_user(Role.COORDINATOR, email="real.coordinator@example.net")
    enrol(without_two_factor(real))
    demo.seed()
    db.session.commit()
    runner = app.test_cli_runner()
    for email in (real.email, "organiser@example.org", "nobody@example.org"):
        result = runner.invoke(args=["demo", "code", email])
        assert result.exit_code == 1, email
        assert "not a demo account" in result.output
        assert not any(line.strip().isdigit() for line in result.stdout.splitlines())
