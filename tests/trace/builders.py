"""Builders for trace tests: PDS-shaped Patients and Demographics."""

from typing import Any

from app.trace.demographics import Demographics
from app.trace.spine_models import SpinePatient
from cci_common.identifiers.nhs_number import NHSNumber


def spine_patient(
    number: str,
    *,
    given: str = "Oliver",
    family: str = "Okonkwo",
    birth_date: str = "2015-03-14",
    gender: str = "male",
    postcode: str | None = "LS1 6AE",
    security: str = "U",
    multiple_birth: int | None = None,
    **extra: Any,
) -> SpinePatient:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": number,
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": number}],
        "meta": {
            "versionId": "1",
            "security": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                    "code": security,
                }
            ],
        },
        "name": [{"use": "usual", "family": family, "given": [given]}],
        "gender": gender,
        "birthDate": birth_date,
        **extra,
    }
    if postcode and security == "U":
        resource["address"] = [{"use": "home", "line": ["1 Road"], "postalCode": postcode}]
        resource["telecom"] = [{"system": "phone", "value": "01632960587", "use": "home"}]
        resource["generalPractitioner"] = [
            {
                "type": "Organization",
                "identifier": {
                    "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                    "value": "Y12345",
                },
            }
        ]
    if multiple_birth is not None:
        resource["multipleBirthInteger"] = multiple_birth
    return SpinePatient(NHSNumber(number), resource)


def query(
    *,
    given: str | None = "Oliver",
    family: str | None = "Okonkwo",
    birth_date: str | None = "2015-03-14",
    gender: str | None = "male",
    postcode: str | None = "LS1 6AE",
    nhs_number: str | None = None,
) -> Demographics:
    return Demographics(
        given=(given,) if given else (),
        family=family,
        birth_date=birth_date,
        gender=gender,
        postcodes=(postcode,) if postcode else (),
        nhs_number=nhs_number,
    )
