"""The money dashboards: /coordination/money for the tour, /organiser/money for the user's
collectives. Figures on the page equal the ledger service's; filters narrow them; bad filters
answer 400 with messages; organisers see only their own collectives' money."""

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask import template_rendered

from app.extensions import db
from app.models import ExchangeRate, Role, Status
from app.services import ledger
from app.services.ledger import Filters
from app.templating import format_money
from tests.conftest import login, make_collective, make_screening, make_user
from tests.helpers import page, visible_text

TODAY = date(2026, 6, 30)


def figure(response, name: str) -> str | None:
    """The text of a headline figure (data-figure="raised", "reached", "pledged")."""
    found = re.search(rf'data-figure="{name}">([^<]*)<', page(response))
    return found.group(1) if found else None


def money_of(**filters) -> str:
    return format_money(ledger.totals(Filters(**filters)).base_amount_minor, "EUR")


@pytest.fixture
def world(catalogue):
    """Collective A in Helsinki and B in Warsaw; money in EUR, PLN (with a rate) and UAH
    (without one), pledged and confirmed; one held screening of A that reported nothing."""
    a, b = make_collective("kino-kollektiv"), make_collective("warsaw-collective")
    coordinator = make_user(Role.COORDINATOR)
    db.session.add(ExchangeRate(currency="PLN", valid_on=date(2026, 1, 1), per_base=Decimal(4)))
    db.session.commit()
    helsinki = make_screening(a, coordinator, Status.HELD, starts_at=datetime(2026, 4, 18, 19),
                              title="Spring night")
    warsaw = make_screening(b, coordinator, Status.HELD, starts_at=datetime(2026, 5, 10, 19),
                            city="Warsaw", country="PL", title="Warsaw night")
    silent = make_screening(a, coordinator, Status.HELD, starts_at=datetime(2026, 6, 1, 19),
                            title="Quiet night")
    for item, amount, currency, state, day in [
        (helsinki, "100.00", "EUR", "confirmed", date(2026, 4, 20)),
        (helsinki, "50.00", "EUR", "pledged", date(2026, 4, 20)),
        (helsinki, "200.00", "PLN", "collected", date(2026, 4, 20)),
        (helsinki, "1000.00", "UAH", "collected", date(2026, 4, 21)),
        (warsaw, "30.00", "EUR", "transferred", date(2026, 5, 12)),
    ]:
        ledger.record_contribution(item.fundraiser, coordinator, amount=amount,
                                   currency=currency, received_on=day, channel="door",
                                   state=state, today=TODAY)
    db.session.commit()
    return {"a": a, "b": b, "coordinator": coordinator, "silent": silent,
            "helsinki": helsinki, "warsaw": warsaw}


@pytest.fixture
def as_coordinator(client, world):
    login(client, world["coordinator"])
    return client


# --- who may open it ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/coordination/money", "/organiser/money"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path + "?country=FI")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("role", "coordination", "organiser"), [
    (Role.ORGANISER, 403, 200), (Role.COORDINATOR, 200, 200), (Role.ADMIN, 200, 200)])
def test_role_matrix(client, world, role, coordination, organiser):
    login(client, make_user(role, world["a"]))
    assert client.get("/coordination/money").status_code == coordination
    assert client.get("/organiser/money").status_code == organiser


def test_both_home_pages_link_to_the_money(client, world):
    login(client, world["coordinator"])
    assert 'href="/coordination/money"' in page(client.get("/coordination/"))
    assert 'href="/organiser/money"' in page(client.get("/organiser/"))


# --- figures -----------------------------------------------------------------------------


def test_the_headline_equals_the_ledger_service(as_coordinator):
    response = as_coordinator.get("/coordination/money")
    assert response.status_code == 200
    totals = ledger.totals(Filters())
    assert figure(response, "raised") == format_money(totals.base_amount_minor, "EUR") == \
        "€180.00"  # 100 EUR + 200 PLN at 4 + 30 EUR; the pledge and the UAH are not in it
    assert figure(response, "reached") == format_money(totals.reached_minor, "EUR") == "€130.00"
    assert figure(response, "pledged") == format_money(totals.pledged_minor, "EUR") == "€50.00"
    text = visible_text(response)
    assert "72% of what was raised" in text  # 130 / 180
    assert "1 open pledge" in text


def test_unconverted_money_is_counted_with_the_currency_and_a_link_to_the_rates(as_coordinator):
    response = as_coordinator.get("/coordination/money")
    warning = re.search(r'data-figure="unconverted">(.*?)</div>', page(response), re.S).group(1)
    assert "1 contribution not converted" in warning and "(UAH)" in warning
    assert 'href="/coordination/rates"' in warning
    text = visible_text(response)
    assert "UAH1,000.00" in text  # the native subtotal beside the base total
    assert "PLN200.00" in text and "€50.00" in text


def test_the_pipeline_shows_each_state_with_amount_and_count(as_coordinator):
    html = page(as_coordinator.get("/coordination/money"))
    steps = dict(re.findall(r'data-state="(\w+)">\s*<span class="step-name">[^<]*</span>\s*'
                            r'<span class="step-amount">([^<]*)</span>', html))
    assert steps == {"pledged": "€50.00", "collected": "€50.00", "transferred": "€30.00",
                     "confirmed": "€100.00"}
    assert "1 not converted" in html  # the UAH contribution, collected


@pytest.mark.parametrize(("query", "filters", "expected"), [
    ("country=FI", {"country": "FI"}, "€150.00"),
    ("country=pl", {"country": "PL"}, "€30.00"),
    ("from=2026-05-01", {"date_from": date(2026, 5, 1)}, "€30.00"),
    ("to=2026-04-30", {"date_to": date(2026, 4, 30)}, "€150.00"),
    ("collective=warsaw-collective", {"collective": "warsaw-collective"}, "€30.00"),
    ("film=part-one&beneficiary=solidarity-collectives",
     {"film": "part-one", "beneficiary": "solidarity-collectives"}, "€180.00"),
    ("from=2026-01-01&to=2026-01-31", {"date_from": date(2026, 1, 1),
                                       "date_to": date(2026, 1, 31)}, "€0.00"),
])
def test_filters_narrow_the_figures(as_coordinator, query, filters, expected):
    response = as_coordinator.get(f"/coordination/money?{query}")
    assert response.status_code == 200
    assert figure(response, "raised") == money_of(**filters) == expected


def test_breakdowns_list_each_country_city_collective_film_beneficiary_and_month(as_coordinator):
    text = visible_text(as_coordinator.get("/coordination/money"))
    for label in ("Finland", "Poland", "Helsinki, FI", "Warsaw, PL", "Kino Kollektiv",
                  "Warsaw Collective", "Part One: Resistance", "Solidarity Collectives",
                  "April 2026", "May 2026"):
        assert label in text
    assert "can add up to more than the total" in text  # co-hosting note


def test_a_month_without_money_shows_as_zero(as_coordinator, world):
    ledger.record_contribution(world["warsaw"].fundraiser, world["coordinator"], amount="5.00",
                               currency="EUR", received_on=date(2026, 7, 2), channel="door",
                               today=date(2026, 7, 3))
    db.session.commit()
    text = visible_text(as_coordinator.get("/coordination/money"))
    assert re.search(r"June 2026 €0.00 €0.00 €0.00 0 0", text)


def test_charts_are_well_formed_svg_images(as_coordinator):
    html = page(as_coordinator.get("/coordination/money"))
    svgs = re.findall(r"<svg xmlns=.*?</svg>", html, re.S)
    assert len(svgs) == 2
    month, country = (ET.fromstring(svg) for svg in svgs)  # noqa: S314 (our own markup)
    for svg in (month, country):
        assert svg.get("role") == "img" and svg.get("aria-labelledby")
    ns = "{http://www.w3.org/2000/svg}"
    assert [g.get("data-key") for g in month.iter(f"{ns}g") if g.get("data-key")] == [
        "2026-04", "2026-05"]
    totals = {g.get("data-key"): int(g.get("data-total")) for g in country.iter(f"{ns}g")
              if g.get("data-key")}
    assert totals == {"FI": 15_000, "PL": 3_000}


def test_csv_links_carry_the_filters(as_coordinator):
    html = page(as_coordinator.get("/coordination/money?country=FI&film=part-one&page=2"))
    assert 'href="/coordination/money/export/contributions.csv?country=FI&film=part-one"' in html
    for name in ("month", "country", "city", "collective", "film", "beneficiary"):
        assert f'href="/coordination/money/export/{name}.csv?country=FI&film=part-one"' in html


def test_goal_progress_and_the_unreported_screening(as_coordinator, world):
    response = as_coordinator.get("/coordination/money")
    html, text = page(response), visible_text(response)
    assert re.search(r'<progress max="50000" value="15000"[^>]*>30%</progress>', html)
    assert re.search(r'<progress max="50000" value="3000"[^>]*>6%</progress>', html)
    unreported = html[html.index('id="unreported"'):]
    assert "Quiet night" in unreported and "Spring night" not in unreported
    days = (date.today() - date(2026, 6, 1)).days
    assert re.search(rf"Quiet night.*?<td class=\"num\">{days}</td>", unreported, re.S)
    assert "1 screening has taken place without reporting any money yet" in text


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "page=999"])
def test_a_strange_page_number_still_shows_the_dashboard(as_coordinator, query):
    assert as_coordinator.get(f"/coordination/money?{query}").status_code == 200


# --- bad filters -------------------------------------------------------------------------


def test_bad_filters_answer_400_with_a_message_for_each(as_coordinator):
    response = as_coordinator.get("/coordination/money?from=2026-13-01&to=soon&country=ZZ"
                                  "&film=no-film&beneficiary=nobody&collective=nowhere")
    assert response.status_code == 400
    text = visible_text(response)
    for message in ("Use a date like 2026-04-30.", "There is no country with the code 'ZZ'.",
                    "There is no film 'no-film'.", "There is no beneficiary 'nobody'.",
                    "There is no collective 'nowhere'."):
        assert message in text
    assert 'aria-invalid="true"' in page(response)
    assert figure(response, "raised") is None  # no figures for filters that mean nothing
    assert 'value="2026-13-01"' in page(response)  # what was typed stays in the field


def test_an_end_date_before_the_start_is_refused(as_coordinator):
    response = as_coordinator.get("/coordination/money?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 400
    assert "The end date is before the start date." in visible_text(response)


def test_a_very_long_value_is_refused_not_a_500(as_coordinator):
    response = as_coordinator.get("/coordination/money?film=" + "x" * 5000)
    assert response.status_code == 400


# --- the organisers' share ---------------------------------------------------------------


def test_an_organiser_sees_only_their_collectives_money(client, world):
    login(client, make_user(Role.ORGANISER, world["a"]))
    response = client.get("/organiser/money")
    assert response.status_code == 200
    assert figure(response, "raised") == money_of(collective_ids=frozenset({world["a"].id})) \
        == "€150.00"
    html = page(response)
    assert "Warsaw night" not in html and "Warsaw Collective" not in html
    assert 'value="warsaw-collective"' not in html  # not offered in the collective filter
    assert 'value="kino-kollektiv"' in html
    assert 'href="/organiser/money/export/contributions.csv"' in html
    assert "/coordination/rates" not in html  # organisers cannot enter rates


def test_an_organiser_cannot_filter_by_another_collective(client, world):
    login(client, make_user(Role.ORGANISER, world["a"]))
    other = client.get("/organiser/money?collective=warsaw-collective")
    unknown = client.get("/organiser/money?collective=no-such-collective")
    assert other.status_code == unknown.status_code == 400
    assert "There is no collective 'warsaw-collective'." in visible_text(other)
    assert figure(other, "raised") is None and "Warsaw night" not in page(other)
    own = client.get("/organiser/money?collective=kino-kollektiv&country=PL")
    assert own.status_code == 200 and figure(own, "raised") == "€0.00"


def test_a_co_hosting_organiser_sees_the_shared_screening(client, world):
    world["warsaw"].collectives.append(world["a"])
    db.session.commit()
    login(client, make_user(Role.ORGANISER, world["a"]))
    assert figure(client.get("/organiser/money"), "raised") == "€180.00"


def test_someone_in_no_collective_gets_an_explanation(client, world):
    login(client, make_user(Role.ORGANISER))
    response = client.get("/organiser/money")
    assert response.status_code == 200
    assert "not a member of any collective" in visible_text(response)
    assert figure(response, "raised") is None


def test_a_coordinator_sees_their_own_memberships_on_the_organiser_page(client, world):
    login(client, make_user(Role.COORDINATOR, world["b"]))
    response = client.get("/organiser/money")
    assert figure(response, "raised") == "€30.00"
    assert 'href="/coordination/money"' in page(client.get("/organiser/money"))


def test_an_empty_tour_shows_zeros_not_an_error(client, catalogue):
    login(client, make_user(Role.COORDINATOR))
    response = client.get("/coordination/money")
    assert response.status_code == 200
    assert figure(response, "raised") == "€0.00"
    assert "No money recorded for these filters." in visible_text(response)
    assert "<svg xmlns" not in page(response)


def test_names_are_escaped_in_tables_and_charts(client, world):
    world["b"].name = '<script>alert("x")</script>'
    db.session.commit()
    login(client, world["coordinator"])
    html = client.get("/coordination/money").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


# --- the figures' cache: one per worker, keyed by the ledger's revision -------------------


@pytest.fixture
def workers(app):
    """Two more apps on the same database with the cache on, like two gunicorn workers (or
    two instances); their connections are closed before the cleanup empties the tables."""
    from app import create_app
    from tests.conftest import FreshContextClient

    made = []
    for _ in range(2):
        worker = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config[
            "SQLALCHEMY_DATABASE_URI"], LEDGER_CACHE_SIZE=8,
            MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"])
        worker.test_client_class = FreshContextClient
        made.append(worker)
    yield made
    for worker in made:
        with worker.app_context():
            db.session.remove()
            db.engine.dispose()


def _counted(worker, action):
    from sqlalchemy import event

    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with worker.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = action()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
    return result, statements


def test_a_warm_dashboard_reads_only_the_revision(workers, world):
    from app.services.ledger import cache, progress

    first, cold = _counted(workers[0], lambda: progress.dashboard(Filters(), today=TODAY))
    again, warm = _counted(workers[0], lambda: progress.dashboard(Filters(), today=TODAY))

    assert again is first and len(cold) > 5
    assert len(warm) == 1 and "revisions" in warm[0]
    with workers[0].app_context():
        assert cache.figure_cache().hits == 1
    # Other filters, pages and days are other figures.
    other, more = _counted(workers[0], lambda: progress.dashboard(
        Filters(country="PL"), today=TODAY))
    assert other is not first and len(more) == len(cold)


def test_a_write_in_another_worker_is_seen_at_once(workers, world):
    from app.services.ledger import progress

    def raised():
        return progress.dashboard(Filters(), today=TODAY).totals.base_amount_minor

    before, _ = _counted(workers[0], raised)
    _counted(workers[0], raised)  # now cached

    def write():
        fundraiser = db.session.get(type(world["warsaw"].fundraiser),
                                    world["warsaw"].fundraiser.id)
        ledger.record_contribution(fundraiser, db.session.get(type(world["coordinator"]),
                                                              world["coordinator"].id),
                                   amount="7.00", currency="EUR", received_on=date(2026, 5, 12),
                                   channel="door", state="collected", today=TODAY)
        db.session.commit()

    _counted(workers[1], write)
    after, statements = _counted(workers[0], raised)

    assert after == before + 700 and len(statements) > 1


def test_a_rate_change_elsewhere_reaches_the_cached_figures(workers, world):
    # Service calls, not requests: the public cache middleware keeps a connection per
    # thread that a second app on PostgreSQL would leave open (see the report).
    from app.services import rates
    from app.services.ledger import progress

    def board():
        return progress.dashboard(Filters(), today=TODAY)

    before, _ = _counted(workers[0], board)
    assert before.missing_rates == ["UAH"] and _counted(workers[0], board)[0] is before

    def add_rate():
        rates.set_rates([("UAH", date(2026, 1, 1), Decimal(40))],
                        db.session.get(type(world["coordinator"]), world["coordinator"].id),
                        today=TODAY)
        db.session.commit()

    _counted(workers[1], add_rate)
    after, _ = _counted(workers[0], board)
    assert after.missing_rates == [] and after.totals.unconverted == 0
    assert after.totals.base_amount_minor == before.totals.base_amount_minor + 2500


def test_a_transaction_that_changed_the_ledger_keeps_nothing(workers, world):
    from app.services.ledger import cache, progress

    def write_then_read():
        fundraiser = db.session.get(type(world["warsaw"].fundraiser),
                                    world["warsaw"].fundraiser.id)
        ledger.record_contribution(fundraiser, db.session.get(type(world["coordinator"]),
                                                              world["coordinator"].id),
                                   amount="9.00", currency="EUR", received_on=date(2026, 5, 12),
                                   channel="door", state="collected", today=TODAY)
        figures = progress.dashboard(Filters(), today=TODAY)
        db.session.rollback()  # the write never happened
        return figures, len(cache.figure_cache().entries)

    (figures, kept), _ = _counted(workers[0], write_then_read)
    assert kept == 0
    fresh, _ = _counted(workers[0], lambda: progress.dashboard(Filters(), today=TODAY))
    assert fresh.totals.base_amount_minor == figures.totals.base_amount_minor - 900


def test_an_organisers_scope_is_part_of_the_key(workers, world):
    from app.services.ledger import progress

    def share(collective):
        return progress.dashboard(Filters(collective_ids=frozenset({collective.id})),
                                  today=TODAY).totals.base_amount_minor

    (a, b), _ = _counted(workers[0], lambda: (share(world["a"]), share(world["b"])))
    assert a != b
    with workers[1].app_context():
        assert (a, b) == (ledger.totals(collective_ids={world["a"].id}).base_amount_minor,
                          ledger.totals(collective_ids={world["b"].id}).base_amount_minor)


def test_the_suites_shared_app_keeps_no_figures(app):
    from app.services.ledger import cache

    assert app.config.get("LEDGER_CACHE_SIZE") is None
    assert cache.figure_cache().size == 0


def test_a_reloaded_dashboard_page_is_not_rendered_again(workers, world):
    # The page's body is kept per ledger revision: a reload runs no ledger query and renders
    # no template but the frame; a write (in another worker) shows at once.
    client = workers[0].test_client()
    login(client, world["coordinator"])
    client.get("/coordination/money")  # shows (and so clears) the login's welcome message
    first, _ = _counted(workers[0], lambda: visible_text(client.get("/coordination/money")))
    rendered = []

    def record(_sender, template, **_extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, workers[0]):
        again, statements = _counted(workers[0],
                                     lambda: visible_text(client.get("/coordination/money")))

    assert "€180.00" in first
    assert again == first
    assert "money/dashboard.html" in rendered and "money/_body.html" not in rendered
    assert not [s for s in statements if "ledger_" in s or "contributions" in s], statements

    def write():
        fundraiser = db.session.get(type(world["warsaw"].fundraiser),
                                    world["warsaw"].fundraiser.id)
        ledger.record_contribution(fundraiser, db.session.get(type(world["coordinator"]),
                                                              world["coordinator"].id),
                                   amount="7.00", currency="EUR", received_on=date(2026, 5, 12),
                                   channel="door", state="collected", today=TODAY)
        db.session.commit()

    _counted(workers[1], write)
    after, _ = _counted(workers[0], lambda: visible_text(client.get("/coordination/money")))
    assert "€187.00" in after


def test_the_kept_page_is_per_language_filters_and_scope(workers, world):
    client = workers[0].test_client()
    login(client, world["coordinator"])
    english = visible_text(client.get("/coordination/money"))
    italian = visible_text(client.get("/coordination/money",
                                      headers={"Accept-Language": "it"}))
    poland = visible_text(client.get("/coordination/money?country=PL"))
    assert "€180.00" in english and "180,00" in italian
    assert "€30.00" in poland and "€180.00" not in poland
    # An organiser of collective B sees B's share, not the tour's page kept a moment ago.
    organiser = make_user(Role.ORGANISER, collective=world["b"])
    member = workers[0].test_client()
    login(member, organiser)
    share = visible_text(member.get("/organiser/money"))
    assert "€30.00" in share and "€180.00" not in share
