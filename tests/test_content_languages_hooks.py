"""Content in several languages, wired in: the API's languages and descriptions (read and
write), the public screening page (its facts list, eager loading, its cache), the organiser's
edit form refusing bad rows without a partial write, and the demo data's texts."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Film, Role, Screening, Status
from app.models.content import FilmText, ScreeningText
from app.services import content_languages as cl
from app.services import demo, revisions
from app.services.demo import data as demo_data
from tests.conftest import login, make_screening, make_user
from tests.helpers import page
from tests.test_api_screenings import LIST, body, item_url, patch, post
from tests.test_api_support import error_of, world  # noqa: F401  (fixture)
from tests.test_query_counts import counted_queries

UK = "Показ і розмова з волонтерами."  # noqa: RUF001 (Ukrainian)
IT = "Proiezione e incontro con i volontari."


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def texts_of(screening) -> dict[str, str]:
    return {row.language: row.description for row in db.session.scalars(
        select(ScreeningText).where(ScreeningText.screening_id == screening.id))}


# --- the API ---------------------------------------------------------------------------------


def test_the_api_registers_languages_by_name_and_descriptions_by_code(client, world):  # noqa: F811
    response = post(client, world.organiser_a, body(
        language="Ukrainian", subtitles="FI", description="Bring tea",
        descriptions={"uk": UK, "it": IT, "fr": ""}))
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert (item["language"], item["subtitles"]) == ("uk", "fi")
    assert item["description"] == "Bring tea"
    assert item["descriptions"] == {"it": IT, "uk": UK}
    stored = db.session.get(Screening, item["id"])
    assert (stored.language, stored.subtitles) == ("uk", "fi")
    assert texts_of(stored) == {"it": IT, "uk": UK}


@pytest.mark.parametrize(("changes", "field"), [
    ({"language": "Klingonese"}, "language"),
    ({"subtitles": "<script>"}, "subtitles"),
    ({"descriptions": {"xx": "Text"}}, "descriptions.xx"),
    # The second of the two is at fault, in whichever order the client wrote the keys.
    ({"descriptions": {"uk": "Один", "UK": "Два"}}, ("descriptions.uk", "descriptions.UK")),
    ({"descriptions": {"it": "x" * (cl.MAX_TEXT_LENGTH + 1)}}, "descriptions.it"),
    ({"descriptions": {code: "Text" for code in cl.COMMON_LANGUAGES[:cl.MAX_TEXTS + 1]}},
     "descriptions"),
    ({"descriptions": ["uk", UK]}, "descriptions"),
    ({"descriptions": {"uk": 7}}, "descriptions.uk"),
])
def test_the_api_refuses_bad_languages_and_descriptions_writing_nothing(
        client, world, changes, field):  # noqa: F811
    screenings_before = count(Screening)
    error = error_of(post(client, world.organiser_a, body(**changes)), 422,
                     "validation_failed")
    alternatives = field if isinstance(field, tuple) else (field,)
    assert set(error["fields"]) & set(alternatives), error
    assert count(Screening) == screenings_before and count(ScreeningText) == 0


def test_patch_replaces_the_descriptions_and_refuses_bad_ones_whole(client, world):  # noqa: F811
    screening = world.screening_a
    response = patch(client, world.organiser_a, screening,
                     {"language": "it", "descriptions": {"uk": UK, "it": IT}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["descriptions"] == {"it": IT, "uk": UK}

    # A bad description refuses the whole change: the title stays as it was too.
    error = error_of(patch(client, world.organiser_a, screening,
                           {"title": "Changed", "descriptions": {"uk": UK, "zz": "?"}}), 422)
    assert set(error["fields"]) == {"descriptions.zz"}
    db.session.expire_all()
    assert screening.title is None and texts_of(screening) == {"it": IT, "uk": UK}
    error = error_of(patch(client, world.organiser_a, screening, {"descriptions": None}), 422)
    assert "descriptions" in error["fields"]

    # Left out, they stay; sent, they replace the set ({} removes them all).
    patch(client, world.organiser_a, screening, {"title": "Changed"})
    assert texts_of(screening) == {"it": IT, "uk": UK}
    response = patch(client, world.organiser_a, screening, {"descriptions": {"it": IT}})
    assert response.get_json()["descriptions"] == {"it": IT}
    response = patch(client, world.organiser_a, screening, {"descriptions": {}})
    assert response.get_json()["descriptions"] == {} and texts_of(screening) == {}


def test_a_language_typed_before_codes_survives_an_edit_of_another_field(client, world):  # noqa: F811
    screening = world.screening_a
    screening.language = "Ukrainian and Russian"
    db.session.commit()
    response = patch(client, world.organiser_a, screening, {"title": "Changed"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["language"] == "Ukrainian and Russian"
    # Changing it needs a language the app knows.
    error = error_of(patch(client, world.organiser_a, screening,
                           {"language": "Ukrainian or so"}), 422)
    assert set(error["fields"]) == {"language"}


def test_the_list_reads_every_description_in_one_query(client, world):  # noqa: F811
    def cost() -> int:
        with counted_queries() as statements:
            response = client.get(LIST)
        assert response.status_code == 200
        return len(statements)

    cl.set_screening_texts(world.screening_a, [("uk", UK)])
    db.session.commit()
    one = cost()
    cl.set_screening_texts(world.screening_a, [("uk", UK), ("it", IT), ("de", "Vorführung")])
    cl.set_screening_texts(world.screening_b, [("it", IT), ("pl", "Pokaz")])
    db.session.commit()
    assert cost() == one
    items = {item["id"]: item for item in client.get(LIST).get_json()["items"]}
    assert items[world.screening_b.id]["descriptions"] == {"it": IT, "pl": "Pokaz"}
    assert client.get(item_url(world.screening_a)).get_json()["descriptions"] == {
        "de": "Vorführung", "it": IT, "uk": UK}


# --- the public screening page ---------------------------------------------------------------


@pytest.fixture
def published(world):  # noqa: F811
    screening = world.screening_a
    screening.language, screening.subtitles = "uk", "en"
    screening.description = "Screening and a talk."
    cl.set_screening_texts(screening, [("uk", UK)])
    db.session.commit()
    return screening


def test_the_facts_list_has_one_description_per_term(client, published):
    for status in (Status.PUBLISHED, Status.POSTPONED):
        published.status = status
        db.session.commit()
        body = client.get(f"/screenings/{published.id}", follow_redirects=True).get_data(
            as_text=True)
        facts = re.search(r'<dl class="facts">(.*?)</dl>', body, re.S).group(1)
        tags = re.findall(r"<(dt|dd)\b", facts)
        assert tags == ["dt", "dd"] * (len(tags) // 2), (status, tags)
        when = re.search(r"<dt>When</dt>\s*<dd>(.*?)</dd>", facts, re.S).group(1)
        assert "Add to calendar" in when
        assert "<dt>Language</dt><dd>Shown in Ukrainian with English subtitles</dd>" in facts


def test_the_screening_page_runs_no_query_per_text(client, published):
    def cost() -> int:
        with counted_queries() as statements:
            response = client.get(f"/screenings/{published.id}", follow_redirects=True)
        assert response.status_code == 200
        return len(statements)

    one = cost()
    cl.set_screening_texts(published, [("uk", UK), ("it", IT), ("de", "Vorführung"),
                                       ("fr", "Projection")])
    db.session.commit()
    assert cost() == one


def test_a_text_change_moves_the_public_revision_and_the_cached_page(client, published):
    url = f"/screenings/{published.id}"
    ukrainian = {"Accept-Language": "uk"}
    assert UK in page(client.get(url, headers=ukrainian, follow_redirects=True))
    revision = revisions.current(revisions.PUBLIC)
    cl.set_screening_texts(published, [("uk", "Новий опис.")])
    db.session.commit()
    assert revisions.current(revisions.PUBLIC) > revision
    shown = page(client.get(url, headers=ukrainian, follow_redirects=True))
    assert "Новий опис." in shown and UK not in shown


# --- the organiser's edit form ---------------------------------------------------------------


def test_an_edit_with_a_bad_row_writes_nothing(client, world):  # noqa: F811
    from tests.security_routes import screening_form

    screening = world.screening_a
    cl.set_screening_texts(screening, [("it", IT)])
    db.session.commit()
    login(client, world.organiser_a)
    data = screening_form(world, screening, title="Changed title", **{
        "texts-0-language": "it", "texts-0-text": IT,
        "texts-1-language": "it", "texts-1-text": "Di nuovo"})
    response = client.post(f"/organiser/screenings/{screening.id}/edit", data=data)
    assert response.status_code == 422
    assert "There is already a text in Italian." in page(response)
    db.session.expire_all()
    assert screening.title is None and texts_of(screening) == {"it": IT}


# --- the demo data ---------------------------------------------------------------------------


def test_the_demo_has_synopses_and_descriptions_in_ukrainian_and_italian(app):
    demo.seed()
    db.session.commit()
    films = db.session.scalars(select(Film)).all()
    for film in films:
        assert {row.language for row in film.texts} == {"uk", "it"}, film.slug
    described = db.session.scalars(select(Screening).where(
        Screening.title.in_(demo_data.SCREENING_DESCRIPTIONS))).all()
    assert len(described) == len(demo_data.SCREENING_DESCRIPTIONS) >= 2
    for screening in described:
        assert {row.language for row in screening.texts} == {"uk", "it"}
    counts = (count(FilmText), count(ScreeningText))
    demo.seed()  # a rerun adds nothing
    db.session.commit()
    assert (count(FilmText), count(ScreeningText)) == counts

    # A Ukrainian visitor reads the Ukrainian texts; an Italian one the Italian.
    kyiv = next(s for s in described if s.title == "Organised: Kyiv premiere")
    client = app.test_client()
    wanted = demo_data.SCREENING_DESCRIPTIONS[kyiv.title]
    for language in ("uk", "it"):
        shown = page(client.get(f"/screenings/{kyiv.id}", follow_redirects=True,
                                headers={"Accept-Language": language}))
        assert f'lang="{language}" dir="ltr">{wanted[language]}</div>' in shown
        film = films[0]
        shown = page(client.get(f"/films/{film.slug}", headers={"Accept-Language": language}))
        synopsis = demo_data.FILM_SYNOPSES[film.slug][language]
        assert f'<div class="description" lang="{language}" dir="ltr">{synopsis}</div>' in shown


def test_the_described_demo_screenings_are_upcoming_and_public():
    # A visitor finds them on the list of upcoming screenings.
    for title in demo_data.SCREENING_DESCRIPTIONS:
        spec = next(s for s in demo_data.SCREENINGS if s.title == title)
        assert spec.days > 0 and spec.status == "published"


def test_a_coordinator_is_not_needed_for_screening_texts(client, world):  # noqa: F811
    # Organisers write their own screening's texts; only film synopses are coordinators'.
    member = make_user(Role.ORGANISER, world.a)
    login(client, member)
    item = make_screening(world.a, member, Status.DRAFT)
    response = client.get(f"/organiser/screenings/{item.id}/edit")
    assert response.status_code == 200 and 'name="texts-0-language"' in page(response)
