"""flask users and flask demo: accounts and demonstration data."""

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import Role
from ..services import demo, twofactor, users
from ..services.demo import data as demo_data
from ..services.errors import ValidationFailed

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demonstration data.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default=None, help="Display name (default: the part before the @).")
@click.option("--collective", default=None, help="Slug of an existing collective to join.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email, role, name, collective, password_stdin):
    """Create an account."""
    password = _read_password(password_stdin)
    try:
        user = users.create_user(email, role, password, display_name=name,
                                 collective_slug=collective)
    except ValidationFailed as exc:
        db.session.rollback()
        for field, message in exc.fields.items():
            click.echo(f"Error: {field}: {message}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@demo_cli.command("seed")
@click.option("--screenings", "screening_count", default=None, type=click.IntRange(0, 200_000),
              help="Also generate this many extra screenings (for load tests).")
@click.option("--contributions", "contribution_count", default=None,
              type=click.IntRange(0, 5_000_000),
              help="Also generate this many extra contributions.")
def seed(screening_count, contribution_count):
    """Load realistic demo data; running it again changes nothing."""
    report = demo.seed(screening_count=screening_count, contribution_count=contribution_count)
    db.session.commit()
    click.echo(report)


@demo_cli.command("code")
@click.argument("email")
def demo_code(email):
    """Print the current two-factor code of a demo account (and of no other account)."""
    email = email.strip().lower()
    user = users.find_by_email(email) if email in {u[0] for u in demo_data.USERS} else None
    if user is None or not user.has_two_factor:
        click.echo(f"Error: {email} is not a demo account with two-factor authentication "
                   f"(those are: {', '.join(demo_data.DEMO_TWO_FACTOR_EMAILS)}; run "
                   "`flask demo seed` first).", err=True)
        raise SystemExit(1)
    found = twofactor.demo_code(user)
    if found is None:
        click.echo("The current code was just used; run this again in a few seconds.", err=True)
        raise SystemExit(1)
    code, seconds = found
    click.echo(code)
    click.echo(f"(valid for about {seconds} more seconds, once)", err=True)

