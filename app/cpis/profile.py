"""Our FHIR R4 `Flag` profile for CP-IS plans: the code systems and values it uses.

Plan types are the England-ChildProtectionPlan SNOMED CT value set (facts B1);
rejection reasons carry the CP-IS upload record response codes (CPR01-05, facts B5)
where CP-IS has one, alongside our own reason code.
"""

from enum import StrEnum

SNOMED = "http://snomed.info/sct"
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"
CPP_CATEGORY_SYSTEM = "https://cci-gateway.example.org/CodeSystem/cpp-category-of-abuse"
CASE_REFERENCE_SYSTEM = "https://cci-gateway.example.org/Id/la-case-reference"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
CONTACT_PURPOSE_SYSTEM = "https://cci-gateway.example.org/CodeSystem/la-contact-purpose"
REJECTION_SYSTEM = "https://cci-gateway.example.org/CodeSystem/flag-rejection-reason"
CPIS_UPLOAD_RESPONSE_SYSTEM = "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.473"
NOTIFICATION_TYPE_SYSTEM = "https://cci-gateway.example.org/CodeSystem/cpis-notification"
PROFILE_URL = "https://cci-gateway.example.org/StructureDefinition/cpis-flag"

SUBJECT_CONTAINED_ID = "subject"
AUTHOR_CONTAINED_ID = "la"
ADULT_AGE_YEARS = 18
NO_FLAG_IS_NOT_SAFETY = (
    "The absence of a child protection flag is not evidence that a child is safe: "
    "most children in serious case reviews never had a plan. Use professional judgement."
)


class PlanType(StrEnum):
    CHILD_PROTECTION_PLAN = "342191000000101"
    LOOKED_AFTER_CHILD = "764841000000100"
    UNBORN_CHILD_PROTECTION_PLAN = "818901000000100"

    @property
    def display(self) -> str:
        return _PLAN_DISPLAYS[self]

    @property
    def ends_at_eighteen(self) -> bool:
        # An unborn plan sits on the pregnant woman's record: her age is irrelevant.
        return self is not PlanType.UNBORN_CHILD_PROTECTION_PLAN


_PLAN_DISPLAYS = {
    PlanType.CHILD_PROTECTION_PLAN: "Subject to child protection plan",
    PlanType.LOOKED_AFTER_CHILD: "Looked after child",
    PlanType.UNBORN_CHILD_PROTECTION_PLAN: "Unborn child subject to child protection plan",
}


class AbuseCategory(StrEnum):
    PHYSICAL = "physical"
    SEXUAL = "sexual"
    EMOTIONAL = "emotional"
    NEGLECT = "neglect"
    MULTIPLE = "multiple"


class FlagStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    ENTERED_IN_ERROR = "entered-in-error"


class ContactPurpose(StrEnum):
    OFFICE_HOURS = "office-hours"
    OUT_OF_HOURS = "out-of-hours"

    @property
    def display(self) -> str:
        return {
            ContactPurpose.OFFICE_HOURS: "Office hours",
            ContactPurpose.OUT_OF_HOURS: "Out of hours (emergency duty team)",
        }[self]


class EndReason(StrEnum):
    LOCAL_AUTHORITY = "local-authority"
    EIGHTEENTH_BIRTHDAY = "eighteenth-birthday"


class SubjectState(StrEnum):
    """What the Spine last said about the flagged NHS number (write time or `cci flags recheck`)."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    INVALIDATED = "invalidated"
    DECEASED = "deceased"
    NOT_FOUND = "not-found"


class NotificationKind(StrEnum):
    # CP-IS message types 05 and 06 (facts B3), plus the automatic end at 18.
    ACCESS = "access-to-service"
    INACTIVE_NHS_NUMBER = "inactive-nhs-number"
    PLAN_ENDED_AT_EIGHTEEN = "plan-ended-at-eighteen"

    @property
    def display(self) -> str:
        return {
            NotificationKind.ACCESS: "Access to Service Notification",
            NotificationKind.INACTIVE_NHS_NUMBER: "Inactive NHS Number Notification",
            NotificationKind.PLAN_ENDED_AT_EIGHTEEN: "Plan ended at eighteenth birthday",
        }[self]
