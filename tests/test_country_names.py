"""Country names in the reader's language (CLDR through Babel): on the list, the screening and
embed pages, in the filter options (sorted by the translated name), on the transparency page
and in the money dashboard's country breakdown; the stored English name where CLDR has none."""

import re

import pytest
from flask_babel import force_locale

from app.locales import countries_by_name, country_name
from app.models import Role
from tests.conftest import login, make_user
from tests.helpers import page, visible_text
from tests.test_i18n import _catalogues, known_city, screening  # noqa: F401 (fixtures)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Finland"), ("uk", "Фінляндія"), ("it", "Finlandia"), ("de", "Finnland"),
    ("pl", "Finlandia"), ("fr", "Finlande"), ("es", "Finlandia"),
])
def test_a_country_is_named_in_the_readers_language(app, language, expected):
    with app.test_request_context(headers={"Accept-Language": language}):
        assert country_name("FI", "Finland") == expected
        assert country_name("fi") == expected


def test_a_code_cldr_does_not_know_keeps_its_stored_name(app):
    with app.test_request_context(headers={"Accept-Language": "it"}):
        assert country_name("QZ", "Qazland") == "Qazland"
        assert country_name("QZ") == "QZ"


def test_countries_are_sorted_by_their_translated_names(app):
    pairs = [("FI", "Finland"), ("AT", "Austria"), ("DE", "Germany")]
    with app.test_request_context(), force_locale("en"):
        assert [name for _code, name in countries_by_name(pairs)] == [
            "Austria", "Finland", "Germany"]
    with app.test_request_context(), force_locale("de"):
        # "Österreich" sorts with the O's, after "Finnland", not after every Latin letter.
        assert countries_by_name(pairs) == [
            ("DE", "Deutschland"), ("FI", "Finnland"), ("AT", "Österreich")]


def test_public_pages_name_the_country_in_the_readers_language(client, screening):  # noqa: F811
    item = f"/screenings/{screening.id}"
    assert "Helsinki, Finland" in visible_text(client.get(item))
    assert "Helsinki, Finlandia" in visible_text(
        client.get(item, headers={"Accept-Language": "it"}))
    assert "Helsinki, Фінляндія" in visible_text(
        client.get("/", headers={"Accept-Language": "uk"}))
    assert "Helsinki, Finnland" in visible_text(
        client.get("/embed", headers={"Accept-Language": "de"}))


def test_the_filter_options_name_countries_in_the_readers_language(client, screening):  # noqa: F811
    body = page(client.get("/", headers={"Accept-Language": "de"}))
    assert '<option value="FI">Finnland</option>' in body
    assert '<optgroup label="Finnland">' in body


def test_transparency_names_countries_in_the_readers_language(client, screening):  # noqa: F811
    text = visible_text(client.get("/transparency", headers={"Accept-Language": "uk"}))
    assert "Фінляндія" in text and not re.search(r"\bFinland\b", text)


def test_the_money_dashboard_breaks_down_by_country_in_the_readers_language(
        client, screening):  # noqa: F811
    member = make_user(Role.ORGANISER, screening.collectives[0])
    login(client, member)
    client.set_cookie("lang", "it")
    body = page(client.get("/organiser/money"))
    breakdown = body[body.index('id="by-country"'):body.index('id="by-city"')]
    assert ">Finlandia<" in breakdown
    assert not re.search(r"\bFinland\b", body)
    client.set_cookie("lang", "en")
    body = page(client.get("/organiser/money"))
    assert ">Finland<" in body[body.index('id="by-country"'):body.index('id="by-city"')]
