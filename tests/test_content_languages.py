"""Content in several languages: a screening's description and a film's synopsis per language,
the one shown to a reader (and the fallback), the spoken and subtitle languages by name, the
organiser form's rows, and the migration that adds the tables.

The page and form route tests need the hooks in app/models/__init__.py, app/templating.py,
app/organiser (forms/screening.py, screenings.py) and the templates that include the partials.
"""

from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
import sqlalchemy as sa
from flask_babel import refresh
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Beneficiary, Film, Role, Screening, Status
from app.models.content import FilmText, ScreeningText
from app.organiser.text_forms import ScreeningLanguagesMixin, fill_texts
from app.services import content_languages as cl
from app.services import screenings
from app.services.errors import ValidationFailed
from tests.conftest import login, make_collective, make_screening, make_user, screening_input
from tests.helpers import page, visible_text

UK_TEXT = "Показ і розмова з волонтерами."  # noqa: RUF001 (Ukrainian)
IT_TEXT = "Proiezione e incontro con i volontari."
OWN_TEXT = "Screening and a talk with the volunteers."


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def collective(catalogue):
    return make_collective("kino-kollektiv")


@pytest.fixture
def organiser(collective):
    return make_user(Role.ORGANISER, collective=collective)


@pytest.fixture
def screening(collective, organiser):
    """A published screening shown in Ukrainian with English subtitles, with the hosts' own
    description and the same in Ukrainian and Italian."""
    item = make_screening(collective, actor=organiser, status=Status.PUBLISHED,
                          description=OWN_TEXT, language="uk", subtitles="en")
    cl.set_screening_texts(item, [("uk", UK_TEXT), ("it", IT_TEXT)])
    db.session.commit()
    return item


# --- codes and names -------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "code"), [
    ("uk", "uk"), ("UK", "uk"), (" it ", "it"), ("pt-BR", "pt-BR"), ("pt_br", "pt-BR"),
    ("zh-Hans", "zh-Hans"), ("xx", None), ("en-XX", None), ("und", None), ("root", None),
    ("Ukrainian", None), ("", None), (None, None), ("<script>", None), ("a" * 13, None),
])
def test_language_code_accepts_only_languages_cldr_knows(typed, code):
    assert cl.language_code(typed) == code


@pytest.mark.parametrize(("typed", "reader", "code"), [
    ("Ukrainian", "en", "uk"), ("ucraino", "it", "uk"), ("українська", "en", "uk"),
    ("English", "uk", "en"), ("uk", "en", "uk"), ("Klingonese", "en", None),
])
def test_code_for_also_reads_language_names(typed, reader, code):
    assert cl.code_for(typed, reader) == code


def test_language_names_are_in_the_readers_language():
    assert cl.language_name("uk", "en") == "Ukrainian"
    assert cl.language_name("uk", "uk") == "українська"
    assert cl.language_name("uk", "it") == "ucraino"
    assert cl.language_name("pt-BR", "en") == "Portuguese (Brazil)"
    assert cl.language_name("typed before codes", "en") == "typed before codes"


# --- choosing the text ----------------------------------------------------------------------


@pytest.mark.parametrize(("own", "texts", "reader", "spoken", "expected"), [
    # The reader's language wins, over the hosts' own text too.
    (OWN_TEXT, {"uk": UK_TEXT, "it": IT_TEXT}, "uk", ["uk"], ("uk", UK_TEXT)),
    (OWN_TEXT, {"uk": UK_TEXT, "it": IT_TEXT}, "it", ["uk"], ("it", IT_TEXT)),
    # The same language in another variant.
    ("", {"pt-BR": "Exibição", "en": "Screening"}, "pt", [], ("pt-BR", "Exibição")),
    # Else the hosts' own text.
    (OWN_TEXT, {"uk": UK_TEXT, "it": IT_TEXT}, "fr", ["uk"], (None, OWN_TEXT)),
    # Else the spoken language, then English, then the first by language.
    ("", {"uk": UK_TEXT, "en": "Screening", "it": IT_TEXT}, "fr", ["uk"], ("uk", UK_TEXT)),
    ("", {"uk": UK_TEXT, "en": "Screening", "it": IT_TEXT}, "fr", [None], ("en", "Screening")),
    ("", {"pl": "Pokaz", "de": "Vorführung"}, "fr", ["uk"], ("de", "Vorführung")),
    # Empty texts count as none.
    ("", {"uk": ""}, "uk", ["uk"], None),
    ("", {}, "en", [], None),
])
def test_the_reader_gets_their_language_else_a_fallback(own, texts, reader, spoken, expected):
    choice = cl.choose(own, texts, reader, spoken)
    assert (choice.chosen[:2] if choice.chosen else None) == expected
    # Every other text is offered once, the chosen one not again.
    shown = [choice.chosen] if choice.chosen else []
    assert sorted(t.text for t in shown + choice.others) == sorted(
        t for t in [own, *texts.values()] if t)


def test_a_screenings_description_follows_the_reader(screening):
    assert cl.screening_description(screening, "uk").chosen.text == UK_TEXT
    assert cl.screening_description(screening, "it").chosen.text == IT_TEXT
    fallback = cl.screening_description(screening, "de")
    assert fallback.chosen.text == OWN_TEXT
    assert [(t.language, t.name) for t in fallback.others] == [("it", "Italienisch"),
                                                               ("uk", "Ukrainisch")]


def test_the_showing_line_names_the_languages_in_the_readers_language(app, screening):
    with app.test_request_context(headers={"Accept-Language": "uk"}):
        refresh()  # the suite's app context outlives the request: forget its locale
        line = cl.showing_line(screening)  # the names in the request's language
    assert "українська" in line and "англійська" in line
    assert cl.showing_line(screening, "en") == "Shown in Ukrainian with English subtitles"
    screening.subtitles = None
    assert cl.showing_line(screening, "en") == "Shown in Ukrainian"
    screening.language, screening.subtitles = None, "fi"
    assert cl.showing_line(screening, "en") == "With Finnish subtitles"
    screening.subtitles = None
    assert cl.showing_line(screening, "en") == ""


# --- replacing the texts --------------------------------------------------------------------


def test_texts_are_stored_replaced_and_removed(screening):
    stored = {t.language: t.description for t in db.session.scalars(select(ScreeningText))}
    assert stored == {"uk": UK_TEXT, "it": IT_TEXT}
    version = screening.version_id

    changed = cl.set_screening_texts(screening, [("uk", " Новий текст "), ("it", ""),
                                                 ("", ""), ("pt_br", "Exibição")])
    db.session.commit()
    assert changed
    stored = {t.language: t.description for t in db.session.scalars(select(ScreeningText))}
    assert stored == {"uk": "Новий текст", "pt-BR": "Exibição"}
    # The texts have no version of their own: a change raises the screening's.
    assert screening.version_id > version

    version = screening.version_id
    assert not cl.set_screening_texts(screening, [("pt-BR", "Exibição"),
                                                  ("uk", "Новий текст")])
    db.session.commit()
    assert screening.version_id == version


def test_deleting_a_screening_deletes_its_texts(screening):
    db.session.delete(screening)
    db.session.commit()
    assert _count(ScreeningText) == 0


@pytest.mark.parametrize(("rows", "fields"), [
    ([("xx", "Text")], {"texts-0-language"}),
    ([("<b>", "Text")], {"texts-0-language"}),
    ([("", "Text without a language")], {"texts-0-language"}),
    ([("uk", "Один"), ("UK", "Два")], {"texts-1-language"}),
    ([("pt-BR", "Um"), ("pt_br", "Dois")], {"texts-1-language"}),
    ([("it", "x" * (cl.MAX_TEXT_LENGTH + 1))], {"texts-0-text"}),
    ([(code, "Text") for code in cl.COMMON_LANGUAGES[:cl.MAX_TEXTS + 1]], {"texts"}),
    ([("uk", "Fine"), ("xx", "x" * (cl.MAX_TEXT_LENGTH + 1))],
     {"texts-1-language", "texts-1-text"}),
])
def test_bad_texts_are_refused_with_field_errors_and_nothing_written(screening, rows, fields):
    version = screening.version_id
    with pytest.raises(ValidationFailed) as excinfo:
        cl.set_screening_texts(screening, rows)
    assert set(excinfo.value.fields) == fields
    assert all(excinfo.value.fields.values())
    db.session.rollback()
    stored = {t.language: t.description for t in db.session.scalars(select(ScreeningText))}
    assert stored == {"uk": UK_TEXT, "it": IT_TEXT}
    assert db.session.get(Screening, screening.id).version_id == version


def test_a_films_synopses_follow_the_same_rules(catalogue):
    film, _ = catalogue
    film.synopsis, film.languages = "Ordinary people organise.", ["uk"]
    cl.set_film_texts(film, [("uk", "Звичайні люди організовуються."), ("it", "Gente comune.")])
    db.session.commit()
    assert cl.film_synopsis(film, "it").chosen == ("it", "Gente comune.", "italiano", "ltr")
    assert cl.film_synopsis(film, "fr").chosen.text == "Ordinary people organise."
    with pytest.raises(ValidationFailed) as excinfo:
        cl.set_film_texts(film, [("it", "Uno"), ("it", "Due")])
    assert set(excinfo.value.fields) == {"texts-1-language"}
    db.session.rollback()
    assert _count(FilmText) == 2
    db.session.delete(film)
    db.session.commit()
    assert _count(FilmText) == 0


# --- the form parts (app/organiser/text_forms.py) -------------------------------------------


class LanguagesForm(ScreeningLanguagesMixin, FlaskForm):
    """The mixin on its own, as the screening form includes it."""


def _form(app, data: dict, language: str = "en") -> LanguagesForm:
    with app.test_request_context(method="POST", data=data,
                                  headers={"Accept-Language": language}):
        refresh()
        form = LanguagesForm(meta={"csrf": False})
        form.validate()
        form.validate()  # validating twice must not stack the messages
        return form


def test_the_form_reads_codes_and_names_and_rows(app):
    form = _form(app, {"language": "Ukrainian", "subtitles": "en",
                       "texts-0-language": "uk", "texts-0-text": UK_TEXT,
                       "texts-1-language": "it", "texts-1-text": IT_TEXT,
                       "texts-2-language": "", "texts-2-text": ""})
    assert form.errors == {}
    assert (form.language.data, form.subtitles.data) == ("uk", "en")
    assert form.texts.rows() == [("uk", UK_TEXT), ("it", IT_TEXT), ("", "")]


@pytest.mark.parametrize(("data", "errors"), [
    ({"language": "Klingonese"}, {"language"}),
    ({"subtitles": "<script>"}, {"subtitles"}),
    ({"texts-0-language": "uk", "texts-0-text": "a", "texts-1-language": "uk",
      "texts-1-text": "b"}, {"texts"}),
    ({"texts-0-language": "", "texts-0-text": "a"}, {"texts"}),
    ({"texts-0-language": "zz", "texts-0-text": "a"}, {"texts"}),
    ({"texts-0-language": "it", "texts-0-text": "a" * (cl.MAX_TEXT_LENGTH + 1)}, {"texts"}),
])
def test_the_form_refuses_bad_languages_and_rows(app, data, errors):
    form = _form(app, data)
    assert set(form.errors) == errors
    # Row errors are plain messages on the list (the error summary) and on the row's field.
    if "texts" in errors:
        assert form.errors["texts"] and all(isinstance(m, str) for m in form.errors["texts"])
        assert len(form.errors["texts"]) == 1
        row_errors = [e for entry in form.texts.entries for e in entry.form.errors.values()]
        assert len(row_errors) == 1


def test_the_form_shows_language_names_in_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "uk"}):
        refresh()
        form = LanguagesForm(meta={"csrf": False})
        html = str(form.language()) + str(form.texts[0].form.language())
    assert '<option value="uk">українська</option>' in html
    assert '<option value="it">італійська</option>' in html


def test_stored_texts_fill_the_rows_with_room_for_more(app, screening):
    with app.test_request_context():
        form = LanguagesForm(meta={"csrf": False}, formdata=None)
        fill_texts(form, screening.texts)
        assert form.texts.rows() == [("it", IT_TEXT), ("uk", UK_TEXT), ("", ""), ("", "")]


# --- pages (need the hooks in templates and app/templating.py) ------------------------------


def test_the_public_page_in_ukrainian_shows_the_ukrainian_description(client, screening):
    response = client.get(f"/screenings/{screening.id}", headers={"Accept-Language": "uk"})
    assert response.status_code == 200
    body = page(response)
    assert f'<div class="description" lang="uk" dir="ltr">{UK_TEXT}</div>' in body
    text = visible_text(response)
    assert "українська" in text and "англійська" in text
    # The others, folded below it, each in its own language.
    assert f'lang="it" dir="ltr">{IT_TEXT}</div>' in body
    assert OWN_TEXT in text


def test_the_public_page_falls_back_to_the_hosts_text(client, screening):
    response = client.get(f"/screenings/{screening.id}", headers={"Accept-Language": "de"})
    body = page(response)
    assert f'<div class="description" dir="auto">{OWN_TEXT}</div>' in body
    assert "Ukrainisch" in body


def test_texts_are_escaped_on_the_page(client, screening):
    cl.set_screening_texts(screening, [("uk", '<script>alert("uk")</script>')])
    db.session.commit()
    response = client.get(f"/screenings/{screening.id}", headers={"Accept-Language": "uk"})
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#34;uk&#34;)&lt;/script&gt;" in body


def test_the_film_page_shows_the_synopsis_in_the_readers_language(client, catalogue):
    film, _ = catalogue
    film.synopsis = "Ordinary people organise."
    cl.set_film_texts(film, [("it", "Gente comune si organizza.")])
    db.session.commit()
    italian = page(client.get(f"/films/{film.slug}", headers={"Accept-Language": "it"}))
    assert '<div class="description" lang="it" dir="ltr">Gente comune si organizza.</div>' \
        in italian
    english = page(client.get(f"/films/{film.slug}", headers={"Accept-Language": "en"}))
    assert '<div class="description" dir="auto">Ordinary people organise.</div>' in english


def _screening_form(collective, **changes) -> dict:
    starts = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%dT19:00")
    data = {
        "film": "part-one", "collective": collective.slug, "title": "Solidarity night",
        "city": "Helsinki", "country": "FI", "venue_name": "Lepakkomies",
        "venue_address": "", "visibility": "city_only", "starts_at": starts,
        "language": "uk", "subtitles": "fi", "description": OWN_TEXT,
        "beneficiary": "solidarity-collectives", "purpose": "Medical supplies",
        "goal_amount": "", "goal_currency": "EUR",
        "texts-0-language": "uk", "texts-0-text": UK_TEXT,
        "texts-1-language": "it", "texts-1-text": IT_TEXT,
    }
    data.update(changes)
    return data


def test_the_organiser_saves_descriptions_in_two_languages(client, collective, organiser):
    login(client, organiser)
    response = client.post("/organiser/screenings/new", data=_screening_form(collective))
    assert response.status_code == 302, response.get_data(as_text=True)
    item = db.session.scalars(select(Screening)).one()
    assert (item.language, item.subtitles, item.description) == ("uk", "fi", OWN_TEXT)
    assert {t.language: t.description for t in item.texts} == {"uk": UK_TEXT, "it": IT_TEXT}

    # The edit form shows them, with empty rows for more; sending it back without the Italian
    # row removes that text.
    edit = f"/organiser/screenings/{item.id}/edit"
    body = page(client.get(edit))
    assert UK_TEXT in body and IT_TEXT in body
    assert 'name="texts-3-language"' in body
    data = _screening_form(collective, version=str(item.version_id))
    data.update({"texts-0-language": "it", "texts-0-text": IT_TEXT, "texts-1-language": "uk",
                 "texts-1-text": ""})
    response = client.post(edit, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert {t.language: t.description for t in item.texts} == {"it": IT_TEXT}


def test_the_organiser_form_refuses_a_language_named_twice(client, collective, organiser):
    login(client, organiser)
    response = client.post("/organiser/screenings/new", data=_screening_form(
        collective, **{"texts-1-language": "uk"}))
    assert response.status_code == 422
    assert "There is already a text in Ukrainian." in visible_text(response)
    assert _count(Screening) == 0
    assert _count(ScreeningText) == 0


def test_a_payload_as_a_language_is_refused_and_old_values_come_back_escaped(
        client, collective, organiser, screening):
    login(client, organiser)
    payload = '<script>alert("x")</script>'
    response = client.post("/organiser/screenings/new", data=_screening_form(
        collective, language=payload, subtitles=payload))
    assert response.status_code == 422
    assert "Choose a language from the list." in visible_text(response)
    assert _count(Screening) == 1
    # A value typed before codes were required is shown as it was, escaped.
    screening.language = payload
    db.session.commit()
    body = client.get(f"/screenings/{screening.id}").get_data(as_text=True)
    assert payload not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body


# --- the API and the screening service (need the diffs to app/api and registry.py) ----------


def test_the_api_shows_the_descriptions_by_language(client, screening):
    item = client.get(f"/api/v1/screenings/{screening.id}").get_json()
    assert item["descriptions"] == {"it": IT_TEXT, "uk": UK_TEXT}
    assert (item["language"], item["subtitles"], item["description"]) == ("uk", "en", OWN_TEXT)
    listing = client.get("/api/v1/screenings").get_json()
    assert listing["items"][0]["descriptions"] == {"it": IT_TEXT, "uk": UK_TEXT}


def test_the_screening_service_takes_language_codes_or_names(collective, organiser):
    with pytest.raises(ValidationFailed) as excinfo:
        screenings.create(screening_input(collective, language="Klingonese", subtitles="xx"),
                          organiser)
    assert set(excinfo.value.fields) == {"language", "subtitles"}
    item = screenings.create(screening_input(collective, language="Ukrainian",
                                             subtitles="EN"), organiser)
    assert (item.language, item.subtitles) == ("uk", "en")


# --- the migration ---------------------------------------------------------------------------


def test_the_migration_upgrades_and_downgrades_with_rows_present(tmp_path):
    application = create_app("testing",
                             SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}")
    try:
        with application.app_context():
            flask_migrate.upgrade(revision="0007_content_languages")
            db.session.add_all([
                Film(title="Part One", slug="part-one", synopsis="Kept."),
                Beneficiary(name="Solidarity Collectives", slug="solidarity-collectives"),
            ])
            db.session.commit()
            collective = make_collective("kino-kollektiv")
            item = make_screening(collective, description=OWN_TEXT, language="uk")
            cl.set_screening_texts(item, [("uk", UK_TEXT)])
            cl.set_film_texts(db.session.scalars(select(Film)).one(), [("it", "Tenuto.")])
            db.session.commit()
            db.session.remove()

            flask_migrate.downgrade(revision="0006_ledger_months")
            tables = set(sa.inspect(db.engine).get_table_names())
            assert not tables & {"screening_texts", "film_texts"}
            with db.engine.connect() as conn:
                # The hosts' own text and the film's synopsis stay as they were.
                assert conn.execute(sa.text("SELECT description, language FROM screenings")
                                    ).one() == (OWN_TEXT, "uk")
                assert conn.execute(sa.text("SELECT synopsis FROM films")).scalar() == "Kept."

            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM screening_texts")
                                    ).scalar() == 0
            db.session.remove()
    finally:
        with application.app_context():
            db.engine.dispose()
