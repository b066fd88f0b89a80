"""GET /api/v1/cities?q= (the gazetteer in any language) and the public catalogue lists:
collectives, films, beneficiaries (public fields only, paginated)."""

import pytest

from app.extensions import db
from app.models import Beneficiary, Film, Role
from app.services import cities
from tests.conftest import make_collective, make_user
from tests.test_api_support import API, bearer, error_of, token_for
from tests.test_lifecycle import add_helsinki

CITIES = f"{API}/cities"


def names(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(c["name"], c["country_code"]) for c in response.get_json()["items"]]


@pytest.mark.parametrize("text", ["Kyiv", "Київ", "Kiev", "kyiv", "KIEV", "Киев", "Kijów"])
def test_kyiv_in_any_language(client, text):
    assert names(client.get(CITIES, query_string={"q": text}))[0] == ("Kyiv", "UA")


def test_a_city_item(client):
    body = client.get(CITIES, query_string={"q": "Helsingfors"}).get_json()
    assert set(body) == {"items", "page", "pages", "total"}
    assert body["items"][0] == {
        "geonames_id": 658225, "name": "Helsinki", "country_code": "FI", "country": "Finland",
        "lat": pytest.approx(60.16952, abs=1e-3), "lon": pytest.approx(24.93545, abs=1e-3),
        "timezone": "Europe/Helsinki", "population": body["items"][0]["population"]}
    assert body["items"][0]["population"] > 500_000


def test_prefixes_ranked_by_population_and_accents_folded(client):
    found = client.get(CITIES, query_string={"q": "ki"}).get_json()["items"]
    assert len(found) == 20
    populations = [c["population"] for c in found]
    assert populations == sorted(populations, reverse=True)
    assert names(client.get(CITIES, query_string={"q": "krakow"}))[0] == ("Kraków", "PL")
    assert names(client.get(CITIES, query_string={"q": "zzzzqqq"})) == []


def test_a_found_city_can_be_used_to_register(client, catalogue):
    # The autocomplete's geonames_id is what POST /api/v1/screenings takes.
    (first,) = client.get(CITIES, query_string={"q": "Lviv"}).get_json()["items"][:1]
    assert cities.by_geonames_id(first["geonames_id"]).timezone == "Europe/Kyiv"


@pytest.mark.parametrize("text", ["", "k", " k ", "x" * 101, "\u0301\u0301"])
def test_too_short_or_too_long(client, text):
    error = error_of(client.get(CITIES, query_string={"q": text}), 400, "bad_request")
    assert "q" in error["fields"]


def test_no_q_at_all(client):
    assert "q" in error_of(client.get(CITIES), 400)["fields"]


# --- collectives, films, beneficiaries ----------------------------------------------------------


@pytest.fixture
def listed(catalogue):
    helsinki = add_helsinki()
    a = make_collective("collective-a")
    a.home_city, a.website, a.public_contact = helsinki, "https://a.example", "a@example.org"
    make_collective("collective-b")
    make_user(Role.ORGANISER, a, email="member@example.org")
    db.session.add(Film(title="Part Two: Winter", slug="part-two", part=2))
    db.session.add(Beneficiary(name="Another Group", slug="another-group",
                               website="https://g.example"))
    db.session.commit()
    return a


def test_collectives(client, listed):
    body = client.get(f"{API}/collectives").get_json()
    assert body["total"] == 2
    assert body["items"][0] == {
        "slug": "collective-a", "name": "Collective A", "url": "/collectives/collective-a",
        "home_city": {"name": "Helsinki", "country_code": "FI"}, "website": "https://a.example"}
    assert body["items"][1]["home_city"] is None
    # Public information only: no members, no contact address, no trust flag.
    text = client.get(f"{API}/collectives").get_data(as_text=True)
    assert "member@example.org" not in text and "a@example.org" not in text
    assert "trusted" not in text


def test_films_and_beneficiaries(client, listed):
    films = client.get(f"{API}/films").get_json()["items"]
    assert [f["slug"] for f in films] == ["part-one", "part-two"]
    assert films[0] == {"slug": "part-one", "title": "Part One: Resistance",
                        "url": "/films/part-one", "part": 1, "year": 2023,
                        "runtime_minutes": 95}
    beneficiaries = client.get(f"{API}/beneficiaries").get_json()["items"]
    assert beneficiaries == [
        {"slug": "another-group", "name": "Another Group", "url": "/beneficiaries/another-group",
         "website": "https://g.example"},
        {"slug": "solidarity-collectives", "name": "Solidarity Collectives",
         "url": "/beneficiaries/solidarity-collectives", "website": None}]


@pytest.mark.parametrize("path", ["collectives", "films", "beneficiaries"])
def test_catalogue_pagination(client, listed, path):
    body = client.get(f"{API}/{path}?per_page=1&page=2").get_json()
    assert len(body["items"]) == 1 and body["page"] == 2 and body["pages"] == 2
    assert client.get(f"{API}/{path}?page=10000").get_json()["items"] == []
    assert "per_page" in error_of(client.get(f"{API}/{path}?per_page=500"), 400)["fields"]
    assert "page" in error_of(client.get(f"{API}/{path}?page=-1"), 400)["fields"]


def test_the_catalogue_is_the_same_for_every_role(client, listed):
    anonymous = client.get(f"{API}/collectives").get_json()
    token = token_for(make_user(Role.COORDINATOR))
    assert client.get(f"{API}/collectives", headers=bearer(token)).get_json() == anonymous
