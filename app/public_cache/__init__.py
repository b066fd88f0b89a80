"""A whole-response cache for anonymous GETs of the public pages, shared by nothing but kept
right across workers and instances: each stored response is filed under the public revision
(app/services/revisions.py, raised in the same transaction as every public change) and the
next moment the clock alone changes a public page (a start, an address release)."""

from flask import Flask

from .middleware import PublicCache
from .store import Store

# The public pages, feeds and map pins: the same for every anonymous visitor. Nothing that
# answers differently by user, and nothing with a form (those are no-store anyway).
ENDPOINTS = frozenset({
    "public.index", "public.past", "public.screening", "public.collective", "public.film",
    "public.beneficiary", "public.transparency", "public.embed", "public.sitemap_page",
    "public.robots", "public.feed_ics", "public.feed_atom", "public.screening_ics",
    "api.screenings_geojson",
})
# Per process (each gunicorn worker has its own): the GeoJSON is ~1.2 MB, and its gzip
# variant ~0.1 MB; the pages are tens of kB.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


def install(app: Flask) -> None:
    """Wrap the app's WSGI callable (outside ProxyFix) unless PUBLIC_CACHE_ENABLED is false."""
    if not app.config.get("PUBLIC_CACHE_ENABLED", True):
        return
    store = Store(int(app.config.get("PUBLIC_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES)))
    cache = PublicCache(app, app.wsgi_app, store, ENDPOINTS)
    app.wsgi_app = cache
    app.extensions["public_cache"] = cache


def get(app: Flask) -> PublicCache | None:
    """The app's cache, when installed."""
    return app.extensions.get("public_cache")
