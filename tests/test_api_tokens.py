"""Personal API tokens: made with enough randomness, shown once, stored only as a hash,
listed, revoked (only by their owner), audited; `flask tokens create` and /account/tokens."""

import hashlib
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, AuditEvent, Role
from app.services import api_tokens
from app.services.errors import NotFound, ValidationFailed
from tests.conftest import login, make_user
from tests.helpers import page
from tests.test_api_support import API, bearer, error_of

TOKEN = re.compile(r"\bss_[A-Za-z0-9_-]{43}\b")


@pytest.fixture
def organiser():
    return make_user(Role.ORGANISER)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- the service ---------------------------------------------------------------------------------


def test_a_token_is_random_and_only_its_hash_and_prefix_are_stored(organiser):
    plaintext, record = api_tokens.create(organiser, "  spreadsheet  ", actor=organiser)
    other, _ = api_tokens.create(organiser, "", actor=organiser)
    db.session.commit()
    assert TOKEN.fullmatch(plaintext) and plaintext != other
    assert record.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert record.prefix == plaintext[:11] and record.label == "spreadsheet"
    stored = [str(value) for row in db.session.execute(select(ApiToken.__table__))
              for value in row]
    assert not any(plaintext in value or plaintext[11:] in value for value in stored)


def test_authenticate_finds_the_user_and_nothing_else(organiser):
    plaintext, _ = api_tokens.create(organiser, "x", actor=organiser)
    db.session.commit()
    assert api_tokens.authenticate(plaintext).id == organiser.id
    for wrong in ("", plaintext[:-1], plaintext + "x", plaintext.upper(), "ss_", "x" * 300,
                  plaintext[3:]):
        assert api_tokens.authenticate(wrong) is None


def test_creating_and_revoking_are_audited_without_the_secret(organiser):
    plaintext, record = api_tokens.create(organiser, "laptop", actor=organiser)
    api_tokens.revoke(record.id, organiser)
    api_tokens.revoke(record.id, organiser)  # again: harmless, not audited twice
    db.session.commit()
    created, revoked = events("api_token.create"), events("api_token.revoke")
    assert len(created) == 1 and len(revoked) == 1
    assert created[0].actor_id == organiser.id and created[0].object_id == record.id
    assert created[0].after["prefix"] == record.prefix
    for event in created + revoked:
        assert plaintext not in str(event.after) and record.token_hash not in str(event.after)
    assert api_tokens.authenticate(plaintext) is None


def test_only_the_owner_revokes_a_token(organiser):
    _plaintext, record = api_tokens.create(organiser, "mine", actor=organiser)
    db.session.commit()
    for other in (make_user(Role.ORGANISER), make_user(Role.ADMIN)):
        with pytest.raises(NotFound):
            api_tokens.revoke(record.id, other)
    with pytest.raises(NotFound):
        api_tokens.revoke(record.id + 1000, organiser)
    assert db.session.get(ApiToken, record.id).revoked_at is None


def test_list_for_shows_own_tokens_live_ones_first(organiser):
    api_tokens.create(organiser, "first", actor=organiser)
    _, second = api_tokens.create(organiser, "second", actor=organiser)
    api_tokens.create(make_user(Role.ORGANISER), "someone else's", actor=None)
    api_tokens.revoke(second.id, organiser)
    db.session.commit()
    assert [t.label for t in api_tokens.list_for(organiser)] == ["first", "second"]


def test_labels_are_limited_and_so_is_the_number_of_live_tokens(organiser):
    with pytest.raises(ValidationFailed) as caught:
        api_tokens.create(organiser, "x" * 101, actor=organiser)
    assert set(caught.value.fields) == {"label"}
    for number in range(api_tokens.MAX_ACTIVE):
        api_tokens.create(organiser, f"t{number}", actor=organiser)
    with pytest.raises(ValidationFailed):
        api_tokens.create(organiser, "one too many", actor=organiser)


def test_a_deactivated_account_gets_no_new_token(organiser):
    organiser.is_active = False
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        api_tokens.create(organiser, "", actor=None)
    assert "user" in caught.value.fields


# --- flask tokens create -------------------------------------------------------------------------


def test_the_command_prints_a_working_token_once(app, client, organiser):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", organiser.email.upper(), "--label", "cron job"])
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip()
    assert TOKEN.fullmatch(plaintext)
    assert plaintext not in result.stderr and "shown only this once" in result.stderr
    record = db.session.scalars(select(ApiToken)).one()
    assert (record.user_id, record.label) == (organiser.id, "cron job")
    assert events("api_token.create")[0].actor_id is None  # the command line, not the user
    assert client.get(f"{API}/rates", headers=bearer(plaintext)).status_code == 200


@pytest.mark.parametrize("args", [["nobody@example.org"],
                                  ["{email}", "--label", "x" * 101]])
def test_the_command_refuses_clearly(app, organiser, args):
    args = [arg.format(email=organiser.email) for arg in args]
    result = app.test_cli_runner().invoke(args=["tokens", "create", *args])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and result.stdout == ""
    assert db.session.scalars(select(ApiToken)).all() == []


# --- /account/tokens -----------------------------------------------------------------------------


def test_the_page_creates_shows_once_lists_and_revokes(client, organiser):
    login(client, organiser)
    assert "You have no API tokens" in page(client.get("/account/tokens"))
    response = client.post("/account/tokens", data={"label": "accounts <b>sheet</b>"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    plaintext = TOKEN.search(page(response)).group(0)
    assert "<b>sheet" not in response.get_data(as_text=True)  # escaped
    # Shown once: the list afterwards has the prefix, never the secret.
    listing = page(client.get("/account/tokens"))
    record = db.session.scalars(select(ApiToken)).one()
    assert record.prefix in listing and plaintext not in listing and "Never" in listing
    # It works on the API, and the page then shows when it was last used.
    assert client.get(f"{API}/rates", headers=bearer(plaintext)).status_code == 200
    assert "Never" not in page(client.get("/account/tokens"))

    response = client.post(f"/account/tokens/{record.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"] == "/account/tokens"
    assert "Revoked" in page(client.get("/account/tokens"))
    error_of(client.get(f"{API}/rates", headers=bearer(plaintext)), 401, "invalid_token")


def test_another_persons_token_answers_404_and_keeps_working(client, organiser):
    plaintext, record = api_tokens.create(organiser, "mine", actor=organiser)
    db.session.commit()
    login(client, make_user(Role.COORDINATOR))
    assert client.post(f"/account/tokens/{record.id}/revoke").status_code == 404
    assert client.post("/account/tokens/999999/revoke").status_code == 404
    assert organiser.display_name not in page(client.get("/account/tokens"))
    assert db.session.get(ApiToken, record.id).revoked_at is None
    assert api_tokens.authenticate(plaintext) is not None


def test_a_too_long_label_is_a_form_error(client, organiser):
    login(client, organiser)
    response = client.post("/account/tokens", data={"label": "x" * 101})
    assert response.status_code == 422
    assert TOKEN.search(page(response)) is None
    assert db.session.scalars(select(ApiToken)).all() == []


def test_the_page_needs_a_login(client):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
