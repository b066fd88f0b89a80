"""Loading the logged-in user from the session, honouring the per-user session version."""

from ..extensions import db
from ..models import User


def load_user(identity: str) -> User | None:
    """The user for a session identity "id:version"; None once the version was raised."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user
