"""What the public filter form offers: the countries, cities, films, collectives and
beneficiaries that have public screenings, plus whatever the current filters chose."""

import time
from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    PUBLIC_STATUSES,
    Beneficiary,
    City,
    Collective,
    Country,
    Film,
    Fundraiser,
    Screening,
    screening_hosts,
)
from .. import page_cache
from .search import ScreeningFilters


@dataclass(frozen=True)
class FilterChoices:
    """(value, label) pairs for the selects; cities also carry their country's code."""

    countries: list[tuple[str, str]]
    cities: list[tuple[int, str, str]]
    films: list[tuple[str, str]]
    collectives: list[tuple[str, str]]
    beneficiaries: list[tuple[str, str]]


# The options cost a few scans of the screenings; they are kept per process and database
# while nothing they depend on changed (the public revision), and this long at most.
CACHE_SECONDS = 300
_cache: dict[str, tuple[tuple, float, FilterChoices]] = {}


def _fingerprint() -> tuple:
    """What the options depend on, in one cheap query: how many screenings and hosts, and the
    newest change to screenings, fundraisers, places, films, collectives and beneficiaries."""
    parts = [select(func.count(Screening.id)).scalar_subquery(),
             select(func.count()).select_from(screening_hosts).scalar_subquery()]
    parts += [select(func.max(model.updated_at)).scalar_subquery()
              for model in (Screening, Fundraiser, City, Country, Film, Collective, Beneficiary)]
    return tuple(db.session.execute(select(*parts)).one())


def _public_choices() -> FilterChoices:
    """Everything that has a public screening, by name (five queries)."""
    public = select(Screening.id).where(Screening.status.in_(PUBLIC_STATUSES))
    city_ids = select(Screening.city_id).where(Screening.status.in_(PUBLIC_STATUSES))
    return FilterChoices(
        countries=_pairs(select(Country.code, Country.name).where(
            Country.id.in_(select(City.country_id).where(City.id.in_(city_ids))))
            .order_by(Country.name)),
        cities=_pairs(select(City.id, City.name, Country.code)
                      .join(Country, City.country_id == Country.id)
                      .where(City.id.in_(city_ids)).order_by(Country.name, City.name, City.id)),
        films=_pairs(select(Film.slug, Film.title).where(
            Film.id.in_(select(Screening.film_id).where(Screening.id.in_(public))))
            .order_by(Film.part.is_(None), Film.part, Film.title)),
        collectives=_pairs(select(Collective.slug, Collective.name).where(
            Collective.id.in_(select(screening_hosts.c.collective_id)
                              .where(screening_hosts.c.screening_id.in_(public))))
            .order_by(Collective.name)),
        beneficiaries=_pairs(select(Beneficiary.slug, Beneficiary.name).where(
            Beneficiary.id.in_(select(Fundraiser.beneficiary_id)
                               .where(Fundraiser.screening_id.in_(public))))
            .order_by(Beneficiary.name)),
    )


def _pairs(query) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(query)]


def _cached_public_choices() -> FilterChoices:
    key = db.engine.url.render_as_string(hide_password=True)
    # The public revision, one primary-key read, moves with every change the options depend
    # on; the fingerprint (a few scans) only until the page cache has written its epoch.
    fingerprint = page_cache.known_revision() or _fingerprint()
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] == fingerprint and hit[1] > now:
        return hit[2]
    choices = _public_choices()
    _cache[key] = (fingerprint, now + CACHE_SECONDS, choices)
    return choices


def _with_chosen(pairs: list[tuple], value, query) -> list[tuple]:
    """The options plus the chosen value when it has no public screening (a shared link to a
    collective whose screenings are all past must still show it selected): one query then."""
    if value is None or any(str(pair[0]) == str(value) for pair in pairs):
        return pairs
    return pairs + _pairs(query)


def filter_choices(chosen: ScreeningFilters | None = None) -> FilterChoices:
    """The filter form's options: a fixed number of queries, whatever the number of
    screenings (one when nothing changed since the last call)."""
    chosen = chosen or ScreeningFilters()
    base = _cached_public_choices()
    cities = base.cities
    for city_id in (chosen.city_id, chosen.near_city_id):
        cities = _with_chosen(cities, city_id, select(City.id, City.name, Country.code)
                              .join(Country, City.country_id == Country.id)
                              .where(City.id == city_id))
    return FilterChoices(
        countries=_with_chosen(base.countries, chosen.country, select(
            Country.code, Country.name).where(Country.code == chosen.country)),
        cities=cities,
        films=_with_chosen(base.films, chosen.film, select(Film.slug, Film.title).where(
            Film.slug == chosen.film)),
        collectives=_with_chosen(base.collectives, chosen.collective, select(
            Collective.slug, Collective.name).where(Collective.slug == chosen.collective)),
        beneficiaries=_with_chosen(base.beneficiaries, chosen.beneficiary, select(
            Beneficiary.slug, Beneficiary.name).where(Beneficiary.slug == chosen.beneficiary)),
    )
