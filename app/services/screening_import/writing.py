"""Writing checked rows: screenings recorded as held, with venue, fundraiser, audit events
and the money raised through the ledger. Flushes; the caller commits."""

from sqlalchemy import select

from ...extensions import db
from ...models import (
    Beneficiary,
    City,
    Collective,
    Film,
    Fundraiser,
    Screening,
    Status,
    User,
    Venue,
    utcnow,
)
from .. import audit, cities, ledger
from ..screenings import _snapshot
from .checking import CREATE, RowResult

PAGE_ROWS = 100


def _by_id(model, ids: set[int]) -> dict[int, object]:
    if not ids:
        return {}
    return {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _places(results: list[RowResult]) -> dict[tuple, City]:
    """The City rows the plans need: stored ones in one query, new ones added from the
    gazetteer once per distinct city (through the cities service, like the form does)."""
    refs = {r.plan.city.key: r.plan.city for r in results}
    stored = _by_id(City, {ref.id for ref in refs.values() if ref.id is not None})
    places = {}
    for key, ref in refs.items():
        places[key] = stored[ref.id] if ref.id is not None else cities.resolve(
            ref.name, ref.country)
    return places


def write(results: list[RowResult], actor: User, source: str) -> list[Screening]:
    """Create a held screening for every row to create; record what each raised."""
    todo = [r for r in results if r.outcome == CREATE]
    if not todo:
        return []
    films = _by_id(Film, {r.plan.film_id for r in todo})
    beneficiaries = _by_id(Beneficiary, {r.plan.beneficiary_id for r in todo})
    collectives = _by_id(Collective, {cid for r in todo for cid in r.plan.collective_ids})
    places = _places(todo)
    now = utcnow()
    # Smaller multi-row INSERTs: psycopg's placeholder conversion grows faster than the
    # statement, so pages of a hundred rows write a large file quicker than the default.
    db.session.connection().execution_options(insertmanyvalues_page_size=PAGE_ROWS)
    created: list[Screening] = []
    # No flush until every object is built: one batched INSERT per table, not one per row.
    with db.session.no_autoflush:
        for result in todo:
            plan, city = result.plan, places[result.plan.city.key]
            venue = Venue(name=plan.venue_name, address=plan.venue_address, city=city,
                          visibility=plan.visibility)
            # A past screening that took place: submitted, published and held in one step
            # (the lifecycle's end state), its fundraiser attached as for any other.
            screening = Screening(
                film=films[plan.film_id], city=city, venue=venue, starts_at=plan.starts_at,
                timezone=city.timezone, status=Status.HELD, title=plan.title or None,
                description=plan.description, created_by_id=actor.id,
                submitted_at=now, published_at=now, actual_attendance=plan.attendance,
                collectives=[collectives[cid] for cid in plan.collective_ids],
            )
            screening.fundraiser = Fundraiser(
                beneficiary=beneficiaries[plan.beneficiary_id], purpose=plan.purpose,
                goal_amount_minor=plan.goal_minor, goal_currency=plan.goal_currency,
            )
            db.session.add(screening)
            created.append(screening)
    db.session.flush()
    for result, screening in zip(todo, created, strict=True):
        result.screening_id = screening.id
        audit.record(actor, "screening.import", screening, after={
            **_snapshot(screening), "actual_attendance": screening.actual_attendance,
            "source": f"{source}, row {result.number}",
        })
    for result, screening in zip(todo, created, strict=True):
        plan = result.plan
        if plan.raised_amount:
            # Through the ledger: conversion, day sums and the audit event as for any entry.
            ledger.record_contribution(
                screening.fundraiser, actor, amount=plan.raised_amount,
                currency=plan.raised_currency, received_on=plan.local_day, channel="other",
                state="collected", note=f"Imported from {source}, row {result.number}"[
                    :ledger.MAX_NOTE],
            )
    return created
