"""Configuration classes, chosen by APP_ENV and filled from environment variables."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# Placeholder secrets that must never be used in production.
INSECURE_SECRETS = {"", "dev", "change-me", "development-only-secret-key"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret-key")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'screenings.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # argon2id as OWASP's Password Storage Cheat Sheet recommends (19 MiB, 2 passes, 1 lane):
    # argon2-cffi's default of 64 MiB per login would let a burst of logins take a small
    # server's memory (each worker holds that much while it hashes).
    ARGON2_PARAMS: dict = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    BASE_CURRENCY = os.environ.get("BASE_CURRENCY", "EUR").upper()
    SCREENINGS_PER_PAGE = 20
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "en"
    # The languages the site is translated into (app/translations), English the source; the
    # choice is the `lang` cookie, else the browser's Accept-Language (app/locales.py).
    LANGUAGES = ["en", "uk", "it", "fr", "de", "pl", "es"]
    # Each language in its own name, for the chooser at the foot of every page.
    LANGUAGE_NAMES = {"en": "English", "uk": "Українська", "it": "Italiano", "fr": "Français",
                      "de": "Deutsch", "pl": "Polski", "es": "Español"}
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Room for a central bank's full rate history as CSV; the API caps its bodies lower.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    # Mail: SMTP when MAIL_SERVER is set, otherwise each message is a file in MAIL_OUTBOX_DIR.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "true").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "false").lower() in ("1", "true", "yes")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "screenings@localhost")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    # Rate limits (the table is app/ratelimits.py): memory is per process, so with several
    # workers or machines use Redis (redis://host:6379/0).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True  # X-RateLimit-* and Retry-After
    # A moving window: no burst of twice the limit around the edge of a fixed window.
    RATELIMIT_STRATEGY = "moving-window"
    # Redis down: keep counting in each process's memory rather than failing every login.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_KEY_PREFIX = "screenings"  # the Redis keys are recognisable in a shared instance
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted
    # (ProxyFix). 0 ignores those headers, so a client cannot pick its own address for the
    # per-address rate limits; behind one nginx, set it to 1.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # Sessions end after this long without a request, and this long after login in any case.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
    # app/security.py turns this into Flask-Login's REMEMBER_COOKIE_DURATION.
    REMEMBER_COOKIE_DAYS = int(os.environ.get("REMEMBER_COOKIE_DAYS", "14"))
    # Strict-Transport-Security; only ProductionConfig turns it on (never in debug or tests).
    HSTS_ENABLED = False
    # Links sent by mail stay valid this long.
    INVITATION_VALID_HOURS = 72
    PASSWORD_RESET_VALID_MINUTES = 60
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "screenings-demo-2026")
    # The public map's background tiles: a Leaflet URL template ({s}, {z}, {x}, {y}) and the
    # attribution its licence asks for (trusted HTML). Empty TILE_URL: no tiles, the pins over
    # a plain background (as when the tile server is out of reach). app/security.py lets the
    # tile host into the CSP img-src.
    TILE_URL = os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    TILE_ATTRIBUTION = os.environ.get(
        "TILE_ATTRIBUTION",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    )
    TILE_MAX_ZOOM = int(os.environ.get("TILE_MAX_ZOOM", "19"))


class DevelopmentConfig(Config):
    """Local development: the SQLite file in instance/ and helpful errors in the log."""

    DEBUG = False  # the debugger would show stack traces; errors go to the log instead


class TestingConfig(Config):
    """The test suite: its own database, CSRF off unless a test turns it on."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False  # tests of the limits switch it on for their own app
    TILE_URL = ""  # the suite never fetches map tiles from the internet
    # Cheap hashes keep the suite fast; production uses argon2-cffi's RFC 9106 defaults.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class ProductionConfig(Config):
    """Production: secure cookies, and no start without a real secret key."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS_ENABLED = True

    @classmethod
    def check(cls, config: dict) -> None:
        """Refuse to start with a missing, placeholder or short secret key."""
        secret = config.get("SECRET_KEY") or ""
        if secret in INSECURE_SECRETS or len(secret) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in "
                'production, e.g. python -c "import secrets; print(secrets.token_hex(32))"'
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    """The configuration class for an APP_ENV value."""
    name = (name or "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
