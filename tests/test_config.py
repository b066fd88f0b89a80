"""Configuration: APP_ENV picks the class; production refuses to start without a real secret."""

import pytest

from app import create_app
from app.extensions import db
from config import DevelopmentConfig, ProductionConfig, TestingConfig, config_for


@pytest.mark.parametrize(("name", "expected"), [
    (None, DevelopmentConfig), ("development", DevelopmentConfig),
    ("testing", TestingConfig), ("Production", ProductionConfig),
])
def test_app_env_chooses_the_configuration_class(name, expected):
    assert config_for(name) is expected


def test_an_unknown_app_env_is_refused_with_the_choices():
    with pytest.raises(RuntimeError, match="development, testing, production"):
        config_for("staging")


@pytest.mark.parametrize("secret", [
    "", "dev", "change-me", "development-only-secret-key", "short-but-not-a-placeholder",
])
def test_production_refuses_a_missing_placeholder_or_short_secret(secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=secret, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_starts_with_a_real_secret_and_secure_cookies():
    app = create_app("production", SECRET_KEY="f" * 64, SQLALCHEMY_DATABASE_URI="sqlite://")
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
        assert app.config["HSTS_ENABLED"] is True
        assert not app.debug
    finally:
        with app.app_context():
            db.engine.dispose()


def test_any_flask_setting_can_be_overridden_from_the_environment(monkeypatch):
    monkeypatch.setenv("FLASK_SCREENINGS_PER_PAGE", "7")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    try:
        assert app.config["SCREENINGS_PER_PAGE"] == 7
    finally:
        with app.app_context():
            db.engine.dispose()
