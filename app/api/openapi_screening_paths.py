"""The OpenAPI operations of screenings, their map and the catalogue lists."""

from .openapi_paths import ACCOUNT, NOT_MODIFIED, PAGE, PUBLIC, Operation, json_response
from .openapi_schemas import ref

FILTERS = ("country", "city", "film", "collective", "beneficiary", "from", "to", "near",
           "radius")
ETAG = {"description": "Send it back as If-None-Match to get a 304 while unchanged.",
        "schema": {"type": "string"}}
VERSION = {"description": "The screening's version, quoted; send it as If-Match with a "
                          "change to be sure nobody changed it meanwhile.",
           "schema": {"type": "string", "examples": ['"3"']}}
GEOJSON_HEADERS = {
    "ETag": ETAG,
    "Cache-Control": {"description": "The map is the same for everyone: shared caches may "
                                     "keep it a minute.", "schema": {"type": "string"}},
}
PRIVACY = ("A venue's address is null unless it is public (or released), or the caller is "
           "a member of a host collective or a coordinator.")


def _screening(description: str, *, created: bool = False) -> dict:
    headers = {"ETag": VERSION}
    if created:
        headers["Location"] = {"description": "The new screening's address in the API.",
                               "schema": {"type": "string", "format": "uri-reference"}}
    return json_response(description, "Screening", headers)


SCREENINGS = [
    Operation(
        "/screenings", "get", "api.list_screenings", "List screenings", "Screenings", PUBLIC,
        "Public screenings matching the filters (the same filters as the site's list, map "
        "and feeds). `mine=1` lists every state of the caller's collectives' screenings; "
        "`status` may name any state with `mine=1` or for coordinators, else only the "
        "public ones. " + PRIVACY,
        parameters=("when_all", "mine", "status", *FILTERS, *PAGE),
        ok={200: json_response("One page of screenings.", "ScreeningPage")}),
    Operation(
        "/screenings", "post", "api.create_screening", "Register a screening", "Screenings",
        ACCOUNT,
        "A new screening is a draft of the given collective (the caller must belong to it, "
        "unless a coordinator); `starts_at` is local time in the city, or carries an offset. "
        "Submit it with a transition to `submitted`.",
        body="ScreeningIn",
        example={"film": "part-one", "collective": "kino-kollektiv",
                 "city": {"name": "Kyiv", "country_code": "UA"},
                 "venue": {"name": "Kino Aurora", "address": "Khreshchatyk 1",
                           "visibility": "city_only"},
                 "starts_at": "2026-12-05T19:30", "title": "Evening screening",
                 "fundraiser": {"beneficiary": "solidarity-collectives",
                                "purpose": "Medical supplies",
                                "goal": {"amount": "500.00", "currency": "EUR"}}},
        ok={201: _screening("The draft as stored.", created=True)}, idempotent=True),
    Operation(
        "/screenings/{screening_id}", "get", "api.get_screening", "One screening",
        "Screenings", PUBLIC,
        "A public screening, or a draft or submission for those who may edit it (anyone "
        "else gets 404). " + PRIVACY,
        ok={200: _screening("The screening.")}),
    Operation(
        "/screenings/{screening_id}", "patch", "api.update_screening", "Change a screening",
        "Screenings", ACCOUNT,
        "Only the fields sent change; `title`, `description`, `language`, `subtitles` and "
        "`fundraiser.goal` may be null to clear them, other fields may not. With If-Match, "
        "a screening changed meanwhile answers 412.",
        parameters=("if_match",), body="ScreeningPatch",
        example={"starts_at": "2026-12-06T19:00", "venue": {"visibility": "public"}},
        ok={200: _screening("The screening as changed.")}, errors=(409, 412)),
    Operation(
        "/screenings/{screening_id}/transitions", "post", "api.create_transition",
        "Move a screening through its lifecycle", "Screenings", ACCOUNT,
        "`submitted` submits a draft (a trusted collective's goes straight to `published`); "
        "`published` publishes a submission (coordinators only), or with `starts_at` gives "
        "a postponed or published screening a new date; `relocated` takes a new `venue` (or "
        "`starts_at`); `postponed` and `cancelled` (with a `reason`) take a `note`; `held` "
        "takes an optional `attendance`. A step the state does not allow answers 409; a "
        "field the step does not use answers 422.",
        parameters=("if_match",), body="TransitionIn",
        example={"to": "cancelled", "reason": "threats", "note": "The venue was threatened."},
        ok={200: _screening("The screening in its new state.")}, errors=(409, 412),
        idempotent=True),
    Operation(
        "/screenings.geojson", "get", "api.screenings_geojson", "Screenings on the map",
        "Screenings", PUBLIC,
        "Public screenings as a GeoJSON FeatureCollection, with the list's filters. A venue "
        "whose address is not public sits on its city's centre. At most 5,000 features; "
        "`truncated` says when more matched.",
        parameters=("when_upcoming", "public_status", *FILTERS),
        ok={200: {"description": "The FeatureCollection.", "headers": GEOJSON_HEADERS,
                  "content": {"application/geo+json": {
                      "schema": ref("ScreeningFeatureCollection")}}},
            **NOT_MODIFIED}),
]

CATALOGUE = [
    Operation(
        "/cities", "get", "api.search_cities", "Search the gazetteer", "Catalogue", PUBLIC,
        "Up to 20 cities whose name in any language the gazetteer knows starts with `q` "
        "(\"Kyiv\", \"Київ\" and \"Kiev\" find the same city), most populous first, as one "
        "page of the list shape.",
        parameters=("q",), ok={200: json_response("The cities found.", "CityPage")}),
    Operation(
        "/collectives", "get", "api.list_collectives", "List collectives", "Catalogue",
        PUBLIC, "Every collective by name.", parameters=PAGE,
        ok={200: json_response("One page of collectives.", "CollectivePage")}),
    Operation(
        "/films", "get", "api.list_films", "List films", "Catalogue", PUBLIC,
        "Every film, by trilogy part then title.", parameters=PAGE,
        ok={200: json_response("One page of films.", "FilmPage")}),
    Operation(
        "/beneficiaries", "get", "api.list_beneficiaries", "List beneficiaries", "Catalogue",
        PUBLIC, "Every beneficiary by name.", parameters=PAGE,
        ok={200: json_response("One page of beneficiaries.", "BeneficiaryPage")}),
]
