"""Stored and reflected script payloads come back escaped on every page that shows them.

Each payload goes through the forms a person uses into every free-text field: the screening
(title, description and a description in another language, venue name and address, fundraiser
purpose; the spoken language and subtitles are chosen from a list, so a payload there is
refused, and one stored before that, as free text, is shown escaped),
its lifecycle notes (postpone, new date, move with the new venue, cancel), a contribution
(note, transfer reference, and the reason for a correction), an incident description and a
display name (chosen when accepting an invitation). Then every page that shows them, public
and private, is read: the raw payload never appears, its escaped form does (HTML-escaped, or
JSON-escaped inside the audit log).

URL fields: no form offers one yet (collective and beneficiary websites exist only in the
models); test_no_form_offers_a_url_field_yet fails when one appears, to have its `javascript:`
test written. The one URL a person can send today, the `next` of /login, refuses it.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import escape
from sqlalchemy import select
from wtforms import URLField
from wtforms.fields.core import UnboundField

from app.extensions import db
from app.models import Contribution, Incident, Role, Screening
from app.services import invitations
from tests.conftest import PASSWORD, login, make_collective, make_user

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAK = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
PAYLOADS = [SCRIPT, ATTRIBUTE_BREAK, JS_URL]
# A javascript: URL is harmless as text; it must never become a link, a source or an action.
URL_ATTRIBUTE = re.compile(
    r"""(?:href|src|action|formaction|xlink:href)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
NEW_PASSWORD = "quiet river under the old bridge"


def escaped_forms(payload: str) -> list[str]:
    """How the payload may safely appear: HTML-escaped text, or JSON escaped for HTML."""
    return [str(escape(payload)), str(htmlsafe_json_dumps(payload))[1:-1]]


def assert_escaped(response, payload: str, where: str, status: int = 200) -> None:
    """The page shows the payload, escaped, and never as markup."""
    assert response.status_code == status, f"{where}: {response.status_code}"
    text = response.get_data(as_text=True)
    if payload != str(escape(payload)):
        assert payload not in text, f"{where}: the payload came back unescaped"
    assert not URL_ATTRIBUTE.search(text), f"{where}: a javascript: URL in an attribute"
    assert "<img src=x" not in text and "<script>alert" not in text, where
    assert any(form in text for form in escaped_forms(payload)), (
        f"{where}: the payload is not shown at all, so this check proves nothing")


def later(days: int) -> str:
    """A local date and time that many days ahead, as the form's field takes it."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT19:30")


@pytest.fixture
def people(app, catalogue):
    """Collective A with a member, an admin and an invitation; a coordinator and a site admin."""
    collective = make_collective("collective-a")
    return {
        "collective": collective,
        "organiser": make_user(Role.ORGANISER, collective),
        "collective_admin": make_user(Role.ORGANISER, collective, admin_of_collective=True),
        "coordinator": make_user(Role.COORDINATOR),
        "admin": make_user(Role.ADMIN),
    }


def client_for(app, user=None):
    """A fresh client, logged in as the user if one is given."""
    client = app.test_client()
    if user is not None:
        login(client, user)
    return client


@pytest.mark.parametrize("payload", PAYLOADS, ids=["script", "attribute-break", "javascript-url"])
def test_stored_payloads_come_back_escaped_everywhere(app, people, outbox, payload):
    organiser = client_for(app, people["organiser"])
    coordinator = client_for(app, people["coordinator"])
    p = payload

    # The screening, with the payload in every free-text field of the form.
    form = {
        "film": "part-one", "collective": "collective-a", "title": p, "city": "Helsinki",
        "country": "FI", "venue_name": p, "venue_address": p, "visibility": "public",
        "starts_at": later(30), "language": "uk", "subtitles": "en", "description": p,
        "texts-0-language": "it", "texts-0-text": p,
        "beneficiary": "solidarity-collectives", "purpose": p, "goal_amount": "",
        "goal_currency": "EUR",
    }
    # Languages come from a list: a payload is refused (and shown back escaped).
    response = organiser.post("/organiser/screenings/new",
                              data={**form, "language": p, "subtitles": p})
    assert_escaped(response, p, "the form refusing a payload as a language", status=422)
    assert db.session.scalar(select(Screening)) is None
    response = organiser.post("/organiser/screenings/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    screening = db.session.scalar(select(Screening))
    page = f"/organiser/screenings/{screening.id}"
    assert (screening.title, screening.description, screening.venue.address) == (p, p, p)
    assert [(t.language, t.description) for t in screening.texts] == [("it", p)]
    # Free text stored before languages were codes: shown as it was, escaped.
    screening.language = screening.subtitles = p
    db.session.commit()

    response = organiser.post(f"{page}/contributions/new", data={
        "amount": "12.00", "currency": "EUR",
        "received_on": (datetime.now(UTC) - timedelta(days=2)).date().isoformat(),
        "channel": "door", "state": "collected", "transfer_reference": p, "note": p,
    })
    assert response.status_code == 302
    contribution = db.session.scalar(select(Contribution))
    # A correction: its reason and the changed reference go into the audit log.
    response = organiser.post(f"{page}/contributions/{contribution.id}/edit", data={
        "amount": "21.00", "currency": "EUR", "received_on": contribution.received_on.isoformat(),
        "channel": "door", "state": "collected", "transfer_reference": p + " 2", "note": p,
        "reason": p, "version": str(contribution.version_id),
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(contribution)
    assert (contribution.note, contribution.transfer_reference) == (p, p + " 2")

    assert organiser.post(f"{page}/submit").status_code == 302
    for url in ("/organiser/", page, f"{page}/edit",
                f"{page}/contributions/{contribution.id}/edit"):
        assert_escaped(organiser.get(url), p, f"organiser {url}")
    # The edit form offers the stored free-text language, escaped, as the chosen option.
    assert f'<option selected value="{escape(p)}">{escape(p)}</option>' in organiser.get(
        f"{page}/edit").get_data(as_text=True)
    assert_escaped(coordinator.get("/coordination/"), p, "the approval queue")
    assert_escaped(coordinator.get("/coordination/audit"), p, "the audit log")

    assert coordinator.post(f"/coordination/screenings/{screening.id}/publish").status_code == 302
    public = app.test_client()
    assert_escaped(public.get("/"), p, "the public list")
    response = public.get(f"/screenings/{screening.id}", follow_redirects=True)
    assert_escaped(response, p, "the public screening page")
    # The description in Italian and the old free-text languages, each escaped.
    text = response.get_data(as_text=True)
    assert f'<div class="description" lang="it" dir="ltr">{escape(p)}</div>' in text
    assert f"Shown in {escape(p)} with {escape(p)} subtitles" in text

    # Lifecycle notes and the new venue.
    for action, data in (
        ("postpone", {"postpone-note": p}),
        ("reschedule", {"reschedule-starts_at": later(60), "reschedule-note": p}),
        ("relocate", {"relocate-venue_name": p + " (new)", "relocate-venue_address": p + " 2",
                      "relocate-visibility": "public", "relocate-note": p}),
    ):
        response = organiser.post(f"{page}/{action}", data=data)
        assert response.status_code == 302, (action, response.get_data(as_text=True))
    assert_escaped(public.get(f"/screenings/{screening.id}", follow_redirects=True), p,
                   "the public page of the moved screening")
    assert organiser.post(f"{page}/cancel", data={"cancel-reason": "threats",
                                                  "cancel-note": p}).status_code == 302
    db.session.refresh(screening)
    assert (screening.status.value, screening.cancel_note) == ("cancelled", p)
    response = organiser.get(page)
    assert_escaped(response, p, "the organiser page with history and cancel note")
    text = response.get_data(as_text=True)
    # Every note (postpone, new date, move, cancel) is on the page, each escaped.
    assert text.count(f'<span class="muted">Note:</span> {escape(p)}') == 3
    assert f'<p class="description">{escape(p)}</p>' in text
    assert_escaped(public.get(f"/screenings/{screening.id}", follow_redirects=True), p,
                   "the public page of the cancelled screening")


@pytest.mark.parametrize("payload", PAYLOADS, ids=["script", "attribute-break", "javascript-url"])
def test_a_display_name_and_an_incident_come_back_escaped(app, people, outbox, payload):
    p = payload
    collective = people["collective"]
    coordinator = people["coordinator"]
    screening_owner = client_for(app, people["organiser"])
    response = screening_owner.post("/organiser/screenings/new", data={
        "film": "part-one", "collective": "collective-a", "title": "", "city": "Helsinki",
        "country": "FI", "venue_name": "Kino", "visibility": "city_only",
        "starts_at": later(30), "beneficiary": "solidarity-collectives",
        "purpose": "Medical supplies",
    })
    assert response.status_code == 302
    screening = db.session.scalar(select(Screening))

    # The display name is chosen by the invited person.
    with current_app.test_request_context():
        _invitation, token = invitations.create(coordinator, collective, "newcomer@example.org")
    db.session.commit()
    newcomer = app.test_client()
    response = newcomer.post(f"/invitations/{token}", data={
        "name": p, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    }, follow_redirects=True)
    assert_escaped(response, p, "the welcome message after accepting the invitation")
    assert_escaped(newcomer.get("/account/"), p, "the account page")

    response = newcomer.post(f"/organiser/incidents/new?screening={screening.id}",
                             data={"kind": "threat", "description": p})
    assert response.status_code == 302
    assert db.session.scalar(select(Incident.description)) == p

    collective_admin = client_for(app, people["collective_admin"])
    assert_escaped(collective_admin.get("/organiser/incidents"), p, "the collective's incidents")
    members = f"/organiser/collectives/{collective.slug}/members"
    assert_escaped(collective_admin.get(members), p, "the members page")
    newcomer_membership = next(m for m in collective.memberships
                               if m.user.email == "newcomer@example.org")
    response = collective_admin.post(f"{members}/{newcomer_membership.id}/role",
                                     data={"role": "admin"}, follow_redirects=True)
    assert_escaped(response, p, "the message after a role change")

    coordination = client_for(app, coordinator)
    assert_escaped(coordination.get("/coordination/incidents"), p, "the incident log")
    assert_escaped(client_for(app, people["admin"]).get("/coordination/users"), p,
                   "the users page")


@pytest.mark.parametrize("payload", [SCRIPT, ATTRIBUTE_BREAK], ids=["script", "attribute-break"])
def test_refused_input_is_echoed_escaped(app, people, payload):
    p = payload
    anonymous = app.test_client()
    response = anonymous.post("/login", data={"email": p, "password": PASSWORD})
    assert_escaped(response, p, "the login form", 422)
    response = anonymous.post("/password/forgot", data={"email": p})
    assert_escaped(response, p, "the forgotten password form", 422)

    organiser = client_for(app, people["organiser"])
    response = organiser.post("/organiser/screenings/new", data={
        "film": "part-one", "collective": "collective-a", "city": p, "country": "FI",
        "venue_name": "Kino", "visibility": "city_only", "starts_at": later(30),
        "beneficiary": "solidarity-collectives", "purpose": "Medical supplies",
    })
    assert_escaped(response, p, "the screening form with an unknown city", 422)
    assert db.session.scalar(select(Screening)) is None

    collective_admin = client_for(app, people["collective_admin"])
    response = collective_admin.post("/organiser/collectives/collective-a/invitations",
                                     data={"email": p, "membership_role": "member"})
    assert_escaped(response, p, "the invitation form", 422)

    coordinator = client_for(app, people["coordinator"])
    response = coordinator.get("/coordination/audit", query_string={"action": p, "actor": p})
    assert_escaped(response, p, "the audit log filters", 422)

    response = anonymous.get("/" + p)
    assert response.status_code == 404
    assert p not in response.get_data(as_text=True)


def _form_classes():
    from flask_wtf import FlaskForm

    seen, queue = [], [FlaskForm]
    while queue:
        cls = queue.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                queue.append(sub)
    return [cls for cls in seen if cls.__module__.startswith("app.")]


def test_no_form_offers_a_url_field_yet(app):
    # Collective.website and Beneficiary.website exist, but no form edits them. When one
    # does, write its test: "javascript:alert(1)" (any case, with spaces or entities) must
    # be refused with a field error, and only http(s) URLs shown as links.
    forms = _form_classes()
    assert len(forms) > 15, "the app's forms were not found"
    url_fields = []
    for form in forms:
        for name in dir(form):
            attr = getattr(form, name, None)
            if isinstance(attr, UnboundField) and (
                    issubclass(attr.field_class, URLField)
                    or re.search(r"url|website|link|homepage|href", name)):
                url_fields.append(f"{form.__module__}.{form.__name__}.{name}")
    assert url_fields == [], "URL fields need a javascript: test: " + ", ".join(url_fields)


@pytest.mark.parametrize("target", [JS_URL, " javascript:alert(1)", "JaVaScRiPt:alert(1)",
                                    "java%0ascript:alert(1)", "data:text/html,<script>x</script>"])
def test_login_refuses_a_script_url_as_next(app, people, target):
    client = app.test_client()
    response = client.post("/login", query_string={"next": target},
                           data={"email": people["organiser"].email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"
