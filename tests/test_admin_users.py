"""Site administration at /coordination/users: roles, deactivation, the last active admin."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Role, User
from app.services import admin_users
from app.services.errors import ValidationFailed
from tests.conftest import PASSWORD, make_collective, make_user
from tests.helpers import page
from tests.test_invitations import sign_in, staff

PERSONAS = ["anonymous", "member_a", "member_b", "admin_a", "coordinator", "admin"]


@pytest.fixture
def people():
    a, b = make_collective("collective-a"), make_collective("collective-b")
    return {
        "member_a": make_user(Role.ORGANISER, a),
        "member_b": make_user(Role.ORGANISER, b),
        "admin_a": make_user(Role.ORGANISER, a, admin_of_collective=True),
        "coordinator": staff(Role.COORDINATOR),
        "admin": staff(Role.ADMIN),
        "target": make_user(Role.ORGANISER, a, email="target@example.org"),
    }


def client_for(app, people, persona):
    client = app.test_client()
    if persona != "anonymous":
        sign_in(client, people[persona])
    return client


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page(response)).split())


def state() -> tuple:
    return (
        tuple(db.session.execute(select(User.id, User.role, User.is_active, User.session_version)
                                 .order_by(User.id))),
        db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.like("user.%"))),
    )


def logged_in(client) -> bool:
    response = client.get("/organiser/")
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/login"
        return False
    assert response.status_code == 200
    return True


def routes(people) -> dict:
    target = people["target"].id
    return {
        "index": ("get", "/coordination/users", None),
        "role": ("post", f"/coordination/users/{target}/role", {"role": "coordinator"}),
        "deactivate": ("post", f"/coordination/users/{target}/deactivate", {}),
        "reactivate": ("post", f"/coordination/users/{target}/reactivate", {}),
    }


@pytest.mark.parametrize("route", ["index", "role", "deactivate", "reactivate"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix(app, people, persona, route):
    if route == "reactivate":
        people["target"].is_active = False
        db.session.commit()
    client = client_for(app, people, persona)
    method, path, data = routes(people)[route]
    before = state()
    response = getattr(client, method)(path, data=data)
    if persona == "anonymous":
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/login"
    elif persona == "admin":
        assert response.status_code == (200 if route == "index" else 302)
    else:
        assert response.status_code == 403
    if persona != "admin" or route == "index":
        assert state() == before
    else:
        assert state() != before


def test_users_page_shows_every_account(app, people):
    people["coordinator"].is_active = False
    db.session.commit()
    response = client_for(app, people, "admin").get("/coordination/users")
    body = text_of(response)
    for user in people.values():
        assert user.email in body and user.display_name in body
    assert "Collective A (admin)" in body and "Collective B" in body
    row = re.search(r"<tr>\s*<td>" + re.escape(people["coordinator"].email) + r".*?</tr>",
                    page(response), re.S).group(0)
    row_text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert "coordinator no yes" in row_text  # role, active, two-factor enrolled
    row = re.search(r"<tr>\s*<td>" + re.escape(people["target"].email) + r".*?</tr>",
                    page(response), re.S).group(0)
    assert "organiser yes no" in " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_coordination_home_links_users_for_admins_only(app, people):
    assert "/coordination/users" in page(client_for(app, people, "admin").get("/coordination/"))
    assert "/coordination/users" not in page(
        client_for(app, people, "coordinator").get("/coordination/"))


def test_changing_a_role_ends_the_users_sessions_and_is_audited(app, people):
    target = client_for(app, people, "target")
    assert logged_in(target)
    version = people["target"].session_version
    admin = client_for(app, people, "admin")
    response = admin.post(f"/coordination/users/{people['target'].id}/role",
                          data={"role": "coordinator"})
    assert response.status_code == 302
    db.session.refresh(people["target"])
    assert people["target"].role == Role.COORDINATOR
    assert people["target"].session_version == version + 1
    assert not logged_in(target)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.role_change"))
    assert event.actor_id == people["admin"].id and event.object_id == people["target"].id
    assert event.before == {"role": "organiser"} and event.after == {"role": "coordinator"}


@pytest.mark.parametrize("role", ["superuser", "", "Admin"])
def test_unknown_site_roles_are_refused(app, people, role):
    admin = client_for(app, people, "admin")
    before = state()
    response = admin.post(f"/coordination/users/{people['target'].id}/role", data={"role": role})
    assert response.status_code == 422
    assert "Choose organiser, coordinator or admin." in page(response)
    assert state() == before


def test_service_refuses_unknown_roles_and_non_admins(people):
    with pytest.raises(ValidationFailed):
        admin_users.change_role(people["target"], "root", people["admin"])
    with pytest.raises(admin_users.NotAllowed):
        admin_users.change_role(people["target"], "admin", people["coordinator"])
    with pytest.raises(admin_users.NotAllowed):
        admin_users.deactivate(people["target"], people["coordinator"])


def test_deactivation_ends_sessions_and_blocks_login_until_reactivated(app, people):
    target = client_for(app, people, "target")
    assert logged_in(target)
    admin = client_for(app, people, "admin")
    assert admin.post(f"/coordination/users/{people['target'].id}/deactivate").status_code == 302
    assert not logged_in(target)
    response = app.test_client().post("/login", data={"email": "target@example.org",
                                                      "password": PASSWORD})
    assert response.status_code == 422
    db.session.refresh(people["target"])
    assert people["target"].is_active is False

    assert admin.post(f"/coordination/users/{people['target'].id}/reactivate").status_code == 302
    assert not logged_in(target)  # the old session stays ended
    assert logged_in(client_for(app, people, "target"))
    actions = list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(["user.deactivate", "user.reactivate"])).order_by(AuditEvent.id)))
    assert actions == ["user.deactivate", "user.reactivate"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
    assert event.before == {"is_active": True} and event.after == {"is_active": False}


@pytest.mark.parametrize("action", ["demote", "deactivate"])
def test_the_last_active_admin_cannot_remove_themselves(app, people, action):
    me = people["admin"]
    # An inactive admin does not count.
    make_user(Role.ADMIN, email="dormant@example.org").is_active = False
    db.session.commit()
    admin = client_for(app, people, "admin")
    before = state()
    if action == "demote":
        response = admin.post(f"/coordination/users/{me.id}/role", data={"role": "coordinator"},
                              follow_redirects=True)
    else:
        response = admin.post(f"/coordination/users/{me.id}/deactivate", follow_redirects=True)
    assert "last active admin" in page(response)
    assert state() == before
    assert admin.get("/coordination/users").status_code == 200


def test_an_admin_may_step_down_when_another_admin_is_active(app, people):
    staff(Role.ADMIN, email="second-admin@example.org")
    me = people["admin"]
    admin = client_for(app, people, "admin")
    response = admin.post(f"/coordination/users/{me.id}/role", data={"role": "coordinator"})
    assert response.status_code == 302
    db.session.refresh(me)
    assert me.role == Role.COORDINATOR
    assert not logged_in(admin)  # the change ended their own session too


def test_unknown_user_is_404(app, people):
    admin = client_for(app, people, "admin")
    assert admin.post("/coordination/users/999999/deactivate").status_code == 404
    assert admin.post("/coordination/users/999999/role", data={"role": "admin"}).status_code == 404
