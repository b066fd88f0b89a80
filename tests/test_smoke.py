"""The app starts, migrates, and answers its home page."""

from app.models import Role, Status
from tests.conftest import make_collective, make_screening, make_user


def test_home_page_lists_a_published_screening(client, catalogue):
    collective = make_collective()
    make_screening(collective, status=Status.PUBLISHED, title="Smoke test night")
    make_user(Role.ORGANISER, collective)
    response = client.get("/")
    assert response.status_code == 200
    assert "Smoke test night" in response.get_data(as_text=True)
