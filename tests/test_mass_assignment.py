"""Extra fields in a form body change nothing the sender's role does not allow.

An organiser of collective A adds `status=published`, `collective_id=<B>`, `collective=<B>`,
`is_trusted=1`, `role=admin`, `session_version`, `version_id`, `created_by_id`,
`cancel_reason` and the like to the screening, lifecycle, contribution, incident, invitation
and account forms; the database shows afterwards that none of them took. (There is no JSON
API yet: when /api/v1 arrives, its bodies need the same test.)
"""

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Contribution,
    ContributionState,
    Incident,
    Invitation,
    Membership,
    MembershipRole,
    PasswordReset,
    Role,
    Screening,
    Status,
    User,
)
from app.services import invitations, ledger
from tests.conftest import PASSWORD, login, make_collective, make_screening, make_user

NEW_PASSWORD = "quiet river under the old bridge"


@pytest.fixture
def world(app, catalogue):
    """Collectives A (not trusted) and B, people in each role, and a screening of each."""
    a, b = make_collective("collective-a"), make_collective("collective-b")
    coordinator = make_user(Role.COORDINATOR)
    people = {
        "a": a, "b": b, "coordinator": coordinator, "admin": make_user(Role.ADMIN),
        "organiser": make_user(Role.ORGANISER, a),
        "collective_admin": make_user(Role.ORGANISER, a, admin_of_collective=True),
        "outsider": make_user(Role.ORGANISER, b),
    }
    people["screening"] = make_screening(a, coordinator)
    people["b_screening"] = make_screening(b, coordinator)
    return people


def client_as(app, user):
    """A client logged in as the user."""
    client = app.test_client()
    login(client, user)
    return client


def count(model) -> int:
    """Rows in a model's table."""
    return db.session.scalar(select(func.count()).select_from(model))


def screening_data(collective: str = "collective-a", **changes) -> dict:
    """The register/edit form filled in correctly."""
    data = {
        "film": "part-one", "collective": collective, "title": "Evening screening",
        "city": "Helsinki", "country": "FI", "venue_name": "Kino Aurora",
        "venue_address": "Secret Street 1", "visibility": "city_only",
        "starts_at": (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%dT19:30"),
        "beneficiary": "solidarity-collectives", "purpose": "Medical supplies",
        "goal_amount": "500.00", "goal_currency": "EUR",
    }
    data.update(changes)
    return data


def screening_extras(world) -> dict:
    """Fields of the Screening row (and its neighbours) that no screening form has."""
    return {
        "status": "published", "collective_id": str(world["b"].id),
        "collectives": world["b"].slug, "is_trusted": "1", "role": "admin",
        "created_by_id": str(world["outsider"].id), "version_id": "99", "sequence": "7",
        "cancel_reason": "threats", "cancel_note": "forged", "published_at": "2026-01-01",
        "submitted_at": "2026-01-01", "actual_attendance": "900", "totals_public": "0",
        "fundraiser_id": str(world["b_screening"].fundraiser.id), "id": "999",
    }


def contribution_data(**changes) -> dict:
    """The contribution form filled in correctly."""
    data = {"amount": "40.00", "currency": "EUR",
            "received_on": (date.today() - timedelta(days=1)).isoformat(), "channel": "door",
            "state": "collected", "transfer_reference": "", "note": ""}
    data.update(changes)
    return data


def contribution_extras(world) -> dict:
    """Fields of the Contribution row that no contribution form has."""
    return {
        "fundraiser_id": str(world["b_screening"].fundraiser.id),
        "recorded_by_id": str(world["outsider"].id), "confirmed_by_id": str(world["admin"].id),
        "confirmed_at": "2026-01-01T00:00", "amount_minor": "9999999",
        "base_amount_minor": "9999999", "base_currency": "USD", "rate_per_base": "0.0001",
        "version_id": "99", "id": "999",
    }


# --- screenings ----------------------------------------------------------------------------------


def test_registering_a_screening_ignores_fields_the_form_does_not_have(app, world):
    organiser = world["organiser"]
    client = client_as(app, organiser)
    response = client.post("/organiser/screenings/new",
                           data={**screening_data(), **screening_extras(world)})
    assert response.status_code == 302
    new = db.session.scalar(select(Screening).where(Screening.title == "Evening screening"))
    assert new.status == Status.DRAFT
    assert [c.slug for c in new.collectives] == ["collective-a"]
    assert new.created_by_id == organiser.id
    assert (new.version_id, new.sequence, new.cancel_reason, new.cancel_note) == (1, 0, None, None)
    assert (new.published_at, new.submitted_at, new.actual_attendance) == (None, None, None)
    assert new.fundraiser.totals_public is True
    assert new.id != 999
    db.session.refresh(world["a"])
    assert world["a"].is_trusted is False
    assert db.session.get(User, organiser.id).role == Role.ORGANISER
    assert world["b_screening"].fundraiser.screening_id == world["b_screening"].id


@pytest.mark.parametrize("collective", ["collective-b", "no-such-collective", ""])
def test_an_organiser_cannot_register_a_screening_for_another_collective(app, world, collective):
    client = client_as(app, world["organiser"])
    before = count(Screening)
    response = client.post("/organiser/screenings/new", data=screening_data(collective))
    assert response.status_code == 422
    assert "Choose one of your collectives." in response.get_data(as_text=True) or not collective
    assert count(Screening) == before


def test_a_coordinator_may_register_for_any_collective(app, world):
    # The control: the same field is honoured where the role allows it.
    client = client_as(app, world["coordinator"])
    assert client.post("/organiser/screenings/new",
                       data=screening_data("collective-b", title="For B")).status_code == 302
    new = db.session.scalar(select(Screening).where(Screening.title == "For B"))
    assert [c.slug for c in new.collectives] == ["collective-b"]


def test_editing_a_screening_ignores_fields_the_form_does_not_have(app, world):
    screening = world["screening"]
    creator, version = screening.created_by_id, screening.version_id
    client = client_as(app, world["organiser"])
    response = client.post(f"/organiser/screenings/{screening.id}/edit", data={
        **screening_data(title="Renamed", version=str(version)), **screening_extras(world)})
    assert response.status_code == 302
    db.session.refresh(screening)
    assert screening.title == "Renamed"  # the edit itself went through
    assert screening.status == Status.DRAFT
    assert [c.slug for c in screening.collectives] == ["collective-a"]
    assert screening.created_by_id == creator
    assert screening.version_id == version + 1  # raised by the save, not set from the body
    assert (screening.cancel_reason, screening.published_at) == (None, None)
    db.session.refresh(world["a"])
    assert world["a"].is_trusted is False


def test_an_organiser_cannot_hand_a_screening_to_another_collective(app, world):
    screening = world["screening"]
    client = client_as(app, world["organiser"])
    response = client.post(f"/organiser/screenings/{screening.id}/edit", data=screening_data(
        "collective-b", title="Moved?", version=str(screening.version_id)))
    assert response.status_code == 422
    db.session.refresh(screening)
    assert [c.slug for c in screening.collectives] == ["collective-a"]
    assert screening.title != "Moved?"


def test_submitting_ignores_a_status_in_the_body(app, world):
    screening = world["screening"]
    client = client_as(app, world["organiser"])
    response = client.post(f"/organiser/screenings/{screening.id}/submit",
                           data={"status": "published", "to": "published", "is_trusted": "1"})
    assert response.status_code == 302
    db.session.refresh(screening)
    assert screening.status == Status.SUBMITTED  # collective A is not trusted
    db.session.refresh(world["a"])
    assert world["a"].is_trusted is False


def test_a_lifecycle_form_changes_only_what_the_action_changes(app, world):
    screening = make_screening(world["a"], world["coordinator"], Status.PUBLISHED)
    client = client_as(app, world["organiser"])
    response = client.post(f"/organiser/screenings/{screening.id}/postpone", data={
        "postpone-note": "Venue trouble", "status": "held", "postpone-status": "held",
        "cancel_reason": "threats", "cancel-reason": "threats", "sequence": "40",
        "starts_at": "2020-01-01T10:00", "venue_name": "Elsewhere",
    })
    assert response.status_code == 302
    db.session.refresh(screening)
    assert screening.status == Status.POSTPONED
    assert (screening.cancel_reason, screening.sequence) == (None, 1)
    assert screening.venue.name == "Lepakkomies"


# --- money -------------------------------------------------------------------------------------


def test_recording_a_contribution_ignores_fields_the_form_does_not_have(app, world):
    organiser, screening = world["organiser"], world["screening"]
    client = client_as(app, organiser)
    response = client.post(f"/organiser/screenings/{screening.id}/contributions/new",
                           data={**contribution_data(), **contribution_extras(world)})
    assert response.status_code == 302
    (contribution,) = db.session.scalars(select(Contribution))
    assert contribution.fundraiser_id == screening.fundraiser.id
    assert (contribution.amount_minor, contribution.currency) == (4000, "EUR")
    assert contribution.recorded_by_id == organiser.id
    assert (contribution.confirmed_by_id, contribution.confirmed_at) == (None, None)
    assert contribution.transferred_on is None
    # Base currency EUR: converted at 1 from its own amount, not from the body.
    assert (contribution.base_amount_minor, contribution.base_currency) == (4000, "EUR")
    assert contribution.version_id == 1 and contribution.id != 999


def test_correcting_a_contribution_ignores_fields_the_form_does_not_have(app, world):
    organiser, screening = world["organiser"], world["screening"]
    contribution = ledger.record_contribution(
        screening.fundraiser, world["coordinator"], amount="25.00", currency="EUR",
        received_on=date.today() - timedelta(days=2), channel="door")
    db.session.commit()
    recorder = contribution.recorded_by_id
    client = client_as(app, organiser)
    response = client.post(
        f"/organiser/screenings/{screening.id}/contributions/{contribution.id}/edit",
        data={**contribution_data(amount="30.00", reason="Recounted",
                                  version=str(contribution.version_id)),
              **contribution_extras(world)})
    assert response.status_code == 302
    db.session.refresh(contribution)
    assert contribution.amount_minor == 3000  # the correction itself went through
    assert contribution.fundraiser_id == screening.fundraiser.id
    assert contribution.recorded_by_id == recorder
    assert (contribution.confirmed_by_id, contribution.base_amount_minor) == (None, 3000)
    assert contribution.version_id == 2


def test_an_organiser_cannot_record_money_as_confirmed(app, world):
    # DESIGN.md section 6: confirmed means the beneficiary or a coordinator confirmed receipt.
    screening = world["screening"]
    client = client_as(app, world["organiser"])
    response = client.post(f"/organiser/screenings/{screening.id}/contributions/new",
                           data=contribution_data(state="confirmed"))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Contribution).where(
        Contribution.state == ContributionState.CONFIRMED)) == 0


def test_an_organiser_cannot_confirm_money_by_correcting_it(app, world):
    screening = world["screening"]
    contribution = ledger.record_contribution(
        screening.fundraiser, world["coordinator"], amount="25.00", currency="EUR",
        received_on=date.today() - timedelta(days=2), channel="door", state="transferred",
        transfer_reference="REF-1")
    db.session.commit()
    client = client_as(app, world["organiser"])
    response = client.post(
        f"/organiser/screenings/{screening.id}/contributions/{contribution.id}/edit",
        data=contribution_data(amount="25.00", state="confirmed", transfer_reference="REF-1",
                               received_on=contribution.received_on.isoformat(),
                               version=str(contribution.version_id)))
    assert response.status_code == 422
    db.session.refresh(contribution)
    assert contribution.state == ContributionState.TRANSFERRED


def test_a_coordinator_may_record_money_as_confirmed(app, world):
    # The control: the state is honoured for the role that may set it, and says who did.
    screening, coordinator = world["screening"], world["coordinator"]
    client = client_as(app, coordinator)
    response = client.post(f"/organiser/screenings/{screening.id}/contributions/new",
                           data=contribution_data(state="confirmed", transfer_reference="R-9"))
    assert response.status_code == 302
    contribution = db.session.scalar(select(Contribution))
    assert contribution.state == ContributionState.CONFIRMED
    assert contribution.confirmed_by_id == coordinator.id


# --- incidents ----------------------------------------------------------------------------------


def test_an_incident_report_ignores_fields_the_form_does_not_have(app, world):
    organiser, screening = world["organiser"], world["screening"]
    client = client_as(app, organiser)
    response = client.post(f"/organiser/incidents/new?screening={screening.id}", data={
        "kind": "threat", "description": "A call to the venue.",
        "collective_id": str(world["b"].id), "collective": world["b"].slug,
        "screening_id": str(world["b_screening"].id), "reported_by_id": str(world["admin"].id),
    })
    assert response.status_code == 302
    (incident,) = db.session.scalars(select(Incident))
    assert (incident.screening_id, incident.collective_id) == (screening.id, None)
    assert incident.reported_by_id == organiser.id


# --- invitations and membership ---------------------------------------------------------------


def invitation_extras(world) -> dict:
    """Fields that would widen an invitation beyond what the inviter may give."""
    return {"site_role": "admin", "role": "admin", "collective": world["b"].slug,
            "collective_id": str(world["b"].id), "invited_by_id": str(world["admin"].id),
            "expires_at": "2099-01-01T00:00", "accepted_at": "2026-01-01T00:00"}


@pytest.mark.parametrize("inviter", ["collective_admin", "coordinator"])
def test_an_invitation_gets_no_site_role_or_collective_from_the_body(app, world, outbox,
                                                                       inviter):
    client = client_as(app, world[inviter])
    response = client.post("/organiser/collectives/collective-a/invitations", data={
        "email": "newcomer@example.org", "membership_role": "member",
        **invitation_extras(world)})
    assert response.status_code == 302
    (invitation,) = db.session.scalars(select(Invitation))
    assert invitation.role == Role.ORGANISER
    assert invitation.collective_id == world["a"].id
    assert invitation.invited_by_id == world[inviter].id
    assert (invitation.accepted_at, invitation.revoked_at) == (None, None)
    assert invitation.expires_at < datetime.now(UTC) + timedelta(days=30)


def test_a_site_admin_may_give_a_site_role_in_an_invitation(app, world, outbox):
    # The control: the field is honoured for the one role that may use it.
    client = client_as(app, world["admin"])
    response = client.post("/organiser/collectives/collective-a/invitations", data={
        "email": "newcomer@example.org", "membership_role": "member",
        "site_role": "coordinator"})
    assert response.status_code == 302
    assert db.session.scalar(select(Invitation.role)) == Role.COORDINATOR


def test_accepting_an_invitation_sets_only_name_and_password(app, world, outbox):
    with current_app.test_request_context():
        invitation, token = invitations.create(world["coordinator"], world["a"],
                                               "newcomer@example.org")
    db.session.commit()
    client = app.test_client()
    response = client.post(f"/invitations/{token}", data={
        "name": "Newcomer", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "role": "admin", "site_role": "admin", "email": "someone.else@example.org",
        "is_active": "1", "session_version": "99", "membership_role": "admin",
        "collective_id": str(world["b"].id), "collective": world["b"].slug,
        "totp_secret": "JBSWY3DPEHPK3PXP", "is_trusted": "1",
    })
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.display_name == "Newcomer"))
    assert (user.email, user.role, user.session_version) == (
        "newcomer@example.org", Role.ORGANISER, 1)
    assert user.totp_secret is None
    assert [(m.collective_id, m.role) for m in user.memberships] == [
        (world["a"].id, MembershipRole.MEMBER)]
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.email == "someone.else@example.org")) == 0
    db.session.refresh(invitation)
    assert invitation.accepted_by_id == user.id
    db.session.refresh(world["b"])
    assert world["b"].is_trusted is False


def test_a_membership_role_change_touches_only_that_membership(app, world):
    member = make_user(Role.ORGANISER, world["a"])
    membership = member.memberships[0]
    client = client_as(app, world["collective_admin"])
    response = client.post(
        f"/organiser/collectives/collective-a/members/{membership.id}/role", data={
            "role": "admin", "site_role": "admin", "user_id": str(world["outsider"].id),
            "collective_id": str(world["b"].id), "is_trusted": "1"})
    assert response.status_code == 302
    db.session.refresh(membership)
    assert (membership.role, membership.user_id, membership.collective_id) == (
        MembershipRole.ADMIN, member.id, world["a"].id)
    assert db.session.get(User, member.id).role == Role.ORGANISER
    outsider = db.session.get(User, world["outsider"].id)
    assert [m.collective_id for m in outsider.memberships] == [world["b"].id]
    assert db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.role == MembershipRole.ADMIN)) == 2


# --- one's own account -----------------------------------------------------------------------


def account_extras() -> dict:
    """Fields of the User row that no account form has."""
    return {"role": "admin", "email": "new.address@example.org", "display_name": "Boss",
            "is_active": "1", "session_version": "99", "totp_secret": "JBSWY3DPEHPK3PXP",
            "totp_confirmed_at": "2026-01-01T00:00", "password_hash": "x", "id": "1"}


def test_changing_the_password_changes_nothing_else(app, world):
    organiser = world["organiser"]
    before = (organiser.email, organiser.display_name, organiser.session_version)
    client = client_as(app, organiser)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        **account_extras()})
    assert response.status_code == 302
    user = db.session.get(User, organiser.id)
    db.session.refresh(user)
    assert user.role == Role.ORGANISER
    assert (user.email, user.display_name) == before[:2]
    assert user.session_version == before[2] + 1  # raised by the change, not set from the body
    assert (user.totp_secret, user.totp_confirmed_at) == (None, None)
    assert user.password_hash != "x"


def test_resetting_the_password_changes_nothing_else(app, world, outbox):
    organiser = world["organiser"]
    email = organiser.email
    token = "a-reset-token-known-to-the-test-0123456789"
    db.session.add(PasswordReset(user_id=organiser.id,
                                 token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                 expires_at=datetime.now(UTC) + timedelta(hours=1)))
    db.session.commit()
    response = app.test_client().post(f"/password/reset/{token}", data={
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "user_id": str(world["admin"].id),
        **account_extras()})
    assert response.status_code == 302
    user = db.session.get(User, organiser.id)
    db.session.refresh(user)
    assert (user.role, user.email, user.totp_secret) == (Role.ORGANISER, email, None)
    admin = db.session.get(User, world["admin"].id)
    assert admin.session_version == 1  # the admin's account was not the one reset


def test_a_site_admin_changing_a_role_changes_only_the_role(app, world):
    target = world["outsider"]
    email, name = target.email, target.display_name
    client = client_as(app, world["admin"])
    response = client.post(f"/coordination/users/{target.id}/role", data={
        "role": "coordinator", "email": "taken@example.org", "is_active": "0",
        "display_name": "Renamed", "totp_secret": "JBSWY3DPEHPK3PXP"})
    assert response.status_code == 302
    user = db.session.get(User, target.id)
    db.session.refresh(user)
    assert user.role == Role.COORDINATOR
    assert (user.email, user.is_active, user.display_name, user.totp_secret) == (
        email, True, name, None)
