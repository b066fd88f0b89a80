"""`next` redirects: only paths on this site, however the target is spelled or encoded."""

from urllib.parse import quote, urljoin, urlsplit

import pytest

from app.auth.routes import safe_next
from tests.conftest import PASSWORD, make_user

SITE = "https://screenings.example"

HOSTILE = [
    "//evil.example",
    "///evil.example",
    "////evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "/./\\evil.example",
    "https://evil.example",
    "HTTPS://evil.example/",
    "http:evil.example",
    "https:/evil.example",
    "//evil.example@screenings.example",
    "ftp://evil.example",
    "evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x00javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",  # arrives encoded once more than the query string decodes
    "%5C%5Cevil.example",
    "/\t/evil.example",  # browsers drop tabs and newlines: this would become //evil.example
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\nSet-Cookie: stolen=1",
    "\t//evil.example",
    " //evil.example",
    "\uff0f\uff0fevil.example",  # full-width solidus
    "",
    None,
]

SAME_SITE = [
    "/",
    "/organiser/",
    "/organiser/?page=2",
    "/screenings/12/helsinki-part-one",
    "/login?next=//evil.example",  # our own login page, which checks its own next again
    "/%2F%2Fevil.example",  # an encoded slash stays part of the path
    "/%5Cevil.example",
    "/%0d%0aSet-Cookie:x",
    "/..//evil.example",
    "/@evil.example",
    "/\uff0fevil.example",
]


def browser_resolves(location: str) -> str:
    """Where a browser would go from the login page for this Location value (host included).

    Follows the WHATWG URL rules that matter for redirects: leading and trailing C0 controls
    and spaces are stripped, tabs and newlines are removed anywhere, and a backslash counts
    as a slash in http(s) URLs.
    """
    cleaned = location.strip("".join(map(chr, range(0x21))))
    cleaned = cleaned.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return urlsplit(urljoin(f"{SITE}/login", cleaned)).netloc


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", SAME_SITE)
def test_paths_on_this_site_are_kept_and_stay_on_this_site(target):
    assert safe_next(target) == target
    assert browser_resolves(target) == urlsplit(SITE).netloc


@pytest.mark.parametrize("target", [t for t in HOSTILE if t] + SAME_SITE)
def test_whatever_is_accepted_stays_on_this_site(target):
    result = safe_next(target)
    assert result is None or browser_resolves(result) == urlsplit(SITE).netloc


@pytest.mark.parametrize(
    "query",
    [
        "%2F%2Fevil.example",
        "%2f%2fevil.example",
        "%5C%5Cevil.example",
        "/%5Cevil.example",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "javascript%3Aalert(1)",
        "%252F%252Fevil.example",  # double-encoded: decoded once, it no longer starts with /
        "/%09/evil.example",
        "/%0d%0a/evil.example",
        "%0d%0a//evil.example",
        "%20//evil.example",
        "//evil.example%2F",
        "%EF%BC%8F%EF%BC%8Fevil.example",
    ],
)
def test_encoded_targets_in_the_login_address_land_on_the_home_page(client, query):
    user = make_user()
    response = client.post(f"/login?next={query}",
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/organiser/"


@pytest.mark.parametrize("target", ["/%2F%2Fevil.example", "/%5Cevil.example", "/organiser/"])
def test_an_accepted_path_is_sent_as_it_is(client, target):
    user = make_user()
    response = client.post(f"/login?next={quote(target)}",
                           data={"email": user.email, "password": PASSWORD})
    location = response.headers["Location"]
    assert location == target  # not decoded on the way out into //evil.example
    assert browser_resolves(location) == urlsplit(SITE).netloc
