"""`flask users create`: accounts and memberships from the command line, and clear refusals."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Membership, MembershipRole, Role, User
from app.services import passwords
from tests.conftest import make_collective, make_user

GOOD_PASSWORD = "password-long-enough"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def collective():
    return make_collective("kino-kollektiv")


def create(runner, *args: str, password: str = GOOD_PASSWORD):
    """Run `flask users create ARGS --password-stdin` with the password on standard input."""
    return runner.invoke(args=["users", "create", *args, "--password-stdin"],
                         input=f"{password}\n")


def counts() -> tuple[int, int]:
    """How many users and memberships are stored."""
    return (db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(Membership)))


def test_creates_an_organiser_in_a_collective(runner, collective):
    result = create(runner, "new.person@example.org", "--role", "organiser",
                    "--collective", "kino-kollektiv", "--name", "New Person")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert f"Created organiser new.person@example.org (id {user.id})." in result.output
    assert GOOD_PASSWORD not in result.output
    assert (user.email, user.display_name, user.role, user.is_active) == (
        "new.person@example.org", "New Person", Role.ORGANISER, True)
    assert passwords.verify(user.password_hash, GOOD_PASSWORD)
    assert GOOD_PASSWORD not in user.password_hash
    membership = db.session.scalars(select(Membership)).one()
    assert (membership.user_id, membership.collective_id, membership.role) == (
        user.id, collective.id, MembershipRole.MEMBER)
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert GOOD_PASSWORD not in str(audit.after)


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_creates_coordinators_and_admins_without_collective(runner, role):
    result = create(runner, "boss@example.org", "--role", role)
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.role == Role(role)
    assert user.display_name == "boss"
    assert counts() == (1, 0)


def test_email_is_stored_in_lower_case(runner):
    result = create(runner, "Mixed.Case@Example.ORG", "--role", "organiser")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(User)).one().email == "mixed.case@example.org"


def test_the_password_can_be_typed_at_a_prompt(runner):
    result = runner.invoke(args=["users", "create", "typed@example.org", "--role", "organiser"],
                           input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert passwords.verify(db.session.scalars(select(User)).one().password_hash, GOOD_PASSWORD)


@pytest.mark.parametrize(
    ("args", "password", "exit_code", "message"),
    [
        (["ok@example.org", "--role", "superuser"], GOOD_PASSWORD, 2,
         "Invalid value for '--role'"),
        (["ok@example.org", "--role", "organiser", "--collective", "no-such-collective"],
         GOOD_PASSWORD, 1, "Error: collective: No collective with the slug 'no-such-collective'."),
        (["ok@example.org", "--role", "organiser"], "too-short", 1,
         "Error: password: Use at least 12 characters."),
        (["ok@example.org", "--role", "organiser"], "", 1,
         "Error: password: Use at least 12 characters."),
        (["ok@example.org", "--role", "organiser"], "x" * 129, 1,
         "Error: password: Use at most 128 characters."),
        (["not-an-email", "--role", "organiser"], GOOD_PASSWORD, 1, "Error: email:"),
        (["two@@example.org", "--role", "organiser"], GOOD_PASSWORD, 1, "Error: email:"),
        (["ok@example.org", "--role", "organiser", "--name", "n" * 121], GOOD_PASSWORD, 1,
         "Error: name: Use at most 120 characters."),
    ],
    ids=["unknown-role", "unknown-collective", "short-password", "empty-password",
         "long-password", "invalid-email", "double-at", "long-name"],
)
def test_bad_input_exits_non_zero_and_writes_nothing(runner, collective, args, password,
                                                     exit_code, message):
    result = create(runner, *args, password=password)
    assert result.exit_code == exit_code
    assert message in result.output
    assert "Traceback" not in result.output
    assert counts() == (0, 0)


@pytest.mark.parametrize("spelling", ["taken@example.org", "TAKEN@Example.org",
                                      "Taken@EXAMPLE.ORG"])
def test_a_taken_email_is_refused_whatever_its_case(runner, collective, spelling):
    make_user(Role.ORGANISER, email="taken@example.org")
    result = create(runner, spelling, "--role", "organiser", "--collective", "kino-kollektiv")
    assert result.exit_code == 1
    assert "Error: email: An account with this email already exists." in result.output
    assert counts() == (1, 0)


def test_every_problem_is_reported_at_once(runner):
    result = create(runner, "not-an-email", "--role", "organiser", "--collective", "nope",
                    password="short")
    assert result.exit_code == 1
    for field in ("email", "password", "collective"):
        assert f"Error: {field}:" in result.output
    assert counts() == (0, 0)
