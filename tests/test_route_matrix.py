"""Who may use which route: every rule of the URL map, as every role, against the table.

The table is tests/security_routes.py ROUTES, written from DESIGN.md section 3: public pages
answer everyone; anonymous people are sent to /login?next=...; organisers get 403 in the
coordination area; collective A's objects answer 404 to collective B's organiser. A route
missing from the table fails test_every_route_is_classified (and shows up below), so every
new route needs a decision about who may use it.
"""

from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Incident, Status
from app.services import invitations, ledger
from tests.conftest import login, make_screening
from tests.security_routes import (
    ROLES,
    ROUTES,
    WRITE_METHODS,
    body_for,
    build_world,
    classification_problems,
    contribution_form,
    mismatch,
    rules,
    snapshot_difference,
    table_snapshot,
    url_for_rule,
)


def test_every_route_is_classified(app):
    problems = classification_problems(app)
    assert not problems, "Classify these in tests/security_routes.py:\n" + "\n".join(problems)


def test_the_table_covers_every_role_and_reaches_each_kind_of_answer():
    # A table in which every cell said 200 would test nothing.
    cells = [str(expect) for route in ROUTES.values()
             for row in (route.get, route.post) if row for expect in row.values()]
    for kind in ("200", "403", "404", "422", "302 -> /login?next=..."):
        assert kind in cells


def _run(client, app, world, role: str, method: str) -> list[str]:
    """Send every rule taking `method` as `role`; the differences from the table."""
    failures = []
    selected = [r for r in rules(app) if method in r.methods]
    # Writes that end the session (logging out) go last.
    selected.sort(key=lambda r: ROUTES[r.endpoint].last if r.endpoint in ROUTES else False)
    for rule in selected:
        route = ROUTES.get(rule.endpoint)
        expectations = route.expectations(method) if route else None
        if expectations is None or role not in expectations:
            failures.append(f"{method} {rule.rule} ({rule.endpoint}): not classified for {role}")
            continue
        url = url_for_rule(rule, world)
        data = body_for(rule.endpoint, world) if method in WRITE_METHODS else None
        response = client.open(url, method=method, data=data)
        problem = mismatch(response, expectations[role], url)
        response.close()  # a static file is streamed from an open file
        if problem:
            failures.append(f"{method} {url} ({rule.endpoint}) as {role}: {problem}")
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_reading_every_page(app, client, catalogue, role):
    world = build_world()
    if world.user(role) is not None:
        login(client, world.user(role))
    failures = _run(client, app, world, role, "GET")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_sending_every_form(app, client, catalogue, outbox, role):
    world = build_world()
    if world.user(role) is not None:
        login(client, world.user(role))
    failures = []
    # POST last: logging out (a POST) ends the session the other methods need.
    for method in sorted(WRITE_METHODS, key=lambda m: m == "POST"):
        failures += _run(client, app, world, role, method)
    assert not failures, "\n".join(failures)


# --- URLs that mix collective A's objects with collective B's ----------------------------------


@pytest.fixture
def b_objects(app, catalogue):
    """Collective A's world, plus a contribution, a membership and an invitation of B's."""
    world = build_world()
    coordinator = world.user("coordinator")
    b_screening = make_screening(world.b, coordinator, Status.PUBLISHED)
    contribution = ledger.record_contribution(
        b_screening.fundraiser, coordinator, amount="10.00", currency="EUR",
        received_on=date.today() - timedelta(days=1), channel="bar")
    with current_app.test_request_context():
        invitation, _token = invitations.create(coordinator, world.b, "b.invitee@example.org")
    db.session.commit()
    return world, {"contribution": contribution.id,
                   "membership": world.user("organiser_b").memberships[0].id,
                   "invitation": invitation.id}


@pytest.mark.parametrize("role", ["organiser_a", "collective_admin_a", "coordinator"])
def test_a_url_pairing_a_with_b_objects_answers_404_and_writes_nothing(app, client, outbox,
                                                                        b_objects, role):
    world, b = b_objects
    login(client, world.user(role))
    a_screening, members = world.screening.id, "/organiser/collectives/collective-a"
    requests = [
        ("GET", f"/organiser/screenings/{a_screening}/contributions/{b['contribution']}/edit",
         None),
        ("POST", f"/organiser/screenings/{a_screening}/contributions/{b['contribution']}/edit",
         contribution_form(world, amount="99.00")),
        ("POST", f"{members}/members/{b['membership']}/role", {"role": "admin"}),
        ("POST", f"{members}/members/{b['membership']}/remove", {}),
        ("POST", f"{members}/invitations/{b['invitation']}/revoke", {}),
    ]
    before = table_snapshot()
    for method, url, data in requests:
        assert client.open(url, method=method, data=data).status_code == 404, (method, url)
    assert snapshot_difference(before, table_snapshot()) == []


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
@pytest.mark.parametrize("role", ["anonymous", "organiser_a", "coordinator"])
def test_the_public_page_of_an_unpublished_screening_is_404_for_everyone(app, client, catalogue,
                                                                          role, status):
    world = build_world()
    screening = world.draft if status == Status.DRAFT else world.submitted
    if world.user(role) is not None:
        login(client, world.user(role))
    assert client.get(f"/screenings/{screening.id}").status_code == 404
    assert client.get(f"/screenings/{screening.id}/anything").status_code == 404


@pytest.mark.parametrize("role, expected", [("organiser_a", 200), ("collective_admin_a", 200),
                                            ("organiser_b", 404), ("coordinator", 200)])
def test_an_incident_about_collective_a_itself(app, client, catalogue, role, expected):
    world = build_world()
    login(client, world.user(role))
    url = "/organiser/incidents/new?collective=collective-a"
    assert client.get(url).status_code == expected
    response = client.post(url, data={"kind": "harassment", "description": "Posters torn."})
    assert response.status_code == (302 if expected == 200 else 404)
    assert db.session.scalar(select(func.count()).select_from(Incident)) == (
        1 if expected == 200 else 0)
