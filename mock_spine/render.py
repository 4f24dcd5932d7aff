"""Patient, RelatedPerson and Bundle resources in the shapes PDS returns them.

A retrieval returns the whole record; a search result holds less (usual,
nickname and temp names, the home address, no pharmacies, communication or
contact preferences, no managingOrganization). Restricted records lose their
location data everywhere (facts sheet A4, "meta.security").
"""

from datetime import UTC, datetime
from typing import Any

from cci_common.identifiers.nhs_number import SYSTEM as NHS_NUMBER_SYSTEM
from mock_spine.records import PatientRow, RelatedPersonRow

CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
SECURITY_DISPLAY = {"U": "unrestricted", "R": "restricted", "V": "very restricted"}
VERIFICATION_EXTENSION = {
    "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
    "valueCodeableConcept": {
        "coding": [
            {
                "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus",
                "version": "1.0.0",
                "code": "01",
                "display": "Number present and verified",
            }
        ]
    },
}
DEATH_EXTENSION = (
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus"
)
DEATH_DISPLAY = {
    "1": "Informal - death notice received via an update from a local NHS Organisation "
    "such as GP or Trust",
    "2": "Formal - death notice received from Registrar of Deaths",
    "U": "Removed",
}
_EXT = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-"
# Extensions that reveal where a restricted patient is.
LOCATION_EXTENSIONS = frozenset(
    {
        _EXT + "NominatedPharmacy",
        _EXT + "PreferredDispenserOrganization",
        _EXT + "MedicalApplianceSupplier",
        "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
    }
)
SEARCH_NAME_USES = frozenset({"usual", "nickname", "temp"})
LOCATION_FIELDS = ("address", "telecom", "contact", "generalPractitioner")


def _current(item: dict[str, Any]) -> bool:
    return not item.get("period", {}).get("end")


def _death_extension(row: PatientRow) -> dict[str, Any]:
    instant = f"{row.death_date}T00:00:00+00:00"
    code = row.death_notification or "1"
    return {
        "url": DEATH_EXTENSION,
        "extension": [
            {
                "url": "deathNotificationStatus",
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": "https://fhir.hl7.org.uk/CodeSystem/"
                            "UKCore-DeathNotificationStatus",
                            "version": "1.0.0",
                            "code": code,
                            "display": DEATH_DISPLAY.get(code, "Informal"),
                        }
                    ]
                },
            },
            {"url": "systemEffectiveDate", "valueDateTime": instant},
        ],
    }


def render_patient(row: PatientRow, *, search: bool = False) -> dict[str, Any]:
    record = row.record
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": row.nhs_number,
        "identifier": [
            {
                "system": NHS_NUMBER_SYSTEM,
                "value": row.nhs_number,
                "extension": [VERIFICATION_EXTENSION],
            }
        ],
        "meta": {
            "versionId": str(row.version_id),
            "security": [
                {
                    "system": CONFIDENTIALITY,
                    "code": row.security,
                    "display": SECURITY_DISPLAY[row.security],
                }
            ],
        },
    }
    names = record.get("name", [])
    if search:
        names = [n for n in names if n.get("use") in SEARCH_NAME_USES and _current(n)]
    if names:
        resource["name"] = names
    if row.gender:
        resource["gender"] = row.gender
    if row.birth_date:
        resource["birthDate"] = row.birth_date.isoformat()
    if row.multiple_birth is not None:
        resource["multipleBirthInteger"] = row.multiple_birth
    if row.death_date:
        resource["deceasedDateTime"] = f"{row.death_date}T00:00:00+00:00"
    if record.get("generalPractitioner"):
        resource["generalPractitioner"] = record["generalPractitioner"]
    if not search and record.get("managingOrganization"):
        resource["managingOrganization"] = record["managingOrganization"]
    extensions = [] if search else list(record.get("extension", []))
    if row.death_date:
        extensions.insert(0, _death_extension(row))
    if extensions:
        resource["extension"] = extensions
    for key in ("telecom", "contact"):
        items = record.get(key, [])
        if search:
            items = [item for item in items if _current(item)]
        if items:
            resource[key] = items
    addresses = record.get("address", [])
    if search:
        addresses = [a for a in addresses if a.get("use") == "home" and _current(a)]
    if addresses:
        resource["address"] = addresses
    return restrict(resource, row.security)


def restrict(resource: dict[str, Any], security: str) -> dict[str, Any]:
    """Withhold what a restricted (R) or very restricted (V) record does not disclose."""
    if security == "U":
        return resource
    for key in LOCATION_FIELDS:
        resource.pop(key, None)
    if "extension" in resource:
        kept = [e for e in resource["extension"] if e["url"] not in LOCATION_EXTENSIONS]
        if kept:
            resource["extension"] = kept
        else:
            del resource["extension"]
    if security == "V":
        resource.pop("name", None)
        resource.pop("birthDate", None)
    return resource


def render_related_person(
    row: RelatedPersonRow, patient_nhs_number: str, full_url_base: str
) -> dict[str, Any]:
    resource: dict[str, Any] = {"id": row.id, "resourceType": "RelatedPerson"}
    if row.related_nhs_number:
        resource["patient"] = {
            "identifier": {"system": NHS_NUMBER_SYSTEM, "value": row.related_nhs_number}
        }
    resource["active"] = True
    resource.update(row.record)
    return {
        "fullUrl": f"{full_url_base}/Patient/{patient_nhs_number}/RelatedPerson/{row.id}",
        "resource": resource,
    }


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def searchset(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A searchset with `total` = entries returned; no `entry` key at all when empty."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timestamp(),
        "total": len(entries),
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def search_entry(row: PatientRow, score: float, full_url_base: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{full_url_base}/Patient/{row.nhs_number}",
        "search": {"score": score},
        "resource": render_patient(row, search=True),
    }
