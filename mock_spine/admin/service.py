"""Developer controls: create, merge, invalidate, restrict, mark deceased, rename, move.

Every change bumps `meta.versionId`, as a PDS update does, and rewrites the
search rows so the next search sees it.
"""

import random
from datetime import date
from typing import Any

from cci_common.identifiers import nhs_number
from cci_common.operation_outcome import IssueType, SpineCode
from mock_spine.admin import schemas
from mock_spine.errors import SpineError
from mock_spine.generator.model import Person
from mock_spine.generator.people import human_name
from mock_spine.generator.population import relate
from mock_spine.records import PatientRow
from mock_spine.repository import admin as repository
from mock_spine.repository import patients

_numbers = random.Random()  # noqa: S311 - synthetic test-range numbers, not secrets


def person_from_row(row: PatientRow) -> Person:
    record = row.record
    gp = (record.get("generalPractitioner") or [{}])[0].get("identifier", {})
    return Person(
        nhs_number=row.nhs_number, gender=row.gender, birth_date=row.birth_date,
        names=list(record.get("name", [])), addresses=list(record.get("address", [])),
        telecom=list(record.get("telecom", [])), status=row.status,
        superseded_by=row.superseded_by, security=row.security, version_id=row.version_id,
        death_date=row.death_date, death_notification=row.death_notification,
        multiple_birth=row.multiple_birth, gp_ods=row.gp_ods,
        gp_start=gp.get("period", {}).get("start"), contact=list(record.get("contact", [])),
        extension=list(record.get("extension", [])),
        managing_organization=record.get("managingOrganization"),
    )  # fmt: skip


def _not_found() -> SpineError:
    return SpineError(IssueType.NOT_FOUND, SpineCode.RESOURCE_NOT_FOUND, status=404)


def _invalid(diagnostics: str) -> SpineError:
    return SpineError(IssueType.VALUE, SpineCode.INVALID_VALUE, diagnostics)


async def _load(connection: Any, number: str) -> Person:
    rows = await patients.get_many(connection, [number])
    if number not in rows:
        raise _not_found()
    return person_from_row(rows[number])


async def _new_number(connection: Any) -> str:
    while True:
        candidate = nhs_number.generate(_numbers)
        if not await repository.exists(connection, candidate):
            return candidate


def state(person: Person) -> schemas.PatientState:
    return schemas.PatientState(
        nhs_number=person.nhs_number, status=person.status, superseded_by=person.superseded_by,
        security=person.security, version_id=person.version_id,
    )  # fmt: skip


async def create_patient(connection: Any, body: schemas.NewPatient) -> schemas.PatientState:
    number = body.nhs_number or await _new_number(connection)
    if not nhs_number.is_valid(number):
        raise _invalid(f"Invalid value - '{number}' in field 'nhs_number'")
    if await repository.exists(connection, number):
        raise _invalid(f"Invalid value - '{number}' already exists")
    today = date.today()
    person = Person(
        nhs_number=number, gender=body.gender, birth_date=body.birth_date,
        names=[human_name(body.given, body.family, start=body.birth_date)],
        security=body.security, gp_ods=body.general_practitioner,
        gp_start=today.isoformat() if body.general_practitioner else None,
    )  # fmt: skip
    if body.address_lines or body.postcode:
        address: dict[str, Any] = {"id": "A1", "period": {"start": today.isoformat()}}
        address |= {"use": "home", "line": body.address_lines}
        if body.postcode:
            address["postalCode"] = body.postcode
        person.addresses.append(address)
    if body.phone:
        person.telecom.append({"id": "TM", "system": "phone", "value": body.phone, "use": "mobile"})
    if body.email:
        person.telecom.append({"id": "TE", "system": "email", "value": body.email, "use": "home"})
    for rank, parent_number in enumerate(body.parents, start=1):
        relate(person, await _load(connection, parent_number), rank)
    async with connection.transaction():
        await repository.replace_person(connection, person)
        await repository.add_related(connection, person)
    return state(person)


async def merge(connection: Any, number: str, into: str) -> schemas.PatientState:
    source, survivor = await _load(connection, number), await _load(connection, into)
    if number == into or survivor.status != "active":
        raise _invalid(f"Invalid value - '{into}' cannot supersede '{number}'")
    async with connection.transaction():
        await repository.set_status(connection, source.nhs_number, "superseded", into)
    return state(await _load(connection, number))


async def invalidate(connection: Any, number: str) -> schemas.PatientState:
    await _load(connection, number)
    await repository.set_status(connection, number, "invalidated")
    return state(await _load(connection, number))


async def _update(connection: Any, person: Person) -> schemas.PatientState:
    person.version_id += 1
    async with connection.transaction():
        await repository.replace_person(connection, person)
    return state(person)


async def restrict(connection: Any, number: str, security: str) -> schemas.PatientState:
    person = await _load(connection, number)
    person.security = security
    return await _update(connection, person)


async def mark_deceased(
    connection: Any, number: str, body: schemas.Deceased
) -> schemas.PatientState:
    person = await _load(connection, number)
    person.death_date, person.death_notification = body.death_date, body.notification
    return await _update(connection, person)


def _end_current(items: list[dict[str, Any]], use: str, today: date) -> None:
    for item in items:
        if item.get("use") == use and not item.get("period", {}).get("end"):
            item["period"] = {**item.get("period", {}), "end": today.isoformat()}
            if use == "usual":
                item["use"] = "old"


async def change_name(
    connection: Any, number: str, body: schemas.NameChange
) -> schemas.PatientState:
    person = await _load(connection, number)
    today = date.today()
    _end_current(person.names, "usual", today)
    person.names.insert(0, human_name(body.given, body.family, start=today))
    return await _update(connection, person)


async def change_address(
    connection: Any, number: str, body: schemas.AddressChange
) -> schemas.PatientState:
    person = await _load(connection, number)
    today = date.today()
    _end_current(person.addresses, "home", today)
    address: dict[str, Any] = {"id": f"A{today:%y%m%d}", "period": {"start": today.isoformat()}}
    address |= {"use": "home", "line": body.lines}
    if body.postcode:
        address["postalCode"] = body.postcode
    person.addresses.insert(0, address)
    return await _update(connection, person)
