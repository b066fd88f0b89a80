"""Which locale a request is served in: the browser's preferred one among LANGUAGES."""

from flask import current_app, has_request_context, request


def select_locale() -> str:
    """The best match for Accept-Language among the configured LANGUAGES, else the default."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or default
