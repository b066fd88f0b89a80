"""Everything the row checks match against, loaded in a few queries for the whole file:
films, collectives, beneficiaries, the cities named, and screenings already recorded."""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Beneficiary, City, Collective, Country, Film, Screening
from .. import cities, localtime
from .reading import Row

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Ref:
    """A film, collective or beneficiary: enough to match a row and to name it."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class CityRef:
    """A city a row names: in the database (id), or from the gazetteer, added on import."""

    id: int | None
    name: str
    country: str
    timezone: str
    geonames_id: int | None

    @property
    def key(self) -> tuple:
        """What identifies the place, whether it is stored yet or not."""
        return ("id", self.id) if self.id is not None else ("geo", self.geonames_id)


@dataclass
class Catalogue:
    """Plain data (no ORM objects), so that committing progress never reloads anything."""

    films: dict[str, Ref] = field(default_factory=dict)
    collectives: dict[str, Ref] = field(default_factory=dict)
    beneficiaries: dict[str, Ref] = field(default_factory=dict)
    cities: dict[tuple[str, str], CityRef] = field(default_factory=dict)  # (code, folded name)
    # (film id, city id, local date) -> id of a screening already recorded.
    existing: dict[tuple[int, int, date], int] = field(default_factory=dict)

    def film(self, text: str) -> Ref | None:
        """A film by slug or title."""
        return _lookup(self.films, text)

    def collective(self, text: str) -> Ref | None:
        """A collective by slug or name."""
        return _lookup(self.collectives, text)

    def beneficiary(self, text: str) -> Ref | None:
        """A beneficiary by slug or name."""
        return _lookup(self.beneficiaries, text)

    def city(self, name: str, country: str) -> CityRef | None:
        """A city by country code and name (any spelling the gazetteer knows)."""
        return self.cities.get((country.strip().upper(), name.strip().casefold()))


def _lookup(refs: dict[str, Ref], text: str) -> Ref | None:
    text = (text or "").strip()
    return refs.get(text) or refs.get(text.casefold())


def _refs(model, label) -> dict[str, Ref]:
    """Every row of a small catalogue table, by slug and by case-folded name; a slug wins
    over another object's name."""
    found: dict[str, Ref] = {}
    rows = db.session.execute(select(model.id, model.slug, label)).all()
    for id_, slug, name in rows:
        found.setdefault(name.casefold(), Ref(id_, slug, name))
    for id_, slug, name in rows:
        found[slug] = Ref(id_, slug, name)
    return found


def cell_date(value: object) -> date | None:
    """The day in a date cell or ISO text (YYYY-MM-DD); None when it is neither."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _cities(rows: list[Row]) -> dict[tuple[str, str], CityRef]:
    """The cities the rows name: one query for those already stored in their countries, the
    offline gazetteer for the rest (added to the database only when the import writes)."""
    wanted = {(str(row.cells.get("country") or "").strip().upper(),
               str(row.cells.get("city") or "").strip()) for row in rows}
    wanted = {(code, name) for code, name in wanted if name and cities.country_name(code)}
    codes = {code for code, _ in wanted}
    by_name: dict[tuple[str, str], CityRef] = {}
    by_geo: dict[int, CityRef] = {}
    if codes:
        for id_, name, zone, geo, code in db.session.execute(
            select(City.id, City.name, City.timezone, City.geonames_id, Country.code)
            .join(Country).where(Country.code.in_(codes))
        ):
            ref = CityRef(id_, name, code, zone, geo)
            by_name[(code, name.casefold())] = ref
            if geo is not None:
                by_geo[geo] = ref
    found: dict[tuple[str, str], CityRef] = {}
    for code, name in wanted:
        key = (code, name.casefold())
        ref = by_name.get(key)
        if ref is None:
            # The same rule as cities.resolve(): the most populous gazetteer match, linked to
            # a stored city by GeoNames id or by the gazetteer's own name.
            entry = cities._gazetteer_match(name, code)
            if entry is not None:
                ref = by_geo.get(entry["geonameid"]) or by_name.get(
                    (code, entry["name"].casefold())
                ) or CityRef(None, entry["name"], code, entry["timezone"], entry["geonameid"])
        if ref is not None:
            found[key] = ref
    return found


def _existing(found: dict[tuple[str, str], CityRef], rows: list[Row]) -> dict:
    """Screenings already stored in the named cities around the file's dates, by film, city
    and local day."""
    city_ids = {ref.id for ref in found.values() if ref.id is not None}
    days = [day for day in (cell_date(row.cells.get("date")) for row in rows) if day]
    if not city_ids or not days:
        return {}
    # A day away on each side covers every time zone's idea of the local date.
    low = datetime.combine(min(days) - timedelta(days=1), time.min, tzinfo=UTC)
    high = datetime.combine(max(days) + timedelta(days=2), time.min, tzinfo=UTC)
    existing: dict[tuple[int, int, date], int] = {}
    for id_, film_id, city_id, starts_at, zone in db.session.execute(
        select(Screening.id, Screening.film_id, Screening.city_id, Screening.starts_at,
               Screening.timezone)
        .where(Screening.city_id.in_(city_ids),
               Screening.starts_at >= low, Screening.starts_at < high)
        .order_by(Screening.id)
    ):
        local_day = localtime.to_local(starts_at, zone).date()
        existing.setdefault((film_id, city_id, local_day), id_)
    return existing


def load(rows: list[Row]) -> Catalogue:
    """What the rows are matched against, in a handful of queries whatever their number."""
    found = _cities(rows)
    return Catalogue(
        films=_refs(Film, Film.title), collectives=_refs(Collective, Collective.name),
        beneficiaries=_refs(Beneficiary, Beneficiary.name), cities=found,
        existing=_existing(found, rows),
    )
