"""The organiser pages through their forms: register, edit, submit, mark held, record money.

Bad input must answer 422 with the reason on the page and write nothing; another
collective's screening must answer 404 on every route and stay as it was.
"""

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    City,
    Contribution,
    ContributionState,
    Country,
    Fundraiser,
    Role,
    Screening,
    Status,
    Venue,
)
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page, visible_text

NEXT_YEAR = date.today().year + 1
SUMMER_EVENING = f"{NEXT_YEAR}-06-15T19:00"  # EEST, UTC+3 in Helsinki
WINTER_EVENING = f"{NEXT_YEAR}-01-15T19:00"  # EET, UTC+2 in Helsinki


@pytest.fixture(autouse=True)
def helsinki():
    """Helsinki already known, so that forms need not search the whole gazetteer (~0.5 s)."""
    city = City(name="Helsinki", country=Country(code="FI", name="Finland"), lat=60.16952,
                lon=24.93545, timezone="Europe/Helsinki", geonames_id=658225)
    db.session.add(city)
    db.session.commit()
    return city


@pytest.fixture
def collective(catalogue):
    """The host collective (with the film and beneficiary in the catalogue)."""
    return make_collective("kino-kollektiv")


@pytest.fixture
def other_collective(catalogue):
    """A collective the organiser does not belong to."""
    return make_collective("other-collective")


@pytest.fixture
def organiser(collective):
    """A member of `collective`."""
    return make_user(Role.ORGANISER, collective)


@pytest.fixture
def member_client(client, organiser):
    """The client, logged in as the member of `collective`."""
    login(client, organiser)
    return client


def form_data(collective, **changes) -> dict:
    """A valid screening form for Helsinki next June, with the given changes."""
    data = {
        "film": "part-one", "collective": collective.slug, "title": "Solidarity night",
        "city": "Helsinki", "country": "FI", "venue_name": "Lepakkomies",
        "venue_address": "Secret Street 1", "visibility": "city_only",
        "starts_at": SUMMER_EVENING, "language": "Ukrainian", "subtitles": "English",
        "description": "Film and discussion.", "beneficiary": "solidarity-collectives",
        "purpose": "Medical supplies", "goal_amount": "500.00", "goal_currency": "EUR",
    }
    data.update(changes)
    return data


def contribution_data(**changes) -> dict:
    """A valid contribution form: 12.50 EUR collected at the door today."""
    data = {"amount": "12.50", "currency": "EUR", "received_on": date.today().isoformat(),
            "channel": "door", "state": "collected", "note": "Door bucket"}
    data.update(changes)
    return data


def local(days: int, hour: int = 19) -> datetime:
    """A naive wall-clock time `days` from now at `hour`, as forms and factories take."""
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def row_counts() -> dict[str, int]:
    """How many screenings, venues, fundraisers, cities and countries are stored."""
    return {m.__name__: count(m) for m in (Screening, Venue, Fundraiser, City, Country)}


def only_screening() -> Screening:
    return db.session.scalars(select(Screening)).one()


def field_value(body: str, name: str) -> str | None:
    """The value attribute of the input called `name`."""
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', body)
    if match is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def selected_option(body: str, name: str) -> str | None:
    """The value of the selected option of the select called `name`."""
    select_html = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select_html, f"no select {name}"
    chosen = re.search(r'<option selected value="([^"]*)"', select_html.group(1))
    return chosen.group(1) if chosen else None


# --- registering -------------------------------------------------------------------------


def test_new_screening_form_is_shown_with_the_only_collective_chosen(member_client,
                                                                      collective):
    response = member_client.get("/organiser/screenings/new")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Register a screening" in body
    for name in ("film", "collective", "city", "country", "venue_name", "starts_at",
                 "beneficiary", "purpose", "goal_amount", "goal_currency"):
        assert f'name="{name}"' in body, name
    assert selected_option(body, "collective") == collective.slug


def test_registering_a_screening_saves_a_draft_in_utc(member_client, collective, organiser):
    response = member_client.post("/organiser/screenings/new", data=form_data(collective))
    assert response.status_code == 302
    screening = only_screening()
    assert response.headers["Location"] == f"/organiser/screenings/{screening.id}"

    assert screening.status == Status.DRAFT
    assert screening.starts_at == datetime(NEXT_YEAR, 6, 15, 16, 0, tzinfo=UTC)
    assert screening.timezone == "Europe/Helsinki"
    assert screening.title == "Solidarity night"
    assert screening.city.name == "Helsinki"
    assert screening.venue.address == "Secret Street 1"
    assert screening.venue.visibility == "city_only"
    assert [c.slug for c in screening.collectives] == [collective.slug]
    assert screening.created_by_id == organiser.id
    assert screening.fundraiser.beneficiary.slug == "solidarity-collectives"
    assert (screening.fundraiser.goal_amount_minor, screening.fundraiser.goal_currency) == (
        50000, "EUR")

    shown = page(member_client.get(response.headers["Location"]))
    assert "Screening saved as a draft." in shown
    assert "Solidarity night" in shown
    assert "Draft" in shown
    assert "19:00 EEST" in shown


@pytest.mark.parametrize(
    ("typed", "utc_hour"),
    [(WINTER_EVENING, 17), (SUMMER_EVENING, 16)],
    ids=["winter-eet", "summer-eest"],
)
def test_start_is_converted_from_helsinki_time(member_client, collective, typed, utc_hour):
    response = member_client.post("/organiser/screenings/new",
                                  data=form_data(collective, starts_at=typed))
    assert response.status_code == 302
    stored = only_screening().starts_at
    assert stored.utcoffset() == timedelta(0)
    assert (stored.date().isoformat(), stored.hour, stored.minute) == (typed[:10], utc_hour, 0)


def test_a_screening_without_goal_is_accepted(member_client, collective):
    response = member_client.post("/organiser/screenings/new",
                                  data=form_data(collective, goal_amount="", goal_currency=""))
    assert response.status_code == 302
    fundraiser = only_screening().fundraiser
    assert (fundraiser.goal_amount_minor, fundraiser.goal_currency) == (None, None)


@pytest.mark.parametrize(("trusted", "status"), [(False, Status.SUBMITTED),
                                                 (True, Status.PUBLISHED)])
def test_submitting_a_draft(client, catalogue, trusted, status):
    collective = make_collective("trusted-ones" if trusted else "new-ones", trusted=trusted)
    login(client, make_user(Role.ORGANISER, collective))
    client.post("/organiser/screenings/new", data=form_data(collective))
    screening = only_screening()
    response = client.post(f"/organiser/screenings/{screening.id}/submit")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organiser/screenings/{screening.id}"
    assert screening.status == status
    assert screening.submitted_at is not None
    assert (screening.published_at is not None) is trusted


def test_submitting_twice_is_refused_with_a_message(member_client, collective):
    member_client.post("/organiser/screenings/new", data=form_data(collective))
    screening = only_screening()
    member_client.post(f"/organiser/screenings/{screening.id}/submit")
    response = member_client.post(f"/organiser/screenings/{screening.id}/submit",
                                  follow_redirects=True)
    assert "Only a draft can be submitted." in page(response)
    assert screening.status == Status.SUBMITTED


def test_marking_held_after_the_start(client, catalogue):
    collective = make_collective("trusted-ones", trusted=True)
    login(client, make_user(Role.ORGANISER, collective))
    past = local(-2).strftime("%Y-%m-%dT%H:%M")
    client.post("/organiser/screenings/new", data=form_data(collective, starts_at=past))
    screening = only_screening()
    client.post(f"/organiser/screenings/{screening.id}/submit")
    assert screening.status == Status.PUBLISHED

    response = client.post(f"/organiser/screenings/{screening.id}/held", follow_redirects=True)
    assert response.status_code == 200
    assert "Marked as held." in page(response)
    assert screening.status == Status.HELD


def test_marking_held_before_the_start_is_refused(client, catalogue):
    collective = make_collective("trusted-ones", trusted=True)
    login(client, make_user(Role.ORGANISER, collective))
    client.post("/organiser/screenings/new", data=form_data(collective))
    screening = only_screening()
    client.post(f"/organiser/screenings/{screening.id}/submit")

    response = client.post(f"/organiser/screenings/{screening.id}/held", follow_redirects=True)
    assert "only after it has started" in page(response)
    assert screening.status == Status.PUBLISHED


def test_marking_a_draft_held_is_refused(member_client, collective):
    member_client.post("/organiser/screenings/new",
                       data=form_data(collective, starts_at=local(-2).strftime("%Y-%m-%dT%H:%M")))
    screening = only_screening()
    response = member_client.post(f"/organiser/screenings/{screening.id}/held",
                                  follow_redirects=True)
    assert "Only a published screening can be marked as held." in page(response)
    assert screening.status == Status.DRAFT


# --- bad input on the screening form -----------------------------------------------------


def test_empty_form_answers_422_and_writes_nothing(member_client):
    before = row_counts()
    response = member_client.post("/organiser/screenings/new", data={})
    assert response.status_code == 422
    shown = page(response)
    assert "This field is required." in shown
    assert "Enter the date and time." in shown
    assert row_counts() == before


@pytest.mark.parametrize("missing", ["film", "city", "country", "venue_name", "starts_at",
                                     "beneficiary", "purpose", "collective"])
def test_each_required_field_is_required(member_client, collective, missing):
    data = form_data(collective)
    del data[missing]
    response = member_client.post("/organiser/screenings/new", data=data)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert count(Screening) == count(Venue) == count(Fundraiser) == 0


BAD_SCREENING_INPUT = [
    ("unknown-film", {"film": "no-such-film"}, "Choose a film from the list."),
    ("unknown-beneficiary", {"beneficiary": "nobody"}, "Choose who the money is for."),
    ("unknown-city", {"city": "Atlantis"}, "We do not know a city called 'Atlantis' in Finland."),
    ("unknown-country", {"country": "XX"}, "'XX' is not a known ISO 3166 country code."),
    ("dst-gap", {"starts_at": "2027-03-28T03:30"},
     "2027-03-28 03:30 does not exist in Europe/Helsinki"),
    ("not-a-datetime", {"starts_at": "15.06.2030 19:00"}, "Not a valid datetime value."),
    ("negative-goal", {"goal_amount": "-5"}, "The amount cannot be negative."),
    ("zero-goal", {"goal_amount": "0"}, "A goal must be more than zero, or left empty."),
    ("too-precise-goal", {"goal_amount": "12.345"}, "EUR amounts have 2 decimal places at most."),
    ("exponent-goal", {"goal_amount": "1e5"},
     "Enter the amount as digits, e.g. "),
    ("nan-goal", {"goal_amount": "NaN"},
     "Enter the amount as digits, e.g. "),
    ("unknown-currency", {"goal_currency": "XYZ"}, "XYZ is not a known ISO 4217 currency."),
    ("malformed-currency", {"goal_currency": "EURO"}, "Use a three-letter currency code"),
    ("long-title", {"title": "t" * 201}, "Field cannot be longer than 200 characters."),
    ("long-description", {"description": "d" * 5001},
     "Field cannot be longer than 5000 characters."),
    ("long-venue", {"venue_name": "v" * 201}, "Field cannot be longer than 200 characters."),
    ("blank-venue", {"venue_name": "   "}, "Enter the venue."),
    ("blank-purpose", {"purpose": "   "}, "Enter what the money is for."),
    ("unknown-visibility", {"visibility": "everyone"}, "Not a valid choice."),
]


@pytest.mark.parametrize(("changes", "message"), [(c, m) for _, c, m in BAD_SCREENING_INPUT],
                         ids=[name for name, _, _ in BAD_SCREENING_INPUT])
def test_bad_screening_input_answers_422_and_writes_nothing(member_client, collective, changes,
                                                            message):
    before = row_counts()
    response = member_client.post("/organiser/screenings/new",
                                  data=form_data(collective, **changes))
    assert response.status_code == 422
    assert message in page(response)
    assert row_counts() == before


def test_a_collective_the_organiser_is_not_in_is_refused(member_client, collective,
                                                         other_collective):
    response = member_client.post("/organiser/screenings/new",
                                  data=form_data(other_collective))
    assert response.status_code == 422
    assert "Choose one of your collectives." in page(response)
    assert count(Screening) == count(Venue) == count(Fundraiser) == 0


def test_a_goal_too_large_to_store_is_refused_with_422(member_client, collective):
    response = member_client.post(
        "/organiser/screenings/new",
        data=form_data(collective, goal_amount="999999999999999", goal_currency="CLF"),
    )
    assert response.status_code == 422
    assert "That amount is too large." in page(response)
    assert count(Screening) == 0


def test_extra_fields_cannot_set_status_or_host(member_client, collective, other_collective):
    data = form_data(collective, status="published", collective_id=str(other_collective.id),
                     created_by_id="999", version="7", published_at="2020-01-01")
    response = member_client.post("/organiser/screenings/new", data=data)
    assert response.status_code == 302
    screening = only_screening()
    assert screening.status == Status.DRAFT
    assert screening.published_at is None
    assert [c.slug for c in screening.collectives] == [collective.slug]

    edit = form_data(collective, title="Edited", status="published",
                     collective_id=str(other_collective.id), version=str(screening.version_id))
    assert member_client.post(f"/organiser/screenings/{screening.id}/edit",
                              data=edit).status_code == 302
    assert screening.title == "Edited"
    assert screening.status == Status.DRAFT
    assert [c.slug for c in screening.collectives] == [collective.slug]


def test_an_organiser_without_collective_gets_403(client, catalogue):
    login(client, make_user(Role.ORGANISER))
    assert client.get("/organiser/screenings/new").status_code == 403
    someone_elses = make_collective("someone-elses")
    response = client.post("/organiser/screenings/new", data=form_data(someone_elses))
    assert response.status_code == 403
    assert count(Screening) == 0
    index = client.get("/organiser/")
    assert index.status_code == 200
    assert "not a member of any collective" in page(index)


# --- editing -------------------------------------------------------------------------------


@pytest.fixture
def draft(collective, organiser):
    """A draft of `collective` registered by the organiser, next June in Helsinki."""
    return make_screening(collective, organiser, title="Solidarity night",
                          starts_at=datetime.fromisoformat(SUMMER_EVENING),
                          venue_address="Secret Street 1")


def test_edit_form_is_prefilled(member_client, draft):
    response = member_client.get(f"/organiser/screenings/{draft.id}/edit")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert field_value(body, "title") == "Solidarity night"
    assert field_value(body, "city") == "Helsinki"
    assert field_value(body, "venue_name") == "Lepakkomies"
    assert field_value(body, "venue_address") == "Secret Street 1"
    assert field_value(body, "starts_at") == SUMMER_EVENING
    assert field_value(body, "purpose") == "Medical supplies"
    assert field_value(body, "goal_amount") == "500.00"
    assert field_value(body, "goal_currency") == "EUR"
    assert field_value(body, "version") == str(draft.version_id)
    assert selected_option(body, "film") == "part-one"
    assert selected_option(body, "country") == "FI"
    assert selected_option(body, "beneficiary") == "solidarity-collectives"
    assert re.search(r'<input checked[^>]*value="city_only"', body)


def test_editing_changes_the_screening(member_client, collective, draft):
    data = form_data(collective, title="New title", venue_address="Other Street 2",
                     starts_at=WINTER_EVENING, goal_amount="750", purpose="Vehicles",
                     version=str(draft.version_id))
    response = member_client.post(f"/organiser/screenings/{draft.id}/edit", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organiser/screenings/{draft.id}"
    assert draft.title == "New title"
    assert draft.venue.address == "Other Street 2"
    assert draft.starts_at == datetime(NEXT_YEAR, 1, 15, 17, 0, tzinfo=UTC)
    assert draft.fundraiser.purpose == "Vehicles"
    assert draft.fundraiser.goal_amount_minor == 75000
    assert "Screening updated." in page(member_client.get(response.headers["Location"]))


def test_editing_with_bad_input_answers_422_and_changes_nothing(member_client, collective,
                                                                draft):
    data = form_data(collective, title="New title", city="Atlantis",
                     version=str(draft.version_id))
    response = member_client.post(f"/organiser/screenings/{draft.id}/edit", data=data)
    assert response.status_code == 422
    assert "We do not know a city called 'Atlantis'" in page(response)
    assert draft.title == "Solidarity night"
    assert draft.city.name == "Helsinki"


def test_editing_from_a_stale_copy_is_refused(app, member_client, collective, draft):
    opened = field_value(member_client.get(f"/organiser/screenings/{draft.id}/edit")
                         .get_data(as_text=True), "version")

    # Someone else saves first, from the same version.
    colleague = app.test_client()
    login(colleague, make_user(Role.ORGANISER, collective))
    first = colleague.post(f"/organiser/screenings/{draft.id}/edit",
                           data=form_data(collective, title="Colleague's title", version=opened))
    assert first.status_code == 302
    assert draft.title == "Colleague's title"

    response = member_client.post(f"/organiser/screenings/{draft.id}/edit",
                                  data=form_data(collective, title="My title", version=opened))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organiser/screenings/{draft.id}"
    assert "since you opened it" in page(member_client.get(response.headers["Location"]))
    assert draft.title == "Colleague's title"


def test_a_stale_copy_cannot_overwrite_a_venue_only_change(member_client, collective):
    member_client.post("/organiser/screenings/new", data=form_data(collective))
    screening = only_screening()
    opened = str(screening.version_id)
    # Only the venue changes: every screening column is sent unchanged.
    first = member_client.post(
        f"/organiser/screenings/{screening.id}/edit",
        data=form_data(collective, venue_address="Moved Street 9", version=opened),
    )
    assert first.status_code == 302
    assert screening.venue.address == "Moved Street 9"

    # A second tab, opened before the move, changes the purpose and sends the old address.
    member_client.post(f"/organiser/screenings/{screening.id}/edit",
                       data=form_data(collective, purpose="Drones", version=opened))
    assert screening.venue.address == "Moved Street 9"
    assert screening.fundraiser.purpose == "Medical supplies"


def test_moving_a_screening_to_a_collective_of_others_is_refused(member_client,
                                                                 other_collective, draft):
    data = form_data(other_collective, version=str(draft.version_id))
    response = member_client.post(f"/organiser/screenings/{draft.id}/edit", data=data)
    assert response.status_code == 422
    assert "Choose one of your collectives." in page(response)
    assert [c.slug for c in draft.collectives] == ["kino-kollektiv"]


# --- contributions ------------------------------------------------------------------------


def test_contribution_form_is_shown_with_the_goal_currency(member_client, draft):
    response = member_client.get(f"/organiser/screenings/{draft.id}/contributions/new")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Record a contribution" in body
    assert field_value(body, "currency") == "EUR"
    assert field_value(body, "received_on") == date.today().isoformat()


@pytest.mark.parametrize(
    ("amount", "currency", "minor", "stored_currency", "shown"),
    [
        ("12.50", "EUR", 1250, "EUR", "€12.50"),
        ("12,50", "EUR", 1250, "EUR", "€12.50"),
        ("7", "eur", 700, "EUR", "€7.00"),
        ("500", "JPY", 500, "JPY", "¥500"),
        ("1.234", "KWD", 1234, "KWD", "KWD1.234"),
    ],
)
def test_recording_a_contribution(member_client, draft, amount, currency, minor,
                                  stored_currency, shown):
    response = member_client.post(f"/organiser/screenings/{draft.id}/contributions/new",
                                  data=contribution_data(amount=amount, currency=currency))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organiser/screenings/{draft.id}"
    contribution = db.session.scalars(select(Contribution)).one()
    assert (contribution.amount_minor, contribution.currency) == (minor, stored_currency)
    assert contribution.fundraiser_id == draft.fundraiser.id
    assert contribution.state == ContributionState.COLLECTED
    assert contribution.received_on == date.today()

    screening_page = page(member_client.get(f"/organiser/screenings/{draft.id}"))
    assert "Contribution recorded." in screening_page
    assert shown in screening_page


def test_screening_page_totals_contributions_in_euros(member_client, draft):
    for amount in ("12.50", "30"):
        member_client.post(f"/organiser/screenings/{draft.id}/contributions/new",
                           data=contribution_data(amount=amount))
    member_client.post(f"/organiser/screenings/{draft.id}/contributions/new",
                       data=contribution_data(amount="100", currency="PLN"))
    shown = visible_text(member_client.get(f"/organiser/screenings/{draft.id}"))
    assert "Total: €42.50 plus 1 not yet converted" in shown


def test_a_pledge_may_be_dated_in_the_future(member_client, draft):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = member_client.post(
        f"/organiser/screenings/{draft.id}/contributions/new",
        data=contribution_data(state="pledged", received_on=tomorrow),
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Contribution)).one().state == ContributionState.PLEDGED


BAD_CONTRIBUTIONS = [
    ("negative", {"amount": "-5"}, "The amount cannot be negative."),
    ("letters", {"amount": "abc"}, "Enter the amount as digits"),
    ("too-precise-eur", {"amount": "12.345"}, "EUR amounts have 2 decimal places at most."),
    ("decimal-jpy", {"amount": "1.5", "currency": "JPY"}, "JPY amounts have no decimal places."),
    ("zero", {"amount": "0"}, "The amount must be greater than zero."),
    ("zero-cents", {"amount": "0.00"}, "The amount must be greater than zero."),
    ("nan", {"amount": "NaN"}, "Enter the amount as digits"),
    ("infinity", {"amount": "Infinity"}, "Enter the amount as digits"),
    ("exponent", {"amount": "1e5"}, "Enter the amount as digits"),
    ("empty", {"amount": ""}, "This field is required."),
    ("unknown-currency", {"currency": "XYZ"}, "XYZ is not a known ISO 4217 currency."),
    ("malformed-currency", {"currency": "E1R"}, "Use a three-letter currency code"),
    ("collected-tomorrow", {"received_on": (date.today() + timedelta(days=2)).isoformat()},
     "Money already received cannot have a date in the future."),
    ("bad-date", {"received_on": "31.12.2025"}, "This field is required."),
    ("unknown-channel", {"channel": "cash"}, "Not a valid choice."),
    ("unknown-state", {"state": "spent"}, "Not a valid choice."),
    ("long-note", {"note": "n" * 2001}, "Field cannot be longer than 2000 characters."),
]


@pytest.mark.parametrize(("changes", "message"), [(c, m) for _, c, m in BAD_CONTRIBUTIONS],
                         ids=[name for name, _, _ in BAD_CONTRIBUTIONS])
def test_bad_contribution_answers_422_and_writes_nothing(member_client, draft, changes,
                                                         message):
    response = member_client.post(f"/organiser/screenings/{draft.id}/contributions/new",
                                  data=contribution_data(**changes))
    assert response.status_code == 422
    assert message in page(response)
    assert count(Contribution) == 0


def test_a_contribution_too_large_to_store_is_refused_with_422(member_client, draft):
    response = member_client.post(
        f"/organiser/screenings/{draft.id}/contributions/new",
        data=contribution_data(amount="999999999999999", currency="CLF"),
    )
    assert response.status_code == 422
    assert "That amount is too large." in page(response)
    assert count(Contribution) == 0


# --- who may do what --------------------------------------------------------------------

SCREENING_ROUTES = [
    ("GET", ""),
    ("GET", "/edit"),
    ("POST", "/edit"),
    ("POST", "/submit"),
    ("POST", "/held"),
    ("GET", "/contributions/new"),
    ("POST", "/contributions/new"),
]
ROUTE_IDS = [f"{method}{path or '/'}" for method, path in SCREENING_ROUTES]


def _snapshot(screening: Screening) -> tuple:
    return (screening.status, screening.title, screening.venue.address,
            screening.fundraiser.purpose, screening.version_id, count(Contribution))


@pytest.fixture
def target(request, collective):
    """A screening of `collective` that the route under test could change.

    Published and two days past for /held, a draft two days past otherwise.
    """
    _method, path = request.param
    status = Status.PUBLISHED if path == "/held" else Status.DRAFT
    return make_screening(collective, make_user(Role.COORDINATOR), status=status,
                          title="Original title", starts_at=local(-2))


def _call(client, method: str, path: str, screening: Screening, collective):
    url = f"/organiser/screenings/{screening.id}{path}"
    if method == "GET":
        return client.get(url)
    data = {}
    if path == "/edit":
        data = form_data(collective, title="Changed title", venue_address="Changed Street",
                         starts_at=local(-2).strftime("%Y-%m-%dT%H:%M"),
                         version=str(screening.version_id))
    elif path == "/contributions/new":
        data = contribution_data()
    return client.post(url, data=data)


@pytest.mark.parametrize(("target", "method", "path"),
                         [((m, p), m, p) for m, p in SCREENING_ROUTES],
                         ids=ROUTE_IDS, indirect=["target"])
def test_another_collectives_organiser_gets_404_and_changes_nothing(
        client, collective, other_collective, target, method, path):
    outsider = make_user(Role.ORGANISER, other_collective, admin_of_collective=True)
    login(client, outsider)
    before = _snapshot(target)
    response = _call(client, method, path, target, collective)
    assert response.status_code == 404
    assert "Not found" in page(response)
    assert "Original title" not in page(response)
    assert _snapshot(target) == before


@pytest.mark.parametrize("role", ["member", Role.COORDINATOR, Role.ADMIN])
@pytest.mark.parametrize(("target", "method", "path"),
                         [((m, p), m, p) for m, p in SCREENING_ROUTES],
                         ids=ROUTE_IDS, indirect=["target"])
def test_members_and_coordinators_may_use_every_route(client, collective, target, method,
                                                      path, role):
    user = make_user(Role.ORGANISER, collective) if role == "member" else make_user(role)
    login(client, user)
    before = _snapshot(target)
    response = _call(client, method, path, target, collective)
    if method == "GET":
        assert response.status_code == 200
        assert _snapshot(target) == before
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == f"/organiser/screenings/{target.id}"
        assert _snapshot(target) != before


@pytest.mark.parametrize(("target", "method", "path"),
                         [((m, p), m, p) for m, p in SCREENING_ROUTES],
                         ids=ROUTE_IDS, indirect=["target"])
def test_anonymous_visitors_are_sent_to_login(client, collective, target, method, path):
    before = _snapshot(target)
    response = _call(client, method, path, target, collective)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert _snapshot(target) == before


def test_losing_membership_takes_effect_at_once(client, collective, organiser, draft):
    login(client, organiser)
    assert client.get(f"/organiser/screenings/{draft.id}").status_code == 200
    for membership in list(organiser.memberships):
        db.session.delete(membership)
    db.session.commit()
    assert client.get(f"/organiser/screenings/{draft.id}").status_code == 404


def test_organiser_index_lists_only_their_collectives_screenings(client, collective,
                                                                 other_collective, organiser):
    coordinator = make_user(Role.COORDINATOR)
    make_screening(collective, coordinator, title="Ours")
    make_screening(other_collective, coordinator, title="Theirs")
    login(client, organiser)
    shown = page(client.get("/organiser/"))
    assert "Ours" in shown
    assert "Theirs" not in shown


def test_coordinator_index_lists_every_screening(client, collective, other_collective):
    coordinator = make_user(Role.COORDINATOR)
    make_screening(collective, coordinator, title="Ours")
    make_screening(other_collective, coordinator, title="Theirs")
    login(client, coordinator)
    shown = page(client.get("/organiser/"))
    assert "Ours" in shown
    assert "Theirs" in shown


def test_a_missing_screening_is_404(member_client):
    assert member_client.get("/organiser/screenings/999999").status_code == 404
    assert member_client.post("/organiser/screenings/999999/submit").status_code == 404
