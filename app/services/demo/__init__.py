"""Demo data: the documentary trilogy's tour, loaded idempotently; optional bulk for load tests.

Every object is found by its natural key (slug, email, film + city + title...) or created
through the services, so running seed() again creates nothing. Functions flush; the caller
(the `flask demo seed` command) commits.
"""

from flask import current_app

from . import bulk, records

__all__ = ["seed"]


def seed(screening_count: int | None = None, contribution_count: int | None = None) -> str:
    """Load the demo tour (and, if asked, synthetic rows up to the counts); return a report."""
    tally = records.Tally()
    places = records.resolve_places()
    records.ensure_catalogue(tally, places)
    accounts = records.ensure_users(tally)
    coordinator = accounts["coordinator@example.org"]
    records.ensure_rates(tally, coordinator)
    records.ensure_screenings(tally, accounts, places)
    lines = [_summary(tally)]
    if screening_count is not None or contribution_count is not None:
        added_screenings = bulk.generate_screenings(screening_count or 0, coordinator)
        added_contributions = bulk.generate_contributions(contribution_count or 0, coordinator)
        lines.append(
            f"Synthetic data: {bulk.synthetic_screening_count()} screenings, "
            f"{bulk.synthetic_contribution_count()} contributions "
            f"(created {added_screenings} screenings, {added_contributions} contributions)"
        )
    if tally.present["users"]:  # every run, so `make run` always says how to log in
        password = current_app.config["DEMO_PASSWORD"]
        lines.append(
            f"Log in at /login as organiser@example.org or coordinator@example.org "
            f"(also collective-admin@example.org, admin@example.org), password: {password}\n"
            f"Coordinators and admins need a two-factor code: "
            f"flask demo code coordinator@example.org"
        )
    return "\n".join(lines)


def _summary(tally: records.Tally) -> str:
    """One line: how many demo objects of each kind exist, and how many are new."""
    kinds = ("films", "beneficiaries", "collectives", "users", "screenings", "contributions")
    counts = ", ".join(f"{tally.present[kind]} {kind}" for kind in kinds)
    return f"Demo data: {counts}, {tally.present['rates']} exchange rates " \
           f"(created {sum(tally.created.values())} new)"
