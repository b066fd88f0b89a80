"""?page=&per_page= for list endpoints, answered as {"items", "page", "pages", "total"}."""

from collections.abc import Callable
from dataclasses import dataclass
from math import ceil

from flask import request
from sqlalchemy import Select, func, select

from ..extensions import db
from .errors import ApiError

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# Far past any real list; beyond it the offset itself would be the problem.
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class PageArgs:
    """Which page of a list, and how long the pages are."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


def _whole_number(name: str, default: int, low: int, high: int) -> tuple[int, str | None]:
    raw = request.args.get(name)
    if raw is None:
        return default, None
    raw = raw.strip()
    # isdecimal() alone would accept other scripts' digits; int() would accept "+1" and "1_0".
    if not raw.isascii() or not raw.isdecimal() or len(raw) > 9:
        return default, f"Use a whole number from {low} to {high}."
    value = int(raw)
    if not low <= value <= high:
        return default, f"Use a whole number from {low} to {high}."
    return value, None


def page_args() -> PageArgs:
    """The page and page length asked for; 400 naming the parameter when either is wrong."""
    page, page_error = _whole_number("page", 1, 1, MAX_PAGE)
    per_page, per_page_error = _whole_number("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    fields = {name: message for name, message in
              (("page", page_error), ("per_page", per_page_error)) if message}
    if fields:
        raise ApiError(400, "bad_request", "The page parameters are not acceptable.", fields)
    return PageArgs(page, per_page)


def paginate(query: Select, args: PageArgs, serialise: Callable) -> dict:
    """One page of an ordered select of entities, each item serialised; counted in SQL."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(
        query.limit(args.per_page).offset((args.page - 1) * args.per_page)
    ).all()
    return {"items": [serialise(row) for row in rows], "page": args.page,
            "pages": ceil(total / args.per_page), "total": total}

