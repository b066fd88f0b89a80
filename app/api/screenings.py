"""GET/POST /api/v1/screenings and GET/PATCH /api/v1/screenings/{id}: the public list with
the shared filters, one screening, registering and editing (with If-Match versions)."""

from flask import Response, jsonify, request
from sqlalchemy import Select
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Screening, User, utcnow
from ..services import content_languages, screenings
from ..services.errors import NotFound, ValidationFailed
from . import items, screening_args
from .auth import caller, require_user
from .blueprint import bp
from .bodies import parse_body
from .errors import ApiError
from .idempotency import idempotent
from .pagination import page_args, paginate
from .screening_bodies import (
    CityIn,
    ScreeningIn,
    ScreeningPatch,
    body_fields,
    parse_local_time,
)

FLAG_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False,
               "": False}
# Fields a PATCH may set to null (clearing them); the rest must be left out to keep them.
NULLABLE = {"title", "description", "language", "subtitles"}
STALE = "The screening was changed by someone else meanwhile; fetch it again and retry."


def _flag(name: str) -> bool:
    raw = (request.args.get(name) or "").strip().lower()
    if raw not in FLAG_VALUES:
        raise ApiError(400, "bad_request", "The filter is not acceptable.",
                       {name: "Use 1 or 0."})
    return FLAG_VALUES[raw]


def _any_status(query: Select, which: str) -> Select:
    """A list of any status cut by `when` the way the public lists are."""
    since = utcnow() - screenings.RUNNING_GRACE
    if which == "upcoming":
        return screening_args.by_date(query.where(Screening.starts_at >= since))
    if which == "past":
        return query.where(Screening.starts_at < since).order_by(None).order_by(
            Screening.starts_at.desc(), Screening.id.desc())
    return screening_args.by_date(query)


def _list_query(viewer: items.Viewer) -> Select:
    """Public screenings for everyone; `mine=1` adds every state of the caller's
    collectives; coordinators may ask for any `status`."""
    mine = _flag("mine")
    if mine and viewer.user is None:
        raise ApiError(401, message="mine=1 lists your collectives' screenings: log in.")
    chosen = screening_args.filters(allow_status=mine or viewer.is_coordinator)
    which = screening_args.when("all")
    if mine:
        base = screenings.for_collectives_query(set(viewer.collective_ids))
        return _any_status(screenings.search.apply(base, chosen), which)
    if viewer.is_coordinator and chosen.status is not None:
        return _any_status(screenings.search.apply(screenings.all_query(), chosen), which)
    return screening_args.public_query(which, chosen)


@bp.get("/screenings")
def list_screenings():
    """Screenings matching the filters, a page at a time."""
    viewer = items.Viewer.of(caller())
    query, args, now = _list_query(viewer), page_args(), utcnow()
    page = paginate(query, args, lambda row: row)
    page["items"] = items.screenings(page["items"], viewer, now)
    return jsonify(page)


def _answer(item: Screening, viewer: items.Viewer, status: int = 200) -> Response:
    response = jsonify(items.screenings([item], viewer)[0])
    response.status_code = status
    response.headers["ETag"] = f'"{item.version_id}"'
    return response


def _visible(screening_id: int, user: User | None) -> Screening:
    """A public screening, or one the caller may edit; NotFound otherwise."""
    try:
        return screenings.get_public(screening_id)
    except NotFound:
        if user is None:
            raise
        return screenings.get_editable(screening_id, user)


@bp.get("/screenings/<int:screening_id>")
def get_screening(screening_id: int):
    """One screening; drafts and submissions only for those who may edit them."""
    user = caller()
    return _answer(_visible(screening_id, user), items.Viewer.of(user))


def _city(city: CityIn, data: screenings.ScreeningInput) -> None:
    """Put the city into the input: by GeoNames id alone, or by name and country."""
    if city.geonames_id is not None:
        if city.name is not None or city.country_code is not None:
            raise ApiError(422, "validation_failed", "Some fields are not acceptable; see fields.",
                           {"city": "Give either geonames_id or name and country_code."})
        data.geonames_id, data.city, data.country = city.geonames_id, "", ""
        return
    missing = {f"city.{name}": "This field is required." for name in ("name", "country_code")
               if not (getattr(city, name) or "").strip()}
    if missing:
        raise ApiError(422, "validation_failed", "Some fields are not acceptable; see fields.",
                       missing)
    data.geonames_id, data.city, data.country = None, city.name, city.country_code


def _input_from_body(body: ScreeningIn) -> screenings.ScreeningInput:
    fundraiser, goal = body.fundraiser, body.fundraiser.goal
    data = screenings.ScreeningInput(
        film=body.film, collective=body.collective, city="", country="",
        venue_name=body.venue.name, venue_address=body.venue.address,
        visibility=body.venue.visibility, starts_at=parse_local_time(body.starts_at),
        beneficiary=fundraiser.beneficiary, purpose=fundraiser.purpose,
        title=body.title or "", description=body.description or "",
        language=body.language or "", subtitles=body.subtitles or "",
        goal_amount=goal.amount if goal else "", goal_currency=goal.currency if goal else "",
    )
    _city(body.city, data)
    return data


def save_descriptions(item: Screening, sent: dict[str, str] | None) -> None:
    """Replace the descriptions in other languages when the body sent them; a refusal names
    the language at fault ("descriptions.xx"), as the body spelt it."""
    if sent is None:
        return
    rows = list(sent.items())
    try:
        content_languages.set_screening_texts(item, rows, "descriptions")
    except ValidationFailed as exc:
        fields: dict[str, str] = {}
        for name, message in exc.fields.items():
            index = name.split("-")[1] if name.count("-") == 2 else ""
            path = f"descriptions.{rows[int(index)][0]}" if index.isdigit() else name
            fields.setdefault(path, message)
        raise ValidationFailed(fields) from None


def _refused(exc: ValidationFailed, data: screenings.ScreeningInput) -> ApiError:
    return ApiError(422, "validation_failed", "Some fields are not acceptable; see fields.",
                    body_fields(exc.fields, by_geonames=data.geonames_id is not None))


@bp.post("/screenings")
@idempotent
def create_screening():
    """Register a draft; 201 with the item and its Location."""
    user = require_user()
    body = parse_body(ScreeningIn)
    data = _input_from_body(body)
    try:
        item = screenings.create(data, user)
        save_descriptions(item, body.descriptions)
    except ValidationFailed as exc:
        db.session.rollback()
        raise _refused(exc, data) from None
    db.session.commit()
    response = _answer(item, items.Viewer.of(user), 201)
    response.headers["Location"] = f"/api/v1/screenings/{item.id}"
    return response


def _nulls(body: ScreeningPatch) -> dict[str, str]:
    """Fields sent as null that cannot be cleared."""
    fields = {name: "Cannot be null; leave the field out to keep it."
              for name in body.model_fields_set
              if getattr(body, name) is None and name not in NULLABLE}
    for part in ("venue", "fundraiser"):
        sub = getattr(body, part)
        if sub is not None:
            fields.update({f"{part}.{name}": "Cannot be null; leave the field out to keep it."
                           for name in sub.model_fields_set
                           if getattr(sub, name) is None and name != "goal"})
    return fields


def merge(item: Screening, body: ScreeningPatch, viewer: items.Viewer) -> screenings.ScreeningInput:
    """The screening's current input with the fields the body sent replaced."""
    nulls = _nulls(body)
    if nulls:
        raise ApiError(422, "validation_failed", "Some fields are not acceptable; see fields.",
                       nulls)
    data = screenings.input_from(item)
    # A co-hosted screening: keep a host collective the caller belongs to.
    own = [c for c in item.collectives if c.id in viewer.collective_ids]
    if own and not viewer.is_coordinator:
        data.collective = own[0].slug
    sent = body.model_fields_set
    for name in ("film", "collective"):
        if name in sent:
            setattr(data, name, getattr(body, name))
    for name in NULLABLE & sent:
        setattr(data, name, getattr(body, name) or "")
    if "starts_at" in sent:
        data.starts_at = parse_local_time(body.starts_at)
    if "city" in sent:
        _city(body.city, data)
    if body.venue is not None:
        for name, target in (("name", "venue_name"), ("address", "venue_address"),
                             ("visibility", "visibility")):
            if name in body.venue.model_fields_set:
                setattr(data, target, getattr(body.venue, name))
    if body.fundraiser is not None:
        fundraiser = body.fundraiser
        for name in ("beneficiary", "purpose"):
            if name in fundraiser.model_fields_set:
                setattr(data, name, getattr(fundraiser, name))
        if "goal" in fundraiser.model_fields_set:
            goal = fundraiser.goal
            data.goal_amount = goal.amount if goal else ""
            data.goal_currency = goal.currency if goal else ""
    return data


def check_version(item: Screening) -> None:
    """412 when If-Match names another version than the stored one."""
    if "If-Match" not in request.headers:
        return
    wanted = request.if_match
    if not (wanted.star_tag or wanted.contains(str(item.version_id))):
        raise ApiError(412, "precondition_failed", STALE,
                       headers={"ETag": f'"{item.version_id}"'})


@bp.patch("/screenings/<int:screening_id>")
def update_screening(screening_id: int):
    """Change the fields sent; If-Match: "<version>" guards against lost updates."""
    user = require_user()
    item = screenings.get_editable(screening_id, user)
    check_version(item)
    viewer = items.Viewer.of(user)
    body = parse_body(ScreeningPatch)
    data = merge(item, body, viewer)
    try:
        screenings.update(item, data, user)
        save_descriptions(item, body.descriptions)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        raise _refused(exc, data) from None
    except StaleDataError:
        db.session.rollback()
        raise ApiError(409, "stale", STALE) from None
    return _answer(item, viewer)


def editable_for(screening_id: int) -> tuple[Screening, User]:
    """The screening and caller, if the caller may change it (another collective's: 404)."""
    user = require_user()
    return screenings.get_editable(screening_id, user), user
