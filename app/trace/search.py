"""`GET /Patient` parameters, validated as PDS validates them (spec A2) before they leave us.

Order: nothing at all -> UNSUPPORTED_SERVICE; unknown names -> ADDITIONAL_PROPERTIES;
bad values -> INVALID_VALUE; no birth date -> MISSING_VALUE; too little to search
on -> INVALID_SEARCH_DATA. Wildcards need two leading characters and no fuzzy mode.
"""

import re

from starlette.datastructures import QueryParams

from app.fhir.errors import FHIRError, InvalidSearchData, InvalidValue, MissingValue
from app.trace.spine_models import SearchParams
from cci_common.operation_outcome import IssueType, SpineCode

SEARCH_PARAMETERS = (
    "family", "given", "gender", "birthdate", "death-date", "address-postalcode",
    "general-practitioner", "email", "phone", "_fuzzy-match", "_exact-match", "_history",
    "_max-results",
)  # fmt: skip
# Content negotiation, handled by the FHIR route, not a search parameter.
IGNORED = frozenset({"_format"})
GENDERS = frozenset({"male", "female", "other", "unknown"})
_DATE = re.compile(r"^(eq|ge|le)?\d{4}-\d{2}-\d{2}$")
_BOOLEAN = {"true": True, "false": False}
MAX_NAME = 35
MINIMUM = (
    "Invalid search data provided - 'No searches were performed as the search criteria "
    "did not meet the minimum requirements'"
)


def _single(params: QueryParams, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise InvalidValue(f"Invalid value - parameter '{name}' may appear once", expression=[name])
    return values[0] if values else None


def _name(params: QueryParams, name: str, *, fuzzy: bool) -> list[str]:
    values = params.getlist(name)
    for value in values:
        star = value.find("*")
        if not value.strip() or len(value) > MAX_NAME or (star != -1 and (star < 2 or fuzzy)):
            raise InvalidValue(f"Invalid value - '{value}' in field '{name}'", expression=[name])
    return values


def _dates(params: QueryParams, name: str) -> tuple[str, ...]:
    values = params.getlist(name)
    for value in values:
        if not _DATE.match(value):
            raise InvalidValue(f"Invalid value - '{value}' in field '{name}'", expression=[name])
    return tuple(values)


def _flag(params: QueryParams, name: str) -> bool:
    value = _single(params, name)
    if value is None:
        return False
    if value.lower() not in _BOOLEAN:
        raise InvalidValue(f"Invalid value - '{value}' in field '{name}'", expression=[name])
    return _BOOLEAN[value.lower()]


def parse_search(params: QueryParams) -> SearchParams:
    names = [key for key in params if key not in IGNORED]
    if not names:
        raise FHIRError(spine_code=SpineCode.UNSUPPORTED_SERVICE, issue_type=IssueType.PROCESSING)
    unknown = sorted({key for key in names if key not in SEARCH_PARAMETERS})
    if unknown:
        listed = ", ".join(f"'{key[:40]}'" for key in unknown)
        verb = "was" if len(unknown) == 1 else "were"
        raise FHIRError(
            f"Invalid request with error - Additional properties are not allowed "
            f"({listed} {verb} unexpected)",
            spine_code=SpineCode.ADDITIONAL_PROPERTIES,
            issue_type=IssueType.INVARIANT,
        )
    fuzzy = _flag(params, "_fuzzy-match")
    family = _name(params, "family", fuzzy=fuzzy)
    given = _name(params, "given", fuzzy=fuzzy)
    gender = _single(params, "gender")
    if gender is not None and gender not in GENDERS:
        raise InvalidValue(f"Invalid value - '{gender}' in field 'gender'", expression=["gender"])
    birthdate, death_date = _dates(params, "birthdate"), _dates(params, "death-date")
    max_results = _single(params, "_max-results")
    if max_results is not None and (not max_results.isdigit() or not 1 <= int(max_results) <= 50):
        raise InvalidValue(
            f"Invalid value - '{max_results}' in field '_max-results'", expression=["_max-results"]
        )
    if not birthdate:
        raise MissingValue(
            "Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'",
            expression=["birthdate"],
        )
    postcode = _single(params, "address-postalcode")
    if len(family) > 1:
        raise InvalidValue("Invalid value - parameter 'family' may appear once")
    search = SearchParams(
        family=family[0] if family else None,
        given=tuple(given),
        gender=gender,
        birthdate=birthdate,
        postcode=postcode,
        phone=_single(params, "phone"),
        email=_single(params, "email"),
        general_practitioner=_single(params, "general-practitioner"),
        death_date=death_date,
        fuzzy=fuzzy,
        exact=_flag(params, "_exact-match"),
        history=_flag(params, "_history"),
        max_results=int(max_results) if max_results else None,
    )
    _check_minimum(search)
    return search


def _check_minimum(search: SearchParams) -> None:
    if not search.fuzzy:
        if not search.family:
            raise InvalidSearchData(MINIMUM)
        return
    has = {
        "given": bool(search.given),
        "family": bool(search.family),
        "gender": bool(search.gender),
        "postcode": bool(search.postcode),
    }
    minimum_sets = (
        ("given", "family"),
        ("family", "gender", "postcode"),
        ("given", "gender", "postcode"),
    )
    if not any(all(has[key] for key in needed) for needed in minimum_sets):
        raise InvalidSearchData(MINIMUM)
