"""The OpenAPI document's schemas: request bodies generated from the pydantic models that
validate them, response shapes written here as JSON Schema (2020-12, as OpenAPI 3.1 uses)."""

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..models import Channel, ContributionState, Status, Visibility
from ..services import ledger
from .bodies import ContributionIn, RateIn
from .screening_bodies import (
    LOCAL_TIME,
    FundraiserPatch,
    ScreeningIn,
    ScreeningPatch,
    TransitionIn,
    VenuePatch,
)
from .screenings import NULLABLE

REF = "#/components/schemas/{model}"

# Every request body the API parses, by the name its schema gets in components.
BODY_MODELS: tuple[type[BaseModel], ...] = (ScreeningIn, ScreeningPatch, TransitionIn,
                                             ContributionIn, RateIn)

# Rules the routes and services check after the model has parsed a field (a 422 names the
# field either way); written into the body schemas so that clients see them.
STARTS_AT = {"pattern": LOCAL_TIME.pattern,
             "description": "Local time in the city (2026-12-05T19:30), or with an offset "
                            "(2026-12-05T19:30+02:00)."}
SERVICE_RULES: dict[tuple[str, str], dict] = {
    ("ContributionIn", "channel"): {"enum": [c.value for c in Channel]},
    ("ContributionIn", "state"): {"enum": [s.value for s in ContributionState]},
    ("ScreeningIn", "starts_at"): STARTS_AT,
    ("ScreeningPatch", "starts_at"): STARTS_AT,
    ("TransitionIn", "starts_at"): STARTS_AT,
}

# PATCH fields the route refuses as null (leave them out to keep them); only these may be null.
NOT_NULL: dict[str, set[str]] = {
    "ScreeningPatch": set(ScreeningPatch.model_fields) - NULLABLE,
    "VenuePatch": set(VenuePatch.model_fields),
    "FundraiserPatch": set(FundraiserPatch.model_fields) - {"goal"},
}


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": REF.format(model=name)}


def nullable(schema: dict) -> dict:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, description: str = "", optional: tuple[str, ...] = ()) -> dict:
    """A closed object whose properties are all present unless named in `optional`."""
    schema = {"type": "object", "properties": properties,
              "required": [name for name in properties if name not in optional],
              "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


STRING = {"type": "string"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
INTEGER = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
ID = {"type": "integer", "minimum": 1}
SLUG = {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"}
COUNTRY_CODE = {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2"}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code"}
DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
           "description": "A decimal number as a string (never a JSON number)."}
LATITUDE = {"type": "number", "minimum": -90, "maximum": 90}
LONGITUDE = {"type": "number", "minimum": -180, "maximum": 180}


def _responses() -> dict[str, dict]:
    """The response shapes, by component name."""
    amount = obj({"amount": DECIMAL, "currency": CURRENCY},
                 "An amount in a currency's own minor unit, as a decimal string.")
    return {
        "Error": obj({"error": obj({
            "code": {"type": "string", "minLength": 1, "examples": ["validation_failed"]},
            "message": {"type": "string", "minLength": 1},
            "fields": {"type": "object", "additionalProperties": STRING,
                       "description": "A message for each field or parameter at fault "
                                      "(nested body fields joined with dots)."},
        })}, "Every 4xx (and 5xx) answer of the API."),
        "Amount": amount,
        "Contribution": obj({
            "id": ID, "amount": DECIMAL, "currency": CURRENCY, "received_on": DATE,
            "channel": {"enum": [c.value for c in Channel]},
            "state": {"enum": [s.value for s in ContributionState]},
            "base": nullable(ref("Amount")),
            "rate": nullable(obj({"per_base": DECIMAL, "valid_on": nullable(DATE)})),
            "transfer_reference": nullable(STRING), "transferred_on": nullable(DATE),
            "confirmed_at": nullable(DATE_TIME), "created_at": DATE_TIME,
        }, "Money raised for a fundraiser; `base` and `rate` are null while no rate converts "
           "it, and `per_base` is \"1\" for money in the base currency."),
        "Rate": obj({"id": ID, "currency": CURRENCY, "valid_on": DATE, "per_base": DECIMAL,
                     "source": STRING, "created_at": DATE_TIME},
                    "Units of `currency` per one unit of the base currency, from `valid_on`."),
        "RateCreated": obj({"rate": ref("Rate"), "reconverted": COUNT},
                           "The rate as stored and how many contributions were converted "
                           "again."),
        "Totals": obj({
            "currency": CURRENCY, "total": DECIMAL, "count": COUNT, "unconverted": COUNT,
            "groups": {"type": "array", "items": obj({
                "key": STRING, "label": STRING, "amount": DECIMAL, "count": COUNT,
                "unconverted": COUNT})},
        }, "Money raised, in the base currency; `groups` is empty without `group_by`."),
        **_screening_schemas(amount),
        **_catalogue_schemas(),
    }


def _screening_schemas(amount: dict) -> dict[str, dict]:
    """A screening as the API shows it, and its GeoJSON."""
    party = obj({"slug": SLUG, "name": STRING})
    return {
        "Screening": obj({
            "id": ID,
            "url": {"type": "string", "format": "uri-reference",
                    "description": "The public page (drafts and submissions are not public "
                                   "yet)."},
            "title": STRING,
            "film": obj({"slug": SLUG, "title": STRING}),
            "collectives": {"type": "array", "items": party},
            "city": obj({"name": STRING, "country_code": COUNTRY_CODE, "lat": LATITUDE,
                         "lon": LONGITUDE}, "The city (its centre point, never the venue's)."),
            "starts_at": {**DATE_TIME, "description": "Local time with the city's UTC offset."},
            "timezone": {"type": "string", "examples": ["Europe/Kyiv"],
                         "description": "The city's IANA time zone."},
            "status": {"enum": [s.value for s in Status]},
            "language": nullable({**STRING, "examples": ["uk"],
                                  "description": "The spoken language's BCP 47 code (a "
                                                 "value typed before codes were required "
                                                 "comes back as it was)."}),
            "subtitles": nullable({**STRING, "examples": ["en"],
                                   "description": "The subtitles' language code, as "
                                                  "`language`."}),
            "description": {**STRING, "description": "The hosts' own text (its language is "
                                                     "not recorded)."},
            "descriptions": {"type": "object", "additionalProperties": STRING,
                             "examples": [{"uk": "...", "it": "..."}],
                             "description": "The description in other languages, by BCP 47 "
                                            "code."},
            "venue": obj({
                "name": nullable(STRING),
                "address": nullable(STRING),
                "visibility": {"enum": [v.value for v in Visibility]},
            }, "`name` and `address` are null where the caller may not see the address "
               "(DESIGN.md section 5): a name can give the place away too."),
            "fundraiser": obj({
                "beneficiary": party, "purpose": STRING,
                "goal": nullable(ref("Amount")), "raised": nullable(ref("Amount")),
            }, "`raised` (in the base currency) is null where the totals are not public to "
               "the caller."),
        }, "A screening."),
        "ScreeningFeatureCollection": obj({
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": ref("ScreeningFeature")},
            "truncated": {"type": "boolean",
                          "description": "More screenings matched than the features hold."},
        }, "A GeoJSON FeatureCollection (RFC 7946)."),
        "ScreeningFeature": obj({
            "type": {"const": "Feature"},
            "id": ID,
            "geometry": obj({
                "type": {"const": "Point"},
                "coordinates": {"type": "array", "prefixItems": [LONGITUDE, LATITUDE],
                                "minItems": 2, "maxItems": 2,
                                "description": "[longitude, latitude]: the venue only where "
                                               "its address is public, else the city centre."},
            }),
            "properties": obj({
                "id": ID, "title": STRING, "url": {"type": "string",
                                                   "format": "uri-reference"},
                "starts_at": DATE_TIME, "timezone": STRING, "city": STRING,
                "country_code": COUNTRY_CODE, "film": STRING,
                "collectives": {"type": "array", "items": STRING},
                "status": {"enum": [s.value for s in Status]},
                "venue": nullable(STRING), "address": nullable(STRING),
            }, "`venue` and `address` are null unless the address is public (or released)."),
        }, "One screening on the map."),
    }


def _catalogue_schemas() -> dict[str, dict]:
    """Gazetteer cities, collectives, films and beneficiaries, as the pickers list them."""
    place = obj({"name": STRING, "country_code": COUNTRY_CODE})
    page = {"type": "string", "format": "uri-reference", "description": "The public page."}
    return {
        "City": obj({
            "geonames_id": ID, "name": STRING, "country_code": COUNTRY_CODE,
            "country": {"type": "string", "description": "The country's name."},
            "lat": LATITUDE, "lon": LONGITUDE,
            "timezone": {"type": "string", "description": "IANA time zone."},
            "population": nullable(COUNT),
        }, "A city of the offline gazetteer (GeoNames), to register a screening in."),
        "Collective": obj({"slug": SLUG, "name": STRING, "url": page,
                           "home_city": nullable(place), "website": nullable(STRING)}),
        "Film": obj({"slug": SLUG, "title": STRING, "url": page,
                     "part": nullable({"type": "integer", "minimum": 1}),
                     "year": nullable(INTEGER), "runtime_minutes": nullable(COUNT)}),
        "Beneficiary": obj({"slug": SLUG, "name": STRING, "url": page,
                            "website": nullable(STRING)}),
    }


def page_of(item: str) -> dict:
    """The list envelope around items of one schema."""
    return obj({
        "items": {"type": "array", "items": ref(item)},
        "page": {"type": "integer", "minimum": 1},
        "pages": COUNT,
        "total": COUNT,
    }, f"One page of {item} items; a page past the end has no items.")


def body_schemas() -> dict[str, dict]:
    """The JSON Schemas of the request bodies (and their nested models), from pydantic."""
    _refs, top = models_json_schema([(model, "validation") for model in BODY_MODELS],
                                    ref_template=REF)
    schemas = top.get("$defs", {})
    for (model, field), rules in SERVICE_RULES.items():
        prop = schemas[model]["properties"][field]
        # On the string alternative of an optional field, else on the field itself.
        strings = [option for option in prop.get("anyOf", []) if option.get("type") == "string"]
        (strings[0] if strings else prop).update(rules)
    for model, fields in NOT_NULL.items():
        properties = schemas[model]["properties"]
        for field in fields:
            properties[field] = _without_null(properties[field])
    return schemas


def _without_null(schema: dict) -> dict:
    """An optional field's schema without its null alternative (and null default)."""
    kept = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if len(kept) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    merged = {**rest, **kept[0]}
    merged["description"] = (merged.get("description", "")
                             + " Leave it out to keep it; null is refused.").strip()
    return merged


def schemas() -> dict[str, dict]:
    """Every component schema: bodies, responses, and one page schema per listed item."""
    listed = ("Contribution", "Rate", "Screening", "City", "Collective", "Film", "Beneficiary")
    bodies, responses = body_schemas(), _responses()
    clash = set(bodies) & set(responses)
    if clash:
        raise RuntimeError(f"Body and response schemas share names: {sorted(clash)}")
    return {**bodies, **responses, **{f"{name}Page": page_of(name) for name in listed}}


GROUPINGS = tuple(ledger.GROUPINGS)
