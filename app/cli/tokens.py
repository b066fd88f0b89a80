"""flask tokens: personal API tokens from the command line."""

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import api_tokens, users
from ..services.errors import ValidationFailed

tokens_cli = AppGroup("tokens", help="Personal API tokens.")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--label", default="", help="What the token is for (shown on the account page).")
def create_token(email, label):
    """Print a new personal API token for an account, once."""
    user = users.find_by_email(email.strip().lower())
    if user is None:
        click.echo(f"Error: no account has the email {email}.", err=True)
        raise SystemExit(1)
    try:
        plaintext, record = api_tokens.create(user, label, actor=None)
    except ValidationFailed as exc:
        db.session.rollback()
        for field, message in exc.fields.items():
            click.echo(f"Error: {field}: {message}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    # The secret alone on standard output, so that it can be piped; the rest on stderr.
    click.echo(plaintext)
    click.echo(f"Token {record.prefix}… (id {record.id}) created for {user.email}. It is shown "
               "only this once; store it now.", err=True)
