"""Parse and validate `GET /Patient` parameters in the order PDS checks them.

Facts sheet A2: no parameters → UNSUPPORTED_SERVICE; unknown parameters →
ADDITIONAL_PROPERTIES; bad values → INVALID_VALUE; no birth date → MISSING_VALUE;
too little to search on → INVALID_SEARCH_DATA.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from cci_common.operation_outcome import IssueType, SpineCode
from mock_spine import normalise
from mock_spine.errors import SpineError, invalid_search_data, invalid_value, unsupported_service

# `history` without the underscore is accepted because the published Postman
# collection sends it and the sandbox allow-lists it.
ALLOWED = (
    "family", "given", "gender", "birthdate", "death-date", "address-postalcode",
    "address-postcode", "general-practitioner", "managing-organization", "email", "phone",
    "_fuzzy-match", "_exact-match", "_history", "history", "_max-results",
)  # fmt: skip
GENDERS = frozenset({"male", "female", "other", "unknown"})
MAX_NAME = 35
MAX_RESULTS = 50
_DATE = re.compile(r"^(eq|ge|le)?(\d{4}-\d{2}-\d{2})$")
MINIMUM = "No searches were performed as the search criteria did not meet the minimum requirements"


@dataclass(frozen=True, slots=True)
class Text:
    """A normalised search value; `prefix` is set when it carries a `*` wildcard."""

    value: str
    pattern: str | None = None
    prefix: str | None = None

    @property
    def wildcard(self) -> bool:
        return self.pattern is not None


@dataclass(frozen=True, slots=True)
class DateRange:
    low: date = date.min
    high: date = date.max

    @property
    def exact(self) -> date | None:
        return self.low if self.low == self.high else None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    family: Text | None = None
    given: Text | None = None
    given_more: tuple[str, ...] = ()
    gender: str | None = None
    birth: DateRange = field(default_factory=DateRange)
    death: DateRange | None = None
    postcode: Text | None = None
    gp: str | None = None
    email: str | None = None
    phone: str | None = None
    fuzzy: bool = False
    exact: bool = False
    history: bool = False
    max_results: int = MAX_RESULTS

    @property
    def location_search(self) -> bool:
        """Restricted patients are never returned by postcode or GP searches."""
        return self.postcode is not None or self.gp is not None


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _text(raw: str, field_name: str, normalised: str, *, fuzzy: bool) -> Text:
    if "*" not in normalised:
        return Text(normalised)
    if fuzzy:
        raise invalid_search_data("Wildcards are not allowed in a fuzzy search")
    if normalised.index("*") < 2:
        raise invalid_value(raw, field_name)
    return Text(normalised, _like(normalised), normalised.split("*", 1)[0])


def _bool(raw: str, field_name: str) -> bool:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise invalid_value(raw, field_name)


def _dates(values: list[str], field_name: str) -> DateRange | None:
    if not values:
        return None
    low, high = date.min, date.max
    for raw in values:
        match = _DATE.match(raw)
        try:
            day = date.fromisoformat(match.group(2)) if match else None
        except ValueError:
            day = None
        if match is None or day is None or len(values) > 2:
            raise invalid_value(raw, field_name)
        prefix = match.group(1) or "eq"
        if prefix == "eq" and len(values) > 1:
            raise invalid_value(raw, field_name)
        if prefix in ("eq", "ge"):
            low = max(low, day)
        if prefix in ("eq", "le"):
            high = min(high, day)
    return DateRange(low, high)


def _unexpected(names: Sequence[str]) -> SpineError:
    quoted = ", ".join(f"'{name}'" for name in names)
    verb = "was" if len(names) == 1 else "were"
    return SpineError(
        IssueType.INVARIANT,
        SpineCode.ADDITIONAL_PROPERTIES,
        f"Invalid request with error - Additional properties are not allowed "
        f"({quoted} {verb} unexpected)",
    )


def parse_search(items: Sequence[tuple[str, str]]) -> SearchQuery:
    if not items:
        raise unsupported_service()
    unknown = list(dict.fromkeys(key for key, _ in items if key not in ALLOWED))
    if unknown:
        raise _unexpected(unknown)
    values: dict[str, list[str]] = {}
    for key, value in items:
        values.setdefault(key, []).append(value)

    def one(key: str) -> str | None:
        found = values.get(key)
        return found[-1] if found else None

    birth = _dates(values.get("birthdate", []), "birthdate")
    death = _dates(values.get("death-date", []), "death-date")
    fuzzy = _bool(one("_fuzzy-match") or "false", "_fuzzy-match")
    exact = _bool(one("_exact-match") or "false", "_exact-match")
    history_raw = one("_history") or one("history") or "false"
    history = _bool(history_raw, "_history" if "_history" in values else "history")
    max_raw = one("_max-results")
    max_results = MAX_RESULTS
    if max_raw is not None:
        if not max_raw.isdigit() or not 1 <= int(max_raw) <= MAX_RESULTS:
            raise invalid_value(max_raw, "_max-results")
        max_results = int(max_raw)
    gender = one("gender")
    if gender is not None and gender not in GENDERS:
        raise invalid_value(gender, "gender")
    family = given = postcode = None
    if (raw := one("family")) is not None:
        family = _checked_name(raw, "family", fuzzy=fuzzy)
    given_values = values.get("given", [])
    given_more: list[str] = []
    if given_values:
        given = _checked_name(given_values[0], "given", fuzzy=fuzzy)
        for raw in given_values[1:]:
            more = normalise.name(raw)
            # A wildcard is only honoured on the first given name.
            if more is None or "*" in more or len(raw) > MAX_NAME:
                raise invalid_value(raw, "given")
            given_more.append(more)
    if "address-postalcode" in values and "address-postcode" in values:
        raise invalid_search_data(
            "Only one of address-postalcode and address-postcode may be given"
        )
    if (raw := one("address-postalcode") or one("address-postcode")) is not None:
        field_name = "address-postalcode" if "address-postalcode" in values else "address-postcode"
        postcode = _text(raw, field_name, normalise.postcode(raw), fuzzy=fuzzy)
    email = one("email")
    phone = one("phone")
    for raw, field_name in ((email, "email"), (phone, "phone")):
        if raw is not None and ("*" in raw or not raw.strip()):
            raise invalid_value(raw, field_name)
    gp = one("general-practitioner")

    if birth is None:
        raise SpineError(
            IssueType.REQUIRED,
            SpineCode.MISSING_VALUE,
            "Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'",
        )
    if fuzzy:
        has_basics = gender is not None and postcode is not None
        if not ((given and family) or (family and has_basics) or (given and has_basics)):
            raise invalid_search_data(MINIMUM)
    elif family is None:
        raise invalid_search_data(MINIMUM)
    return SearchQuery(
        family=family,
        given=given,
        given_more=tuple(given_more),
        gender=gender,
        birth=birth,
        death=death,
        postcode=postcode,
        gp=gp.upper() if gp else None,
        email=normalise.email(email) if email else None,
        phone=normalise.phone(phone) if phone else None,
        fuzzy=fuzzy,
        exact=exact,
        history=history or fuzzy,
        max_results=max_results,
    )


def _checked_name(raw: str, field_name: str, *, fuzzy: bool) -> Text:
    normalised = normalise.name(raw)
    if normalised is None or len(raw) > MAX_NAME:
        raise invalid_value(raw, field_name)
    return _text(raw, field_name, normalised, fuzzy=fuzzy)
