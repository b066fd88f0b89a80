"""Languages: the reader's locale (the `lang` cookie, else Accept-Language), the chooser and
/language, <html lang>, locale formats of dates and amounts, and the public cache per locale."""

import re
from datetime import date, datetime

import pytest

from app import public_cache
from app.extensions import db
from app.language import local_path
from app.locales import compile_catalogues
from app.models import Channel, City, Country, Role, Status
from app.services import ledger
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page, visible_text

LANGUAGES = ["en", "uk", "it", "fr", "de", "pl", "es"]
# A Friday evening in Helsinki's summer time, far enough ahead to stay upcoming.
STARTS = datetime(2030, 6, 14, 19, 0)


@pytest.fixture(scope="module", autouse=True)
def _catalogues():
    compile_catalogues()  # a bare pytest run has no .mo files yet


@pytest.fixture(autouse=True)
def known_city():
    db.session.add(City(name="Helsinki", country=Country(code="FI", name="Finland"),
                        lat=60.16952, lon=24.93545, timezone="Europe/Helsinki",
                        geonames_id=658225))
    db.session.commit()


@pytest.fixture
def screening(catalogue):
    """A public screening on STARTS with public totals, a EUR 500 goal and EUR 1,234.50."""
    coordinator = make_user(Role.COORDINATOR)
    item = make_screening(make_collective("kino-a"), coordinator, Status.PUBLISHED,
                          title="Summer night", starts_at=STARTS, goal_amount="500.00")
    item.fundraiser.totals_public = True
    db.session.commit()
    ledger.record_contribution(item.fundraiser, coordinator, amount="1234.50", currency="EUR",
                               received_on=date(2026, 4, 12), channel=Channel.DOOR,
                               today=date(2026, 4, 12))
    db.session.commit()
    return item


@pytest.fixture
def cache(app):
    found = public_cache.get(app)
    found.store.clear()
    return found


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', response.get_data(as_text=True)).group(1)


def nav(response) -> str:
    return re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', page(response), re.S).group(1)


# --- which locale ---------------------------------------------------------------------------


def test_accept_language_picks_ukrainian(client):
    response = client.get("/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})
    assert html_lang(response) == "uk"
    assert ">Найближчі<" in nav(response) and ">Минулі<" in nav(response)
    assert html_lang(client.get("/", headers={"Accept-Language": "ja"})) == "en"
    assert ">Upcoming<" in nav(client.get("/"))


def test_the_cookie_overrides_accept_language(client):
    client.set_cookie("lang", "it")
    response = client.get("/", headers={"Accept-Language": "uk"})
    assert html_lang(response) == "it" and ">Prossime<" in nav(response)
    assert 'dir="ltr"' in response.get_data(as_text=True)


def test_a_cookie_naming_no_offered_language_is_ignored(client):
    client.set_cookie("lang", "xx")
    assert html_lang(client.get("/", headers={"Accept-Language": "uk"})) == "uk"


def test_every_language_is_served_in_its_own_html_lang(client):
    for code in LANGUAGES:
        client.set_cookie("lang", code)
        assert html_lang(client.get("/past")) == code


def test_pages_say_what_they_vary_on(client):
    response = client.get("/")
    assert {"Cookie", "Accept-Language"} <= {v.strip() for v in response.headers["Vary"]
                                             .split(",")}


# --- the chooser and /language -------------------------------------------------------------


def chooser(response) -> str:
    match = re.search(r'<form method="get" action="/language"[^>]*>(.*?)</form>', page(response),
                      re.S)
    assert match, "no language chooser on the page"
    return match.group(1)


def test_language_sets_a_year_long_cookie_and_goes_back(client):
    response = client.get("/language?lang=uk&next=/past?page=2")
    assert response.status_code == 303 and response.headers["Location"] == "/past?page=2"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=uk;") and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    assert html_lang(client.get("/past")) == "uk"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "evil.example", "/\t/evil.example",
                                    ""])
def test_language_refuses_to_send_people_elsewhere(client, target):
    response = client.get("/language", query_string={"lang": "it", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_local_paths_are_kept():
    assert local_path("/screenings/3/x?lang=1#a") == "/screenings/3/x?lang=1#a"


@pytest.mark.parametrize("query", ["lang=xx&next=/", "lang=&next=/", "next=/", "lang=EN"])
def test_language_refuses_an_unknown_language(client, query):
    response = client.get(f"/language?{query}")
    assert response.status_code == 400 and "Set-Cookie" not in response.headers


def test_the_chooser_is_on_public_pages(client, screening):
    for path in ["/", "/past", f"/screenings/{screening.id}", "/transparency",
                 "/collectives/kino-a", "/no-such-page"]:
        form = chooser(client.get(path, headers={"Accept-Language": "it"}))
        assert '<label for="language-choice">Lingua</label>' in form, path
        assert 'name="lang"' in form and ">Cambia lingua</button>" in form, path
        assert '<option value="it" lang="it" selected>Italiano</option>' in form, path
        for name in ["English", "Українська", "Français", "Deutsch", "Polski", "Español"]:
            assert f">{name}</option>" in form, path
    assert f'name="next" value="/screenings/{screening.id}"' in chooser(
        client.get(f"/screenings/{screening.id}"))
    assert 'name="next" value="/past?page=2"' in chooser(client.get("/past?page=2"))


def test_the_chooser_is_on_logged_in_pages(client):
    login(client, make_user(Role.ORGANISER))
    response = client.get("/organiser/", headers={"Accept-Language": "uk"})
    assert response.status_code == 200 and html_lang(response) == "uk"
    assert '<option value="uk" lang="uk" selected>Українська</option>' in chooser(response)
    assert 'name="next" value="/organiser/"' in chooser(response)


# --- formats --------------------------------------------------------------------------------


def test_dates_and_amounts_follow_the_locale(client, screening):
    path = f"/screenings/{screening.id}"
    english = visible_text(client.get(path, headers={"Accept-Language": "en"}))
    assert "Fri 14 Jun 2030, 19:00 EEST" in english
    assert "Raised so far: €1,234.50" in english and "Goal: €500.00" in english
    italian = visible_text(client.get(path, headers={"Accept-Language": "it"}))
    assert "ven 14 giu 2030, 19:00 EEST" in italian
    assert "1.234,50 €" in italian and "500,00 €" in italian
    assert "246%" in italian  # 1,234.50 of 500
    german = visible_text(client.get(path, headers={"Accept-Language": "de"}))
    assert "Fr., 14. Juni 2030, 19:00 EEST" in german and "246 %" in german
    ukrainian = visible_text(client.get(path, headers={"Accept-Language": "uk"}))
    assert "пт, 14 черв. 2030 р., 19:00 EEST" in ukrainian  # noqa: RUF001 (Ukrainian)


def test_the_list_card_shows_the_locales_date_and_amount(client, screening):
    italian = visible_text(client.get("/", headers={"Accept-Language": "it"}))
    assert "ven 14 giu 2030, 19:00 EEST" in italian and "1.234,50 €" in italian


# --- the public cache ----------------------------------------------------------------------


def test_the_cache_keeps_a_copy_per_chosen_language(app, client, screening, cache):
    path = f"/screenings/{screening.id}"
    english = page(client.get(path))
    assert html_lang(client.get(path)) == "en"
    chooser_client = app.test_client()
    chooser_client.set_cookie("lang", "uk")
    misses, hits = cache.store.misses, cache.store.hits
    ukrainian = chooser_client.get(path, headers={"Accept-Language": "en"})
    assert html_lang(ukrainian) == "uk"
    # The cookie is a preference, not a login: the chooser is served from the cache too.
    again = chooser_client.get(path)
    assert cache.store.misses == misses + 1 and cache.store.hits == hits + 1
    assert again.get_data() == ukrainian.get_data()
    assert "Cookie" in again.headers["Vary"] and "Accept-Language" in again.headers["Vary"]
    # Everyone else still gets the English copy.
    assert page(client.get(path)) == english
    assert page(app.test_client().get(path, headers={"Accept-Language": "en"})) == english


def test_the_feeds_validator_differs_by_language(client, screening):
    english = client.get("/feeds/screenings.ics")
    client.set_cookie("lang", "it")
    italian = client.get("/feeds/screenings.ics", headers={"If-None-Match":
                                                           english.headers["ETag"]})
    assert italian.status_code == 200 and italian.headers["ETag"] != english.headers["ETag"]


@pytest.mark.parametrize("path", ["/password/reset/NoSuchToken-0123456789abcdef",
                                  "/invitations/NoSuchToken-0123456789abcdef"])
def test_the_chooser_never_carries_a_secret_link_on(client, path):
    # The token would otherwise travel in a GET query to /language: logs, history, proxies.
    body = client.get(path).get_data(as_text=True)
    chooser = body[body.index('action="/language"'):]
    assert 'name="next" value="/"' in chooser and "NoSuchToken" not in chooser
