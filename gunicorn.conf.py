"""gunicorn settings for production (`make serve`); every value can be changed by environment.

    APP_ENV=production SECRET_KEY=... DATABASE_URL=... .venv/bin/gunicorn -c gunicorn.conf.py

GUNICORN_BIND        where to listen (default 127.0.0.1:8000; a reverse proxy faces the world),
                     several addresses separated by commas, or unix:/run/screenings.sock
GUNICORN_WORKERS     worker processes (default 2 x cores + 1, at most 8; WEB_CONCURRENCY too)
GUNICORN_THREADS     threads per worker (default 1: sync workers; more: gthread workers)
GUNICORN_TIMEOUT     seconds a request may take before its worker is restarted (default 30)
GUNICORN_MAX_REQUESTS  requests before a worker is replaced (default 1000, 0 = never)
GUNICORN_PRELOAD     load the app once in the master before forking (default 1)
GUNICORN_ACCESSLOG   access log file ("-" = stdout, the default; empty = none)
GUNICORN_CONTROL_SOCKET  a path for gunicornc's control socket (default: none)
PROXY_COUNT          reverse proxies in front (the app's ProxyFix); 0 trusts no forwarded header
FORWARDED_ALLOW_IPS  addresses of those proxies that gunicorn trusts (default 127.0.0.1,::1)
"""

import os
import re

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in ("1", "true", "yes", "on")


wsgi_app = "app:create_app()"
bind = [part.strip() for part in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
        if part.strip()]

# The usual 2 x cores + 1, capped: each worker holds the app (~100 MB with the gazetteer), and
# on SQLite writes are serial anyway, so more processes only add memory.
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8)))
# Sync workers by default: nginx buffers slow clients' requests and responses, requests are
# short and CPU-bound (templates, JSON), and a process per request keeps the per-process state
# (SQLAlchemy pool, in-memory fallbacks) simple. Threads (gthread) help only where requests wait
# on something slow; set GUNICORN_THREADS to use them.
threads = max(_int("GUNICORN_THREADS", 1), 1)
worker_class = "gthread" if threads > 1 else "sync"

timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30  # on restart or SIGTERM, requests in flight may finish
keepalive = 5  # above nginx's default upstream keepalive idle, so nginx closes first

# Replace each worker after a while, at different moments, so a slow leak never piles up and the
# workers never all restart together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max(max_requests // 10, 0)

# Preload: the master imports the app once (a bad SECRET_KEY or DATABASE_URL stops the start at
# once, with one clear message, instead of workers crash-looping) and workers share its memory.
# Database connections must never cross a fork: post_fork drops any the master opened.
preload_app = _flag("GUNICORN_PRELOAD", True)

# Forwarded headers are trusted in one place: the app's ProxyFix, which counts the PROXY_COUNT
# hops of X-Forwarded-For/-Proto/-Host (gunicorn cannot count hops). gunicorn itself only maps
# X-Forwarded-Proto to the scheme, and only from the proxy addresses; with no proxy it trusts
# nobody, so that a client cannot claim https for itself.
if _int("PROXY_COUNT", 0) > 0:
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
else:
    forwarded_allow_ips = ""

# gunicorn 25.1+ opens a control socket at one fixed path per user: a second instance on the
# same machine would take it over. Off unless GUNICORN_CONTROL_SOCKET names a path of its own.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")

# Headers with underscores could pose as others (X_Forwarded_For): dropped, never merged.
header_map = "drop"

# Access log with the duration in milliseconds (%(M)s) and the proxy's X-Forwarded-For (the
# %(h)s address is the proxy's when there is one).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = ('%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms '
                     '"%(a)s"')

# Pages whose address carries a secret (password reset and invitation links).
_SECRET_PATH = re.compile(r"^(/password/reset/|/invitations/)[^/?\s]+")


class RedactingLogger(Logger):
    """gunicorn's logger, minus the one-time tokens that some paths carry."""

    def atoms(self, resp, req, environ, request_time):
        """The log atoms with the token in a secret path replaced by "<token>"."""
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U"):
            value = atoms.get(name)
            if isinstance(value, str):
                method, space, rest = value.partition(" ") if name == "r" else ("", "", value)
                atoms[name] = method + space + _SECRET_PATH.sub(r"\1<token>", rest)
        return atoms


logger_class = RedactingLogger


def post_fork(server, worker):
    """Drop the database connections the master may have opened: a forked copy of a socket or
    an SQLite handle shared by two processes corrupts both."""
    application = getattr(server.app, "callable", None)
    if application is None or "sqlalchemy" not in getattr(application, "extensions", {}):
        return  # not preloaded (each worker builds its own app), or not this app
    from app.extensions import db

    with application.app_context():
        # close=False: the master's connections are forgotten, not closed, since closing
        # would end the master's (shared) session on the server.
        for engine in db.engines.values():
            engine.dispose(close=False)
