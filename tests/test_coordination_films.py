"""Films in the coordination area: the list and each film's synopses in several languages, for
coordinators and admins only, refusing bad rows with field errors and writing nothing then,
audited as "film.texts", and shown on the public film page (through its cache) at once."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Film, Role
from app.models.content import FilmText
from app.services import content_languages as cl
from app.services import film_texts
from app.services.errors import ValidationFailed
from tests.conftest import login, make_collective, make_user
from tests.helpers import page, visible_text

LIST = "/coordination/films"
EDIT = "/coordination/films/part-one/texts"
OWN = "Ordinary people organise."
IT = "Gente comune si organizza."
UK = "Звичайні люди організовуються."


def form(**changes) -> dict:
    data = {"synopsis": OWN, "texts-0-language": "it", "texts-0-text": IT,
            "texts-1-language": "uk", "texts-1-text": UK}
    data.update(changes)
    return data


def stored() -> dict[str, str]:
    return {row.language: row.synopsis for row in db.session.scalars(select(FilmText))}


def audits() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "film.texts")))


@pytest.fixture
def people(catalogue):
    collective = make_collective("collective-a")
    return {
        "organiser": make_user(Role.ORGANISER, collective),
        "collective_admin": make_user(Role.ORGANISER, collective, admin_of_collective=True),
        "coordinator": make_user(Role.COORDINATOR),
        "admin": make_user(Role.ADMIN),
    }


def client_as(app, user=None):
    client = app.test_client()
    if user is not None:
        login(client, user)
    return client


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "read", "write"), [
    (None, "login", "login"),
    ("organiser", 403, 403),
    ("collective_admin", 403, 403),
    ("coordinator", 200, 302),
    ("admin", 200, 302),
])
def test_only_coordinators_and_admins_manage_films(app, people, role, read, write):
    client = client_as(app, people[role] if role else None)
    for url in (LIST, EDIT):
        response = client.get(url)
        if read == "login":
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login?next=")
        else:
            assert response.status_code == read, url
    response = client.post(EDIT, data=form())
    if write == "login":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == write
    allowed = write == 302
    assert stored() == ({"it": IT, "uk": UK} if allowed else {})
    assert len(audits()) == (1 if allowed else 0)


def test_the_coordination_page_links_to_the_films(app, people):
    client = client_as(app, people["coordinator"])
    assert f'href="{LIST}"' in client.get("/coordination/").get_data(as_text=True)
    body = page(client.get(LIST))
    assert "Part One: Resistance" in body and f'href="{EDIT}"' in body


def test_an_unknown_film_answers_404(app, people):
    client = client_as(app, people["coordinator"])
    assert client.get("/coordination/films/no-such-film/texts").status_code == 404
    assert client.post("/coordination/films/no-such-film/texts", data=form()).status_code == 404


# --- editing ---------------------------------------------------------------------------------


def test_a_coordinator_writes_replaces_and_removes_synopses(app, people):
    client = client_as(app, people["coordinator"])
    response = client.post(EDIT, data=form())
    assert response.status_code == 302 and response.headers["Location"] == LIST
    film = db.session.scalar(select(Film))
    assert film.synopsis == OWN and stored() == {"it": IT, "uk": UK}
    event = audits()[0]
    assert event.actor_id == people["coordinator"].id and event.object_id == film.id
    assert event.before == {"synopsis": ""}
    assert event.after == {"synopsis": OWN, "texts.it": IT, "texts.uk": UK}
    # The list names the languages; the form shows the texts with room for more.
    assert "Italian, Ukrainian" in visible_text(client.get(LIST))
    body = page(client.get(EDIT))
    assert IT in body and UK in body and 'name="texts-3-language"' in body

    # Emptying a text removes that language; the same form again changes nothing.
    response = client.post(EDIT, data=form(**{"texts-1-text": ""}))
    assert response.status_code == 302
    db.session.expire_all()
    assert stored() == {"it": IT}
    client.post(EDIT, data=form(**{"texts-1-text": ""}))
    assert len(audits()) == 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"texts-1-language": "it"}, "There is already a text in Italian."),
    ({"texts-1-language": ""}, "Choose the language of this text."),
    ({"texts-1-language": "Klingonese"}, "Choose a language from the list."),
    ({"texts-0-text": "x" * (cl.MAX_TEXT_LENGTH + 1)}, "Use at most 5000 characters."),
    ({"synopsis": "x" * (cl.MAX_TEXT_LENGTH + 1)}, "5000 characters"),
])
def test_bad_input_is_refused_on_the_form_and_nothing_is_written(app, people, changes,
                                                                 message):
    client = client_as(app, people["coordinator"])
    response = client.post(EDIT, data=form(**changes))
    assert response.status_code == 422
    assert message in visible_text(response)
    assert stored() == {} and audits() == []
    assert db.session.scalar(select(Film.synopsis)) == ""


def test_the_service_refuses_everything_at_once_and_writes_nothing(people):
    film = film_texts.get_film("part-one")
    coordinator = people["coordinator"]
    with pytest.raises(ValidationFailed) as excinfo:
        film_texts.update_texts(film, "x" * (cl.MAX_TEXT_LENGTH + 1), [("xx", "Text")],
                                coordinator)
    assert set(excinfo.value.fields) == {"synopsis", "texts-0-language"}
    db.session.rollback()
    assert stored() == {} and audits() == []
    assert not film_texts.update_texts(film, "", [], coordinator)  # nothing to change
    assert audits() == []


# --- what the public sees --------------------------------------------------------------------


def test_the_public_film_page_follows_at_once_through_its_cache(app, people):
    public = app.test_client()
    italian = {"Accept-Language": "it"}
    before = public.get("/films/part-one", headers=italian)
    assert IT not in page(before)
    assert page(public.get("/films/part-one", headers=italian)) == page(before)  # cached

    client_as(app, people["coordinator"]).post(EDIT, data=form())
    after = page(public.get("/films/part-one", headers=italian))
    assert f'<div class="description" lang="it" dir="ltr">{IT}</div>' in after
    english = page(public.get("/films/part-one"))
    assert f'<div class="description" dir="auto">{OWN}</div>' in english
    # The page's description for search engines and previews is in the reader's language.
    assert f'<meta name="description" content="{IT}">' in after


def test_the_film_page_with_texts_runs_no_query_per_text(app, client, people):
    from tests.test_query_counts import counted_queries

    film = db.session.scalar(select(Film))
    cl.set_film_texts(film, [("it", IT)])
    db.session.commit()

    def cost() -> int:
        with counted_queries() as statements:
            assert client.get("/films/part-one").status_code == 200
        return len(statements)

    one = cost()
    cl.set_film_texts(film, [("it", IT), ("uk", UK), ("de", "Gewöhnliche Leute."),
                             ("fr", "Des gens ordinaires.")])
    db.session.commit()
    assert cost() == one
    assert db.session.scalar(select(func.count()).select_from(FilmText)) == 4
