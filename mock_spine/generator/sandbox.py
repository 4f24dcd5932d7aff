"""The published PDS sandbox test patients, with data of our own that gives the answers
the NHS documentation and its Postman collection expect (facts sheet A5).

Where the documented answer depends on data the sandbox never shows, the data
here is chosen to produce it and says so (e.g. Jane Smith's second e-mail).
"""

from datetime import date
from typing import Any

from mock_spine.generator.model import Person, Related, gp_reference

# Synthetic people are never born on these dates (nor their day/month swaps), so
# the documented searches find exactly the documented patients.
RESERVED_BIRTH_DATES = frozenset(
    {
        date(2010, 10, 21), date(2010, 10, 22), date(2010, 10, 23), date(2005, 6, 16),
        date(1934, 12, 18), date(1943, 7, 3), date(1943, 3, 7), date(2000, 5, 5),
    }
)  # fmt: skip
ABSENT_NUMBER = "9111231130"
INVALIDATED_NUMBER = "9990003343"
EXT = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-"


def _name(given: list[str], family: str, *, use: str = "usual", **extra: Any) -> dict[str, Any]:
    period = {"start": "2010-10-22"}
    identifier = "N1" if use == "usual" else "N0"
    return {
        "id": identifier,
        "use": use,
        "period": period,
        "given": given,
        "family": family,
        **extra,
    }


def _address(lines: list[str], postcode: str, *, end: str | None = None) -> dict[str, Any]:
    period = {"start": "2015-03-01"} | ({"end": end} if end else {})
    return {"id": "A1" if end is None else "A0", "period": period, "use": "home",
            "line": lines, "postalCode": postcode}  # fmt: skip


def _telecom(
    id_: str, system: str, value: str, use: str = "home", end: str | None = None
) -> dict[str, Any]:
    period = {"start": "2019-01-01"} | ({"end": end} if end else {})
    return {"id": id_, "period": period, "system": system, "value": value, "use": use}


def _guardian(id_: str, given: str, family: str, rank: int, nhs: str | None) -> Related:
    record = {
        "period": {"start": "2010-10-22"},
        "name": [{"use": "usual", "given": [given], "family": family}],
        "relationship": [{"coding": [{
            "system": "https://fhir.nhs.uk/R4/CodeSystem/UKCore-AdditionalRelatedPersonRole",
            "code": "Guardian", "display": "Guardian of patient"}]}],
        "extension": [{"url": "https://fhir.nhs.uk/R4/StructureDefinition/Extension-UKCore-ContactRank",
                       "valuePositiveInt": rank}],
    }  # fmt: skip
    return Related(id_, nhs, rank, record)


def _jane_smith() -> Person:
    return Person(
        nhs_number="9000000009", gender="female", birth_date=date(2010, 10, 22), version_id=2,
        names=[_name(["Jane"], "Smith")],
        addresses=[_address(["4 Boar Lane", "City Centre", "Leeds", "West Yorkshire"], "LS1 6AE")],
        telecom=[
            _telecom("T1", "phone", "01632960587"),
            _telecom("T2", "email", "jane.smith@example.com"),
            # Not in the sandbox's record: the Postman "limited results including email"
            # search expects Jane for this address, so she holds it as a second e-mail.
            _telecom("T3", "email", "janet.smythe@example.com", use="work"),
        ],
        death_date=date(2010, 10, 22), death_notification="2", multiple_birth=1,
        gp_ods="Y12345", gp_start="2020-01-01",
        managing_organization={"type": "Organization", "identifier": gp_reference("Y12345", None)["identifier"]},  # noqa: E501
        contact=[{"id": "C1", "relationship": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C",
            "display": "Emergency Contact"}]}], "telecom": [{"system": "phone", "value": "01632960587"}]}],  # noqa: E501
        extension=[
            {"url": EXT + "NominatedPharmacy", "valueReference": {"identifier": {
                "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "FA565"}}},
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
             "valueAddress": {"city": "Leeds", "district": "West Yorkshire", "country": "GBR"}},
        ],
        related=[
            _guardian("5A1D0001", "Margaret", "Smith", 1, None),
            _guardian("5A1D0002", "Peter", "Smith", 2, None),
        ],
    )  # fmt: skip


def sandbox_people() -> list[Person]:
    jayne = Person(
        nhs_number="9000000017", gender="female", birth_date=date(2010, 10, 22), version_id=2,
        names=[_name(["Jayne"], "Smyth")],
        addresses=[_address(["12 Park Row", "Leeds"], "LS1 5HD")],
        telecom=[_telecom("T1", "phone", "01632960123"),
                 _telecom("T2", "email", "jayne.smyth@example.com")],
        gp_ods="Y12345", gp_start="2020-01-01", multiple_birth=1,
        related=[_guardian("F4C00001", "Jane", "Smith", 1, "5328023641")],
    )  # fmt: skip
    janet = Person(
        nhs_number="9000000025", gender="female", birth_date=date(2005, 6, 16), version_id=2,
        security="R", names=[_name(["Janet"], "Smythe")],
        addresses=[_address(["7 Quarry Hill", "Leeds"], "LS2 7UE")],
        telecom=[_telecom("T1", "phone", "01632960587"),
                 _telecom("T2", "email", "janet.smythe@example.com")],
        gp_ods="Y23456", gp_start="2018-01-01",
        related=[_guardian("A77E0001", "Helen", "Smythe", 1, None)],
    )  # fmt: skip
    minimal = Person(nhs_number="9000000033", gender=None, birth_date=None, version_id=2)
    # The spec's compound-name example (its 9000000015 fails modulus 11, so ours is 9000000041).
    compound = Person(
        nhs_number="9000000041", gender="male", birth_date=date(2010, 10, 22),
        names=[_name(["John Paul", "James"], "Smith")],
        addresses=[_address(["3 Boar Lane", "Leeds"], "LS1 6AE")],
        telecom=[_telecom("T1", "phone", "01632960587"),
                 _telecom("T2", "email", "johnp.smith@example.com")],
    )  # fmt: skip
    knapp = Person(
        nhs_number="9736363120", gender="female", birth_date=date(1943, 7, 3),
        names=[_name(["Edith", "May"], "KNAPP")],
        addresses=[_address(["9 Mill Lane", "Exeter"], "EX4 4QJ")], gp_ods="L83001",
    )  # fmt: skip
    historic = Person(
        nhs_number="5900020584", gender="male", birth_date=date(2000, 5, 5),
        names=[_name(["Adam"], "Smith")],
        addresses=[_address(["21 Station Road", "Derby"], "DE1 2QS")],
        telecom=[_telecom("T1", "email", "adam.smith@example.net"),
                 _telecom("T0", "email", "Historic@historic.com", end="2019-12-31")],
    )  # fmt: skip
    invalidated = Person(
        nhs_number=INVALIDATED_NUMBER, gender="male", birth_date=date(1990, 1, 1),
        status="invalidated", names=[_name(["Invalid"], "Record")],
    )  # fmt: skip
    return [_jane_smith(), jayne, janet, minimal, compound, knapp, historic, invalidated]


SANDBOX_NUMBERS = frozenset(p.nhs_number for p in sandbox_people()) | {ABSENT_NUMBER, "5328023641"}
