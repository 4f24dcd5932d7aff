"""Typed results of Spine (PDS FHIR) calls, and the search parameters we send.

`SpineClient` returns these so callers never parse PDS JSON themselves:
a retrieve is found (possibly under a new number, when the requested one was
superseded), not found, or invalidated; a search is a scored list or PDS's
TOO_MANY_MATCHES (HTTP 200, no partial list: spec A2).
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from app.trace.demographics import Demographics
from cci_common.identifiers.nhs_number import NHSNumber

CONFIDENTIALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
RESTRICTED_CODES = frozenset({"R", "V"})


@dataclass(frozen=True)
class SpinePatient:
    """A Patient as the Spine returned it; `resource` is the FHIR JSON, untouched."""

    nhs_number: NHSNumber
    resource: dict[str, Any]
    score: float | None = None

    @property
    def version(self) -> str | None:
        version = (self.resource.get("meta") or {}).get("versionId")
        return version if isinstance(version, str) else None

    @property
    def confidentiality(self) -> str | None:
        for label in (self.resource.get("meta") or {}).get("security") or []:
            if isinstance(label, dict) and label.get("system") == CONFIDENTIALITY_SYSTEM:
                code = label.get("code")
                return code if isinstance(code, str) else None
        return None

    @property
    def restricted(self) -> bool:
        """Sensitive (R) or very restricted (V): location data must never leave the gateway."""
        return self.confidentiality in RESTRICTED_CODES

    @property
    def deceased(self) -> bool:
        return bool(self.resource.get("deceasedDateTime") or self.resource.get("deceasedBoolean"))

    @cached_property
    def demographics(self) -> Demographics:
        return Demographics.from_patient(self.resource)


class RetrieveStatus(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not-found"  # valid number, no record (RESOURCE_NOT_FOUND)
    INVALIDATED = "invalidated"  # record invalidated and not superseded (INVALIDATED_RESOURCE)


@dataclass(frozen=True)
class RetrieveResult:
    requested: NHSNumber
    status: RetrieveStatus
    patient: SpinePatient | None = None

    @property
    def superseded(self) -> bool:
        """PDS answers a superseded (merged) number with the surviving record: a different id."""
        return self.patient is not None and self.patient.nhs_number != self.requested


@dataclass(frozen=True)
class SearchResult:
    matches: tuple[SpinePatient, ...] = ()
    too_many_matches: bool = False


@dataclass(frozen=True)
class SearchParams:
    """PDS `GET /Patient` parameters (spec A2). Validation is the caller's job (`search.py`)."""

    family: str | None = None
    given: tuple[str, ...] = ()
    gender: str | None = None
    birthdate: tuple[str, ...] = ()  # "eq2010-10-22", or a ge/le pair for a range
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None
    general_practitioner: str | None = None
    death_date: tuple[str, ...] = ()
    fuzzy: bool = False
    exact: bool = False
    history: bool = False
    max_results: int | None = None

    def query(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if self.family:
            pairs.append(("family", self.family))
        pairs.extend(("given", given) for given in self.given)
        if self.gender:
            pairs.append(("gender", self.gender))
        pairs.extend(("birthdate", value) for value in self.birthdate)
        pairs.extend(("death-date", value) for value in self.death_date)
        optional = {
            "address-postalcode": self.postcode,
            "phone": self.phone,
            "email": self.email,
            "general-practitioner": self.general_practitioner,
        }
        pairs.extend((name, value) for name, value in optional.items() if value)
        if self.fuzzy:
            pairs.append(("_fuzzy-match", "true"))
        if self.exact:
            pairs.append(("_exact-match", "true"))
        if self.history:
            pairs.append(("_history", "true"))
        if self.max_results is not None:
            pairs.append(("_max-results", str(self.max_results)))
        return pairs
