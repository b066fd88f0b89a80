"""Accessibility in the real browser: axe-core (WCAG 2.0/2.1/2.2, A and AA) finds no serious or
critical problem on any page type at phone and desktop widths; on a phone no page scrolls
sideways, tables scroll in their own box and controls are big enough to tap; the keyboard
reaches the list past the map and sees where its focus is; form errors are announced."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.browser.conftest import (
    COORDINATOR,
    DESKTOP,
    ORGANISER,
    PHONE,
    axe_violations,
    describe,
    require_axe,
    shoot,
)

pytestmark = pytest.mark.browser


# This module runs on its own live server and database (tests/browser/conftest.py): it turns
# off tests/conftest.py's per-test app context and gazetteer warm-up, which it does not use.
@pytest.fixture(autouse=True)
def _app_context():
    yield


@pytest.fixture(scope="session", autouse=True)
def _warm_gazetteer():
    return None


def _submit_empty_screening_form(page) -> None:
    """The screening form sent back with its errors (the browser's own checks are off)."""
    page.fill("#venue_name", "")
    page.fill("#city", "")
    page.click("main form.form button[type=submit]")
    page.wait_for_selector(".error-summary")


@dataclass(frozen=True)
class PageType:
    """One kind of page: who looks at it, where, and what to do there first."""

    name: str
    actor: str  # "visitor", "organiser", "coordinator" or "pending" (between the two steps)
    path: str  # {ids[key]} placeholders are filled from the seed
    then: Callable | None = None
    status: int = 200


PAGES = [
    PageType("home", "visitor", "/"),
    PageType("past", "visitor", "/past"),
    PageType("screening", "visitor", "/screenings/{warsaw}"),
    PageType("collective", "visitor", "/collectives/kino-kollektiv"),
    PageType("film", "visitor", "/films/part-one"),
    PageType("beneficiary", "visitor", "/beneficiaries/solidarity-collectives"),
    PageType("transparency", "visitor", "/transparency"),
    PageType("embed", "visitor", "/embed"),
    PageType("login", "visitor", "/login"),
    PageType("not-found", "visitor", "/no-such-page", status=404),
    PageType("two-factor", "pending", "/login/two-factor"),
    PageType("organiser-index", "organiser", "/organiser/"),
    PageType("organiser-screening", "organiser", "/organiser/screenings/{past}"),
    PageType("screening-form", "organiser", "/organiser/screenings/new"),
    PageType("screening-form-errors", "organiser", "/organiser/screenings/new",
             then=_submit_empty_screening_form),
    PageType("contribution-form", "organiser", "/organiser/screenings/{past}/contributions/new"),
    PageType("organiser-money", "organiser", "/organiser/money"),
    PageType("account", "organiser", "/account/"),
    PageType("tokens", "organiser", "/account/tokens"),
    PageType("coordination-index", "coordinator", "/coordination/"),
    PageType("money-dashboard", "coordinator", "/coordination/money"),
    PageType("rates", "coordinator", "/coordination/rates"),
    PageType("import", "coordinator", "/coordination/import"),
    PageType("audit-log", "coordinator", "/coordination/audit"),
    PageType("films", "coordinator", "/coordination/films"),
    PageType("film-texts", "coordinator", "/coordination/films/part-one/texts"),
]
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="module")
def axe_source() -> str:
    return require_axe()


@pytest.fixture(scope="module")
def actors(live, browser):
    """One page per actor, kept for the whole module: a visitor, a logged-in organiser and
    coordinator (through the real forms, the coordinator with 2FA), and a coordinator who
    gave the password and stands at the second step."""
    pages = {}
    for actor in ("visitor", "organiser", "coordinator", "pending"):
        context = browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(10_000)
        pages[actor] = context.new_page()
    live.log_in(pages["organiser"], ORGANISER)
    live.log_in(pages["coordinator"], COORDINATOR)
    pending = pages["pending"]
    pending.goto(live.url + "/login")
    pending.fill("#email", COORDINATOR)
    pending.fill("#password", "x" * 20)
    pending.click("main form.form button[type=submit]")
    pending.wait_for_url("**/login/two-factor")
    yield pages
    for page in pages.values():
        page.context.close()


def _open(live, actors, kind: PageType, size: dict):
    page = actors[kind.actor]
    page.set_viewport_size(size)
    response = page.goto(live.url + kind.path.format(**live.ids))
    assert response.status == kind.status, (kind.name, page.url)
    if kind.then:
        kind.then(page)
    return page


CASES = [pytest.param(kind, width, id=f"{kind.name}-{width}")
         for kind in PAGES for width in WIDTHS]


@pytest.mark.parametrize(("kind", "width"), CASES)
def test_axe_finds_no_serious_problem(live, actors, axe_source, kind, width):
    page = _open(live, actors, kind, WIDTHS[width])
    violations = axe_violations(page, axe_source)
    shoot(page, f"{kind.name}-{width}")
    assert not violations, f"{kind.name} at {width} width:\n{describe(violations)}"


# Per element: whether it makes the page wider than the screen, and for each table whether
# it sits in a box of its own that scrolls sideways.
LAYOUT_JS = """() => {
    const visible = e => { const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (e.className && typeof e.className === 'string'
           ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    const wide = [...document.body.querySelectorAll('*')].filter(e => visible(e)
        && e.getBoundingClientRect().right > innerWidth + 1
        && !e.closest('.table-scroll, .leaflet-container')).slice(0, 8).map(name);
    const loose = [...document.querySelectorAll('table')].filter(t => {
        for (let box = t.parentElement; box && box !== document.body; box = box.parentElement) {
            if (['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) return false;
        }
        return true;
    }).map(name);
    const small = [...document.querySelectorAll(
            'button, select, textarea, input:not([type=hidden]), summary, .button')]
        .filter(e => visible(e) && !e.closest('.leaflet-container'))
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.height < 24 || r.width < 24; }).map(name);
    return {scroll: document.documentElement.scrollWidth, inner: innerWidth, wide, loose,
            small};
}"""


@pytest.mark.parametrize("kind", PAGES, ids=[kind.name for kind in PAGES])
def test_phone_layout(live, actors, kind):
    page = _open(live, actors, kind, PHONE)
    layout = page.evaluate(LAYOUT_JS)
    assert layout["scroll"] <= layout["inner"], f"scrolls sideways: {layout['wide']}"
    assert layout["loose"] == [], "tables must scroll inside their own box"
    assert layout["small"] == [], "controls smaller than 24 x 24 px (WCAG 2.5.8)"


def _tab_until(page, predicate: str, limit: int = 60) -> list[str]:
    """Press Tab until the focused element matches the JS predicate; the path taken."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("""() => { const e = document.activeElement;
            return e.tagName + (e.className && typeof e.className === 'string'
                                ? '.' + e.className.split(' ')[0] : ''); }"""))
        if page.evaluate(f"() => {{ const e = document.activeElement; return {predicate}; }}"):
            return seen
    raise AssertionError(f"never reached {predicate} by Tab: {seen}")


def test_the_keyboard_passes_the_map_to_the_list_and_shows_its_focus(live, actors):
    page = _open(live, actors, PAGES[0], DESKTOP)
    page.wait_for_selector("#map[data-loaded]")
    page.evaluate("document.activeElement && document.activeElement.blur()")

    # The first Tab shows the skip link, with a focus ring that can be seen.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
    assert ring[0] != "none" and ring[1] >= 2, ring

    # Tab goes into the map and out again: the map is no trap, the list comes after it.
    path = _tab_until(page, "e.closest('#map') !== null")
    path += _tab_until(page, "e.closest('.results .card') !== null")
    assert path[-1].startswith("A"), path
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none"

    # Shift+Tab walks back into the map the same way.
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.closest('#map') !== null"):
            break
    else:
        raise AssertionError("Shift+Tab never went back into the map")


def test_buttons_and_fields_show_keyboard_focus(live, actors):
    page = _open(live, actors, PAGES[8], DESKTOP)  # the login form
    page.focus("#email")
    page.keyboard.press("Tab")  # to the password field, by keyboard: :focus-visible applies
    for _ in range(4):
        style = page.evaluate("""() => { const e = document.activeElement,
            s = getComputedStyle(e); return [e.tagName, s.outlineStyle,
            parseFloat(s.outlineWidth)]; }""")
        assert style[1] != "none" and style[2] >= 2, style
        page.keyboard.press("Tab")


def test_form_errors_are_announced_and_tied_to_their_fields(live, actors):
    page = _open(live, actors, PAGES[14], DESKTOP)
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() >= 2
    for n in range(invalid.count()):
        field = invalid.nth(n)
        described = (field.get_attribute("aria-describedby") or "").split()
        texts = [page.locator(f"#{ref}").inner_text() for ref in described]
        assert any(text.strip() for text in texts), field.evaluate("e => e.outerHTML")
    # The summary's links lead to the fields they name.
    first = summary.locator("a").first
    target = first.get_attribute("href")
    first.click()
    assert page.evaluate("'#' + document.activeElement.id") == target
