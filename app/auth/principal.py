"""Who is calling: the client system, its organisation and agency role, the person
using it and the stated purpose of use. Built once per request by `authenticate`."""

from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

from app.auth.scopes import AgencyRole, satisfies

OdsCode = NewType("OdsCode", str)

PURPOSE_OF_USE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


class PurposeOfUse(StrEnum):
    """The HL7 v3 PurposeOfUse codes (v3-ActReason) this service accepts."""

    TREAT = "TREAT"  # treatment
    ETREAT = "ETREAT"  # emergency treatment
    COC = "COC"  # coordination of care
    PATSFTY = "PATSFTY"  # patient safety: safeguarding a child
    THREAT = "THREAT"  # mitigating a threat to someone's health or safety
    PUBHLTH = "PUBHLTH"  # public health
    HOPERAT = "HOPERAT"  # healthcare operations
    PATADMIN = "PATADMIN"  # patient administration (e.g. school admissions)
    HLEGAL = "HLEGAL"  # legal (e.g. a court order)
    HCOMPL = "HCOMPL"  # compliance, e.g. an audit review
    RECORDMGT = "RECORDMGT"  # records management


@dataclass(frozen=True, slots=True)
class EndUser:
    """The person at the client system; asserted by the client, recorded in the audit."""

    id: str
    name: str
    role: str  # job title or role, e.g. "Emergency department nurse"


@dataclass(frozen=True, slots=True)
class Purpose:
    code: PurposeOfUse
    justification: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    ods_code: OdsCode
    organisation_name: str
    role: AgencyRole
    scopes: frozenset[str]
    end_user: EndUser | None = None
    purpose: Purpose | None = None
    request_id: str | None = None  # the X-Request-ID, so audit rows join to log lines

    def has_scope(self, scope: str) -> bool:
        return satisfies(self.scopes, scope)

    def acting_for(self, end_user: EndUser | None, purpose: Purpose | None) -> "Principal":
        """This principal with the end user and purpose of its request (built directly:
        `dataclasses.replace` costs more than the rest of the token check)."""
        return Principal(
            client_id=self.client_id,
            ods_code=self.ods_code,
            organisation_name=self.organisation_name,
            role=self.role,
            scopes=self.scopes,
            end_user=end_user,
            purpose=purpose,
            request_id=self.request_id,
        )
