"""The import's messages as a msgid and its values: the report is written by a background
thread that has no reader, stored as JSON, and translated only when someone reads it."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import has_app_context
from flask_babel import Domain, format_decimal, get_domain, gettext, ngettext


def N_(text: str) -> str:
    """Mark text for extraction (pybabel's default N_ keyword) and leave it untranslated: it is
    translated when the report is shown, in the language of whoever reads it."""
    return text


def _plain_values(values: dict) -> dict:
    """Values JSON keeps as they are (numbers stay numbers, to be formatted when shown)."""
    return {name: value if value is None or isinstance(value, str | int | float) else str(value)
            for name, value in values.items()}


@dataclass(frozen=True)
class Message:
    """A msgid (its English text) and its values; str() gives it in the current locale."""

    text: str
    values: dict = field(default_factory=dict)
    numbers: tuple[str, ...] = ()  # values shown as numbers in the reader's locale ("10,000")
    plural: str | None = None  # an ngettext message: values["num"] picks the form

    @classmethod
    def of(cls, text: str, /, numbers: tuple[str, ...] = (), **values) -> "Message":
        """A message with named values (text is marked with N_ by the caller)."""
        return cls(text, _plain_values(values), numbers)

    def __str__(self) -> str:
        """The message in the current request's language (English without a request)."""
        values = {name: format_decimal(value) if name in self.numbers else value
                  for name, value in self.values.items()}
        if self.plural is not None:
            values.pop("num", None)  # ngettext puts the count back as %(num)s
            return ngettext(self.text, self.plural, self.values["num"], **values)
        # Without values gettext does not %-format: a literal "%" in the text stays as it is.
        return gettext(self.text, **values) if values else gettext(self.text)

    def to_json(self) -> dict:
        """The message as stored in a report."""
        data: dict = {"text": self.text, "values": self.values}
        if self.numbers:
            data["numbers"] = list(self.numbers)
        if self.plural is not None:
            data["plural"] = self.plural
        return data

    @classmethod
    def from_json(cls, data: dict | str) -> "Message":
        """A stored message; reports stored before messages had values hold plain text."""
        if isinstance(data, str):
            return cls(data)
        return cls(data["text"], dict(data.get("values") or {}),
                   tuple(data.get("numbers") or ()), data.get("plural"))


# --- messages that other services raise ---------------------------------------------------


class _Recorded(str):
    """Text gettext gave, remembering the message it came from."""

    message: Message


def _recorded(text: str, message: Message) -> _Recorded:
    result = _Recorded(text)
    result.message = message
    return result


class _Recording(Domain):
    """The app's domain, translating as usual; every text it gives remembers its msgid and
    values, so that a message a service raised can be translated again for a later reader."""

    def __init__(self, inner: Domain):
        super().__init__()
        self._inner = inner

    def get_translations(self):
        return self._inner.get_translations()

    def gettext(self, string, **variables):
        return _recorded(super().gettext(string, **variables),
                         Message(string, _plain_values(variables)))

    def ngettext(self, singular, plural, num, **variables):
        text = super().ngettext(singular, plural, num, **variables)
        return _recorded(text, Message(singular, _plain_values({"num": num, **variables}),
                                       plural=plural))


@contextmanager
def recording() -> Iterator[None]:
    """While it lasts, texts from gettext in this app context carry their msgid and values.

    Services (money, localtime, cities) raise errors with text already translated into the
    locale of the moment, which is the default one in a background thread. The app context is
    the thread's own, so requests served meanwhile are not affected.
    """
    if not has_app_context():
        yield
        return
    previous = get_domain()
    _Recording(previous).as_default()
    try:
        yield
    finally:
        previous.as_default()


def from_error(error: Exception) -> Message:
    """The message of a service's error: its msgid and values when they were recorded, else
    its text as it is."""
    text = error.args[0] if error.args else ""
    message = getattr(text, "message", None)
    return message if isinstance(message, Message) else Message(str(text))
