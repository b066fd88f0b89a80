"""GET /api/v1/cities?q= (the gazetteer search), /collectives, /films, /beneficiaries: public
information only, for pickers and for other sites."""

from flask import jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Beneficiary, City, Collective, Film
from ..services import cities
from .blueprint import bp
from .errors import ApiError
from .pagination import page_args, paginate

MIN_QUERY, MAX_QUERY, MAX_CITIES = 2, 100, 20


def _city(entry: dict) -> dict:
    return {
        "geonames_id": int(entry["geonameid"]), "name": entry["name"],
        "country_code": entry["countrycode"],
        "country": cities.country_name(entry["countrycode"]) or entry["countrycode"],
        "lat": entry["latitude"], "lon": entry["longitude"], "timezone": entry["timezone"],
        "population": entry.get("population"),
    }


@bp.get("/cities")
def search_cities():
    """Up to 20 gazetteer cities whose name in any language starts with q, largest first."""
    text = (request.args.get("q") or "").strip()
    if len(cities.fold(text)) < MIN_QUERY or len(text) > MAX_QUERY:
        raise ApiError(400, "bad_request", "The search is not acceptable.",
                       {"q": f"Type from {MIN_QUERY} to {MAX_QUERY} characters."})
    found = [_city(entry) for entry in cities.search(text, MAX_CITIES)]
    # The list shape of every API list, on one page.
    return jsonify({"items": found, "page": 1, "pages": 1 if found else 0, "total": len(found)})


def _place(city: City | None) -> dict | None:
    if city is None:
        return None
    return {"name": city.name, "country_code": city.country.code}


def collective(item: Collective) -> dict:
    """A collective's public card."""
    return {"slug": item.slug, "name": item.name, "url": f"/collectives/{item.slug}",
            "home_city": _place(item.home_city), "website": item.website}


def film(item: Film) -> dict:
    """A film's public card."""
    return {"slug": item.slug, "title": item.title, "url": f"/films/{item.slug}",
            "part": item.part, "year": item.year, "runtime_minutes": item.runtime_minutes}


def beneficiary(item: Beneficiary) -> dict:
    """A beneficiary's public card."""
    return {"slug": item.slug, "name": item.name, "url": f"/beneficiaries/{item.slug}",
            "website": item.website}


@bp.get("/collectives")
def list_collectives():
    """Every collective by name, a page at a time."""
    query = (select(Collective).order_by(Collective.name, Collective.id)
             .options(selectinload(Collective.home_city).selectinload(City.country)))
    return jsonify(paginate(query, page_args(), collective))


@bp.get("/films")
def list_films():
    """Every film, by trilogy part then title, a page at a time."""
    query = select(Film).order_by(Film.part.is_(None), Film.part, Film.title, Film.id)
    return jsonify(paginate(query, page_args(), film))


@bp.get("/beneficiaries")
def list_beneficiaries():
    """Every beneficiary by name, a page at a time."""
    return jsonify(paginate(select(Beneficiary).order_by(Beneficiary.name, Beneficiary.id),
                            page_args(), beneficiary))
