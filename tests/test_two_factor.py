"""Two-factor authentication: enrolment, the login step, replays, recovery codes, forced enrolment.

Codes are computed with pyotp from the secret stored in the database, as an authenticator
app would compute them from the QR code.
"""

import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, RecoveryCode, Role, User, utcnow
from app.services import twofactor
from app.services.errors import ValidationFailed
from tests.conftest import PASSWORD, login, make_user
from tests.helpers import page

CODE_PATTERN = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")


# --- helpers, also used by test_account.py --------------------------------------------------


def enrol(user: User) -> list[str]:
    """Switch two-factor on for a user through the service; their recovery codes."""
    user.totp_secret, user.totp_confirmed_at = None, None
    twofactor.begin_enrolment(user)
    codes = twofactor.confirm_enrolment(user, fresh_code(user))
    db.session.commit()
    return codes


def without_two_factor(user: User) -> User:
    """The user with no authenticator at all (whatever the factory gave them)."""
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
    db.session.commit()
    return user


def fresh_code(user: User) -> str:
    """A code the site accepts now and has not accepted before (codes work once)."""
    db.session.refresh(user)
    current = twofactor.step_at(utcnow())
    last = user.totp_last_step if user.totp_last_step is not None else -1
    if last > current:
        # Both steps the site accepts now were used by this test already.
        user.totp_last_step = None
        db.session.commit()
        last = -1
    return twofactor.code_for(user.totp_secret, max(current, last + 1))


def password_step(client, user: User, query: str = "", **extra):
    """The first step of logging in; for a user with 2FA it leads to the code page."""
    return client.post(f"/login{query}", data={"email": user.email, "password": PASSWORD,
                                                **extra})


def log_in(client, user: User, query: str = "", **extra):
    """Both steps of logging in; the response of the last one."""
    first = password_step(client, user, query, **extra)
    assert first.status_code == 302 and first.headers["Location"] == "/login/two-factor"
    response = client.post("/login/two-factor", data={"code": fresh_code(user)})
    assert response.status_code == 302, page(response)
    return response


def logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def organiser():
    return without_two_factor(make_user(Role.ORGANISER))


# --- enrolment and the login round trip -----------------------------------------------------


def test_full_round_trip_enrol_confirm_log_out_and_log_in_with_a_code(client, organiser,
                                                                      outbox):
    login(client, organiser)
    setup = client.get("/account/two-factor")
    assert setup.status_code == 200
    assert "<svg" in page(setup)
    db.session.refresh(organiser)
    secret = organiser.totp_secret
    assert secret and organiser.totp_confirmed_at is None  # pending until confirmed
    assert secret in page(setup)  # for typing in by hand
    assert client.get("/account/two-factor").status_code == 200
    db.session.refresh(organiser)
    assert organiser.totp_secret == secret  # a reload keeps the QR code that was scanned

    first_code = pyotp.TOTP(secret).now()
    confirmed = client.post("/account/two-factor", data={"code": first_code})
    assert confirmed.status_code == 200
    codes = CODE_PATTERN.findall(page(confirmed))
    assert len(codes) == len(set(codes)) == 10
    assert confirmed.headers["Cache-Control"] == "no-store"
    db.session.refresh(organiser)
    assert organiser.has_two_factor
    stored = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert len(events("auth.2fa_enabled")) == 1
    [notice] = outbox()
    assert notice["Subject"] == "Two-factor authentication is on"
    assert secret not in notice.get_content()

    client.post("/logout")
    logins_before = len(events("auth.login"))
    first = password_step(client, organiser)
    assert first.status_code == 302
    assert first.headers["Location"] == "/login/two-factor"
    assert not logged_in(client)  # the password alone does not log in
    assert len(events("auth.login")) == logins_before
    assert len(events("auth.password_ok")) == 1
    assert "Enter your code" in page(client.get("/login/two-factor"))

    replay = client.post("/login/two-factor", data={"code": first_code})
    assert replay.status_code == 422  # the code that confirmed enrolment was used up
    assert not logged_in(client)
    done = client.post("/login/two-factor", data={"code": fresh_code(organiser)})
    assert done.status_code == 302 and done.headers["Location"] == "/organiser/"
    assert logged_in(client)
    assert len(events("auth.login")) == logins_before + 1
    assert events("auth.login")[-1].after == {"second_factor": "totp"}


def test_the_same_code_twice_is_refused_the_second_time(app, client, organiser):
    enrol(organiser)
    password_step(client, organiser)
    code = fresh_code(organiser)
    assert client.post("/login/two-factor", data={"code": code}).status_code == 302
    other = app.test_client()
    password_step(other, organiser)
    replay = other.post("/login/two-factor", data={"code": code})
    assert replay.status_code == 422
    assert twofactor.WRONG_CODE in page(replay)
    assert not logged_in(other)


def test_a_recovery_code_works_once(app, client, organiser):
    codes = enrol(organiser)
    password_step(client, organiser)
    typed = "  " + codes[3].upper().replace("-", " ") + " "  # read off paper
    response = client.post("/login/two-factor", data={"code": typed})
    assert response.status_code == 302
    landing = page(client.get("/organiser/"))
    assert "You used a recovery code; 9 left." in landing
    assert "You have 9 unused recovery codes." in page(client.get("/account/"))
    assert events("auth.login")[-1].after == {"second_factor": "recovery_code"}
    used = db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.used_at.is_not(None)))
    assert used == 1

    other = app.test_client()
    password_step(other, organiser)
    assert other.post("/login/two-factor", data={"code": codes[3]}).status_code == 422
    assert not logged_in(other)


def test_a_wrong_code_is_refused_audited_and_may_be_retried(client, organiser):
    enrol(organiser)
    password_step(client, organiser)
    right = fresh_code(organiser)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for bad in (wrong, "abc", "12345", "zzzzz-zzzzz"):
        response = client.post("/login/two-factor", data={"code": bad})
        assert response.status_code == 422
        assert twofactor.WRONG_CODE in page(response)
    assert not logged_in(client)
    failures = events("auth.2fa_failed")
    assert len(failures) == 4
    assert {e.actor_id for e in failures} == {organiser.id}
    assert failures[0].after == {"purpose": "login"}
    assert client.post("/login/two-factor", data={"code": right}).status_code == 302
    assert logged_in(client)


def test_an_empty_code_is_a_field_error(client, organiser):
    enrol(organiser)
    password_step(client, organiser)
    response = client.post("/login/two-factor", data={"code": ""})
    assert response.status_code == 422
    assert "This field is required." in page(response)


def test_the_pending_login_expires_after_five_minutes(client, organiser):
    enrol(organiser)
    password_step(client, organiser)
    with client.session_transaction() as sess:
        marker = dict(sess["two_factor_pending"])
        marker["at"] -= 5 * 60 + 1
        sess["two_factor_pending"] = marker
    response = client.post("/login/two-factor", data={"code": fresh_code(organiser)})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not logged_in(client)
    assert "took too long" in page(client.get("/login"))


def test_the_code_page_without_a_password_step_goes_back_to_login(client, organiser):
    assert client.get("/login/two-factor").headers["Location"] == "/login"
    response = client.post("/login/two-factor", data={"code": "123456"})
    assert response.headers["Location"] == "/login"


def test_a_password_change_meanwhile_cancels_the_pending_login(client, organiser):
    enrol(organiser)
    password_step(client, organiser)
    organiser.session_version += 1
    db.session.commit()
    response = client.post("/login/two-factor", data={"code": fresh_code(organiser)})
    assert response.headers["Location"] == "/login"
    assert not logged_in(client)


def test_a_wrong_password_never_reaches_the_code_step(client, organiser):
    enrol(organiser)
    response = client.post("/login", data={"email": organiser.email, "password": "not it, no"})
    assert response.status_code == 422
    assert client.get("/login/two-factor").headers["Location"] == "/login"


def test_next_is_carried_through_the_code_step(client, organiser):
    enrol(organiser)
    response = log_in(client, organiser, "?next=/organiser/screenings/new")
    assert response.headers["Location"] == "/organiser/screenings/new"


@pytest.mark.parametrize("raw_next", ["//evil.example", "/\\evil.example",
                                      "https://evil.example/", "%2F%2Fevil.example"])
def test_an_unsafe_next_is_dropped_at_the_code_step(client, organiser, raw_next):
    enrol(organiser)
    assert log_in(client, organiser, f"?next={raw_next}").headers["Location"] == "/organiser/"


def test_the_code_step_checks_next_again(client, organiser):
    enrol(organiser)
    password_step(client, organiser)
    with client.session_transaction() as sess:
        sess["two_factor_pending"] = {**sess["two_factor_pending"], "next": "//evil.example"}
    response = client.post("/login/two-factor", data={"code": fresh_code(organiser)})
    assert response.headers["Location"] == "/organiser/"


@pytest.mark.parametrize("remember", [True, False])
def test_the_remember_me_choice_is_carried_through(client, organiser, remember):
    enrol(organiser)
    extra = {"remember": "y"} if remember else {}
    log_in(client, organiser, **extra)
    assert (client.get_cookie("remember_token") is not None) is remember


# --- the rules of codes, in the service -----------------------------------------------------


@pytest.fixture
def enrolled():
    user = without_two_factor(make_user(Role.ORGANISER))
    user.totp_secret, user.totp_confirmed_at = pyotp.random_base32(), utcnow()
    db.session.commit()
    return user


NOW = datetime(2026, 6, 1, 12, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (0, True),
                                                  (1, True), (2, False)])
def test_one_step_of_clock_drift_either_way_is_accepted(enrolled, offset, accepted):
    code = twofactor.code_for(enrolled.totp_secret, twofactor.step_at(NOW) + offset)
    if accepted:
        assert twofactor.check_code(enrolled, code, "test", NOW) == "totp"
        assert enrolled.totp_last_step == twofactor.step_at(NOW) + offset
    else:
        with pytest.raises(ValidationFailed):
            twofactor.check_code(enrolled, code, "test", NOW)


def test_a_code_at_or_before_the_last_accepted_step_is_a_replay(enrolled):
    step = twofactor.step_at(NOW)
    twofactor.check_code(enrolled, twofactor.code_for(enrolled.totp_secret, step), "t", NOW)
    for earlier in (step, step - 1):
        with pytest.raises(ValidationFailed):
            twofactor.check_code(enrolled, twofactor.code_for(enrolled.totp_secret, earlier),
                                 "t", NOW)
    later = twofactor.code_for(enrolled.totp_secret, step + 1)
    assert twofactor.check_code(enrolled, later, "t", NOW + timedelta(seconds=30)) == "totp"


def test_recovery_codes_are_only_accepted_where_allowed(enrolled):
    codes = twofactor._new_recovery_codes(enrolled, NOW)
    with pytest.raises(ValidationFailed):
        twofactor.check_code(enrolled, codes[0], "regenerate", NOW)
    assert twofactor.check_code(enrolled, codes[0], "login", NOW,
                                allow_recovery=True) == "recovery_code"


def test_many_wrong_codes_stop_further_checks_for_a_while(enrolled):
    now = utcnow()
    for _ in range(twofactor.MAX_FAILURES):
        with pytest.raises(ValidationFailed):
            twofactor.check_code(enrolled, "000000" if enrolled.totp_secret else "", "login", now)
    db.session.commit()
    right = twofactor.code_for(enrolled.totp_secret, twofactor.step_at(now))
    with pytest.raises(ValidationFailed) as excinfo:
        twofactor.check_code(enrolled, right, "login", now)
    assert excinfo.value.fields == {"code": twofactor.TOO_MANY}
    later = now + twofactor.FAILURE_WINDOW + timedelta(seconds=1)
    right_later = twofactor.code_for(enrolled.totp_secret, twofactor.step_at(later))
    assert twofactor.check_code(enrolled, right_later, "login", later) == "totp"


def test_the_qr_code_is_an_svg_of_the_provisioning_uri_without_styles_or_scripts(enrolled):
    uri = twofactor.provisioning_uri(enrolled)
    assert uri.startswith("otpauth://totp/")
    assert "issuer=Solidarity%20Screenings" in uri
    assert enrolled.email.replace("@", "%40") in uri
    assert f"secret={enrolled.totp_secret}" in uri
    svg = twofactor.qr_svg(uri)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "style=" not in svg and "<script" not in svg and " on" not in svg.split(">")[0]


def test_confirming_with_a_wrong_code_keeps_the_secret_pending(client, organiser):
    login(client, organiser)
    client.get("/account/two-factor")
    response = client.post("/account/two-factor", data={"code": "000000"})
    assert response.status_code == 422
    assert twofactor.WRONG_CODE in page(response)
    db.session.refresh(organiser)
    assert organiser.totp_secret and not organiser.has_two_factor
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0
    assert events("auth.2fa_enabled") == [] and len(events("auth.2fa_failed")) == 1


def test_the_setup_page_of_an_enrolled_user_goes_to_the_account(client, organiser):
    enrol(organiser)
    log_in(client, organiser)
    secret = organiser.totp_secret
    response = client.get("/account/two-factor")
    assert response.headers["Location"] == "/account/"
    db.session.refresh(organiser)
    assert organiser.totp_secret == secret


# --- coordinators and admins must enrol ------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_without_two_factor_can_only_set_it_up(client, role):
    user = without_two_factor(make_user(role))
    login(client, user)
    for path in ("/coordination/", "/organiser/", "/", "/account/", "/account/password",
                 "/login"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor", path
    assert client.post("/account/password", data={}).headers["Location"] == "/account/two-factor"
    setup = client.get("/account/two-factor")
    assert setup.status_code == 200
    assert "must use two-factor authentication" in page(setup)
    static = client.get("/static/css/site.css")
    assert static.status_code == 200
    static.close()
    assert client.get("/no-such-page").status_code == 404

    client.post("/account/two-factor", data={"code": fresh_code(user)})
    assert client.get("/coordination/").status_code == 200


def test_a_coordinator_without_two_factor_can_still_log_out(client):
    user = without_two_factor(make_user(Role.COORDINATOR))
    login(client, user)
    response = client.post("/logout")
    assert response.headers["Location"] == "/"
    assert client.get("/account/").status_code == 302
    assert urlsplit(client.get("/account/").headers["Location"]).path == "/login"


def test_organisers_are_not_forced_to_enrol(client, organiser):
    login(client, organiser)
    assert client.get("/organiser/").status_code == 200
    assert "Set up two-factor authentication" in page(client.get("/account/"))


def test_a_coordinator_with_two_factor_logs_in_with_both_steps(client):
    coordinator = without_two_factor(make_user(Role.COORDINATOR))
    enrol(coordinator)
    assert log_in(client, coordinator).headers["Location"] == "/coordination/"
    assert client.get("/coordination/").status_code == 200


def test_no_secret_or_recovery_code_reaches_the_audit_trail(client, organiser):
    codes = enrol(organiser)
    log_in(client, organiser)
    password_step(client.application.test_client(), organiser)
    trail = " ".join(f"{e.before} {e.after}" for e in db.session.scalars(select(AuditEvent)))
    assert organiser.totp_secret not in trail
    for code in codes:
        assert code not in trail and code.replace("-", "") not in trail
    assert PASSWORD not in trail
