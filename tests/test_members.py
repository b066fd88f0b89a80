"""The members page of a collective: who may see it, inviting, roles, removal, the last admin."""

import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import (
    AuditEvent,
    City,
    Country,
    Invitation,
    Membership,
    MembershipRole,
    Role,
    User,
)
from app.services import invitations
from tests.conftest import PASSWORD, make_collective, make_screening, make_user
from tests.helpers import page
from tests.test_invitations import NEW_PASSWORD, link_in, sign_in, staff

PERSONAS = ["anonymous", "member_a", "member_b", "admin_a", "coordinator", "admin"]


@pytest.fixture
def helsinki():
    """Helsinki already known, so that no test searches the whole gazetteer."""
    db.session.add(City(name="Helsinki", country=Country(code="FI", name="Finland"),
                        lat=60.16952, lon=24.93545, timezone="Europe/Helsinki",
                        geonames_id=658225))
    db.session.commit()


@pytest.fixture
def world(app):
    """Collectives A and B, one person of each kind, a member to act on, a pending invitation."""
    a, b = make_collective("collective-a"), make_collective("collective-b")
    people = {
        "member_a": make_user(Role.ORGANISER, a),
        "member_b": make_user(Role.ORGANISER, b),
        "admin_a": make_user(Role.ORGANISER, a, admin_of_collective=True),
        "coordinator": staff(Role.COORDINATOR),
        "admin": staff(Role.ADMIN),
    }
    target = make_user(Role.ORGANISER, a, email="target@example.org")
    with app.test_request_context():
        invitation, token = invitations.create(people["admin_a"], a, "pending@example.org")
    db.session.commit()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == target.id))
    return SimpleNamespace(a=a, b=b, people=people, target=target, membership=membership,
                           invitation=invitation, token=token)


def as_persona(app, world, persona):
    """A client logged in as the persona (or anonymous)."""
    client = app.test_client()
    if persona != "anonymous":
        sign_in(client, world.people[persona])
    return client


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page(response)).split())


def snapshot() -> tuple:
    """What the member routes could change: invitations, memberships and their audit trail."""
    return (
        tuple(db.session.execute(select(Invitation.id, Invitation.revoked_at,
                                        Invitation.accepted_at).order_by(Invitation.id))),
        tuple(db.session.execute(select(Membership.id, Membership.role).order_by(Membership.id))),
        db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.like("membership.%") | AuditEvent.action.like("invitation.%"))),
    )


def routes(world) -> dict:
    """Each route of the members area: method, path, form data."""
    base = "/organiser/collectives/collective-a"
    return {
        "collectives": ("get", "/organiser/collectives", None),
        "members": ("get", f"{base}/members", None),
        "invite": ("post", f"{base}/invitations", {"email": "new@example.org",
                                                   "membership_role": "member"}),
        "revoke": ("post", f"{base}/invitations/{world.invitation.id}/revoke", {}),
        "role": ("post", f"{base}/members/{world.membership.id}/role", {"role": "admin"}),
        "remove": ("post", f"{base}/members/{world.membership.id}/remove", {}),
        "accept": ("get", f"/invitations/{world.token}", None),
    }


OK = {"collectives": 200, "members": 200, "invite": 302, "revoke": 302, "role": 302,
      "remove": 302}
EXPECTED = {
    "anonymous": {**dict.fromkeys(OK, 302), "accept": 200},
    "member_a": {**dict.fromkeys(OK, 404), "collectives": 200, "accept": 403},
    "member_b": {**dict.fromkeys(OK, 404), "collectives": 200, "accept": 403},
    "admin_a": {**OK, "accept": 403},
    "coordinator": {**OK, "accept": 403},
    "admin": {**OK, "accept": 403},
}


@pytest.mark.parametrize("route", ["collectives", "members", "invite", "revoke", "role",
                                   "remove", "accept"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix(app, world, persona, route):
    client = as_persona(app, world, persona)
    method, path, data = routes(world)[route]
    before = snapshot()
    response = getattr(client, method)(path, data=data)
    expected = EXPECTED[persona][route]
    assert response.status_code == expected, (persona, route)
    if persona == "anonymous" and route != "accept":
        assert urlsplit(response.headers["Location"]).path == "/login"
    if expected in (302, 403, 404) and not (expected == 302 and persona != "anonymous"):
        assert snapshot() == before
    if expected == 302 and persona != "anonymous":
        assert snapshot() != before


@pytest.mark.parametrize("persona", ["admin_a", "member_a", "coordinator"])
def test_unknown_collective_is_404(app, world, persona):
    client = as_persona(app, world, persona)
    assert client.get("/organiser/collectives/nope/members").status_code == 404
    assert client.post("/organiser/collectives/nope/invitations",
                       data={"email": "x@example.org"}).status_code == 404


def test_a_collective_admin_cannot_reach_another_collective(app, world):
    client = as_persona(app, world, "admin_a")
    other = db.session.scalar(select(Membership).where(
        Membership.user_id == world.people["member_b"].id))
    with app.test_request_context():
        b_invitation, _token = invitations.create(world.people["coordinator"], world.b,
                                                  "b-invitee@example.org")
    db.session.commit()
    before = snapshot()
    base_b = "/organiser/collectives/collective-b"
    base_a = "/organiser/collectives/collective-a"
    for method, path in [
        ("get", f"{base_b}/members"),
        ("post", f"{base_b}/invitations"),
        ("post", f"{base_b}/members/{other.id}/role"),
        ("post", f"{base_b}/members/{other.id}/remove"),
        ("post", f"{base_b}/invitations/{b_invitation.id}/revoke"),
        # B's objects through A's address: still not found.
        ("post", f"{base_a}/members/{other.id}/role"),
        ("post", f"{base_a}/members/{other.id}/remove"),
        ("post", f"{base_a}/invitations/{b_invitation.id}/revoke"),
    ]:
        response = getattr(client, method)(path, data={"role": "admin", "email": "x@example.org"})
        assert response.status_code == 404, path
    assert snapshot() == before


def test_members_page_lists_members_and_pending_invitations(app, world):
    client = as_persona(app, world, "admin_a")
    response = client.get("/organiser/collectives/collective-a/members")
    assert response.headers["Cache-Control"] == "no-store"
    body = text_of(response)
    assert "target@example.org" in body and world.target.display_name in body
    assert world.people["admin_a"].email in body
    assert world.people["member_b"].email not in body
    assert "pending@example.org" in body
    assert f"/invitations/{world.invitation.id}/revoke" in page(response)
    assert 'name="site_role"' not in page(response)  # only site admins choose site roles
    site_admin_view = as_persona(app, world, "admin").get(
        "/organiser/collectives/collective-a/members")
    assert 'name="site_role"' in page(site_admin_view)


def test_collectives_list(app, world):
    coordinator_view = text_of(as_persona(app, world, "coordinator").get("/organiser/collectives"))
    assert "Collective A" in coordinator_view and "Collective B" in coordinator_view
    member_view = as_persona(app, world, "member_a").get("/organiser/collectives")
    assert "Collective A" in text_of(member_view) and "Collective B" not in text_of(member_view)
    assert "/organiser/collectives/collective-a/members" not in page(member_view)
    admin_view = as_persona(app, world, "admin_a").get("/organiser/collectives")
    assert "/organiser/collectives/collective-a/members" in page(admin_view)


def test_organiser_home_links_to_the_collectives_one_manages(app, world):
    admin_home = page(as_persona(app, world, "admin_a").get("/organiser/"))
    assert "/organiser/collectives/collective-a/members" in admin_home
    assert "Your collectives" in admin_home
    member_home = page(as_persona(app, world, "member_a").get("/organiser/"))
    assert "/organiser/collectives/collective-a/members" not in member_home
    coordinator_home = page(as_persona(app, world, "coordinator").get("/organiser/"))
    assert 'href="/organiser/collectives"' in coordinator_home


# --- inviting ----------------------------------------------------------------------------


def test_extra_fields_grant_nothing(app, world, outbox):
    client = as_persona(app, world, "admin_a")
    response = client.post("/organiser/collectives/collective-a/invitations", data={
        "email": "sneaky@example.org", "membership_role": "member",
        "site_role": "admin", "role": "admin", "collective_id": str(world.b.id),
        "collective": "collective-b", "invited_by_id": str(world.people["admin"].id),
        "is_trusted": "y", "expires_at": "2099-01-01T00:00",
    })
    assert response.status_code == 302
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.email == "sneaky@example.org"))
    assert invitation.collective_id == world.a.id
    assert invitation.role == Role.ORGANISER
    assert invitation.membership_role == MembershipRole.MEMBER
    assert invitation.invited_by_id == world.people["admin_a"].id
    assert (invitation.expires_at - invitation.created_at).total_seconds() == 72 * 3600

    newcomer = app.test_client()
    newcomer.post(urlsplit(link_in(outbox()[-1])).path, data={
        "name": "Sneaky", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    user = db.session.scalar(select(User).where(User.email == "sneaky@example.org"))
    assert user.role == Role.ORGANISER
    assert [(m.collective_id, m.role) for m in user.memberships] == [
        (world.a.id, MembershipRole.MEMBER)]


def test_coordinators_cannot_invite_coordinators_through_the_form(app, world):
    client = as_persona(app, world, "coordinator")
    response = client.post("/organiser/collectives/collective-a/invitations", data={
        "email": "new@example.org", "membership_role": "admin", "site_role": "coordinator"})
    assert response.status_code == 302
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == "new@example.org"))
    assert invitation.role == Role.ORGANISER
    assert invitation.membership_role == MembershipRole.ADMIN


@pytest.mark.parametrize("persona, data, field", [
    ("admin_a", {"email": "not an email"}, "email"),
    ("admin_a", {"email": ""}, "email"),
    ("admin_a", {"email": "target@example.org"}, "email"),  # already a member
    ("admin_a", {"email": "new@example.org", "membership_role": "owner"}, "membership_role"),
    ("admin", {"email": "new@example.org", "site_role": "superuser"}, "site_role"),
])
def test_bad_invitations_give_field_errors_and_write_nothing(app, world, outbox, persona, data,
                                                             field):
    client = as_persona(app, world, persona)
    before, mails = snapshot(), len(outbox())
    response = client.post("/organiser/collectives/collective-a/invitations",
                           data={"membership_role": "member", **data})
    assert response.status_code == 422
    assert f'id="{field}-error"' in page(response)
    assert snapshot() == before
    assert len(outbox()) == mails


# --- roles and removal -------------------------------------------------------------------


def role_url(membership_id: int) -> str:
    return f"/organiser/collectives/collective-a/members/{membership_id}/role"


def remove_url(membership_id: int) -> str:
    return f"/organiser/collectives/collective-a/members/{membership_id}/remove"


def membership_of(user: User, collective) -> Membership | None:
    return db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.collective_id == collective.id))


def test_role_change_is_audited_with_before_and_after(app, world):
    client = as_persona(app, world, "admin_a")
    assert client.post(role_url(world.membership.id), data={"role": "admin"}).status_code == 302
    db.session.refresh(world.membership)
    assert world.membership.role == MembershipRole.ADMIN
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "membership.role_change"))
    assert event.actor_id == world.people["admin_a"].id
    assert event.before["role"] == "member" and event.after["role"] == "admin"


@pytest.mark.parametrize("role", ["owner", "", "ADMIN"])
def test_unknown_role_values_are_refused(app, world, role):
    client = as_persona(app, world, "admin_a")
    before = snapshot()
    response = client.post(role_url(world.membership.id), data={"role": role})
    assert response.status_code == 422
    assert "Choose member or admin." in page(response)
    assert snapshot() == before


def test_the_last_admin_cannot_step_down_or_leave(app, world):
    admin_a = world.people["admin_a"]
    own = membership_of(admin_a, world.a)
    client = as_persona(app, world, "admin_a")
    before = snapshot()
    response = client.post(role_url(own.id), data={"role": "member"}, follow_redirects=True)
    assert "needs at least one admin" in page(response)
    response = client.post(remove_url(own.id), follow_redirects=True)
    assert "needs at least one admin" in page(response)
    assert snapshot() == before
    db.session.refresh(own)
    assert own.role == MembershipRole.ADMIN


def test_an_admin_may_step_down_when_another_admin_remains(app, world):
    client = as_persona(app, world, "admin_a")
    client.post(role_url(world.membership.id), data={"role": "admin"})
    own = membership_of(world.people["admin_a"], world.a)
    response = client.post(role_url(own.id), data={"role": "member"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/organiser/collectives"
    db.session.refresh(own)
    assert own.role == MembershipRole.MEMBER
    # No longer an admin: the members page is gone on the very next request.
    assert client.get("/organiser/collectives/collective-a/members").status_code == 404


@pytest.mark.parametrize("action", ["demote", "remove"])
def test_a_coordinator_may_take_away_the_last_admin_with_a_warning(app, world, action):
    own = membership_of(world.people["admin_a"], world.a)
    client = as_persona(app, world, "coordinator")
    if action == "demote":
        response = client.post(role_url(own.id), data={"role": "member"}, follow_redirects=True)
    else:
        response = client.post(remove_url(own.id), follow_redirects=True)
    assert response.status_code == 200
    assert "has no collective admin now" in page(response)
    admins = db.session.scalar(select(func.count(Membership.id)).where(
        Membership.collective_id == world.a.id, Membership.role == MembershipRole.ADMIN))
    assert admins == 0


def test_removal_takes_effect_on_the_next_request(app, world, catalogue, helsinki):
    screening = make_screening(world.a, actor=world.people["coordinator"])
    member = as_persona(app, world, "member_a")
    assert member.get(f"/organiser/screenings/{screening.id}").status_code == 200
    membership = membership_of(world.people["member_a"], world.a)

    collective_admin = as_persona(app, world, "admin_a")
    assert collective_admin.post(remove_url(membership.id)).status_code == 302
    assert membership_of(world.people["member_a"], world.a) is None
    assert member.get(f"/organiser/screenings/{screening.id}").status_code == 404
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.remove"))
    assert event.before["user_id"] == world.people["member_a"].id
    assert event.before["role"] == "member" and event.after is None


def test_a_promoted_member_manages_on_the_next_request(app, world):
    target = app.test_client()
    sign_in(target, world.target)
    assert target.get("/organiser/collectives/collective-a/members").status_code == 404
    as_persona(app, world, "admin_a").post(role_url(world.membership.id), data={"role": "admin"})
    assert target.get("/organiser/collectives/collective-a/members").status_code == 200


# --- CSRF --------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app):
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       WTF_CSRF_ENABLED=True, MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"])
    extra.test_client_class = type(app.test_client())
    yield extra
    with extra.app_context():
        db.engine.dispose()


def test_every_member_route_needs_the_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    response = client.post("/login", data={"email": world.people["admin_a"].email,
                                            "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    before = snapshot()
    for name, (method, path, data) in routes(world).items():
        if method == "post":
            assert client.post(path, data=data).status_code == 400, name
    assert client.post(f"/invitations/{world.token}", data={
        "name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400
    assert snapshot() == before


def test_an_unsendable_invitation_is_not_saved(app, world):
    """With a mail server that refuses connections, nothing is half-done."""
    extra = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)
    extra.test_client_class = type(app.test_client())
    try:
        client = extra.test_client()
        sign_in(client, world.people["admin_a"])
        before = snapshot()
        response = client.post("/organiser/collectives/collective-a/invitations",
                               data={"email": "new@example.org", "membership_role": "member"})
        assert response.status_code == 503
        assert "could not be sent" in page(response)
        assert snapshot() == before
    finally:
        with extra.app_context():
            db.engine.dispose()
