"""Collective membership: the members page, invitations, and accepting an invitation link."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..extensions import db
from ..form_errors import show_field_errors
from ..models import Role
from ..services import invitations, memberships, permissions
from ..services.errors import DomainError, ValidationFailed
from .forms import ButtonForm, InviteForm, MemberRoleForm, NewAccountForm

bp = Blueprint("members", __name__)




@bp.after_request
def no_store(response):
    """Member lists, emails and invitation links stay out of browser and proxy caches."""
    response.headers["Cache-Control"] = "no-store"
    return response



def _invite_form() -> InviteForm:
    """The invite form, with the site role field only for site admins."""
    form = InviteForm()
    if Role.ADMIN not in invitations.invitable_site_roles(current_user):
        # Without the field, a site_role sent anyway is never read.
        del form.site_role
    return form


def _members_page(collective, invite_form: InviteForm | None = None, status: int = 200):
    """The members page, with the invite form as submitted when it had errors."""
    return render_template(
        "members/index.html", collective=collective,
        members=memberships.members_of(collective),
        invitations=invitations.pending(collective),
        invite_form=invite_form or _invite_form(), role_form=MemberRoleForm(),
        button_form=ButtonForm(),
    ), status


def _back_to(collective):
    """The members page, or the list if the actor just gave up managing this collective."""
    if permissions.can_manage_members(collective, current_user):
        return redirect(url_for("members.index", slug=collective.slug))
    return redirect(url_for("members.collectives"))


@bp.get("/organiser/collectives")
@login_required
def collectives():
    """Every collective (coordinators) or the user's own, linking to members pages."""
    return render_template("members/collectives.html",
                           rows=memberships.visible_collectives(current_user))


@bp.get("/organiser/collectives/<slug>/members")
@login_required
def index(slug: str):
    """Members, pending invitations and the invite form of one collective."""
    return _members_page(memberships.get_managed(slug, current_user))


@bp.post("/organiser/collectives/<slug>/invitations")
@login_required
def invite(slug: str):
    """Send an invitation; the collective is the one in the address, never a form field."""
    collective = memberships.get_managed(slug, current_user)
    form = _invite_form()
    if form.validate_on_submit():
        site_role = form.site_role.data if "site_role" in form else Role.ORGANISER
        try:
            invitation, _token = invitations.create(
                current_user, collective, form.email.data, form.membership_role.data, site_role)
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_errors(form, exc)
        except OSError:  # the mail server refused or is unreachable (SMTPException included)
            db.session.rollback()
            current_app.logger.exception("Invitation mail could not be sent")
            flash(_("The invitation could not be sent, so it was not saved. Please try again "
                    "later."), "error")
            return _members_page(collective, form, 503)
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("members.index", slug=collective.slug))
    return _members_page(collective, form, 422)


@bp.post("/organiser/collectives/<slug>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(slug: str, invitation_id: int):
    """Withdraw a pending invitation: its link stops working."""
    collective = memberships.get_managed(slug, current_user)
    invitation = invitations.get_pending(collective, invitation_id)
    if ButtonForm().validate_on_submit():
        try:
            invitations.revoke(invitation, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Invitation to %(email)s withdrawn.", email=invitation.email), "success")
    return redirect(url_for("members.index", slug=collective.slug))


@bp.post("/organiser/collectives/<slug>/members/<int:membership_id>/role")
@login_required
def change_role(slug: str, membership_id: int):
    """Make a member admin or an admin member."""
    collective = memberships.get_managed(slug, current_user)
    membership = memberships.get_membership(collective, membership_id)
    form = MemberRoleForm()
    if not form.validate_on_submit():
        flash(_("Choose member or admin."), "error")
        return _members_page(collective, status=422)
    name = membership.user.display_name
    try:
        warning = memberships.change_role(membership, form.role.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("members.index", slug=collective.slug))
    db.session.commit()
    if form.role.data == "admin":
        flash(_("%(name)s is now an admin.", name=name), "success")
    else:
        flash(_("%(name)s is now a member.", name=name), "success")
    if warning:
        flash(warning, "warning")
    return _back_to(collective)


@bp.post("/organiser/collectives/<slug>/members/<int:membership_id>/remove")
@login_required
def remove(slug: str, membership_id: int):
    """Take someone out of the collective; they lose access on their next request."""
    collective = memberships.get_managed(slug, current_user)
    membership = memberships.get_membership(collective, membership_id)
    if ButtonForm().validate_on_submit():
        name = membership.user.display_name
        try:
            warning = memberships.remove(membership, current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is no longer a member of %(collective)s.", name=name,
                    collective=collective.name), "success")
            if warning:
                flash(warning, "warning")
            return _back_to(collective)
    return redirect(url_for("members.index", slug=collective.slug))


def _notice(title: str, message: str, status: int, login_url: str | None = None):
    """A short page about an invitation link, in the site layout."""
    return render_template("members/invitation_notice.html", title=title, message=message,
                           login_url=login_url), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Accept an invitation: a new account, or the invited account after logging in."""
    try:
        # The row is locked while accepting, so two submissions of one link cannot both count.
        invitation = invitations.verify(token, lock=request.method == "POST")
    except invitations.InvalidInvitation:
        return _notice(_("This invitation link does not work"),
                       _("It may have been used already, withdrawn, or expired, or it was copied "
                         "incompletely. Ask the person who invited you for a new invitation."),
                       410)
    account = invitations.invited_account(invitation)
    if current_user.is_authenticated and (account is None or current_user.id != account.id):
        return _notice(_("This invitation is for someone else"),
                       _("You are logged in with an account this invitation was not sent to. "
                         "Log out first, then open the link again."), 403)
    if account is None:
        return _accept_new(invitation)
    if not current_user.is_authenticated:
        return _notice(_("Log in first"),
                       _("An account with the invited email address already exists. Log in to "
                         "it, and you come back here to accept the invitation."), 200,
                       login_url=url_for("auth.login", next=request.path))
    form = ButtonForm()
    if form.validate_on_submit():
        # The user object itself, not the proxy: it is stored on the membership and audited.
        invitations.accept_existing(invitation, current_user._get_current_object())
        db.session.commit()
        flash(_("You are now a member of %(collective)s.",
                collective=invitation.collective.name), "success")
        return redirect(url_for("organiser.index"))
    return render_template("members/accept_existing.html", invitation=invitation, form=form)


def _accept_new(invitation):
    """The new-account form; on success the person is logged in with a fresh session."""
    form = NewAccountForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept_new(invitation, form.name.data, form.password.data)
        except ValidationFailed as exc:
            db.session.rollback()  # no account is left behind without its membership
            show_field_errors(form, exc)
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name),
                  "success")
            return redirect(url_for("organiser.index"))
    return render_template("members/accept_new.html", invitation=invitation, form=form), (
        422 if form.errors else 200)
