"""Languages on the organisers' and money pages: page text, form labels and options, validator
and flash messages, and the messages services raise come from the reader's catalogue (a small
test catalogue here, merged over the real ones); no template text is left outside gettext."""

import re
import threading
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Contribution, Incident, Role, Status
from app.services import money
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page, serve_catalogue, visible_text
from tests.test_lifecycle import add_helsinki

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted([*ROOT.glob("templates/organiser/*.html"),
                    *ROOT.glob("templates/money/*.html")])

# English msgid -> the test's Italian; a tuple for the plural forms.
ITALIAN = {
    "Report an incident": "Segnala un incidente",
    "What happened": "Che cosa è successo",
    "Choose one": "Scegline uno",
    "Threat": "Minaccia",
    "Choose what happened.": "Scegli che cosa è successo.",
    "Thank you. The report is saved.": "Grazie. La segnalazione è salvata.",
    "Enter the amount as digits, e.g. %(example)s.": "Scrivi l'importo in cifre, ad es. "
                                                     "%(example)s.",
    "Only a draft can be submitted.": "Solo una bozza può essere inviata.",
    "The amount cannot be negative.": "L'importo non può essere negativo.",
    "Record a contribution": "Registra un contributo",
    "How it came in": "Come è arrivato",
    "Door donations": "Offerte all'ingresso",
    "Money of my collectives": "I soldi dei miei collettivi",
    "By month": "Per mese",
    "From": "Dal",
    "All countries": "Tutti i paesi",
    "The end date is before the start date.": "La data di fine precede quella di inizio.",
    ("%(num)s contribution", "%(num)s contributions"): ("%(num)s contributo",
                                                        "%(num)s contributi"),
}


@pytest.fixture
def italian(app, tmp_path, monkeypatch):
    """Serve ITALIAN to readers who chose Italian, over whatever the real catalogue holds."""
    serve_catalogue(app, tmp_path, monkeypatch, "it", ITALIAN)


@pytest.fixture
def collective(catalogue):
    add_helsinki()
    return make_collective("kino-a")


@pytest.fixture
def member(collective):
    return make_user(Role.ORGANISER, collective)


@pytest.fixture
def screening(collective):
    return make_screening(collective, status=Status.PUBLISHED, title="Summer night")


@pytest.fixture
def reader(client, member, italian):
    """The member, logged in, having chosen Italian."""
    login(client, member)
    client.set_cookie("lang", "it")
    return client


def test_the_incident_form_labels_options_and_messages_are_translated(reader, screening):
    path = f"/organiser/incidents/new?screening={screening.id}"
    form = page(reader.get(path))
    assert "<h1>Segnala un incidente</h1>" in form
    assert ">Che cosa è successo</label>" in form
    assert '<option value="">Scegline uno</option>' in form
    assert '<option value="threat">Minaccia</option>' in form
    refused = reader.post(path, data={"kind": "", "description": "Someone shouted."})
    assert refused.status_code == 422
    assert "Scegli che cosa è successo." in page(refused)
    saved = reader.post(path, data={"kind": "threat", "description": "Someone shouted."},
                        follow_redirects=True)
    assert "Grazie. La segnalazione è salvata." in page(saved)
    assert db.session.query(Incident).count() == 1


def test_a_service_message_is_in_the_readers_language(reader, screening):
    path = f"/organiser/screenings/{screening.id}/contributions/new"
    form = page(reader.get(path))
    assert "<h1>Registra un contributo</h1>" in form and ">Come è arrivato</label>" in form
    assert '<option value="door">Offerte all\'ingresso</option>' in form
    response = reader.post(path, data={"amount": "-5", "currency": "EUR",
                                       "received_on": "2026-01-10", "channel": "door",
                                       "state": "collected"})
    assert response.status_code == 422
    assert "L'importo non può essere negativo." in page(response)
    letters = reader.post(path, data={"amount": "dodici", "currency": "EUR",
                                      "received_on": "2026-01-10", "channel": "door",
                                      "state": "collected"})
    assert "Scrivi l'importo in cifre, ad es. 1.234,50." in page(letters)
    assert db.session.query(Contribution).count() == 0


def test_a_refused_transition_is_flashed_in_the_readers_language(reader, screening):
    response = reader.post(f"/organiser/screenings/{screening.id}/submit",
                           follow_redirects=True)
    assert "Solo una bozza può essere inviata." in page(response)


def test_english_readers_keep_the_english_text(client, member, screening, italian):
    login(client, member)
    response = client.post(f"/organiser/screenings/{screening.id}/submit",
                           follow_redirects=True)
    assert "Only a draft can be submitted." in page(response)
    assert "Report an incident" in page(client.get(f"/organiser/screenings/{screening.id}"))


def test_services_without_a_request_answer_in_english(app, italian):
    """CLI commands, imports and tests call services outside any request, or any context."""
    with pytest.raises(money.MoneyError, match=r"^The amount cannot be negative\.$"):
        money.parse("-5", "EUR")
    caught: list[str] = []

    def outside_any_context():
        try:
            money.parse("12.345", "EUR")
        except money.MoneyError as exc:
            caught.append(str(exc))

    thread = threading.Thread(target=outside_any_context)
    thread.start()
    thread.join()
    assert caught == ["EUR amounts have 2 decimal places at most."]


def test_the_money_dashboard_is_translated(reader, screening):
    text = visible_text(reader.get("/organiser/money"))
    assert "I soldi dei miei collettivi" in text and "Per mese" in text
    assert "0 contributi" in text  # the pipeline's counts, in the plural form of 0
    body = page(reader.get("/organiser/money"))
    assert ">Dal</label>" in body and '<option value="">Tutti i paesi</option>' in body
    refused = reader.get("/organiser/money?from=2026-05-01&to=2026-04-01")
    assert refused.status_code == 400
    assert "La data di fine precede quella di inizio." in page(refused)


def _untranslated(source: str) -> list[str]:
    """Words a reader would see that no gettext call or trans block wraps."""
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    attributes = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"{]*[^\W\d_][^"]*)"',
                            text)
    text = re.sub(r"<[^>]*>|&\w+;", " ", text)
    return re.findall(r"[^\W\d_]{2,}", text) + attributes


def test_the_untranslated_text_check_sees_bare_text():
    assert _untranslated('<p class="x">Hello {{ name }}</p>') == ["Hello"]
    assert _untranslated('<nav aria-label="On this page">') == ["On this page"]
    assert _untranslated('<p>{{ _("Hello") }} {% trans %}Hi <b>you</b>{% endtrans %}</p>') == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_template_text_is_left_untranslated(template):
    assert _untranslated(template.read_text()) == []
