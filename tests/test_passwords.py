"""The password policy (length, guessability with zxcvbn), argon2id hashing, changing a password."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, PasswordReset, Role, User
from app.services import passwords, users
from app.services.demo import data as demo_data
from app.services.errors import ValidationFailed
from tests.conftest import PASSWORD, make_user

NEW_PASSWORD = "lantern orchard velvet"
# Strong passphrases at the length limits.
TWELVE = "velvet-otter"
HUNDRED_AND_TWENTY_EIGHT = ("otter velvet " * 11)[:128]


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ))


# --- the policy ----------------------------------------------------------------------------


@pytest.mark.parametrize("password", [PASSWORD, "screenings-demo-2026", NEW_PASSWORD, TWELVE,
                                      HUNDRED_AND_TWENTY_EIGHT, "Tr0ub4dor&3x",
                                      "my cat eats green tomatoes"])
def test_good_passphrases_are_accepted(password):
    assert passwords.problem_with(password) is None


def test_the_limits_are_twelve_and_a_hundred_and_twenty_eight():
    assert (len(TWELVE), len(HUNDRED_AND_TWENTY_EIGHT)) == (12, 128)
    assert passwords.problem_with(TWELVE[:11]) == "Use at least 12 characters."
    assert passwords.problem_with(HUNDRED_AND_TWENTY_EIGHT + "s") == "Use at most 128 characters."


@pytest.mark.parametrize("password", ["", "short", "x" * 11])
def test_short_passwords_are_refused(password):
    assert passwords.problem_with(password) == "Use at least 12 characters."


@pytest.mark.parametrize("password", ["password1234", "123456789012", "qwertyuiopas",
                                      "aaaaaaaaaaaa", "iloveyou1234", "passwordpassword",
                                      "abcdefghijkl", "1q2w3e4r5t6y"])
def test_common_and_guessable_passwords_are_refused_with_a_reason(password):
    problem = passwords.problem_with(password)
    assert problem is not None
    assert "harder to guess" in problem


def test_a_very_common_password_is_called_common():
    assert "common" in passwords.problem_with("password1234")


def test_no_composition_rules_a_lower_case_passphrase_is_enough():
    assert passwords.problem_with("walnut ferry chimney") is None


def test_the_users_own_name_and_email_are_refused():
    inputs = passwords.user_inputs_for(email="marianne.kowalczyk@example.org",
                                       name="Marianne Kowalczyk")
    for password in ("marianne.kowalczyk", "Marianne-Kowalczyk-2026"):
        assert passwords.problem_with(password) is None  # fine for anyone else
        problem = passwords.problem_with(password, inputs)
        assert problem is not None and "name" in problem, password
    assert passwords.problem_with("marianne.kowalczyk@example.org", inputs) is not None


@pytest.mark.parametrize("password", ["solidarity-screenings", "Screenings-Solidarity-99"])
def test_the_sites_name_is_refused(password):
    assert "site's name" in passwords.problem_with(password)


def test_a_long_password_is_judged_quickly_and_by_more_than_length():
    # zxcvbn itself stops at 72 characters; longer passwords are judged by their start.
    assert passwords.problem_with("a" * 128) is not None
    assert passwords.problem_with(HUNDRED_AND_TWENTY_EIGHT) is None


def test_pathological_names_do_not_slow_the_word_check_down():
    name = " ".join("a" * k for k in range(3, 40))
    started = datetime.now(UTC)
    assert passwords.problem_with("a" * 127 + "b", passwords.user_inputs_for(name=name))
    assert datetime.now(UTC) - started < timedelta(seconds=5)


@pytest.mark.parametrize(("email", "name", "role", "membership"), demo_data.USERS)
def test_the_demo_password_is_accepted_for_account_creation(email, name, role, membership):
    user = users.create_user(email, role, "screenings-demo-2026", display_name=name)
    assert user.id is not None


def test_create_user_refuses_a_common_password_as_a_field_error():
    with pytest.raises(ValidationFailed) as excinfo:
        users.create_user("alice@example.org", "organiser", "password1234")
    assert set(excinfo.value.fields) == {"password"}
    assert db.session.scalar(select(func.count(User.id))) == 0


# --- hashing --------------------------------------------------------------------------------


def test_hashes_are_argon2id_and_salted():
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second
    assert PASSWORD not in first


def test_older_hashes_are_still_upgraded_on_login():
    import argon2

    old = argon2.PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    user = make_user()
    user.password_hash = old
    db.session.commit()
    assert users.authenticate(user.email, PASSWORD) == user
    db.session.commit()
    assert user.password_hash != old and not passwords.needs_rehash(user.password_hash)


# --- changing a password --------------------------------------------------------------------


def test_change_needs_the_current_password_and_changes_nothing_without_it(outbox):
    user = make_user()
    before = (user.password_hash, user.session_version)
    with pytest.raises(ValidationFailed) as excinfo:
        passwords.change(user, "not my password", NEW_PASSWORD)
    assert set(excinfo.value.fields) == {"current_password"}
    db.session.commit()
    db.session.refresh(user)
    assert (user.password_hash, user.session_version) == before
    assert [e.after for e in _events("auth.password_change_failed")] == [
        {"reason": "bad_current_password"}]
    assert _events("auth.password_change") == []
    assert outbox() == []


@pytest.mark.parametrize(("new", "message"), [
    ("short", "Use at least 12 characters."),
    ("password1234", "common"),
    (PASSWORD, "different"),
])
def test_change_applies_the_policy_to_the_new_password(new, message):
    user = make_user()
    with pytest.raises(ValidationFailed) as excinfo:
        passwords.change(user, PASSWORD, new)
    assert set(excinfo.value.fields) == {"password"}
    assert message in excinfo.value.fields["password"]


def test_change_refuses_a_password_made_of_the_users_name():
    user = make_user()
    user.display_name = "Marianne Kowalczyk"
    with pytest.raises(ValidationFailed):
        passwords.change(user, PASSWORD, "Marianne-Kowalczyk-1984")


def test_change_stores_the_new_password_ends_sessions_and_links_and_tells_the_user(outbox):
    user = make_user(Role.ORGANISER)
    now = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    link = PasswordReset(user_id=user.id, token_hash="a" * 64, expires_at=now + timedelta(hours=1))
    db.session.add(link)
    db.session.commit()
    version = user.session_version

    passwords.change(user, PASSWORD, NEW_PASSWORD, now=now)
    db.session.commit()

    assert passwords.verify(user.password_hash, NEW_PASSWORD)
    assert not passwords.verify(user.password_hash, PASSWORD)
    assert user.session_version == version + 1
    assert user.password_changed_at == now
    assert link.used_at == now  # a reset link mailed earlier no longer works
    [event] = _events("auth.password_change")
    assert event.actor_id == user.id and event.before is None and event.after is None
    [message] = outbox()
    assert message["To"] == user.email
    assert message["Subject"] == "Your password was changed"
    body = message.get_content()
    assert "2026-03-01 at 12:30 UTC" in body
    assert NEW_PASSWORD not in body and PASSWORD not in body


def test_outside_the_tests_hashes_use_owasps_argon2id_settings(tmp_path):
    # 19 MiB, 2 passes, 1 lane: strong, and a burst of logins cannot take a server's memory.
    from app import create_app

    development = create_app("development",
                             SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.db'}")
    with development.app_context():
        made = passwords.hash_password("correct horse battery staple")
        assert made.startswith("$argon2id$") and "$m=19456,t=2,p=1$" in made
        assert passwords.verify(made, "correct horse battery staple")
        db.engine.dispose()
