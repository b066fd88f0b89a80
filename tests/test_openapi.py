"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that matches the URL map, the
pydantic bodies and the JSON the API really answers."""

import json
import re
from copy import deepcopy

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from pydantic import BaseModel
from pydantic import ValidationError as ModelError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012
from werkzeug.routing import Rule

from app.api.openapi import operations
from app.api.openapi_schemas import BODY_MODELS
from app.models import Role
from app.ratelimits import table as rate_limit_table
from tests.conftest import login, make_user
from tests.test_api_support import (
    API,
    add_rate,
    bearer,
    contribution_body,
    contributions_url,
    error_of,
    token_for,
    world,  # noqa: F401  (fixture)
)

URL = f"{API}/openapi.json"
DOC = "urn:openapi"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def doc(client):
    response = client.get(URL)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


# --- the document itself --------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # raises on any problem, unresolvable references included


def test_a_broken_document_fails_validation(doc):
    broken = deepcopy(doc)
    broken["paths"]["/totals"]["get"]["responses"]["200"] = {"content": {}}  # no description
    with pytest.raises(OpenAPIValidationError):
        validate(broken)
    unresolved = deepcopy(doc)
    unresolved["paths"]["/totals"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"] = {"$ref": "#/components/schemas/NoSuchThing"}
    with pytest.raises(Unresolvable):
        validate(unresolved)


def test_anyone_may_read_it_and_caches_may_keep_it(client, doc):
    response = client.get(URL)
    assert response.mimetype == "application/json"
    etag = response.headers["ETag"]
    assert "no-store" not in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(URL, headers={"If-None-Match": '"other"'}).status_code == 200
    assert response.get_json() == doc


def test_a_logged_in_person_or_a_token_gets_the_same_document(client, doc, catalogue):
    user = make_user(Role.ORGANISER)
    assert client.get(URL, headers=bearer(token_for(user))).get_json() == doc
    login(client, user)
    assert client.get(URL).get_json() == doc


def test_a_bad_token_is_refused_here_too(client):
    error_of(client.get(URL, headers=bearer("ss_nonsense")), 401, "invalid_token")


def test_operation_ids_are_unique_and_every_operation_answers_errors_in_one_shape(doc):
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    error_responses = doc["components"]["responses"]
    for name, response in error_responses.items():
        assert response["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}, name
    for path, item in doc["paths"].items():
        for method, op in item.items():
            statuses = {int(s) for s in op["responses"]}
            # Every operation passes the auth hook: a bad token (401), 2FA missing (403).
            assert {401, 403} <= statuses, (path, method)
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["$ref"].startswith("#/components/responses/"), (path, status)
            for parameter in op.get("parameters", []):
                if "$ref" not in parameter:
                    assert parameter["in"] == "path" and f"{{{parameter['name']}}}" in path


def test_list_parameters_document_their_bounds(doc):
    parameters = doc["components"]["parameters"]
    assert parameters["page"]["schema"]["minimum"] == 1
    assert parameters["per_page"]["schema"]["maximum"] == 200
    assert doc["components"]["securitySchemes"]["cookieAuth"]["name"] == "session"
    assert "X-CSRFToken" in doc["components"]["securitySchemes"]["cookieAuth"]["description"]


# --- the document against the URL map -----------------------------------------------------------


def api_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.rule.startswith(API + "/")]


def openapi_path(rule: str) -> str:
    """/api/v1/screenings/<int:screening_id>/contributions -> /screenings/{screening_id}/..."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(API))


def route_problems(rules: list[Rule], doc: dict) -> list[str]:
    """Routes the document misses, and documented operations no route serves."""
    served = {(openapi_path(r.rule), m.lower()) for r in rules
              for m in r.methods - IGNORED_METHODS}
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    return ([f"undocumented: {m.upper()} {API}{p}" for p, m in sorted(served - documented)]
            + [f"no such route: {m.upper()} {API}{p}" for p, m in sorted(documented - served)])


def test_every_api_route_is_documented_and_every_operation_is_served(app, doc):
    problems = route_problems(api_rules(app), doc)
    assert not problems, "Document these in app/api/openapi*.py:\n" + "\n".join(problems)


def test_a_new_route_without_documentation_would_be_caught(app, doc):
    extra = Rule(f"{API}/screenings/<int:screening_id>/secrets", methods=["GET", "DELETE"])
    problems = route_problems([*api_rules(app), extra], doc)
    assert problems == [f"undocumented: DELETE {API}/screenings/{{screening_id}}/secrets",
                        f"undocumented: GET {API}/screenings/{{screening_id}}/secrets"]
    assert route_problems(api_rules(app)[:1], doc)  # and the other way round


def test_each_operation_names_the_endpoint_that_serves_it(app):
    endpoints = {(openapi_path(r.rule), m.lower()): r.endpoint for r in api_rules(app)
                 for m in r.methods - IGNORED_METHODS}
    for op in operations():
        assert endpoints.get((op.path, op.method)) == op.endpoint, (op.path, op.method)


def test_rate_limited_endpoints_document_429(app, doc):
    limited = set(rate_limit_table())
    for op in operations():
        documented = "429" in doc["paths"][op.path][op.method]["responses"]
        assert documented == (op.endpoint in limited), op.endpoint


# --- request bodies against the pydantic models --------------------------------------------------


def registry(doc: dict) -> Registry:
    return Registry().with_resource(DOC, Resource(contents=doc, specification=DRAFT202012))


def validator(doc: dict, schema: dict) -> Draft202012Validator:
    """A validator for a schema of the document ({"$ref": "#/components/..."} or inline)."""
    if set(schema) == {"$ref"} and schema["$ref"].startswith("#"):
        schema = {"$ref": DOC + schema["$ref"]}
    return Draft202012Validator(schema, registry=registry(doc), format_checker=FormatChecker())


def bodies(doc: dict) -> list[tuple[str, str, dict]]:
    """(path, method, media type object) of each documented request body."""
    return [(path, method, op["requestBody"]["content"]["application/json"])
            for path, item in doc["paths"].items() for method, op in item.items()
            if "requestBody" in op]


def model_named(name: str) -> type[BaseModel]:
    return next(model for model in BODY_MODELS if model.__name__ == name)


def test_every_body_is_one_of_the_models_and_closed(doc):
    assert bodies(doc)
    schemas = doc["components"]["schemas"]
    for path, method, media in bodies(doc):
        name = media["schema"]["$ref"].rsplit("/", 1)[1]
        model, schema = model_named(name), schemas[name]
        assert schema["additionalProperties"] is False, name
        assert set(schema["properties"]) == set(model.model_fields), name
        required = {field for field, info in model.model_fields.items() if info.is_required()}
        assert set(schema.get("required", [])) == required, (path, method, name)


def test_nested_body_models_are_closed_too(doc):
    schemas = doc["components"]["schemas"]
    for model in BODY_MODELS:
        for name in [model.__name__, *model.model_json_schema().get("$defs", {})]:
            assert schemas[name]["additionalProperties"] is False, name


def test_each_example_body_is_accepted_by_the_document_and_the_model(doc):
    for path, method, media in bodies(doc):
        assert "example" in media, (path, method)
        name = media["schema"]["$ref"].rsplit("/", 1)[1]
        validator(doc, media["schema"]).validate(media["example"])
        model_named(name).model_validate_json(_json(media["example"]))


def test_an_unknown_field_is_refused_by_the_document_and_the_model(doc):
    for _path, _method, media in bodies(doc):
        name = media["schema"]["$ref"].rsplit("/", 1)[1]
        body = {**media["example"], "is_trusted": True}
        with pytest.raises(SchemaError):
            validator(doc, media["schema"]).validate(body)
        with pytest.raises(ModelError):
            model_named(name).model_validate_json(_json(body))


def test_a_missing_required_field_is_refused_by_both(doc):
    for _path, _method, media in bodies(doc):
        name = media["schema"]["$ref"].rsplit("/", 1)[1]
        model = model_named(name)
        for field, info in model.model_fields.items():
            if not info.is_required():
                continue
            body = {k: v for k, v in media["example"].items() if k != field}
            with pytest.raises(SchemaError):
                validator(doc, media["schema"]).validate(body)
            with pytest.raises(ModelError):
                model.model_validate_json(_json(body))


def _json(value) -> str:
    return json.dumps(value)


# --- real answers against the documented responses -----------------------------------------------


def check(doc: dict, response, path: str, method: str = "get") -> None:
    """The response's status is documented for the operation, and its body fits the schema."""
    responses = doc["paths"][path][method]["responses"]
    documented = responses.get(str(response.status_code))
    assert documented is not None, f"{method} {path} answered {response.status_code}"
    if "$ref" in documented:
        documented = doc["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    if "content" not in documented:
        assert response.data == b""
        return
    assert response.mimetype in documented["content"], (response.mimetype, path)
    schema = documented["content"][response.mimetype]["schema"]
    validator(doc, schema).validate(response.get_json(force=True))


def test_the_schemas_refuse_wrong_answers(doc):
    item = validator(doc, {"$ref": "#/components/schemas/Contribution"})
    with pytest.raises(SchemaError):
        item.validate({"id": 1})
    with pytest.raises(SchemaError):
        validator(doc, {"$ref": "#/components/schemas/Error"}).validate(
            {"error": {"code": "x", "message": "y", "fields": {"a": 1}}})


def test_contributions_and_their_list_match(client, doc, world):  # noqa: F811
    token = token_for(world.organiser_a)
    add_rate("PLN", "4.2750")
    path = "/screenings/{screening_id}/contributions"
    for body in (contribution_body(), contribution_body(currency="PLN", note="Bar",
                                                        transfer_reference="REF-1"),
                 contribution_body(currency="USD")):  # no USD rate: base and rate are null
        created = client.post(contributions_url(world.screening_a), json=body,
                              headers=bearer(token))
        assert created.status_code == 201
        check(doc, created, path, "post")
    listed = client.get(contributions_url(world.screening_a), headers=bearer(token))
    assert len(listed.get_json()["items"]) == 3
    check(doc, listed, path)


def test_errors_match(client, doc, world):  # noqa: F811
    token = token_for(world.organiser_a)
    path = "/screenings/{screening_id}/contributions"
    url = contributions_url(world.screening_a)
    for response in (
        client.post(url, json={**contribution_body(), "extra": 1}, headers=bearer(token)),
        client.post(url, data="{", content_type="application/json", headers=bearer(token)),
        client.post(url, data={"amount": "1"}, headers=bearer(token)),
        client.post(contributions_url(world.screening_b), json=contribution_body(),
                    headers=bearer(token)),
        client.post(url, json=contribution_body()),
        client.get(url + "?per_page=500", headers=bearer(token)),
    ):
        error_of(response, response.status_code)
        check(doc, response, path, "post" if response.request.method == "POST" else "get")
    coordinator = make_user(Role.COORDINATOR, two_factor=False)
    response = client.get(f"{API}/totals", headers=bearer(token_for(coordinator)))
    error_of(response, 403, "two_factor_required")
    check(doc, response, "/totals")


def test_rates_and_totals_match(client, doc, world):  # noqa: F811
    coordinator = token_for(world.coordinator)
    created = client.post(f"{API}/rates", headers=bearer(coordinator),
                          json={"currency": "PLN", "valid_on": "2026-04-01",
                                "per_base": "4.2750"})
    check(doc, created, "/rates", "post")
    check(doc, client.get(f"{API}/rates", headers=bearer(coordinator)), "/rates")
    client.post(contributions_url(world.screening_a), json=contribution_body(),
                headers=bearer(coordinator))
    for query in ("", "?group_by=country", "?group_by=month&from=2020-01-01",
                  "?group_by=collective", "?group_by=currency"):
        response = client.get(f"{API}/totals{query}")
        assert response.status_code == 200
        check(doc, response, "/totals")
    check(doc, client.get(f"{API}/totals?group_by=planet"), "/totals")


def test_the_geojson_matches(client, doc, world):  # noqa: F811
    response = client.get(f"{API}/screenings.geojson")
    assert response.status_code == 200 and len(response.get_json()["features"]) == 2
    check(doc, response, "/screenings.geojson")
    check(doc, client.get(f"{API}/screenings.geojson",
                          headers={"If-None-Match": response.headers["ETag"]}),
          "/screenings.geojson")
    check(doc, client.get(f"{API}/screenings.geojson?country=ZZ"), "/screenings.geojson")


def test_the_document_describes_itself(client, doc):
    response = client.get(URL)
    check(doc, response, "/openapi.json")
    check(doc, client.get(URL, headers={"If-None-Match": response.headers["ETag"]}),
          "/openapi.json")


def screening_body(world) -> dict:  # noqa: F811
    """A valid new screening of collective A in Helsinki."""
    return {"film": "part-one", "collective": world.a.slug,
            "city": {"name": "Helsinki", "country_code": "FI"},
            "venue": {"name": "Kino Aurora", "address": "Secret Street 1",
                      "visibility": "city_only"},
            "starts_at": "2031-03-01T19:30", "title": "Evening screening",
            "fundraiser": {"beneficiary": "solidarity-collectives", "purpose": "Medicine",
                           "goal": {"amount": "500.00", "currency": "EUR"}}}


def test_screenings_match(client, doc, world):  # noqa: F811
    token = token_for(world.organiser_a)
    listed = client.get(f"{API}/screenings")
    assert listed.status_code == 200 and listed.get_json()["total"] == 2
    check(doc, listed, "/screenings")
    mine = client.get(f"{API}/screenings?mine=1&status=published", headers=bearer(token))
    assert mine.get_json()["items"][0]["venue"]["address"]  # a member sees the address
    check(doc, mine, "/screenings")
    check(doc, client.get(f"{API}/screenings?mine=1"), "/screenings")  # 401
    check(doc, client.get(f"{API}/screenings?when=later"), "/screenings")  # 400
    one = "/screenings/{screening_id}"
    check(doc, client.get(f"{API}/screenings/{world.screening_a.id}"), one)
    check(doc, client.get(f"{API}/screenings/999999"), one)


def test_screening_writes_match(client, doc, world):  # noqa: F811
    token, one = token_for(world.organiser_a), "/screenings/{screening_id}"
    created = client.post(f"{API}/screenings", json=screening_body(world), headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    check(doc, created, "/screenings", "post")
    bad = client.post(f"{API}/screenings", json={**screening_body(world), "status": "published"},
                      headers=bearer(token))
    check(doc, bad, "/screenings", "post")
    when = client.post(f"{API}/screenings", json={**screening_body(world), "starts_at": "soon"},
                       headers=bearer(token))
    assert set(error_of(when, 422)["fields"]) == {"starts_at"}
    check(doc, when, "/screenings", "post")
    with pytest.raises(SchemaError):  # the document's pattern refuses it as well
        validator(doc, {"$ref": "#/components/schemas/ScreeningIn"}).validate(
            {**screening_body(world), "starts_at": "soon"})
    url = created.headers["Location"]
    changed = client.patch(url, json={"title": None, "venue": {"visibility": "public"}},
                           headers={**bearer(token), "If-Match": created.headers["ETag"]})
    assert changed.status_code == 200, changed.get_json()
    check(doc, changed, one, "patch")
    null = client.patch(url, json={"film": None}, headers=bearer(token))
    error_of(null, 422)
    check(doc, null, one, "patch")
    with pytest.raises(SchemaError):  # the document says so too
        validator(doc, {"$ref": "#/components/schemas/ScreeningPatch"}).validate({"film": None})
    stale = client.patch(url, json={"title": "Again"},
                         headers={**bearer(token), "If-Match": created.headers["ETag"]})
    check(doc, stale, one, "patch")
    assert stale.status_code == 412
    moves = f"{one}/transitions"
    for body, status in (({"to": "submitted"}, 200), ({"to": "published"}, 403),
                         ({"to": "held", "reason": "threats"}, 422)):
        response = client.post(f"{url}/transitions", json=body, headers=bearer(token))
        assert response.status_code == status, response.get_json()
        check(doc, response, moves, "post")
    refused = client.post(f"{url}/transitions", json={"to": "submitted"}, headers=bearer(token))
    error_of(refused, 409)
    check(doc, refused, moves, "post")


def test_the_catalogue_matches(client, doc, world):  # noqa: F811
    found = client.get(f"{API}/cities?q=Hels")
    assert found.status_code == 200 and found.get_json()["items"], found.get_json()
    check(doc, found, "/cities")
    check(doc, client.get(f"{API}/cities?q=Київ"), "/cities")
    check(doc, client.get(f"{API}/cities"), "/cities")  # 400: q is needed
    for path in ("/collectives", "/films", "/beneficiaries"):
        response = client.get(API + path)
        assert response.status_code == 200 and response.get_json()["items"], path
        check(doc, response, path)
        check(doc, client.get(f"{API}{path}?page=0"), path)
