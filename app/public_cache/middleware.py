"""A WSGI middleware that answers anonymous GETs of public pages from the store: a hit costs
one primary-key query (the public revision) and skips Flask altogether."""

import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress

from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header, parse_date, parse_etags, unquote_etag
from werkzeug.routing import RequestRedirect

from ..extensions import db
from ..locales import from_cookie
from ..models import utcnow
from ..services import page_cache as freshness
from .store import Entry, Store, make_entry, variant_etag

log = logging.getLogger(__name__)

# Request headers besides the URL that change a public page: absolute links follow the host
# and the scheme, also as a trusted proxy reports them (ProxyFix runs inside this middleware).
KEY_HEADERS = ("HTTP_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
               "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX")
# Asked again of the app without these, so that what is stored is a whole 200 response; the
# store answers conditional requests itself, from its own ETag.
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH",
                       "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_RANGE", "HTTP_RANGE")
_MAX_LANGUAGE_HEADERS = 512
_MAX_PATHS = 4096


class PublicCache:
    """Serve allow-listed anonymous GETs from a Store keyed on the URL, host, locale and the
    public revision; anything else goes to the app untouched."""

    def __init__(self, app: Flask, wsgi_app: Callable, store: Store, endpoints: frozenset[str]):
        self.app = app
        self.wsgi_app = wsgi_app
        self.store = store
        self.endpoints = endpoints
        self.private_cookies = tuple(f"{name}=" for name in (
            app.config.get("SESSION_COOKIE_NAME") or "session",
            app.config.get("REMEMBER_COOKIE_NAME") or "remember_token"))
        self.languages = list(app.config["LANGUAGES"])
        self.default_locale = app.config["BABEL_DEFAULT_LOCALE"]
        self._locales: dict[str, str] = {}
        self._paths: dict[tuple, str | None] = {}
        self._engine = None
        self._local = threading.local()
        self._held: list = []  # the threads' own connections, closed when the pool is disposed
        self._held_lock = threading.Lock()
        self._generation = 0

    # -- which requests ----------------------------------------------------------------------

    def _anonymous(self, environ: dict) -> bool:
        """No credentials: no Authorization header, no session or remember cookie."""
        if "HTTP_AUTHORIZATION" in environ:
            return False
        cookie = environ.get("HTTP_COOKIE", "")
        return not any(name in cookie for name in self.private_cookies)

    def _endpoint(self, environ: dict) -> str | None:
        """The endpoint a GET of this path reaches (memoised: the URL map is fixed)."""
        path = (environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""),
                environ.get("HTTP_HOST", ""))
        if path in self._paths:
            return self._paths[path]
        try:
            adapter = self.app.url_map.bind_to_environ(
                environ, server_name=self.app.config.get("SERVER_NAME"))
            endpoint = adapter.match(method="GET")[0]
        except (HTTPException, RequestRedirect):
            endpoint = None
        if len(self._paths) >= _MAX_PATHS:
            self._paths.clear()
        self._paths[path] = endpoint
        return endpoint

    def _locale(self, environ: dict) -> str:
        """The locale app/locales.py would choose: the `lang` cookie's language (a preference,
        not a login: it keeps the visitor on the cache), else Accept-Language's best match,
        memoised by the header's text."""
        chosen = from_cookie(environ.get("HTTP_COOKIE", ""), self.languages)
        if chosen is not None:
            return chosen
        header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
        locale = self._locales.get(header)
        if locale is None:
            locale = parse_accept_header(header, LanguageAccept).best_match(
                self.languages) or self.default_locale
            if len(self._locales) >= _MAX_LANGUAGE_HEADERS:
                self._locales.clear()
            self._locales[header] = locale
        return locale

    def key(self, environ: dict) -> tuple:
        """What identifies a stored response besides the revision."""
        return (environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""), environ.get("wsgi.url_scheme", ""),
                *(environ.get(name, "") for name in KEY_HEADERS), self._locale(environ))

    @property
    def engine(self):
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
            # Connections held by threads are checked out, so dispose() would leave them open:
            # close them with the pool (gunicorn's post_fork, a test's teardown).
            sa_event.listen(self._engine, "engine_disposed", self._close_held)
        return self._engine

    def _close_held(self, _engine) -> None:
        with self._held_lock:
            held, self._held = self._held, []
            self._generation += 1
        for connection in held:
            with suppress(Exception):
                connection.invalidate()

    def _revision(self, environ: dict) -> tuple[int, int] | None:
        """The public revision on this worker's own autocommit connection, kept across
        requests: one round trip per hit (a pooled connection adds a ping and a rollback).
        A threaded server (threads come and go) takes one from the pool each time."""
        if environ.get("wsgi.multithread", True):
            with self.engine.connect() as pooled:
                return freshness.revision(pooled)
        local = self._local
        connection = getattr(local, "connection", None)
        if getattr(local, "generation", None) != self._generation:
            connection = None  # closed with a disposed pool
        try:
            if connection is None:
                engine = self.engine
                connection = engine.raw_connection()
                engine.dialect.set_isolation_level(connection.dbapi_connection, "AUTOCOMMIT")
                with self._held_lock:
                    self._held.append(connection)
                    local.generation = self._generation
                local.connection = connection
                local.sql = freshness.revision_sql(engine.dialect)
            cursor = connection.cursor()
            try:
                cursor.execute(local.sql)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        except self.engine.dialect.dbapi.Error:
            # A lost connection (a database restart): drop it, the next request reconnects.
            local.connection = None
            with self._held_lock:
                if connection in self._held:
                    self._held.remove(connection)
            if connection is not None:
                with suppress(Exception):
                    connection.invalidate()
            raise
        return freshness.revision_from(rows)

    def close(self) -> None:
        """Give back this thread's kept connection (an app thrown away, as tests do)."""
        connection, self._local.connection = getattr(self._local, "connection", None), None
        if connection is not None:
            connection.close()

    # -- the WSGI call -----------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if (method not in ("GET", "HEAD") or not self._anonymous(environ)
                or self._endpoint(environ) not in self.endpoints):
            return self.wsgi_app(environ, start_response)
        key = self.key(environ)
        now = utcnow()
        entry = valid_until = None
        try:
            revision = self._revision(environ)
            if revision is None:  # no public write since the table was emptied
                return self.wsgi_app(environ, start_response)
            entry = self.store.get(key)
            if entry is not None and (entry.revision != revision or (
                    entry.valid_until is not None and now >= entry.valid_until)):
                entry = None
            if entry is None and method == "GET":
                # Read after the revision, before rendering: the page then shows data at
                # least as new as the revision it is filed under.
                with self.engine.connect() as connection:
                    valid_until = freshness.next_change(connection, now)
        except (SQLAlchemyError, self.engine.dialect.dbapi.Error):
            # The database is away: the app answers (with its 503 page), nothing is stored.
            log.warning("public cache: revision unavailable", exc_info=True)
            return self.wsgi_app(environ, start_response)
        if entry is not None:
            self.store.hits += 1
            return self._serve(key, entry, environ, start_response)
        if method == "HEAD":
            return self.wsgi_app(environ, start_response)
        self.store.misses += 1
        return self._miss(key, revision, valid_until, environ, start_response)

    def _miss(self, key, revision, valid_until, environ, start_response):
        """Render through the app; store and serve the result when it is safe to share."""
        inner = {k: v for k, v in environ.items() if k not in CONDITIONAL_HEADERS}
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: captured.setdefault("written", []).append(data)

        result = self.wsgi_app(inner, capture)
        try:
            body = b"".join([*captured.get("written", ()), *result])
        finally:
            if hasattr(result, "close"):
                result.close()
        if self._shareable(captured, body):
            entry = make_entry(captured["status"], captured["headers"], body, revision,
                               valid_until)
            if self.store.put(key, entry):
                return self._serve(key, entry, environ, start_response)
        start_response(captured["status"], captured["headers"], captured["exc_info"])
        return [body]

    def _shareable(self, captured: dict, body: bytes) -> bool:
        """A whole 200 with nothing personal: no cookie set, no no-store or private."""
        if not captured.get("status", "").startswith("200 ") or captured.get("exc_info"):
            return False
        for name, value in captured["headers"]:
            lower = name.lower()
            if lower == "set-cookie" or lower == "content-encoding":
                return False
            if lower == "cache-control" and ("no-store" in value or "private" in value):
                return False
        return len(body) <= self.store.max_entry_bytes

    def _serve(self, key, entry: Entry, environ: dict, start_response):
        gzipped = entry.compressible and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        tag = variant_etag(entry.etag) if gzipped else entry.etag
        headers = [*entry.headers, ("ETag", tag)]
        if not_modified(environ, tag, entry.last_modified):
            start_response("304 Not Modified",
                           [h for h in headers if h[0].lower() != "content-type"])
            return []
        if gzipped:
            had = entry.gzipped is not None
            body = entry.gzip_body()
            if not had:
                self.store.resize(key, entry)
            headers.append(("Content-Encoding", "gzip"))
        else:
            body = entry.body
        headers.append(("Content-Length", str(len(body))))
        start_response(entry.status, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


def not_modified(environ: dict, etag: str, last_modified) -> bool:
    """Whether the client's copy is current: If-None-Match (weak comparison) when sent, else
    If-Modified-Since against the view's Last-Modified (RFC 9110 13.2.2)."""
    condition = environ.get("HTTP_IF_NONE_MATCH")
    if condition:
        return parse_etags(condition).contains_weak(unquote_etag(etag)[0])
    since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return bool(since and last_modified and last_modified.replace(microsecond=0) <= since)


def accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding allows gzip (named, or by "*", and not with q=0)."""
    if not header:
        return False
    star = None
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.replace(" ", "")
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if coding.strip() in ("gzip", "x-gzip"):
            return quality > 0
        if coding.strip() == "*":
            star = quality > 0
    return bool(star)
