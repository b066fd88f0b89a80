"""Domain errors that services raise and routes turn into messages or status codes."""


class DomainError(Exception):
    """A rule blocked the action; the message is safe to show to the person acting."""


class NotFound(DomainError):
    """The object does not exist, or exists but is not the caller's to see (both answer 404)."""


class ValidationFailed(DomainError):
    """Input broke a rule that needs the database; fields maps form field names to messages."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


class TransitionError(DomainError):
    """A lifecycle change that is not allowed from the current state."""
