"""The screening lifecycle: every action from every state, its records, rules and pages.

The small helpers at the top are shared with the incident, audit and contribution tests.
"""

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import (
    AuditEvent,
    CancelReason,
    ChangeKind,
    City,
    Role,
    Screening,
    ScreeningChange,
    Status,
    Venue,
    Visibility,
)
from app.organiser.forms import CANCEL_REASON_LABELS
from app.services import cities, screenings
from app.services.errors import NotFound, TransitionError, ValidationFailed
from tests.conftest import PASSWORD, login, make_collective, make_screening, make_user
from tests.helpers import page, visible_text

WINTER_EVENING = datetime(2027, 1, 15, 19, 0)  # Helsinki is UTC+2
SPRING_GAP = datetime(2027, 3, 28, 3, 30)  # Helsinki skips 03:00-04:00 that night


# --- shared helpers (imported by the other modules of this part) ----------------------------


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ))


def local(days: int, hour: int = 19) -> datetime:
    """A naive wall-clock time `days` from now at `hour`."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


def add_helsinki() -> City:
    city = City(name="Helsinki", country=cities.ensure_country("FI"), lat=60.16952,
                lon=24.93545, timezone="Europe/Helsinki", geonames_id=658225)
    db.session.add(city)
    db.session.commit()
    return city


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def helsinki():
    """Helsinki already known, so that no test searches the whole gazetteer."""
    return add_helsinki()


@pytest.fixture
def collective(catalogue):
    return make_collective("kino-kollektiv")


@pytest.fixture
def organiser(collective):
    """A plain member of the host collective."""
    return make_user(Role.ORGANISER, collective)


@pytest.fixture
def coordinator():
    return make_user(Role.COORDINATOR)


def snapshot(screening: Screening) -> tuple:
    """Everything a refused transition must leave as it was."""
    db.session.expire_all()
    fresh = db.session.get(Screening, screening.id)
    return (fresh.status, fresh.sequence, fresh.venue_id, fresh.starts_at, fresh.cancel_reason,
            fresh.cancel_note, fresh.actual_attendance, fresh.version_id,
            count(ScreeningChange), count(Venue), count(AuditEvent))


# --- the matrix: every action from every state ----------------------------------------------

ACTIONS = {
    "submit": lambda s, actor: screenings.submit(s, actor),
    "publish": lambda s, actor: screenings.publish(s, actor),
    "postpone": lambda s, actor: screenings.postpone(s, actor, "Venue trouble"),
    "reschedule": lambda s, actor: screenings.reschedule(s, actor, local(40), "New date"),
    "relocate": lambda s, actor: screenings.relocate(
        s, actor, venue_name="Union hall", venue_address="Hidden Road 2", note="Moved"),
    "cancel": lambda s, actor: screenings.cancel(s, actor, CancelReason.THREATS, "Threatened"),
    "held": lambda s, actor: screenings.mark_held(s, actor, now=s.starts_at + timedelta(days=1),
                                                  attendance=40),
}

EXPECTED = {
    "submit": {Status.DRAFT: Status.SUBMITTED},
    "publish": {Status.SUBMITTED: Status.PUBLISHED},
    "postpone": {Status.PUBLISHED: Status.POSTPONED, Status.RELOCATED: Status.POSTPONED},
    "reschedule": {Status.PUBLISHED: Status.PUBLISHED, Status.POSTPONED: Status.PUBLISHED,
                   Status.RELOCATED: Status.RELOCATED},
    "relocate": {Status.PUBLISHED: Status.RELOCATED, Status.POSTPONED: Status.RELOCATED,
                 Status.RELOCATED: Status.RELOCATED},
    "cancel": {s: Status.CANCELLED for s in Status if s not in (Status.HELD, Status.CANCELLED)},
    "held": {Status.PUBLISHED: Status.HELD, Status.RELOCATED: Status.HELD},
}

RAISES_SEQUENCE = {"postpone", "reschedule", "relocate", "cancel"}

MATRIX = [(action, status) for action in ACTIONS for status in Status]


@pytest.mark.parametrize(("action", "status"), MATRIX,
                         ids=[f"{a}-from-{s.value}" for a, s in MATRIX])
def test_every_action_from_every_state(collective, organiser, coordinator, action, status):
    screening = make_screening(collective, actor=organiser, status=status)
    actor = coordinator if action == "publish" else organiser
    before = snapshot(screening)
    expected = EXPECTED[action].get(status)

    assert (action in screenings.allowed_actions(screening, actor)) == (expected is not None)
    if expected is None:
        with pytest.raises(TransitionError) as refused:
            ACTIONS[action](screening, actor)
        assert str(refused.value)  # a message that can be shown
        db.session.rollback()
        assert snapshot(screening) == before
        return

    ACTIONS[action](screening, actor)
    db.session.commit()
    assert screening.status is expected
    assert screening.sequence == before[1] + (1 if action in RAISES_SEQUENCE else 0)
    audit_action = "submit" if action == "submit" else action
    recorded = [e for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
                if e.action.startswith(f"screening.{audit_action}")]
    assert len(recorded) == 1
    assert recorded[0].before["status"] == status.value
    assert recorded[0].after["status"] == expected.value
    assert recorded[0].actor_id == actor.id


@pytest.mark.parametrize("action", [a for a in ACTIONS if a != "publish"])
def test_another_collectives_people_get_not_found_and_nothing_changes(collective, action):
    outsider = make_user(Role.ORGANISER, make_collective("elsewhere"), admin_of_collective=True)
    status = next(iter(EXPECTED[action]))
    screening = make_screening(collective, status=status)
    before = snapshot(screening)
    assert screenings.allowed_actions(screening, outsider) == frozenset()
    with pytest.raises(NotFound):
        ACTIONS[action](screening, outsider)
    db.session.rollback()
    assert snapshot(screening) == before


@pytest.mark.parametrize("role", ["member", "admin_of_collective", Role.COORDINATOR, Role.ADMIN])
@pytest.mark.parametrize("action", ["postpone", "reschedule", "relocate", "cancel", "held"])
def test_hosts_and_coordinators_may_change_a_screening(collective, role, action):
    if role in ("member", "admin_of_collective"):
        actor = make_user(Role.ORGANISER, collective,
                          admin_of_collective=role == "admin_of_collective")
    else:
        actor = make_user(role)
    screening = make_screening(collective, status=Status.PUBLISHED)
    ACTIONS[action](screening, actor)
    db.session.commit()
    assert screening.status is EXPECTED[action][Status.PUBLISHED]


@pytest.mark.parametrize("admin_of_collective", [False, True])
def test_organisers_cannot_publish(collective, admin_of_collective):
    member = make_user(Role.ORGANISER, collective, admin_of_collective=admin_of_collective)
    screening = make_screening(collective, status=Status.SUBMITTED)
    assert "publish" not in screenings.allowed_actions(screening, member)
    with pytest.raises(TransitionError, match="Only coordinators"):
        screenings.publish(screening, member)
    assert screening.status is Status.SUBMITTED


def test_a_trusted_collectives_submission_is_published_at_once(catalogue):
    trusted = make_collective("trusted-ones", trusted=True)
    member = make_user(Role.ORGANISER, trusted)
    screening = make_screening(trusted, actor=member)
    screenings.submit(screening, member)
    assert screening.status is Status.PUBLISHED
    assert screening.published_at is not None


# --- postpone and reschedule ------------------------------------------------------------------


def test_postponing_keeps_the_old_date_in_the_history(collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=WINTER_EVENING)
    screenings.postpone(screening, organiser, "  The hall flooded.  ")
    db.session.commit()
    [change] = screening.changes
    assert change.kind is ChangeKind.POSTPONED
    assert change.from_starts_at == datetime(2027, 1, 15, 17, 0, tzinfo=UTC)
    assert change.to_starts_at is None
    assert change.note == "The hall flooded."
    assert change.actor_id == organiser.id
    assert screening.starts_at == datetime(2027, 1, 15, 17, 0, tzinfo=UTC)  # until a new date
    [event] = events("screening.postpone")
    assert event.before == {"status": "published"}
    assert event.after == {"status": "postponed", "sequence": 1}
    assert "flooded" not in str(event.after)


def test_rescheduling_a_postponed_screening_publishes_it_with_the_new_date(
    collective, organiser
):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=WINTER_EVENING)
    screenings.postpone(screening, organiser)
    screenings.reschedule(screening, organiser, datetime(2027, 7, 2, 19, 30), "Summer instead")
    db.session.commit()
    assert screening.status is Status.PUBLISHED
    assert screening.starts_at == datetime(2027, 7, 2, 16, 30, tzinfo=UTC)  # EEST, UTC+3
    assert screening.sequence == 2
    postponed, rescheduled = screening.changes
    assert postponed.kind is ChangeKind.POSTPONED
    assert rescheduled.kind is ChangeKind.RESCHEDULED
    assert rescheduled.from_starts_at == datetime(2027, 1, 15, 17, 0, tzinfo=UTC)
    assert rescheduled.to_starts_at == datetime(2027, 7, 2, 16, 30, tzinfo=UTC)
    assert rescheduled.note == "Summer instead"
    [event] = events("screening.reschedule")
    assert event.before == {"status": "postponed", "starts_at": "2027-01-15T17:00:00+00:00"}
    assert event.after["starts_at"] == "2027-07-02T16:30:00+00:00"


def test_a_postponed_screening_may_keep_its_old_date_after_all(collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.POSTPONED,
                               starts_at=WINTER_EVENING)
    screenings.reschedule(screening, organiser, WINTER_EVENING)
    assert screening.status is Status.PUBLISHED


def test_a_relocated_screening_stays_relocated_through_a_new_date(collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    screenings.relocate(screening, organiser, venue_name="Union hall")
    screenings.postpone(screening, organiser)
    screenings.reschedule(screening, organiser, local(50))
    assert screening.status is Status.RELOCATED
    assert screening.sequence == 3


@pytest.mark.parametrize(("starts_at", "message"), [
    (SPRING_GAP, "does not exist"),
    (None, "Enter the new date"),
    (WINTER_EVENING, "That is the current date"),
])
def test_a_bad_new_date_is_refused_and_nothing_changes(collective, organiser, starts_at,
                                                       message):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=WINTER_EVENING)
    before = snapshot(screening)
    with pytest.raises(ValidationFailed) as refused:
        screenings.reschedule(screening, organiser, starts_at)
    assert set(refused.value.fields) == {"starts_at"}
    assert message in refused.value.fields["starts_at"]
    db.session.rollback()
    assert snapshot(screening) == before


def test_a_note_too_long_is_refused(collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    before = snapshot(screening)
    with pytest.raises(ValidationFailed) as refused:
        screenings.postpone(screening, organiser, "n" * (screenings.MAX_NOTE + 1))
    assert set(refused.value.fields) == {"note"}
    db.session.rollback()
    assert snapshot(screening) == before


# --- relocate -----------------------------------------------------------------------------------


def test_relocating_creates_a_new_venue_and_keeps_the_old_one(collective, organiser, helsinki):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    old_venue_id = screening.venue_id
    new = screenings.relocate(screening, organiser, venue_name=" Union hall ",
                              venue_address=" Hidden Road 2 ", visibility="on_request",
                              note="The first venue withdrew.")
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Screening, screening.id)
    assert stored.venue_id == new.id != old_venue_id
    assert (stored.venue.name, stored.venue.address) == ("Union hall", "Hidden Road 2")
    assert stored.venue.visibility is Visibility.ON_REQUEST
    assert stored.venue.city == helsinki == stored.city  # the city stays
    old = db.session.get(Venue, old_venue_id)
    assert (old.name, old.address) == ("Lepakkomies", "Secret Street 1, Helsinki")  # untouched
    [change] = stored.changes
    assert change.kind is ChangeKind.RELOCATED
    assert (change.from_venue_id, change.to_venue_id) == (old_venue_id, new.id)
    assert change.note == "The first venue withdrew."
    assert stored.status is Status.RELOCATED
    assert stored.sequence == 1
    [event] = events("screening.relocate")
    assert event.before == {"status": "published", "venue_id": old_venue_id,
                            "visibility": "city_only"}
    assert event.after == {"status": "relocated", "venue_id": new.id,
                           "visibility": "on_request", "sequence": 1}
    assert "Hidden Road" not in str(event.after) and "Secret Street" not in str(event.before)


def test_moving_twice_keeps_every_venue(collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    first = screening.venue
    second = screenings.relocate(screening, organiser, venue_name="Second")
    third = screenings.relocate(screening, organiser, venue_name="Third")
    db.session.commit()
    assert [(c.from_venue, c.to_venue) for c in screening.changes] == [
        (first, second), (second, third)]
    assert count(Venue) == 3


@pytest.mark.parametrize(("changes", "fields"), [
    ({"venue_name": "  "}, {"venue_name"}),
    ({"venue_name": "v" * 201}, {"venue_name"}),
    ({"venue_address": "a" * 501}, {"venue_address"}),
    ({"visibility": "secret"}, {"visibility"}),
    ({"venue_name": "Lepakkomies", "venue_address": "Secret Street 1, Helsinki"},
     {"venue_name"}),
    ({"venue_name": "", "visibility": "nope", "note": "n" * 2001},
     {"venue_name", "visibility", "note"}),
])
def test_bad_venue_input_is_refused_and_nothing_changes(collective, organiser, changes,
                                                        fields):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    before = snapshot(screening)
    values = {"venue_name": "Union hall", "venue_address": "", "visibility": "city_only",
              **changes}
    with pytest.raises(ValidationFailed) as refused:
        screenings.relocate(screening, organiser, **values)
    assert set(refused.value.fields) == fields
    db.session.rollback()
    assert snapshot(screening) == before


# --- cancel and held ------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(CancelReason))
def test_cancelling_keeps_the_reason_and_note_and_audits_no_note(collective, organiser, reason):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    screenings.cancel(screening, organiser, reason.value, "Names of the people who called")
    db.session.commit()
    assert screening.status is Status.CANCELLED
    assert screening.cancel_reason is reason
    assert screening.cancel_note == "Names of the people who called"
    assert screening.sequence == 1
    [event] = events("screening.cancel")
    assert event.after == {"status": "cancelled", "reason": reason.value, "sequence": 1}
    assert "Names" not in str(event.before) + str(event.after)


def test_cancelling_without_a_note_stores_none(collective, organiser):
    screening = make_screening(collective, actor=organiser)
    screenings.cancel(screening, organiser, CancelReason.LOW_INTEREST, "   ")
    assert screening.cancel_note is None


@pytest.mark.parametrize("reason", ["", "because", None])
def test_cancelling_needs_a_known_reason(collective, organiser, reason):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    before = snapshot(screening)
    with pytest.raises(ValidationFailed) as refused:
        screenings.cancel(screening, organiser, reason)
    assert set(refused.value.fields) == {"reason"}
    db.session.rollback()
    assert snapshot(screening) == before


def test_marking_held_records_the_attendance(collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=WINTER_EVENING)
    screenings.mark_held(screening, organiser, now=screening.starts_at, attendance=0)
    db.session.commit()
    assert screening.actual_attendance == 0
    [event] = events("screening.held")
    assert event.after == {"status": "held", "actual_attendance": 0}
    assert screening.sequence == 0


@pytest.mark.parametrize("attendance", [-1, 1_000_001, True, "12"])
def test_a_bad_attendance_is_refused(collective, organiser, attendance):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=WINTER_EVENING)
    before = snapshot(screening)
    with pytest.raises(ValidationFailed) as refused:
        screenings.mark_held(screening, organiser, now=screening.starts_at,
                             attendance=attendance)
    assert set(refused.value.fields) == {"attendance"}
    db.session.rollback()
    assert snapshot(screening) == before


# --- listings -----------------------------------------------------------------------------------


def test_a_postponed_screening_stays_upcoming_after_its_old_date(collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=local(-5))
    screenings.postpone(screening, organiser)
    db.session.commit()
    assert list(db.session.scalars(screenings.upcoming_query())) == [screening]
    assert list(db.session.scalars(screenings.past_query())) == []


def test_editing_the_time_or_place_of_a_public_screening_raises_the_sequence(collective,
                                                                            organiser):
    published = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    draft = make_screening(collective, actor=organiser)
    for changes in ({"starts_at": local(60)}, {"venue_address": "Elsewhere 5"},
                    {"title": "Only the title"}):
        for screening in (published, draft):
            data = dataclasses.replace(screenings.input_from(screening), **changes)
            screenings.update(screening, data, organiser)
    db.session.commit()
    assert published.sequence == 2  # the title alone does not move it
    assert draft.sequence == 0  # no calendar holds a draft


# --- the organiser page -------------------------------------------------------------------------


@pytest.fixture
def member_client(client, organiser):
    login(client, organiser)
    return client


def _url(screening: Screening, path: str = "") -> str:
    return f"/organiser/screenings/{screening.id}{path}"


FORM_DATA = {
    "postpone": ("/postpone", {"postpone-note": "The hall flooded"}),
    "reschedule": ("/reschedule", {"reschedule-starts_at": local(45).strftime("%Y-%m-%dT%H:%M"),
                                   "reschedule-note": "New hall free then"}),
    "relocate": ("/relocate", {"relocate-venue_name": "Union hall",
                               "relocate-venue_address": "Hidden Road 2",
                               "relocate-visibility": "city_only",
                               "relocate-note": "Moved"}),
    "cancel": ("/cancel", {"cancel-reason": "threats", "cancel-note": "Calls at night"}),
    "held": ("/held", {"held-attendance": "42"}),
}


@pytest.mark.parametrize("action", list(FORM_DATA))
def test_each_change_through_the_organiser_page(member_client, collective, organiser, action):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=local(-1) if action == "held" else local(30))
    path, data = FORM_DATA[action]
    response = member_client.post(_url(screening, path), data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == _url(screening)
    assert screening.status is EXPECTED[action][Status.PUBLISHED]
    shown = page(member_client.get(_url(screening)))
    assert 'class="flash flash-success"' in shown or "flash-success" in shown


def test_the_page_offers_only_the_changes_allowed_now(member_client, collective, organiser):
    forms = {"postpone": "/postpone", "reschedule": "/reschedule", "relocate": "/relocate",
             "cancel": "/cancel", "held": "/held", "submit": "/submit"}
    for status, offered in [
        (Status.DRAFT, {"cancel", "submit"}),
        (Status.SUBMITTED, {"cancel"}),
        (Status.PUBLISHED, {"postpone", "reschedule", "relocate", "cancel", "held"}),
        (Status.POSTPONED, {"reschedule", "relocate", "cancel"}),
        (Status.RELOCATED, {"postpone", "reschedule", "relocate", "cancel", "held"}),
        (Status.HELD, set()),
        (Status.CANCELLED, set()),
    ]:
        screening = make_screening(collective, actor=organiser, status=status)
        shown = page(member_client.get(_url(screening)))
        found = {name for name, path in forms.items()
                 if f'action="{_url(screening, path)}"' in shown}
        assert found == offered, status


@pytest.mark.parametrize(("action", "data", "field", "message"), [
    ("reschedule", {"reschedule-starts_at": SPRING_GAP.strftime("%Y-%m-%dT%H:%M")},
     "reschedule-starts_at", "does not exist"),
    ("reschedule", {"reschedule-starts_at": "next week"}, "reschedule-starts_at",
     "Not a valid datetime value."),
    ("reschedule", {}, "reschedule-starts_at", "Enter the new date and time."),
    ("relocate", {"relocate-venue_name": "", "relocate-visibility": "city_only"},
     "relocate-venue_name", "This field is required."),
    ("relocate", {"relocate-venue_name": "Hall", "relocate-visibility": "secret"},
     "relocate-visibility", "Not a valid choice."),
    ("cancel", {"cancel-reason": ""}, "cancel-reason", "Choose why"),
    ("cancel", {"cancel-reason": "bored"}, "cancel-reason", "Not a valid choice."),
    ("held", {"held-attendance": "-3"}, "held-attendance", "Number must be"),
    ("held", {"held-attendance": "many"}, "held-attendance", "Not a valid integer value."),
])
def test_bad_input_shows_the_form_again_with_the_error(member_client, collective, organiser,
                                                       action, data, field, message):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=local(-1))
    before = snapshot(screening)
    response = member_client.post(_url(screening, FORM_DATA[action][0]), data=data)
    assert response.status_code == 422
    shown = page(response)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', shown)
    assert error is not None and message in error.group(1)
    assert "field-invalid" in shown
    assert re.search(r"<details open>", shown)  # the form with the error is unfolded
    assert snapshot(screening) == before


def test_a_change_not_allowed_now_is_refused_with_a_message(member_client, collective,
                                                            organiser):
    screening = make_screening(collective, actor=organiser, status=Status.HELD)
    before = snapshot(screening)
    for action, (path, data) in FORM_DATA.items():
        response = member_client.post(_url(screening, path), data=data, follow_redirects=True)
        assert response.status_code == 200
        assert "flash-error" in page(response), action
    assert "This screening can no longer be cancelled." in visible_text(
        member_client.post(_url(screening, "/cancel"), data=FORM_DATA["cancel"][1],
                           follow_redirects=True))
    assert snapshot(screening) == before


LIFECYCLE_PATHS = [path for path, _data in FORM_DATA.values()]


@pytest.mark.parametrize("path", LIFECYCLE_PATHS)
def test_anonymous_visitors_are_sent_to_login(client, collective, path):
    screening = make_screening(collective, status=Status.PUBLISHED, starts_at=local(-1))
    before = snapshot(screening)
    data = dict(FORM_DATA.values())[path]
    response = client.post(_url(screening, path), data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert snapshot(screening) == before


@pytest.mark.parametrize("path", LIFECYCLE_PATHS)
def test_another_collectives_organisers_get_404(client, collective, path):
    screening = make_screening(collective, status=Status.PUBLISHED, starts_at=local(-1),
                               title="Secret title")
    login(client, make_user(Role.ORGANISER, make_collective("elsewhere"),
                              admin_of_collective=True))
    before = snapshot(screening)
    response = client.post(_url(screening, path), data=dict(FORM_DATA.values())[path])
    assert response.status_code == 404
    assert "Secret title" not in page(response)
    assert snapshot(screening) == before


@pytest.mark.parametrize("role", ["admin_of_collective", Role.COORDINATOR, Role.ADMIN])
def test_collective_admins_and_coordinators_may_change_a_screening(client, collective, role):
    if role == "admin_of_collective":
        user = make_user(Role.ORGANISER, collective, admin_of_collective=True)
    else:
        user = make_user(role)
    login(client, user)
    screening = make_screening(collective, status=Status.PUBLISHED)
    response = client.post(_url(screening, "/postpone"), data={})
    assert response.status_code == 302
    assert screening.status is Status.POSTPONED


# --- what the public sees -------------------------------------------------------------------


PUBLIC_PAGES = ["/", "/past"]


@pytest.mark.parametrize("when", [30, -30])
@pytest.mark.parametrize("reason", list(CancelReason))
def test_the_cancel_reason_and_note_are_never_public(member_client, client, app, collective,
                                                     organiser, when, reason):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=local(when))
    member_client.post(_url(screening, "/cancel"),
                       data={"cancel-reason": reason.value, "cancel-note": "Caller: Ivan P."})
    assert screening.status is Status.CANCELLED

    # The hosts see both on their page.
    own = visible_text(member_client.get(_url(screening)))
    assert "Caller: Ivan P." in own
    assert CANCEL_REASON_LABELS[reason] in own

    visitor = app.test_client()
    for path in [*PUBLIC_PAGES, f"/screenings/{screening.id}"]:
        response = visitor.get(path, follow_redirects=True)
        assert response.status_code == 200
        body = page(response)
        listed_here = path != ("/past" if when > 0 else "/")
        # The map's script words (every status's label) are not a listing: the text is.
        assert ("Cancelled" in visible_text(response)) is listed_here
        assert "Ivan" not in body
        assert reason.value not in body.replace("cancelled", "")
        assert CANCEL_REASON_LABELS[reason] not in body
    # Logged in as a host, the public page still says only "cancelled".
    assert "Ivan" not in page(member_client.get(f"/screenings/{screening.id}",
                                                follow_redirects=True))


def test_a_postponed_screening_says_so_in_public(member_client, app, collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               title="Night film", starts_at=local(10))
    member_client.post(_url(screening, "/postpone"), data={"postpone-note": "Private reason"})
    visitor = app.test_client()
    for path in ["/", f"/screenings/{screening.id}"]:
        text = visible_text(visitor.get(path, follow_redirects=True))
        assert "Postponed — new date to be announced" in text
        assert "Private reason" not in text


def test_a_new_date_is_shown_with_the_old_one(member_client, app, collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=datetime(2027, 1, 15, 19, 0))
    member_client.post(_url(screening, "/reschedule"),
                       data={"reschedule-starts_at": "2027-01-22T20:00"})
    assert screening.starts_at == datetime(2027, 1, 22, 18, 0, tzinfo=UTC)
    visitor = app.test_client()
    expected = "New date: Fri 22 Jan 2027, 20:00 EET (was Fri 15 Jan 2027, 19:00 EET)"
    assert expected in visible_text(visitor.get(f"/screenings/{screening.id}",
                                                follow_redirects=True))
    assert expected in visible_text(visitor.get("/"))


@pytest.mark.parametrize("visibility", ["city_only", "on_request"])
def test_a_private_new_venue_stays_private(member_client, app, collective, organiser,
                                           visibility):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               venue_address="Old Street 1")
    member_client.post(_url(screening, "/relocate"), data={
        "relocate-venue_name": "Union hall", "relocate-venue_address": "Hidden Road 2",
        "relocate-visibility": visibility, "relocate-note": "Moved"})
    assert screening.status is Status.RELOCATED

    visitor = app.test_client()
    for path in ["/", f"/screenings/{screening.id}"]:
        body = page(visitor.get(path, follow_redirects=True))
        assert "Moved to a new venue" in body
        for secret in ("Hidden Road", "Union hall", "Old Street", "Lepakkomies"):
            assert secret not in body, (path, secret)
    # The hosts see the new address on the public page, and the history on theirs.
    assert "Hidden Road 2" in page(member_client.get(f"/screenings/{screening.id}",
                                                     follow_redirects=True))
    own = visible_text(member_client.get(_url(screening)))
    assert "Moved from Lepakkomies, Old Street 1 to Union hall, Hidden Road 2" in own


def test_a_public_new_venue_is_shown(member_client, app, collective, organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    member_client.post(_url(screening, "/relocate"), data={
        "relocate-venue_name": "Union hall", "relocate-venue_address": "Open Square 3",
        "relocate-visibility": "public"})
    body = page(app.test_client().get(f"/screenings/{screening.id}", follow_redirects=True))
    assert "Union hall, Open Square 3" in body
    assert "Secret Street" not in body  # the old, private address


def test_a_held_screening_without_money_shows_the_report_missing(member_client, collective,
                                                                organiser):
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                               starts_at=local(-1))
    member_client.post(_url(screening, "/held"), data={"held-attendance": "55"})
    text = visible_text(member_client.get(_url(screening)))
    assert "Fundraiser report missing" in text
    assert "People who came 55" in text


def test_the_prefixed_forms_carry_a_working_csrf_token(app, collective, organiser):
    """Each lifecycle form names its token "<prefix>-csrf_token"; CSRFProtect must accept it."""
    screening = make_screening(collective, actor=organiser, status=Status.PUBLISHED)
    guarded = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         WTF_CSRF_ENABLED=True)
    guarded.test_client_class = type(app.test_client())
    try:
        client = guarded.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          page(client.get("/login"))).group(1)
        client.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                    "csrf_token": token})
        body = page(client.get(_url(screening)))
        token = re.search(r'name="cancel-csrf_token" type="hidden" value="([^"]+)"', body)
        assert token is not None
        data = {"cancel-reason": "threats"}
        assert client.post(_url(screening, "/cancel"), data=data).status_code == 400
        assert screening.status is Status.PUBLISHED
        response = client.post(_url(screening, "/cancel"),
                               data={**data, "cancel-csrf_token": token.group(1)})
        assert response.status_code == 302
        assert screening.status is Status.CANCELLED
    finally:
        with guarded.app_context():
            db.engine.dispose()
