"""The audit log: append-only in the ORM, searchable by coordinators, never a 500 on bad filters."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select, text, update

from app.extensions import db
from app.models import AuditEvent, CancelReason, Role, Status
from app.services import audit, screenings
from app.services.audit import AuditFilter, AuditLogIsAppendOnly
from app.services.errors import ValidationFailed
from tests.conftest import login, make_collective, make_screening, make_user
from tests.test_lifecycle import add_helsinki, count, page, visible_text


@pytest.fixture(autouse=True)
def helsinki():
    return add_helsinki()


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR, email="coord@example.org")


@pytest.fixture
def coordinator_client(client, coordinator):
    login(client, coordinator)
    return client


def _event(actor=None, action="test.thing", obj=None, **values) -> AuditEvent:
    event = audit.record(actor, action, obj, before=values.get("before"),
                         after=values.get("after"))
    db.session.commit()
    return event


def _move(event: AuditEvent, moment: datetime) -> None:
    """Back-date an event with plain SQL (the ORM refuses, which is the point)."""
    db.session.execute(update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == event.id)
                       .values(created_at=moment))
    db.session.commit()


def _found(**filters) -> list[int]:
    return [e.id for e in db.session.scalars(audit.search(AuditFilter(**filters)))]


# --- append-only -------------------------------------------------------------------------------


def test_an_event_cannot_be_changed_through_the_orm():
    event = _event(after={"status": "published"})
    event.action = "test.forged"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "test.thing"


def test_an_event_cannot_be_deleted_through_the_orm():
    event = _event()
    db.session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert count(AuditEvent) == 1


@pytest.mark.parametrize("statement", [
    update(AuditEvent).values(action="test.forged"),
    delete(AuditEvent),
    update(AuditEvent).where(AuditEvent.id > 0).values(ip="10.0.0.1"),
])
def test_bulk_changes_through_the_orm_are_refused(statement):
    _event()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(statement)
    db.session.rollback()
    [event] = db.session.scalars(select(AuditEvent))
    assert (event.action, event.ip) == ("test.thing", None)


def test_new_events_are_still_added_and_other_tables_still_change(coordinator):
    _event(coordinator)
    coordinator.display_name = "Renamed"  # an ordinary update elsewhere is untouched
    _event(coordinator, "test.other")
    db.session.execute(text("UPDATE users SET display_name = 'Again'"))
    db.session.commit()
    assert count(AuditEvent) == 2


# --- searching -----------------------------------------------------------------------------------


def test_filters_by_actor_action_object_and_day(catalogue, coordinator):
    other = make_user(Role.ORGANISER, email="other@example.org")
    screening = make_screening(make_collective("kino"), actor=coordinator)
    mine = _event(coordinator, "screening.postpone", screening)
    theirs = _event(other, "screening.cancel", screening)
    login = _event(other, "auth.password_ok", other)
    near_miss = _event(other, "auth.passwordXok", other)
    _move(mine, datetime(2026, 5, 1, 23, 59, tzinfo=UTC))
    _move(theirs, datetime(2026, 5, 2, 0, 0, tzinfo=UTC))
    _move(login, datetime(2026, 5, 3, 12, 0, tzinfo=UTC))
    _move(near_miss, datetime(2026, 5, 4, 12, 0, tzinfo=UTC))
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "screening.create"))
    _move(created, datetime(2026, 4, 1, 12, 0, tzinfo=UTC))
    created = created.id

    assert _found(actor_email=" Coord@Example.org ") == [mine.id, created]
    assert _found(action="screening.") == [theirs.id, mine.id, created]
    assert _found(action="auth.password_") == [login.id]  # "_" is not a wildcard
    assert _found(object_type="user") == [near_miss.id, login.id]
    assert _found(object_type="Screening", object_id=screening.id) == [theirs.id, mine.id,
                                                                       created]
    assert _found(object_type="screening", object_id=screening.id + 100) == []
    assert _found(date_from=date(2026, 5, 2), date_to=date(2026, 5, 3)) == [login.id, theirs.id]
    assert _found(date_to=date(2026, 5, 1)) == [mine.id, created]
    assert _found(date_from=date(2026, 5, 4), date_to=date.max) == [near_miss.id]
    assert _found(date_from=date.min, date_to=date(2026, 4, 1)) == [created]
    assert _found(actor_email="other@example.org", action="auth.") == [near_miss.id, login.id]


def test_newest_first():
    ids = [_event(action=f"test.{n}").id for n in range(3)]
    assert _found() == list(reversed(ids))


@pytest.mark.parametrize(("filters", "fields"), [
    ({"actor_email": "nobody@example.org"}, {"actor"}),
    ({"date_from": date(2026, 5, 2), "date_to": date(2026, 5, 1)}, {"date_to"}),
])
def test_bad_filters_are_field_errors(filters, fields):
    with pytest.raises(ValidationFailed) as refused:
        audit.search(AuditFilter(**filters))
    assert set(refused.value.fields) == fields


# --- the page ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/coordination/audit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("admin_of_collective", [False, True])
def test_organisers_get_403(client, catalogue, admin_of_collective):
    user = make_user(Role.ORGANISER, make_collective("kino"),
                     admin_of_collective=admin_of_collective)
    login(client, user)
    assert client.get("/coordination/audit").status_code == 403


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_read_it(client, role):
    user = make_user(role)
    _event(user, "test.visible", user, before={"a": 1}, after={"a": 2, "b": "x"})
    login(client, user)
    response = client.get("/coordination/audit")
    assert response.status_code == 200
    text_shown = visible_text(response)
    assert "test.visible" in text_shown
    assert user.email in text_shown
    assert "a: 1" in text_shown and "a: 2" in text_shown and "b: x" in text_shown
    assert "auth.login" in text_shown  # the login through the form is audited with its IP
    assert "127.0.0.1" in text_shown


def test_lifecycle_changes_are_listed_without_addresses_or_notes(coordinator_client, catalogue,
                                                                 coordinator):
    screening = make_screening(make_collective("kino"), actor=coordinator,
                               status=Status.PUBLISHED, venue_address="Secret Street 1")
    screenings.relocate(screening, coordinator, venue_name="Hidden hall",
                        venue_address="Hidden Road 2", note="The landlord was threatened")
    screenings.cancel(screening, coordinator, CancelReason.THREATS, "Names of callers")
    db.session.commit()
    body = page(coordinator_client.get("/coordination/audit?action=screening."))
    for action in ("screening.create", "screening.relocate", "screening.cancel"):
        assert action in body
    for secret in ("Secret Street", "Hidden Road", "landlord", "Names of callers"):
        assert secret not in body


@pytest.mark.parametrize("query", [
    "actor=not-an-email", "actor=nobody@example.org", "action=screening%25",
    "action=" + "a" * 81, "object_type=screen-ing", "object_id=abc", "object_id=-1",
    "object_id=99999999999999999999", "date_from=2026-13-01", "date_to=yesterday",
    "date_from=2026-05-02&date_to=2026-05-01", "date_from=0001-01-01&date_to=9999-12-31x",
])
def test_bad_filters_answer_422_with_a_message(coordinator_client, query):
    response = coordinator_client.get(f"/coordination/audit?{query}")
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="[a-z_]+-error">[^<]+</p>', page(response))
    assert "Please correct" in page(response)


@pytest.mark.parametrize("query", ["date_from=0001-01-01&date_to=9999-12-31", "page=abc",
                                   "page=-4", "page=99999"])
def test_extreme_but_valid_values_work(coordinator_client, query):
    assert coordinator_client.get(f"/coordination/audit?{query}").status_code == 200


def test_pages_keep_the_filters(coordinator_client, coordinator):
    for n in range(51):
        audit.record(coordinator, "bulk.item", None, after={"n": n})
    db.session.commit()
    first = page(coordinator_client.get("/coordination/audit?action=bulk."))
    assert first.count("<code>bulk.item</code>") == 50
    assert 'n:</span> 50<' in first  # the newest
    link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1)
    assert "action=bulk." in link and "page=2" in link
    second = page(coordinator_client.get(link))
    assert second.count("<code>bulk.item</code>") == 1
    assert "Page 2 of 2" in second
