"""Why a flag write is refused: one reason code each, with the CP-IS upload response code.

The OperationOutcome's `details.coding` carries our reason code (so clients can
branch on it) and, where CP-IS has one, the CPR code an LA already knows (facts B5).
"""

from enum import StrEnum
from typing import Any, ClassVar

from app.cpis.profile import CPIS_UPLOAD_RESPONSE_SYSTEM, REJECTION_SYSTEM
from app.fhir.errors import FHIRError
from cci_common.operation_outcome import IssueType


class Reason(StrEnum):
    INVALID_NHS_NUMBER = "invalid-nhs-number"
    UNKNOWN_NHS_NUMBER = "unknown-nhs-number"
    INVALIDATED_NHS_NUMBER = "invalidated-nhs-number"
    SUPERSEDED_NHS_NUMBER = "superseded-nhs-number"
    RESTRICTED_RECORD = "restricted-record"
    DEMOGRAPHICS_MISMATCH = "demographics-mismatch"
    DECEASED_SUBJECT = "deceased-subject"
    END_BEFORE_START = "end-before-start"
    UNBORN_PLAN_MALE_SUBJECT = "unborn-plan-male-subject"
    INVALID_FLAG = "invalid-flag"
    NOT_OWNER = "not-owner"
    CASE_REFERENCE_EXISTS = "case-reference-exists"
    SUBJECT_CHANGED = "subject-changed"
    ENTERED_IN_ERROR_IS_FINAL = "entered-in-error-is-final"


_CPR = {
    Reason.INVALID_NHS_NUMBER: ("CPR04", "NHS Number format incorrect"),
    Reason.UNKNOWN_NHS_NUMBER: ("CPR01", "PDS Error - No match found for NHS Number"),
    Reason.INVALIDATED_NHS_NUMBER: ("CPR01", "PDS Error - No match found for NHS Number"),
    Reason.RESTRICTED_RECORD: ("CPR02", "NHS Number matched but the record is sensitive"),
    Reason.DEMOGRAPHICS_MISMATCH: ("CPR03", "NHS Number not verified"),
    Reason.SUPERSEDED_NHS_NUMBER: (
        "CPR05",
        "NHS Number Verified, but Superseded - New NHS Number is required",
    ),
}


class FlagRejected(FHIRError):
    """A flag create/update the LA must correct (422 business rule unless a subclass says)."""

    status_code: ClassVar[int] = 422
    issue_type: ClassVar[IssueType] = IssueType.BUSINESS_RULE

    def __init__(self, reason: Reason, diagnostics: str, **kwargs: Any) -> None:
        super().__init__(diagnostics, **kwargs)
        self.reason = reason

    def to_operation_outcome(self) -> dict[str, Any]:
        outcome = super().to_operation_outcome()
        codings: list[dict[str, str]] = [{"system": REJECTION_SYSTEM, "code": self.reason.value}]
        if self.reason in _CPR:
            code, display = _CPR[self.reason]
            codings.append(
                {"system": CPIS_UPLOAD_RESPONSE_SYSTEM, "code": code, "display": display}
            )
        details = outcome["issue"][0].setdefault("details", {"coding": []})
        details["coding"] = codings + details.get("coding", [])
        return outcome


class FlagInvalid(FlagRejected):
    status_code: ClassVar[int] = 400
    issue_type: ClassVar[IssueType] = IssueType.VALUE


class FlagForbidden(FlagRejected):
    status_code: ClassVar[int] = 403
    issue_type: ClassVar[IssueType] = IssueType.FORBIDDEN


class FlagConflict(FlagRejected):
    status_code: ClassVar[int] = 409
    issue_type: ClassVar[IssueType] = IssueType.CONFLICT


_CLASSES: dict[Reason, type[FlagRejected]] = {
    Reason.INVALID_NHS_NUMBER: FlagInvalid,
    Reason.INVALID_FLAG: FlagInvalid,
    Reason.NOT_OWNER: FlagForbidden,
    Reason.CASE_REFERENCE_EXISTS: FlagConflict,
    Reason.SUBJECT_CHANGED: FlagConflict,
}


def reject(reason: Reason, diagnostics: str, **kwargs: Any) -> FlagRejected:
    """The error for `reason`, with the HTTP status that reason carries."""
    return _CLASSES.get(reason, FlagRejected)(reason, diagnostics, **kwargs)
