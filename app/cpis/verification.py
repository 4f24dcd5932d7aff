"""Verify a flag's subject against the Spine before a plan is written (facts B4, B5).

CP-IS only holds plans for NHS numbers the Spine confirms: the number must be live
(not unknown, invalidated or superseded), not a sensitive record, and the LA's
given name, family name and birth date must match it exactly.
"""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from app.cpis.errors import Reason, reject
from app.cpis.parsing import FlagInput
from app.cpis.profile import PlanType
from app.cpis.rules import SpineDemographics, disagreeing_fields
from app.trace.spine_client import RetrieveResult, RetrieveStatus


class SubjectLookup(Protocol):
    """The part of `SpineClient` we use (a protocol so batch and CLI share one client)."""

    async def retrieve(self, number: str, *, deadline: float | None = None) -> RetrieveResult: ...


@dataclass(frozen=True, slots=True)
class VerifiedSubject:
    birth_date: date | None


def _missing_demographics(data: FlagInput) -> list[str]:
    missing = []
    if not data.demographics.given:
        missing.append("Flag.contained.Patient.name.given")
    if not data.demographics.family:
        missing.append("Flag.contained.Patient.name.family")
    if data.demographics.birth_date is None:
        missing.append("Flag.contained.Patient.birthDate")
    return missing


def check_result(data: FlagInput, result: RetrieveResult) -> VerifiedSubject:
    """Turn the Spine's answer into a verified subject or the refusal the LA must act on."""
    if result.status is RetrieveStatus.NOT_FOUND:
        raise reject(
            Reason.UNKNOWN_NHS_NUMBER,
            "The NHS number is not known to the Spine; check it, or trace the child",
            expression=["Flag.subject.identifier.value"],
        )
    if result.status is RetrieveStatus.INVALIDATED or result.patient is None:
        raise reject(
            Reason.INVALIDATED_NHS_NUMBER,
            "The NHS number has been invalidated in the Spine; trace the child again",
            expression=["Flag.subject.identifier.value"],
        )
    if result.superseded:
        raise reject(
            Reason.SUPERSEDED_NHS_NUMBER,
            "The NHS number has been superseded: a new NHS number is required. Trace the "
            "child to obtain the current number and submit the plan against it",
            expression=["Flag.subject.identifier.value"],
        )
    patient = result.patient
    if patient.restricted:
        raise reject(
            Reason.RESTRICTED_RECORD,
            "The Spine record for this NHS number is restricted (sensitive) and cannot hold "
            "child protection information, as in CP-IS",
            expression=["Flag.subject.identifier.value"],
        )
    if patient.deceased:
        raise reject(
            Reason.DECEASED_SUBJECT,
            "The Spine records this person as deceased",
            expression=["Flag.subject.identifier.value"],
        )
    spine = SpineDemographics(
        given=patient.demographics.given,
        family=patient.demographics.family,
        birth_date=patient.demographics.birth_date,
    )
    wrong = disagreeing_fields(data.demographics, spine)
    if wrong:
        names = ", ".join(field.rsplit(".", 1)[-1] for field in wrong)
        raise reject(
            Reason.DEMOGRAPHICS_MISMATCH,
            f"The supplied {names} do not match the Spine record for this NHS number "
            "exactly (case, spaces and hyphens aside); correct your record and resubmit",
            expression=wrong,
        )
    if (
        data.plan_type is PlanType.UNBORN_CHILD_PROTECTION_PLAN
        and patient.demographics.gender == "male"
    ):
        raise reject(
            Reason.UNBORN_PLAN_MALE_SUBJECT,
            "An unborn child protection plan is held on the pregnant woman's NHS number; "
            "the Spine records this person as male",
            expression=["Flag.code"],
        )
    birth = patient.demographics.birth_date
    return VerifiedSubject(birth_date=date.fromisoformat(birth) if birth else None)


async def verify_subject(spine: SubjectLookup, data: FlagInput) -> VerifiedSubject:
    missing = _missing_demographics(data)
    if missing:
        raise reject(
            Reason.INVALID_FLAG,
            "The subject's given name, family name and birth date are required to verify the "
            "NHS number (a contained Patient referenced by Flag.subject)",
            expression=missing,
        )
    return check_result(data, await spine.retrieve(data.nhs_number))
