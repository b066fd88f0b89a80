"""Logging in (password, then the second factor where the user has one) and out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..extensions import db
from ..services import twofactor, users
from ..services.errors import ValidationFailed
from . import session as login_session
from .forms import LoginForm, TwoFactorForm

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """The target if it is a path on this site; None for other hosts and tricks like //evil."""
    if not target or not isinstance(target, str):
        return None
    if not target.startswith("/") or target.startswith(("//", "/\\")):
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
    """Show the login form and check credentials; users with 2FA go on to the second step."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        next_path = safe_next(request.args.get("next"))
        if user is not None and user.has_two_factor:
            db.session.commit()
            login_session.begin_second_factor(user, form.remember.data, next_path)
            return redirect(url_for("auth.two_factor"))
        db.session.commit()  # keeps the audit event of a failure as well as a success
        if user is None:
            form.password.errors.append(_("The email or password is not right."))
        else:
            login_session.start(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(next_path or home_for(user))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/login/two-factor", methods=["GET", "POST"])
def two_factor():
    """The second step: a code from the authenticator app or a recovery code."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    pending = login_session.pending_second_factor()
    if pending is None:
        had_marker = login_session.PENDING_KEY in session
        login_session.drop_pending()
        if had_marker:
            flash(_("That took too long, or your account changed meanwhile. Please log in "
                    "again."), "info")
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        user = pending.user
        try:
            method = twofactor.complete_login(user, form.code.data)
        except ValidationFailed as exc:
            db.session.commit()  # the failed attempt stays on record
            form.code.errors.append(exc.fields["code"])
        else:
            db.session.commit()
            login_session.start(user, remember=pending.remember)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            if method == "recovery_code":
                left = twofactor.unused_recovery_codes(user)
                flash(_("You used a recovery code; %(left)s left. If you lost your "
                        "authenticator, set up a new one from your account page.", left=left),
                      "info")
            # Checked again: the marker lives in a cookie we signed, but the rule is cheap.
            return redirect(safe_next(pending.next) or home_for(user))
    return render_template("auth/two_factor.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout():
    """End this session and every other session of the user (a copied cookie stops working)."""
    current_user.session_version += 1
    db.session.commit()
    session.clear()
    logout_user()  # after clear(): it leaves the note that deletes the remember cookie
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.index"))
