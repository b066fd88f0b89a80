"""Idempotency-Key on the API's POSTs (IETF httpapi draft "The Idempotency-Key HTTP Header
Field"): a retried request gets the first one's answer instead of doing the work twice.

- Same user, same key, same request (method, path, JSON body): the stored answer is replayed
  (status, body, Location, ETag) with `Idempotent-Replayed: true`; nothing is done again.
- Same key, another request: 422 `idempotency_key_reused`.
- Same key while the first request is still running: 409 `idempotency_key_in_flight`.
- Keys are per user and expire after KEY_LIFETIME; a request without the header is unchanged.

Two transactions, so that a crash can never leave work without its key or a key without its
work:

1. The claim: the key's row is inserted without a status and committed. The unique constraint
   on (user_id, key) decides between two requests with the same key (on PostgreSQL the second
   INSERT waits for the first's commit and then fails; on SQLite the claims are serial): the
   loser finds the claim and answers 409, or the stored answer once there is one.
2. The work: the view runs with its commit turned into a flush; its answer is written into the
   key's row, and then the work and the answer are committed together. If the view fails, or
   answers anything but 2xx, everything is rolled back and the claim deleted, so that the
   request can be sent again (nothing was done).

A claim whose worker died (killed mid-request) is taken over by a retry after CLAIM_ABANDONED,
longer than any request may run (gunicorn's timeout).
"""

import hashlib
import json
import logging
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import wraps

from flask import Response, current_app, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import utcnow
from ..models.ops import IdempotencyKey
from .auth import require_user
from .bodies import MAX_BODY_BYTES
from .errors import ApiError

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_LIFETIME = timedelta(hours=24)
CLAIM_ABANDONED = timedelta(minutes=2)
# Headers of the first answer that a replay repeats.
KEPT_HEADERS = ("Location", "ETag", "Content-Type")
# One claim in this many also deletes every user's expired keys (each claim deletes its own
# user's); the table holds about a day of keyed POSTs, so the sweep stays small.
SWEEP_ONE_IN = 100
_VISIBLE = re.compile(r"[\x21-\x7e]+")

INVALID = ("Send Idempotency-Key as a string of 1 to 255 visible ASCII characters, such as "
           '"8e03978e-40d5-43e8-bc93-6894a57f9324" (a new UUID for each operation).')
REUSED = ("This Idempotency-Key was already used for a different request; use a new key for "
          "each operation.")
IN_FLIGHT = ("A request with this Idempotency-Key is still being processed; retry in a moment "
             "to get its answer.")


def parse_key(value: str) -> str:
    """The key of a header value: a structured-field string ("...") or a bare token."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not (0 < len(value) <= MAX_KEY_LENGTH) or not _VISIBLE.fullmatch(value) or (
            '"' in value or "\\" in value):
        raise ApiError(400, "invalid_idempotency_key", INVALID)
    return value


def fingerprint() -> str:
    """SHA-256 of the method, path and body (JSON compared by meaning, not by spacing)."""
    request.max_content_length = MAX_BODY_BYTES
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def purge_expired(user_id: int | None = None) -> int:
    """Delete keys older than KEY_LIFETIME (of one user, or everyone's); how many went."""
    statement = delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEY_LIFETIME)
    if user_id is not None:
        statement = statement.where(IdempotencyKey.user_id == user_id)
    return db.session.execute(statement).rowcount


def replay(row: IdempotencyKey) -> Response:
    """The stored answer again, marked as a replay."""
    response = Response(row.response_body, status=row.status_code)
    for name, value in json.loads(row.response_headers or "{}").items():
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def _existing(row: IdempotencyKey, digest: str) -> Response | int:
    """What an earlier row with the same key means: its answer, an error, or a takeover."""
    if row.request_hash != digest:
        raise ApiError(422, "idempotency_key_reused", REUSED)
    if row.status_code is not None:
        return replay(row)
    if row.updated_at >= utcnow() - CLAIM_ABANDONED:
        raise ApiError(409, "idempotency_key_in_flight", IN_FLIGHT, headers={"Retry-After": "1"})
    # The claim's request died: take it over, unless another retry just did.
    taken = db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row.id, IdempotencyKey.status_code.is_(None),
               IdempotencyKey.updated_at == row.updated_at)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise ApiError(409, "idempotency_key_in_flight", IN_FLIGHT, headers={"Retry-After": "1"})
    return row.id


def claim(user_id: int, key: str, digest: str) -> Response | int:
    """Claim the key (committed): the claim's id, or the answer for a key already used."""
    for _attempt in range(2):
        try:
            purge_expired(user_id)
            if random.randrange(SWEEP_ONE_IN) == 0:  # noqa: S311 (not a secret)
                purge_expired()
            row = db.session.scalar(select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
            if row is not None:
                outcome = _existing(row, digest)
            else:
                row = IdempotencyKey(user_id=user_id, key=key, method=request.method,
                                     path=request.path[:500], request_hash=digest)
                db.session.add(row)
                db.session.flush()
                outcome = row.id
            db.session.commit()
            return outcome
        except IntegrityError:
            # Another request inserted the same key first: look again, at its row.
            db.session.rollback()
        except BaseException:
            db.session.rollback()
            raise
    raise ApiError(409, "idempotency_key_in_flight", IN_FLIGHT, headers={"Retry-After": "1"})


@contextmanager
def commit_deferred(session: Session) -> Iterator[None]:
    """Within the block, the view's commit() only flushes: the caller commits the work
    together with the key's answer."""
    session.commit = session.flush  # an attribute of this request's session only
    try:
        yield
    finally:
        del session.commit


def release(claim_id: int) -> None:
    """Delete an unfinished claim after a failure, so that the request can be sent again."""
    try:
        db.session.rollback()
        db.session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.id == claim_id, IdempotencyKey.status_code.is_(None)))
        db.session.commit()
    except Exception:
        # The claim stays until it counts as abandoned; the original error matters more.
        db.session.rollback()
        log.exception("Could not release idempotency key claim %s", claim_id)


def store(claim_id: int, response: Response) -> bool:
    """Write the answer into the claim, in the work's transaction; False if the claim was
    taken over meanwhile (then nothing may be committed)."""
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return bool(db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id, IdempotencyKey.status_code.is_(None))
        .values(status_code=response.status_code, response_body=response.get_data(as_text=True),
                response_headers=json.dumps(headers), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount)


def idempotent(view: Callable) -> Callable:
    """Honour an Idempotency-Key header on this view (see the module's description)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get(HEADER)
        if header is None:
            return view(*args, **kwargs)
        key = parse_key(header)
        user_id = require_user().id
        outcome = claim(user_id, key, fingerprint())
        if isinstance(outcome, Response):
            return outcome
        claim_id = outcome
        session = db.session()
        try:
            with commit_deferred(session):
                response = current_app.make_response(view(*args, **kwargs))
            stored = 200 <= response.status_code < 300 and store(claim_id, response)
        except BaseException:
            release(claim_id)
            raise
        if not 200 <= response.status_code < 300:
            release(claim_id)  # nothing was done: the request may be sent again
            return response
        if not stored:
            # A retry took the claim over (this request outlived CLAIM_ABANDONED): it owns the
            # key now, so this request's work must not be committed.
            session.rollback()
            raise ApiError(409, "idempotency_key_in_flight", IN_FLIGHT,
                           headers={"Retry-After": "1"})
        try:
            session.commit()
        except BaseException:
            release(claim_id)
            raise
        return response

    wrapper.idempotent = True  # kept by later wrappers (functools.wraps copies __dict__)
    return wrapper
