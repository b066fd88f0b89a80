"""Invitations: signed, single-use, expiring links; accepting as a new or an existing account."""

import hashlib
import html
import json
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask import current_app
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import AuditEvent, Invitation, Membership, MembershipRole, Role, User, utcnow
from app.services import invitations
from app.services.errors import NotFound, ValidationFailed
from tests.conftest import PASSWORD, login, make_collective, make_user
from tests.helpers import page

NEW_PASSWORD = "violet tractor lantern pebble"


def staff(role: Role, **kwargs) -> User:
    """A coordinator or admin with two-factor authentication on (they may not work without)."""
    user = make_user(role, **kwargs)
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = utcnow()
    db.session.commit()
    return user


def sign_in(client, user: User, password: str = PASSWORD):
    """Log in through the real forms, with the second step for users who have 2FA."""
    if not user.has_two_factor:
        return login(client, user, password)
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login/two-factor"
    # Codes are single-use: forget the last one so that several logins fit in one 30 s step.
    user.totp_last_step = None
    db.session.commit()
    response = client.post("/login/two-factor", data={"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def collective_a():
    return make_collective("collective-a")


@pytest.fixture
def collective_b():
    return make_collective("collective-b")


@pytest.fixture
def admin_a(collective_a):
    """A collective admin of A (an organiser on the site)."""
    return make_user(Role.ORGANISER, collective_a, admin_of_collective=True)


@pytest.fixture
def request_ctx(app):
    """A request context, so that the service can build the absolute link it mails."""
    with app.test_request_context():
        yield


def link_in(message) -> str:
    """The invitation link in a mail."""
    match = re.search(r"(https?://\S+/invitations/\S+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def path_of(url: str) -> str:
    return urlsplit(url).path


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def resigned(token: str, secret: str | None = None, signer=TimestampSigner) -> str:
    """The token's own payload signed again, with another secret or timestamp."""
    original = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation")
    _ok, payload = original.loads_unsafe(token)
    other = URLSafeTimedSerializer(secret or current_app.config["SECRET_KEY"],
                                   salt="invitation", signer=signer)
    return other.dumps(payload)


# --- the service -------------------------------------------------------------------------


def test_create_stores_only_a_hash_and_mails_an_absolute_link(request_ctx, collective_a, admin_a,
                                                              outbox):
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    invitation, token = invitations.create(admin_a, collective_a, "  New.Person@Example.ORG ",
                                           now=now)
    db.session.commit()
    assert invitation.email == "new.person@example.org"
    assert invitation.expires_at == now + timedelta(hours=72)
    assert invitation.role == Role.ORGANISER
    assert invitation.membership_role == MembershipRole.MEMBER
    assert invitation.invited_by_id == admin_a.id

    _ok, payload = URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                          salt="invitation").loads_unsafe(token)
    assert payload["i"] == invitation.id
    assert len(payload["n"]) >= 43  # 32 random bytes
    assert invitation.token_hash == hashlib.sha256(payload["n"].encode()).hexdigest()
    row = db.session.execute(select(Invitation.__table__)).one()
    stored = json.dumps([str(value) for value in row])
    assert token not in stored and payload["n"] not in stored

    [message] = outbox()
    assert message["To"] == "new.person@example.org"
    assert collective_a.name in message["Subject"]
    body = message.get_content()
    assert admin_a.display_name in body and collective_a.name in body
    assert link_in(message) == f"http://localhost/invitations/{token}"

    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "invitation.create")).all()
    assert event.actor_id == admin_a.id
    assert event.after["email"] == "new.person@example.org"
    assert token not in json.dumps(event.after) and payload["n"] not in json.dumps(event.after)


def test_verify_accepts_the_fresh_token(request_ctx, collective_a, admin_a):
    invitation, token = invitations.create(admin_a, collective_a, "new@example.org")
    db.session.commit()
    assert invitations.verify(token).id == invitation.id


@pytest.mark.parametrize("fields, bad", [
    ({"email": "not-an-address"}, "email"),
    ({"email": "two@@example.org"}, "email"),
    ({"email": ""}, "email"),
    ({"email": "new@example.org", "membership_role": "owner"}, "membership_role"),
    ({"email": "new@example.org", "site_role": "superuser"}, "site_role"),
])
def test_bad_input_is_refused_and_nothing_is_written(request_ctx, collective_a, admin_a, outbox,
                                                     fields, bad):
    with pytest.raises(ValidationFailed) as caught:
        invitations.create(admin_a, collective_a, **fields)
    db.session.rollback()
    assert bad in caught.value.fields
    assert count(Invitation) == 0
    assert outbox() == []


@pytest.mark.parametrize("site_role", [Role.COORDINATOR, Role.ADMIN])
@pytest.mark.parametrize("actor_role", ["collective_admin", "coordinator"])
def test_only_site_admins_invite_coordinators_or_admins(request_ctx, collective_a, admin_a,
                                                        site_role, actor_role):
    actor = admin_a if actor_role == "collective_admin" else staff(Role.COORDINATOR)
    with pytest.raises(ValidationFailed) as caught:
        invitations.create(actor, collective_a, "new@example.org", site_role=site_role)
    assert "site_role" in caught.value.fields
    db.session.rollback()
    site_admin = staff(Role.ADMIN)
    invitation, _token = invitations.create(site_admin, collective_a, "new@example.org",
                                            site_role=site_role)
    assert invitation.role == site_role


def test_coordinator_invites_to_any_collective_and_as_admin(request_ctx, collective_a):
    invitation, _token = invitations.create(staff(Role.COORDINATOR), collective_a,
                                            "new@example.org", membership_role="admin")
    assert invitation.membership_role == MembershipRole.ADMIN


def test_collective_admin_invites_as_admin_to_own_collective_only(request_ctx, collective_a,
                                                                  collective_b, admin_a):
    invitation, _token = invitations.create(admin_a, collective_a, "new@example.org",
                                            membership_role=MembershipRole.ADMIN)
    assert invitation.membership_role == MembershipRole.ADMIN
    with pytest.raises(NotFound):
        invitations.create(admin_a, collective_b, "other@example.org")


def test_plain_members_cannot_invite(request_ctx, collective_a):
    member = make_user(Role.ORGANISER, collective_a)
    with pytest.raises(NotFound):
        invitations.create(member, collective_a, "new@example.org")


def test_an_existing_member_cannot_be_invited_again(request_ctx, collective_a, admin_a):
    member = make_user(Role.ORGANISER, collective_a, email="member@example.org")
    with pytest.raises(ValidationFailed) as caught:
        invitations.create(admin_a, collective_a, "MEMBER@example.org")
    assert "already a member" in caught.value.fields["email"]
    assert member.id
    assert count(Invitation) == 0


def test_reinviting_revokes_the_earlier_invitation(request_ctx, collective_a, collective_b,
                                                   admin_a):
    coordinator = staff(Role.COORDINATOR)
    first, first_token = invitations.create(admin_a, collective_a, "new@example.org")
    elsewhere, elsewhere_token = invitations.create(coordinator, collective_b, "new@example.org")
    second, second_token = invitations.create(admin_a, collective_a, "New@example.org")
    db.session.commit()
    assert first.revoked_at is not None
    assert second.revoked_at is None and elsewhere.revoked_at is None
    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify(first_token)
    assert invitations.verify(second_token).id == second.id
    assert invitations.verify(elsewhere_token).id == elsewhere.id
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "invitation.revoke")).all()
    assert event.object_id == first.id and event.after["reason"] == "reinvited"


BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _flip(token: str, position: int) -> str:
    """The token with one character changed in its highest bit (the lowest may be padding)."""
    position %= len(token)
    char = token[position]
    new = BASE64URL[BASE64URL.index(char) ^ 32] if char in BASE64URL else "A"
    return token[:position] + new + token[position + 1:]


def test_tampered_or_foreign_tokens_are_refused(request_ctx, collective_a, admin_a):
    invitation, token = invitations.create(admin_a, collective_a, "new@example.org")
    db.session.commit()
    for position in (0, len(token) // 2, -1):
        with pytest.raises(invitations.InvalidInvitation):
            invitations.verify(_flip(token, position))
    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify(resigned(token, secret="another-secret-key-entirely"))
    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify("")
    # Properly signed, but the nonce does not match the stored hash.
    forged = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation").dumps(
        {"i": invitation.id, "n": "guessed-nonce"})
    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify(forged)
    # Properly signed with another salt (another kind of link).
    other_salt = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="reset")
    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify(other_salt.dumps(other_salt.loads_unsafe(token)[1]))
    assert invitations.verify(token).id == invitation.id


def test_expired_revoked_and_used_invitations_are_refused(request_ctx, collective_a, admin_a):
    invitation, token = invitations.create(admin_a, collective_a, "new@example.org")
    db.session.commit()
    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify(token, now=invitation.expires_at)
    invitation.revoked_at = datetime.now(UTC)
    db.session.commit()
    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify(token)
    invitation.revoked_at = None
    invitation.accepted_at = datetime.now(UTC)
    db.session.commit()
    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify(token)


def test_an_old_signature_is_refused_even_if_the_row_says_otherwise(request_ctx, collective_a,
                                                                     admin_a):
    _invitation, token = invitations.create(admin_a, collective_a, "new@example.org")
    db.session.commit()

    class SignedLongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 73 * 3600

    with pytest.raises(invitations.InvalidInvitation):
        invitations.verify(resigned(token, signer=SignedLongAgo))


def test_accept_new_makes_user_membership_and_audit_in_one_go(request_ctx, collective_a, admin_a):
    invitation, token = invitations.create(admin_a, collective_a, "new@example.org",
                                           membership_role="admin")
    db.session.commit()
    user = invitations.accept_new(invitations.verify(token), "New Person", NEW_PASSWORD)
    db.session.commit()
    assert user.role == Role.ORGANISER and user.display_name == "New Person"
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.collective_id == collective_a.id
    assert membership.role == MembershipRole.ADMIN
    assert invitation.accepted_at is not None and invitation.accepted_by_id == user.id
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"invitation.accept", "membership.create"} <= actions


def test_accept_new_with_a_password_about_the_person_is_refused(request_ctx, collective_a,
                                                                admin_a):
    _invitation, token = invitations.create(admin_a, collective_a, "marjatta.virtanen@example.org")
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        invitations.accept_new(invitations.verify(token), "Marjatta Virtanen",
                               "marjatta.virtanen@example.org")
    assert "password" in caught.value.fields
    db.session.rollback()
    assert count(User) == 1  # only the inviting admin


def test_accept_existing_refuses_another_account(request_ctx, collective_a, admin_a):
    _invitation, token = invitations.create(admin_a, collective_a, "invited@example.org")
    db.session.commit()
    someone_else = make_user(Role.ORGANISER)
    with pytest.raises(invitations.WrongAccount):
        invitations.accept_existing(invitations.verify(token), someone_else)


# --- through the web -------------------------------------------------------------------


def invite_through_page(client, collective, **fields):
    data = {"email": "new@example.org", "membership_role": "member", **fields}
    return client.post(f"/organiser/collectives/{collective.slug}/invitations", data=data)


def test_full_round_trip_through_the_outbox(app, client, collective_a, admin_a, outbox):
    login(client, admin_a)
    response = invite_through_page(client, collective_a, email="New@Example.org")
    assert response.status_code == 302
    members_path = "/organiser/collectives/collective-a/members"
    assert urlsplit(response.headers["Location"]).path == members_path
    [message] = outbox()
    assert message["To"] == "new@example.org"
    url = link_in(message)

    newcomer = app.test_client()
    form_page = newcomer.get(path_of(url))
    assert form_page.status_code == 200
    assert "new@example.org" in page(form_page) and admin_a.display_name in page(form_page)
    response = newcomer.post(path_of(url), data={
        "name": "New Person", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/organiser/"

    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == Role.ORGANISER and user.display_name == "New Person"
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.collective_id == collective_a.id
    assert membership.role == MembershipRole.MEMBER
    home = newcomer.get("/organiser/")
    assert home.status_code == 200  # logged in
    assert newcomer.get(f"/organiser/collectives/{collective_a.slug}/members").status_code == 404

    # The same link a second time: refused, whoever opens it.
    again = app.test_client()
    assert again.get(path_of(url)).status_code == 410
    assert again.post(path_of(url), data={
        "name": "Intruder", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 410
    assert count(User) == 2
    # Logging in with the chosen password works too.
    login(app.test_client(), user, NEW_PASSWORD)

    audited = json.dumps([[e.action, e.before, e.after] for e in
                          db.session.scalars(select(AuditEvent))])
    assert "invitation.accept" in audited and "membership.create" in audited
    token = path_of(url).rsplit("/", 1)[1]
    assert token not in audited and NEW_PASSWORD not in audited


def test_the_invitation_page_answers_the_same_for_every_kind_of_bad_link(
        app, client, request_ctx, collective_a, admin_a):
    expired, expired_token = invitations.create(admin_a, collective_a, "one@example.org")
    revoked, revoked_token = invitations.create(admin_a, collective_a, "two@example.org")
    _fine, fine_token = invitations.create(admin_a, collective_a, "three@example.org")
    expired.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    revoked.revoked_at = datetime.now(UTC)
    db.session.commit()
    bodies = set()
    for token in (expired_token, revoked_token, _flip(fine_token, 5),
                  resigned(fine_token, secret="another-secret-key-entirely"), "nonsense"):
        for method in (client.get, client.post):
            response = method(f"/invitations/{token}", data={
                "name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
            assert response.status_code == 410
            bodies.add(response.get_data(as_text=True))
    assert len(bodies) == 1
    assert "does not work" in bodies.pop()
    assert count(User) == 1
    assert client.get(f"/invitations/{fine_token}").status_code == 200


def test_revoked_through_the_members_page_stops_the_link(app, client, collective_a, admin_a,
                                                         outbox):
    login(client, admin_a)
    invite_through_page(client, collective_a)
    url = link_in(outbox()[0])
    invitation = db.session.scalar(select(Invitation))
    response = client.post(
        f"/organiser/collectives/collective-a/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    assert app.test_client().get(path_of(url)).status_code == 410
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.revoke"))
    assert event.actor_id == admin_a.id
    assert event.before["status"] == "pending" and event.after["status"] == "revoked"


@pytest.mark.parametrize("fields, field, message", [
    ({"password": "password1234", "confirm": "password1234"}, "password", "common"),
    ({"password": "short", "confirm": "short"}, "password", "at least 12"),
    ({"confirm": "violet tractor lantern pebbles"}, "confirm", "differ"),
    ({"name": ""}, "name", "required"),
    ({"name": "x" * 121}, "name", "120"),
])
def test_bad_account_input_gives_field_errors_and_writes_nothing(
        app, client, request_ctx, collective_a, admin_a, fields, field, message):
    invitation, token = invitations.create(admin_a, collective_a, "new@example.org")
    db.session.commit()
    data = {"name": "New Person", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **fields}
    response = client.post(f"/invitations/{token}", data=data)
    assert response.status_code == 422
    body = page(response)
    assert f'id="{field}-error"' in body
    assert message in body.lower() or message in body
    assert count(User) == 1
    assert count(Membership) == 1  # the admin's own
    db.session.refresh(invitation)
    assert invitation.accepted_at is None
    assert client.get("/organiser/").status_code == 302  # not logged in


def test_existing_account_logs_in_first_then_accepts(app, client, request_ctx, collective_a,
                                                     collective_b, admin_a):
    existing = make_user(Role.ORGANISER, collective_b, email="known@example.org")
    invitation, token = invitations.create(admin_a, collective_a, "Known@example.org",
                                           membership_role="admin")
    db.session.commit()
    link = f"/invitations/{token}"

    response = client.get(link)
    assert response.status_code == 200
    assert "Log in first" in page(response)
    login_link = re.search(r'href="(/login\?next=[^"]+)"', response.get_data(as_text=True))
    assert login_link
    next_value = parse_qs(urlsplit(html.unescape(login_link.group(1))).query)["next"][0]
    assert next_value == link
    # Posting while logged out does not accept.
    assert client.post(link).status_code == 200
    assert count(Membership) == 2

    response = client.post(html.unescape(login_link.group(1)),
                           data={"email": existing.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith(link)
    response = client.get(link)
    assert response.status_code == 200
    assert "Accept the invitation" in page(response)
    response = client.post(link)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/organiser/"
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == existing.id, Membership.collective_id == collective_a.id))
    assert membership.role == MembershipRole.ADMIN
    db.session.refresh(invitation)
    assert invitation.accepted_by_id == existing.id
    assert client.post(link).status_code == 410
    assert client.get(f"/organiser/collectives/{collective_a.slug}/members").status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.create"))
    assert event.actor_id == existing.id and event.object_type == "membership"


def test_invitation_to_coordinator_raises_an_existing_organiser(app, client, request_ctx,
                                                               collective_a):
    existing = make_user(Role.ORGANISER, email="known@example.org")
    _invitation, token = invitations.create(staff(Role.ADMIN), collective_a,
                                            "known@example.org", site_role=Role.COORDINATOR)
    db.session.commit()
    login(client, existing)
    assert client.post(f"/invitations/{token}").status_code == 302
    db.session.refresh(existing)
    assert existing.role == Role.COORDINATOR
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_change"))
    assert (event.object_type, event.object_id) == ("user", existing.id)
    assert event.before == {"role": "organiser"}
    assert event.after["role"] == "coordinator"


def test_admin_invites_a_coordinator_who_accepts_as_one(app, client, collective_a, outbox):
    site_admin = staff(Role.ADMIN)
    sign_in(client, site_admin)
    response = invite_through_page(client, collective_a, site_role="coordinator")
    assert response.status_code == 302
    newcomer = app.test_client()
    newcomer.post(path_of(link_in(outbox()[0])), data={
        "name": "New Coordinator", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role == Role.COORDINATOR


@pytest.mark.parametrize("existing_account", [True, False])
def test_logged_in_as_someone_else_is_refused(app, client, request_ctx, collective_a, admin_a,
                                              existing_account):
    if existing_account:
        make_user(Role.ORGANISER, email="invited@example.org")
    _invitation, token = invitations.create(admin_a, collective_a, "invited@example.org")
    db.session.commit()
    other = make_user(Role.ORGANISER)
    login(client, other)
    users_before = count(User)
    attempts = (client.get(f"/invitations/{token}"), client.post(f"/invitations/{token}", data={
        "name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}))
    for response in attempts:
        assert response.status_code == 403
        assert "someone else" in page(response)
    assert count(User) == users_before
    assert count(Membership) == 1
    assert invitations.verify(token)  # still usable by the right person


@pytest.fixture
def csrf_client(app):
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       WTF_CSRF_ENABLED=True, MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"])
    extra.test_client_class = type(app.test_client())
    yield extra.test_client()
    with extra.app_context():
        db.engine.dispose()


def test_accepting_needs_the_csrf_token(csrf_client, request_ctx, collective_a, admin_a):
    _invitation, token = invitations.create(admin_a, collective_a, "new@example.org")
    db.session.commit()
    data = {"name": "New Person", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert csrf_client.post(f"/invitations/{token}", data=data).status_code == 400
    assert count(User) == 1
    form_page = csrf_client.get(f"/invitations/{token}")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                     form_page.get_data(as_text=True)).group(1)
    response = csrf_client.post(f"/invitations/{token}", data={**data, "csrf_token": csrf})
    assert response.status_code == 302
    assert count(User) == 2
