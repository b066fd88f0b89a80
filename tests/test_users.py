"""Accounts: creating users, checking credentials, argon2id hashes and their upgrade on login."""

import argon2
import pytest
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Membership, MembershipRole, Role, User
from app.services import passwords, users
from app.services.errors import ValidationFailed
from tests.conftest import PASSWORD, make_collective

GOOD_PASSWORD = "a long enough passphrase"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ))


def _argon2_params(password_hash: str) -> str:
    """The "m=...,t=...,p=..." part of an encoded argon2 hash."""
    return password_hash.split("$")[3]


# --- create_user ---------------------------------------------------------------------------


def test_create_user_stores_the_email_in_lower_case():
    user = users.create_user("Alice.Smith@Example.ORG", "organiser", GOOD_PASSWORD)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.email == "alice.smith@example.org"
    assert stored.display_name == "alice.smith"
    assert stored.role is Role.ORGANISER
    assert stored.is_active is True
    assert stored.memberships == []


def test_create_user_keeps_a_given_display_name():
    user = users.create_user("bob@example.org", Role.COORDINATOR, GOOD_PASSWORD,
                             display_name="  Bob B.  ")
    assert user.display_name == "Bob B."
    assert user.role is Role.COORDINATOR


@pytest.mark.parametrize("second", ["alice@example.org", "ALICE@EXAMPLE.ORG",
                                    "Alice@Example.Org"])
def test_a_duplicate_email_is_refused_whatever_its_case(second):
    users.create_user("alice@example.org", "organiser", GOOD_PASSWORD)
    db.session.commit()
    with pytest.raises(ValidationFailed) as excinfo:
        users.create_user(second, "organiser", GOOD_PASSWORD)
    assert set(excinfo.value.fields) == {"email"}
    assert "already exists" in excinfo.value.fields["email"]
    assert _count(User) == 1


@pytest.mark.parametrize("email", ["not-an-email", "alice@", "@example.org", "alice@example",
                                   "", "alice@@example.org"])
def test_an_invalid_email_is_refused(email):
    with pytest.raises(ValidationFailed) as excinfo:
        users.create_user(email, "organiser", GOOD_PASSWORD)
    assert set(excinfo.value.fields) == {"email"}
    assert _count(User) == 0


@pytest.mark.parametrize("password", ["", "short", "x" * 11, "x" * 129])
def test_a_password_too_short_or_too_long_is_refused(password):
    with pytest.raises(ValidationFailed) as excinfo:
        users.create_user("alice@example.org", "organiser", password)
    assert set(excinfo.value.fields) == {"password"}
    assert _count(User) == 0


@pytest.mark.parametrize("password", [
    "Vx7#qLm2!pRz",
    ("orbit kettle mango quartz violin 7 harbour lantern fig tundra " * 3)[:128],
])
def test_passwords_at_the_length_limits_are_accepted(password):
    assert len(password) in (passwords.MIN_LENGTH, passwords.MAX_LENGTH)
    user = users.create_user("alice@example.org", "organiser", password)
    assert passwords.verify(user.password_hash, password)


@pytest.mark.parametrize("role", ["superuser", "", "Organiser", "member"])
def test_an_unknown_role_is_refused(role):
    with pytest.raises(ValidationFailed) as excinfo:
        users.create_user("alice@example.org", role, GOOD_PASSWORD)
    assert set(excinfo.value.fields) == {"role"}
    assert _count(User) == 0


def test_an_unknown_collective_is_refused():
    with pytest.raises(ValidationFailed) as excinfo:
        users.create_user("alice@example.org", "organiser", GOOD_PASSWORD,
                          collective_slug="no-such-collective")
    assert set(excinfo.value.fields) == {"collective"}
    assert _count(User) == 0
    assert _count(Membership) == 0


def test_an_over_long_display_name_is_refused():
    with pytest.raises(ValidationFailed) as excinfo:
        users.create_user("alice@example.org", "organiser", GOOD_PASSWORD,
                          display_name="n" * 121)
    assert set(excinfo.value.fields) == {"name"}


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationFailed) as excinfo:
        users.create_user("nope", "superuser", "short", collective_slug="nowhere")
    assert set(excinfo.value.fields) == {"email", "role", "password", "collective"}
    assert _count(User) == 0


def test_create_user_makes_a_member_of_the_collective():
    collective = make_collective("kino-kollektiv")
    user = users.create_user("alice@example.org", "organiser", GOOD_PASSWORD,
                             collective_slug="kino-kollektiv")
    db.session.commit()
    [membership] = db.session.scalars(select(Membership)).all()
    assert membership.user_id == user.id
    assert membership.collective_id == collective.id
    assert membership.role is MembershipRole.MEMBER


def test_create_user_records_an_audit_event_without_secrets():
    actor = users.create_user("admin@example.org", "admin", GOOD_PASSWORD)
    make_collective("kino-kollektiv")
    user = users.create_user("alice@example.org", "organiser", "another passphrase",
                             collective_slug="kino-kollektiv", actor=actor)
    db.session.commit()
    events = _events("user.create")
    assert [(e.actor_id, e.object_id) for e in events] == [(None, actor.id), (actor.id, user.id)]
    assert events[1].object_type == "user"
    assert events[1].after == {"role": "organiser", "collective": "kino-kollektiv"}
    for event in events:
        assert "passphrase" not in str(event.after)
        assert "$argon2" not in str(event.after)


# --- password hashes ----------------------------------------------------------------------


def test_password_hashes_are_argon2id_and_never_the_password():
    user = users.create_user("alice@example.org", "organiser", GOOD_PASSWORD)
    db.session.commit()
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$")
    assert GOOD_PASSWORD not in stored
    assert passwords.verify(stored, GOOD_PASSWORD)
    assert not passwords.verify(stored, GOOD_PASSWORD + "!")


def test_the_same_password_hashes_differently_each_time():
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first != second
    assert passwords.verify(first, PASSWORD) and passwords.verify(second, PASSWORD)


def test_hashes_use_the_configured_argon2_parameters():
    params = current_app.config["ARGON2_PARAMS"]
    expected = f"m={params['memory_cost']},t={params['time_cost']},p={params['parallelism']}"
    assert _argon2_params(passwords.hash_password(PASSWORD)) == expected
    assert passwords.needs_rehash(passwords.hash_password(PASSWORD)) is False


@pytest.mark.parametrize("broken", [None, "", "plain text", "$argon2id$v=19$garbage",
                                    "$2b$12$abcdefghijklmnopqrstuv"])
def test_verify_is_false_for_a_missing_or_broken_hash(broken):
    assert passwords.verify(broken, PASSWORD) is False


# --- authenticate ---------------------------------------------------------------------------


@pytest.fixture
def alice():
    """An active organiser with a known password."""
    user = users.create_user("alice@example.org", "organiser", GOOD_PASSWORD)
    db.session.commit()
    return user


@pytest.mark.parametrize("email", ["alice@example.org", "ALICE@Example.org",
                                   "  alice@example.org  "])
def test_authenticate_with_the_right_password(alice, email):
    assert users.authenticate(email, GOOD_PASSWORD) == alice
    db.session.commit()
    [event] = _events("auth.login")
    assert (event.actor_id, event.object_id) == (alice.id, alice.id)
    assert _events("auth.login_failed") == []


def test_authenticate_with_a_wrong_password(alice):
    assert users.authenticate("alice@example.org", "not the passphrase") is None
    assert users.authenticate("alice@example.org", GOOD_PASSWORD.upper()) is None
    assert users.authenticate("alice@example.org", "") is None
    db.session.commit()
    events = _events("auth.login_failed")
    assert len(events) == 3
    assert all(e.actor_id == alice.id and e.object_id == alice.id for e in events)
    assert all(e.after == {"reason": "bad_password"} for e in events)
    assert _events("auth.login") == []


def test_authenticate_with_an_unknown_email(alice):
    assert users.authenticate("mallory@example.org", GOOD_PASSWORD) is None
    db.session.commit()
    [event] = _events("auth.login_failed")
    assert event.actor_id is None
    assert event.object_id is None
    assert event.after == {"reason": "unknown_or_inactive"}
    assert "mallory" not in str(event.after)


def test_an_inactive_user_cannot_log_in(alice):
    alice.is_active = False
    db.session.commit()
    assert users.authenticate("alice@example.org", GOOD_PASSWORD) is None
    db.session.commit()
    [event] = _events("auth.login_failed")
    assert event.after == {"reason": "unknown_or_inactive"}
    assert _events("auth.login") == []


def test_a_user_without_a_password_cannot_log_in():
    user = User(email="nopass@example.org", display_name="No password", password_hash=None)
    db.session.add(user)
    db.session.commit()
    assert users.authenticate("nopass@example.org", "") is None
    assert users.authenticate("nopass@example.org", GOOD_PASSWORD) is None


def test_an_outdated_hash_is_upgraded_on_login():
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    old_hash = cheap.hash(GOOD_PASSWORD)
    user = User(email="old@example.org", display_name="Old hash", password_hash=old_hash)
    db.session.add(user)
    db.session.commit()
    assert passwords.needs_rehash(old_hash) is True

    assert users.authenticate("old@example.org", GOOD_PASSWORD) == user
    db.session.commit()
    db.session.expire_all()

    new_hash = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert new_hash != old_hash
    assert new_hash.startswith("$argon2id$")
    assert _argon2_params(old_hash) == "m=512,t=1,p=1"
    assert _argon2_params(new_hash) == _argon2_params(passwords.hash_password("x" * 12))
    assert passwords.needs_rehash(new_hash) is False
    assert passwords.verify(new_hash, GOOD_PASSWORD)


def test_a_wrong_password_does_not_upgrade_an_outdated_hash():
    old_hash = argon2.PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(
        GOOD_PASSWORD
    )
    user = User(email="old@example.org", display_name="Old hash", password_hash=old_hash)
    db.session.add(user)
    db.session.commit()
    assert users.authenticate("old@example.org", "wrong passphrase") is None
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


def test_a_current_hash_is_left_alone_on_login(alice):
    before = alice.password_hash
    users.authenticate("alice@example.org", GOOD_PASSWORD)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, alice.id).password_hash == before


def test_find_by_email_ignores_case_and_spaces(alice):
    assert users.find_by_email(" ALICE@example.ORG ") == alice
    assert users.find_by_email("bob@example.org") is None


def test_count_users(alice):
    users.create_user("bob@example.org", "coordinator", GOOD_PASSWORD)
    assert users.count_users() == 2
