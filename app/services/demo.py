"""Demo data (placeholder until written)."""


def seed(screening_count=None, contribution_count=None) -> str:
    """Load demo data."""
    raise NotImplementedError
