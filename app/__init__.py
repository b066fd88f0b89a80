"""The application factory: create_app() and the register_* helpers it calls."""

import os

from flask import Flask
from flask_babel import lazy_gettext

from config import INSTANCE_DIR, config_for

from . import database  # noqa: F401  (SQLite pragmas and transaction modes, on every engine)
from .extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the Flask application for APP_ENV (or config_name), with optional overrides."""
    app = Flask(
        __name__,
        template_folder="../templates",
        instance_path=str(INSTANCE_DIR),
    )
    config_class = config_for(config_name or os.environ.get("APP_ENV"))
    app.config.from_object(config_class)
    app.config.from_prefixed_env("FLASK")
    app.config.update(overrides)
    if hasattr(config_class, "check"):
        config_class.check(app.config)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_security(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the shared extensions to this app."""
    from . import models  # noqa: F401  (registers every model on the metadata)
    from .services import revisions  # noqa: F401  (its listeners raise the cache revisions)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    from .locales import install as install_locales
    from .locales import select_locale

    babel.init_app(app, locale_selector=select_locale)
    install_locales(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to access this page.")
    login_manager.login_message_category = "info"
    from .auth.session import load_user

    login_manager.user_loader(load_user)


def register_blueprints(app: Flask) -> None:
    """Mount every area of the site."""
    from .account.routes import bp as account_bp
    from .admin.routes import bp as admin_bp
    from .api import bp as api_bp
    from .auth.routes import bp as auth_bp
    from .coordination.routes import bp as coordination_bp
    from .language import bp as language_bp
    from .members.routes import bp as members_bp
    from .organiser.routes import bp as organiser_bp
    from .public.routes import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(admin_bp, url_prefix="/coordination/users")
    app.register_blueprint(organiser_bp, url_prefix="/organiser")
    app.register_blueprint(coordination_bp, url_prefix="/coordination")
    app.register_blueprint(api_bp)
    app.register_blueprint(language_bp)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use for dates, money and privacy."""
    from .templating import install

    install(app)


def register_error_handlers(app: Flask) -> None:
    """Error pages in the site's layout; never a stack trace."""
    from .errors import install

    install(app)


def register_security(app: Flask) -> None:
    """Security headers, session time-outs and rate limits on every response."""
    from .security import install

    install(app)
    from . import public_cache

    public_cache.install(app)  # outermost: a hit skips Flask (and ProxyFix) altogether


def register_commands(app: Flask) -> None:
    """The flask CLI commands."""
    from .cli import install

    install(app)
