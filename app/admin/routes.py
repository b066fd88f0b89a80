"""Site administration: every account, its site role, and deactivation (site admins only)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import render_error
from ..extensions import db
from ..services import admin_users, permissions, users
from ..services.errors import DomainError
from .forms import ButtonForm, UserRoleForm

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
def require_admin():
    """Only site admins manage accounts; coordinators get 403 like everyone else."""
    if not permissions.is_site_admin(current_user):
        abort(403)


@bp.after_request
def no_store(response):
    """The list of accounts stays out of browser and proxy caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(admin_users.NotAllowed)
def not_allowed(_exc):
    """A service refused a non-admin (the before_request guard normally stops them first)."""
    return render_error(403)


def _users_page(status: int = 200):
    """The list of accounts with a form per row."""
    return render_template("admin/users.html", users=admin_users.list_users(current_user),
                           role_form=UserRoleForm(), button_form=ButtonForm()), status


def _done(message: str):
    """Commit and go back to the list (or to the login page if one ended one's own session)."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.index"))


@bp.get("")
def index():
    """Every account with its role, state, two-factor enrolment and collectives."""
    return _users_page()


@bp.post("/<int:user_id>/role")
def change_role(user_id: int):
    """Set a site role; the account's sessions end so that the change applies at once."""
    user = admin_users.get_user(current_user, user_id)
    form = UserRoleForm()
    if not form.validate_on_submit():
        flash(_("Choose organiser, coordinator or admin."), "error")
        return _users_page(422)
    try:
        admin_users.change_role(user, form.role.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.index"))
    return _done(_("%(email)s is now %(role)s; their sessions were ended.", email=user.email,
                   role=users.SITE_ROLE_NAMES[user.role]))


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int):
    """Stop an account from logging in and end its sessions."""
    user = admin_users.get_user(current_user, user_id)
    if ButtonForm().validate_on_submit():
        try:
            admin_users.deactivate(user, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            return _done(_("%(email)s is deactivated and logged out everywhere.",
                           email=user.email))
    return redirect(url_for("admin.index"))


@bp.post("/<int:user_id>/reactivate")
def reactivate(user_id: int):
    """Let a deactivated account log in again."""
    user = admin_users.get_user(current_user, user_id)
    if ButtonForm().validate_on_submit():
        admin_users.reactivate(user, current_user)
        return _done(_("%(email)s can log in again.", email=user.email))
    return redirect(url_for("admin.index"))
