"""Logging in and out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..services import users
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """The target if it is a path on this site; None for other hosts and tricks like //evil."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\r\n\t") or urlsplit(target).netloc:
        return None
    return target


def home_for(user) -> str:
    """Where a user lands after logging in."""
    if user.is_coordinator:
        return url_for("coordination.index")
    return url_for("organiser.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and check credentials."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        db.session.commit()  # keeps the audit event of a failure as well as a success
        if user is None:
            form.password.errors.append("The email or password is not right.")
        else:
            session.clear()  # a fresh session: nothing from before login carries over
            login_user(user, remember=form.remember.data)
            flash(f"Welcome, {user.display_name}.", "success")
            return redirect(safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout():
    """End this session and every other session of the user (a copied cookie stops working)."""
    current_user.session_version += 1
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("public.index"))
