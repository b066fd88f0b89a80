"""The incident log: who may report, who may read, and that the text stays out of the audit."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Incident, IncidentKind, Role, Status
from app.services import incidents
from app.services.errors import NotFound, ValidationFailed
from tests.conftest import login, make_collective, make_screening, make_user
from tests.test_lifecycle import add_helsinki, count, page, visible_text

SECRET = "A man named Oleg phoned the venue twice"


@pytest.fixture(autouse=True)
def helsinki():
    return add_helsinki()


@pytest.fixture
def ours(catalogue):
    return make_collective("collective-a")


@pytest.fixture
def theirs(catalogue):
    return make_collective("collective-b")


@pytest.fixture
def people(ours, theirs):
    """Everyone the matrix tries, by name."""
    return {
        "member_a": make_user(Role.ORGANISER, ours),
        "member_b": make_user(Role.ORGANISER, theirs),
        "admin_a": make_user(Role.ORGANISER, ours, admin_of_collective=True),
        "admin_b": make_user(Role.ORGANISER, theirs, admin_of_collective=True),
        "coordinator": make_user(Role.COORDINATOR),
        "site_admin": make_user(Role.ADMIN),
    }


@pytest.fixture
def screening(ours):
    return make_screening(ours, status=Status.PUBLISHED, title="Our night")


def _report(actor, subject, kind=IncidentKind.THREAT, description=SECRET) -> Incident:
    incident = incidents.report(actor, subject, kind=kind, description=description)
    db.session.commit()
    return incident


# --- the service ---------------------------------------------------------------------------------


def test_a_member_reports_against_a_screening_and_the_audit_has_no_text(people, screening):
    member = people["member_a"]
    incident = _report(member, incidents.subject_for(member, screening_id=screening.id))
    assert (incident.screening_id, incident.collective_id) == (screening.id, None)
    assert incident.reported_by_id == member.id
    assert incident.description == SECRET
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "incident.report"))
    assert event.after == {"kind": "threat", "screening_id": screening.id, "collective_id": None}
    assert event.actor_id == member.id
    assert "Oleg" not in str(event.after)


def test_a_member_reports_against_their_collective(people, ours):
    member = people["member_a"]
    incident = _report(member, incidents.subject_for(member, collective_slug=ours.slug),
                       IncidentKind.HARASSMENT)
    assert (incident.screening_id, incident.collective_id) == (None, ours.id)


@pytest.mark.parametrize("who", ["member_b", "admin_b"])
def test_another_collectives_people_cannot_report_here(people, ours, screening, who):
    person = people[who]
    with pytest.raises(NotFound):
        incidents.subject_for(person, screening_id=screening.id)
    with pytest.raises(NotFound):
        incidents.subject_for(person, collective_slug=ours.slug)
    with pytest.raises(NotFound):
        incidents.report(person, incidents.Subject(screening=screening), kind="threat",
                         description=SECRET)
    assert count(Incident) == 0


def test_nothing_and_unknown_subjects_are_not_found(people):
    for kwargs in ({}, {"screening_id": 99999}, {"collective_slug": "nobody"}):
        with pytest.raises(NotFound):
            incidents.subject_for(people["coordinator"], **kwargs)


@pytest.mark.parametrize(("kind", "description", "fields"), [
    ("", SECRET, {"kind"}),
    ("rumour", SECRET, {"kind"}),
    ("threat", "   ", {"description"}),
    ("threat", "d" * 5001, {"description"}),
    (None, "", {"kind", "description"}),
])
def test_bad_reports_are_refused_and_nothing_is_written(people, screening, kind, description,
                                                        fields):
    audited = count(AuditEvent)
    with pytest.raises(ValidationFailed) as refused:
        incidents.report(people["member_a"], incidents.Subject(screening=screening), kind=kind,
                         description=description)
    assert set(refused.value.fields) == fields
    db.session.rollback()
    assert count(Incident) == 0
    assert count(AuditEvent) == audited


def _visible(person) -> set[int]:
    return {i.id for i in db.session.scalars(incidents.visible_query(person))}


def test_who_reads_which_incidents(people, ours, theirs, screening):
    cohosted = make_screening(theirs, status=Status.PUBLISHED)
    cohosted.collectives.append(ours)
    db.session.commit()
    about_screening = _report(people["member_a"], incidents.Subject(screening=screening))
    about_ours = _report(people["member_a"], incidents.Subject(collective=ours))
    about_theirs = _report(people["member_b"], incidents.Subject(collective=theirs))
    about_cohosted = _report(people["member_b"], incidents.Subject(screening=cohosted))

    everything = {about_screening.id, about_ours.id, about_theirs.id, about_cohosted.id}
    assert _visible(people["coordinator"]) == everything
    assert _visible(people["site_admin"]) == everything
    assert _visible(people["admin_a"]) == {about_screening.id, about_ours.id, about_cohosted.id}
    assert _visible(people["admin_b"]) == {about_theirs.id, about_cohosted.id}
    for member in ("member_a", "member_b"):
        assert not incidents.can_read(people[member])
        with pytest.raises(NotFound):
            incidents.visible_query(people[member])
    with pytest.raises(NotFound):
        incidents.visible_query(None)


def test_coordinators_filter_by_collective_and_kind(people, ours, theirs, screening):
    a_threat = _report(people["member_a"], incidents.Subject(screening=screening))
    a_pressure = _report(people["member_a"], incidents.Subject(collective=ours),
                         IncidentKind.VENUE_PRESSURE)
    _report(people["member_b"], incidents.Subject(collective=theirs))
    coordinator = people["coordinator"]

    def ids(**kwargs):
        return [i.id for i in db.session.scalars(incidents.visible_query(coordinator, **kwargs))]

    assert ids(collective_id=ours.id) == [a_pressure.id, a_threat.id]  # newest first
    assert ids(collective_id=ours.id, kind=IncidentKind.THREAT) == [a_threat.id]
    assert ids(kind=IncidentKind.DISRUPTION) == []


# --- the pages: reporting ----------------------------------------------------------------------

MATRIX = ["anonymous", "member_a", "member_b", "admin_a", "admin_b", "coordinator",
          "site_admin"]
MAY_REPORT = {"member_a", "admin_a", "coordinator", "site_admin"}


def _client_as(app, people, who):
    client = app.test_client()
    if who != "anonymous":
        login(client, people[who])
    return client


@pytest.mark.parametrize("about", ["screening", "collective"])
@pytest.mark.parametrize("who", MATRIX)
def test_who_may_report(app, people, ours, screening, who, about):
    client = _client_as(app, people, who)
    query = f"screening={screening.id}" if about == "screening" else f"collective={ours.slug}"
    url = f"/organiser/incidents/new?{query}"
    shown = client.get(url)
    sent = client.post(url, data={"kind": "threat", "description": SECRET})
    if who == "anonymous":
        assert shown.status_code == sent.status_code == 302
        assert sent.headers["Location"].startswith("/login?next=")
        assert count(Incident) == 0
    elif who in MAY_REPORT:
        assert shown.status_code == 200
        assert "Report an incident" in page(shown)
        assert sent.status_code == 302
        assert sent.headers["Location"] == "/organiser/incidents/reported"
        [incident] = db.session.scalars(select(Incident))
        assert incident.reported_by_id == people[who].id
        confirmation = client.get(sent.headers["Location"])
        assert "Your report is saved" in page(confirmation)
        assert "Oleg" not in page(confirmation)
    else:
        assert shown.status_code == sent.status_code == 404
        assert "Our night" not in page(shown)
        assert count(Incident) == 0


def test_a_bad_report_shows_the_errors_and_writes_nothing(app, people, screening):
    client = _client_as(app, people, "member_a")
    response = client.post(f"/organiser/incidents/new?screening={screening.id}",
                           data={"kind": "rumour", "description": ""})
    assert response.status_code == 422
    text = visible_text(response)
    assert "Not a valid choice." in text
    assert "Describe what happened." in text
    assert count(Incident) == 0


@pytest.mark.parametrize("query", ["screening=abc", "screening=99999", "collective=nobody",
                                   "screening=%C2%B2", "screening=" + "9" * 30])
def test_a_bad_subject_is_404(app, people, query):
    client = _client_as(app, people, "coordinator")
    assert client.get(f"/organiser/incidents/new?{query}").status_code == 404


def test_without_a_subject_the_member_chooses_a_collective(app, people, ours, theirs):
    body = page(_client_as(app, people, "member_a").get("/organiser/incidents/new"))
    assert f"/organiser/incidents/new?collective={ours.slug}" in body
    assert theirs.slug not in body
    lonely = make_user(Role.ORGANISER)
    client = app.test_client()
    login(client, lonely)
    assert client.get("/organiser/incidents/new").status_code == 404


def test_the_screening_page_links_to_the_report_form(app, people, screening):
    body = page(_client_as(app, people, "member_a").get(f"/organiser/screenings/{screening.id}"))
    assert f"/organiser/incidents/new?screening={screening.id}" in body


# --- the pages: reading ------------------------------------------------------------------------

LIST_STATUS = {"member_a": 404, "member_b": 404, "admin_a": 200, "admin_b": 200,
               "coordinator": 302, "site_admin": 302}
COORDINATION_STATUS = {"member_a": 403, "member_b": 403, "admin_a": 403, "admin_b": 403,
                       "coordinator": 200, "site_admin": 200}


@pytest.mark.parametrize("who", MATRIX)
def test_who_may_read(app, people, ours, screening, who):
    _report(people["member_a"], incidents.Subject(screening=screening))
    client = _client_as(app, people, who)
    own_list = client.get("/organiser/incidents")
    coordination = client.get("/coordination/incidents")
    if who == "anonymous":
        for response in (own_list, coordination):
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login?next=")
        return
    assert own_list.status_code == LIST_STATUS[who]
    assert coordination.status_code == COORDINATION_STATUS[who]
    if who == "admin_a":
        assert SECRET in page(own_list)
        assert "Our night" in page(own_list)
    if who == "admin_b":
        assert SECRET not in page(own_list)
        assert "No incidents reported." in page(own_list)
    if LIST_STATUS[who] == 302:
        assert own_list.headers["Location"] == "/coordination/incidents"
    if COORDINATION_STATUS[who] == 200:
        assert SECRET in page(coordination)
    else:
        assert SECRET not in page(coordination)
    if who in ("member_a", "member_b", "admin_b"):
        assert SECRET not in page(own_list)


def test_coordinators_filter_the_log(app, people, ours, theirs, screening):
    _report(people["member_a"], incidents.Subject(screening=screening),
            description="About ours")
    _report(people["member_b"], incidents.Subject(collective=theirs),
            IncidentKind.DISRUPTION, "About theirs")
    client = _client_as(app, people, "coordinator")
    body = page(client.get(f"/coordination/incidents?collective={ours.slug}"))
    assert "About ours" in body and "About theirs" not in body
    body = page(client.get("/coordination/incidents?kind=disruption"))
    assert "About theirs" in body and "About ours" not in body
    body = page(client.get("/coordination/incidents"))
    assert "About ours" in body and "About theirs" in body


@pytest.mark.parametrize("query", ["collective=nobody", "kind=rumour"])
def test_bad_filters_are_form_errors(app, people, query):
    response = _client_as(app, people, "coordinator").get(f"/coordination/incidents?{query}")
    assert response.status_code == 422
    assert "Not a valid choice." in visible_text(response)
