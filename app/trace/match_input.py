"""`Patient/$match` input (FHIR R4 Patient-match, IHE PDQm ITI-119): Parameters in, a query out."""

from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from app.fhir.errors import InvalidSearchData, InvalidValue, MissingValue
from app.fhir.resources import Parameters
from app.trace.cascade import MatchQuery
from app.trace.demographics import Demographics, nhs_number_of
from app.trace.normalise import parse_date
from cci_common.identifiers import nhs_number

DEFAULT_COUNT = 5  # data minimisation: a short list for a person to choose from
MAX_COUNT = 50


class MatchParameter(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: Literal["resource", "onlyCertainMatches", "count"]
    resource: dict[str, Any] | None = None
    valueBoolean: bool | None = None  # noqa: N815 - FHIR element name
    valueInteger: int | None = None  # noqa: N815 - FHIR element name


class MatchParameters(BaseModel):
    """Input: `resource` (Patient, required), `onlyCertainMatches`, `count` (1-50)."""

    model_config = ConfigDict(extra="allow", title="Parameters (Patient/$match input)")
    resourceType: Literal["Parameters"]  # noqa: N815 - FHIR element name
    parameter: list[MatchParameter]


@dataclass(frozen=True)
class MatchRequest:
    query: MatchQuery
    only_certain: bool = False
    count: int = DEFAULT_COUNT


def _one(body: MatchParameters, name: str) -> MatchParameter | None:
    found = [p for p in body.parameter if p.name == name]
    if len(found) > 1:
        raise InvalidValue(f"Parameter '{name}' may appear only once", expression=[name])
    return found[0] if found else None


def parse_match_request(body: MatchParameters) -> MatchRequest:
    try:
        Parameters.model_validate(body.model_dump(exclude_none=True))
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "Parameters"
        raise InvalidValue(f"Invalid Parameters resource at {where}", expression=[where]) from None
    resource_param = _one(body, "resource")
    if resource_param is None or resource_param.resource is None:
        raise MissingValue("Parameter 'resource' (a Patient) is required", expression=["resource"])
    patient = resource_param.resource
    if patient.get("resourceType") != "Patient":
        raise InvalidValue("Parameter 'resource' must be a Patient", expression=["resource"])
    count_param = _one(body, "count")
    count = count_param.valueInteger if count_param else None
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise InvalidValue(f"count must be between 1 and {MAX_COUNT}", expression=["count"])
    only_param = _one(body, "onlyCertainMatches")
    return MatchRequest(
        query=_query(patient),
        only_certain=bool(only_param and only_param.valueBoolean),
        count=count or DEFAULT_COUNT,
    )


def _query(patient: dict[str, Any]) -> MatchQuery:
    demographics = Demographics.from_patient(patient)
    claimed = nhs_number_of(patient)
    valid = nhs_number.parse(claimed) if claimed else None
    demographics = replace(demographics, nhs_number=valid)
    named = bool(demographics.family and demographics.given)
    if parse_date(demographics.birth_date) is None and valid is None and not named:
        raise InvalidSearchData(
            "A trace needs a full birth date (yyyy-mm-dd), a given and family name, "
            "or a valid NHS number",
            expression=["Patient.birthDate"],
        )
    return MatchQuery(demographics, claimed_number_invalid=bool(claimed) and valid is None)
