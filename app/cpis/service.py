"""LA writes: create, update with If-Match, conditional update by case reference, end,
entered-in-error. Services never commit, and a flag always lands with its audit row: a
create outside a caller's transaction is one statement carrying both (no transaction
held while the Spine verifies); everything else commits with the request.

Rules:
- only social care writes, and only its own flags (author = the caller's ODS code);
- a create, or an update that leaves the plan active, is verified against the Spine;
  ending a plan or marking it entered-in-error is not, so an LA can always withdraw
  a plan, even for a number the Spine no longer accepts or while the Spine is down;
- re-submitting the same plan under the same case reference changes nothing (200);
- versions: `If-Match: W/"n"` is required on `PUT /Flag/{id}`; a stale one is 409.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import Content
from app.audit.service import AuditAction, audit_row, queue
from app.auth.principal import Principal
from app.auth.scopes import AgencyRole
from app.cpis import repository
from app.cpis.errors import Reason, reject
from app.cpis.models import Flag
from app.cpis.parsing import FlagInput
from app.cpis.profile import EndReason, FlagStatus, SubjectState
from app.cpis.rules import adult_on
from app.cpis.verification import SubjectLookup, VerifiedSubject, verify_subject
from app.db import autocommit_unless_begun
from app.fhir.errors import InvalidValue, NotFound, PreconditionFailed, VersionConflict
from app.fhir.ids import parse_logical_id

_ETAG = re.compile(r'^(?:W/)?"(\d+)"$')


@dataclass(frozen=True, slots=True)
class WriteResult:
    flag: Flag
    created: bool
    changed: bool


def parse_if_match(value: str | None) -> int:
    if value is None:
        raise PreconditionFailed(
            "Invalid request with error - If-Match header must be supplied to update this resource"
        )
    match = _ETAG.match(value.strip())
    if match is None:
        raise VersionConflict(f"If-Match '{value[:40]}' is not a version tag such as W/\"3\"")
    return int(match.group(1))


def _check_author(principal: Principal, data: FlagInput) -> None:
    if principal.role is not AgencyRole.SOCIAL_CARE:
        raise reject(Reason.NOT_OWNER, "Only local authority children's social care writes flags")
    if data.author_ods is not None and data.author_ods != principal.ods_code:
        raise reject(
            Reason.NOT_OWNER,
            "A local authority may only write its own flags: Flag.author must be your "
            f"organisation ({principal.ods_code})",
            expression=["Flag.author.identifier"],
        )


def _contacts(data: FlagInput) -> dict[str, str]:
    missing = [
        path
        for path, value in (
            ("Flag.contained.Organization.name", data.la_name),
            ("Flag.contained.Organization.contact(office-hours).telecom", data.office_hours_phone),
            ("Flag.contained.Organization.contact(out-of-hours).telecom", data.out_of_hours_phone),
        )
        if not value
    ]
    if missing or not (data.la_name and data.office_hours_phone and data.out_of_hours_phone):
        raise reject(
            Reason.INVALID_FLAG,
            "The LA's name and its office-hours and out-of-hours (emergency duty team) "
            "telephone numbers are required on a contained Organization referenced by "
            "Flag.author",
            expression=missing,
        )
    return {
        "owner_name": data.la_name[:200],
        "office_hours_phone": data.office_hours_phone,
        "out_of_hours_phone": data.out_of_hours_phone,
    }


def _plan_values(data: FlagInput) -> dict[str, Any]:
    return {
        "plan_type": data.plan_type.value,
        "abuse_category": data.abuse_category.value if data.abuse_category else None,
        "period_start": data.period_start,
        "period_end": data.period_end,
        "status": data.status.value,
        **_contacts(data),
    }


def _unchanged(flag: Flag, values: dict[str, Any], number: str) -> bool:
    return number in (flag.uploaded_nhs_number, flag.nhs_number) and all(
        getattr(flag, key) == value for key, value in values.items()
    )


async def _verified(
    spine: SubjectLookup, data: FlagInput, *, required: bool
) -> VerifiedSubject | None:
    return await verify_subject(spine, data) if required else None


async def create(
    session: AsyncSession,
    principal: Principal,
    data: FlagInput,
    spine: SubjectLookup,
    now: datetime,
) -> WriteResult:
    _check_author(principal, data)
    values = _plan_values(data)
    # A create is one statement (plan + audit row), so outside a caller's transaction it
    # needs none of its own.
    alone = await autocommit_unless_begun(session)
    existing = await repository.get_by_case_reference(
        session, principal.ods_code, data.case_reference
    )
    if existing is not None:
        return _resubmitted(existing, values, data)
    subject = await verify_subject(spine, data)
    flag = Flag(
        id=uuid.uuid4(),
        version_id=1,
        owner_ods=principal.ods_code,
        case_reference=data.case_reference,
        nhs_number=data.nhs_number,
        uploaded_nhs_number=data.nhs_number,
        adult_on=adult_on(subject.birth_date, data.plan_type),
        subject_state=SubjectState.ACTIVE.value,
        end_reason=None if data.status is FlagStatus.ACTIVE else EndReason.LOCAL_AUTHORITY.value,
        created_at=now,
        last_updated=now,
        **values,
    )
    audit = _audit_row(principal, flag, AuditAction.CREATE)
    if not await repository.insert_flag(session, flag, audit if alone else None):
        # Another request created a plan under this case reference meanwhile.
        raced = await repository.get_by_case_reference(
            session, principal.ods_code, data.case_reference
        )
        if raced is None:  # created and then gone: cannot happen, plans are never deleted
            raise RuntimeError("a plan's case reference was taken by no plan")
        return _resubmitted(raced, values, data)
    if not alone:
        queue(session, audit)  # appended when the caller's transaction commits
    return WriteResult(flag, created=True, changed=True)


def _resubmitted(existing: Flag, values: dict[str, Any], data: FlagInput) -> WriteResult:
    """A create for a case reference that already has a plan: the same plan is a no-op."""
    if _unchanged(existing, values, data.nhs_number):
        return WriteResult(existing, created=False, changed=False)
    raise reject(
        Reason.CASE_REFERENCE_EXISTS,
        f"Case reference {data.case_reference} already has a plan (Flag/{existing.id}, "
        f'version {existing.version_id}); update it with PUT and If-Match: W/"'
        f'{existing.version_id}"',
        expression=["Flag.identifier"],
    )


async def update(
    session: AsyncSession,
    principal: Principal,
    flag: Flag,
    data: FlagInput,
    spine: SubjectLookup,
    now: datetime,
    *,
    expected_version: int | None,
) -> WriteResult:
    """Apply `data` to `flag` (already locked and owned by the caller)."""
    _check_author(principal, data)
    if expected_version is not None and expected_version != flag.version_id:
        raise VersionConflict(
            f"Resource version supplied ({expected_version}) does not match the current "
            f"version ({flag.version_id}); read the flag again and reapply your change"
        )
    if data.case_reference != flag.case_reference:
        raise reject(
            Reason.INVALID_FLAG,
            "The case reference of a plan cannot change",
            expression=["Flag.identifier"],
        )
    if data.nhs_number not in (flag.uploaded_nhs_number, flag.nhs_number):
        raise reject(
            Reason.SUBJECT_CHANGED,
            "The subject of a plan cannot change: mark this plan entered-in-error and "
            "create a new one for the right NHS number",
            expression=["Flag.subject.identifier.value"],
        )
    if flag.status == FlagStatus.ENTERED_IN_ERROR:
        raise reject(
            Reason.ENTERED_IN_ERROR_IS_FINAL,
            "This plan was marked entered-in-error and can no longer change; create a new one",
        )
    values = _plan_values(data)
    if _unchanged(flag, values, data.nhs_number):
        return WriteResult(flag, created=False, changed=False)
    subject = await _verified(spine, data, required=data.status is FlagStatus.ACTIVE)
    for key, value in values.items():
        setattr(flag, key, value)
    if subject is not None:
        flag.adult_on = adult_on(subject.birth_date, data.plan_type)
    flag.end_reason = None if data.status is FlagStatus.ACTIVE else EndReason.LOCAL_AUTHORITY.value
    flag.version_id += 1
    flag.last_updated = now
    await session.flush()
    await _audit(session, principal, flag, AuditAction.UPDATE)
    return WriteResult(flag, created=False, changed=True)


async def update_by_id(
    session: AsyncSession,
    principal: Principal,
    flag_id: str,
    data: FlagInput,
    spine: SubjectLookup,
    now: datetime,
    *,
    if_match: str | None,
) -> WriteResult:
    expected = parse_if_match(if_match)
    if data.resource_id is not None and data.resource_id != flag_id:
        raise InvalidValue(
            f"Flag.id '{data.resource_id[:64]}' does not match the URL", expression=["Flag.id"]
        )
    flag = await owned_flag(session, principal, flag_id, for_update=True)
    return await update(session, principal, flag, data, spine, now, expected_version=expected)


async def upsert_by_case_reference(
    session: AsyncSession,
    principal: Principal,
    data: FlagInput,
    spine: SubjectLookup,
    now: datetime,
    *,
    if_match: str | None = None,
) -> WriteResult:
    """Conditional update (`PUT /Flag?identifier=...`): the LA's case reference is its key."""
    flag = await repository.get_by_case_reference(
        session, principal.ods_code, data.case_reference, for_update=True
    )
    if flag is None:
        return await create(session, principal, data, spine, now)
    expected = parse_if_match(if_match) if if_match else None
    return await update(session, principal, flag, data, spine, now, expected_version=expected)


async def owned_flag(
    session: AsyncSession, principal: Principal, flag_id: str, *, for_update: bool = False
) -> Flag:
    key = parse_logical_id("Flag", flag_id)
    flag = await repository.get_owned(session, key, principal.ods_code, for_update=for_update)
    if flag is not None:
        return flag
    if for_update and await repository.exists_elsewhere(session, key):
        raise reject(Reason.NOT_OWNER, "A local authority may only change its own flags")
    raise NotFound(f"Flag/{flag_id[:64]} is not known")


def _audit_row(principal: Principal, flag: Flag, action: AuditAction) -> Content:
    return audit_row(
        principal,
        action=action,
        resource_type="Flag",
        resource_id=flag.nhs_number,
        owner_ods=flag.owner_ods,
        detail=f"Flag/{flag.id}/_history/{flag.version_id} status={flag.status}",
    )


async def _audit(
    session: AsyncSession, principal: Principal, flag: Flag, action: AuditAction
) -> None:
    queue(session, _audit_row(principal, flag, action))


async def read_owned(session: AsyncSession, principal: Principal, flag_id: str) -> Flag:
    """One of the caller's own plans (any status); another organisation's is not found."""
    flag = await owned_flag(session, principal, flag_id)
    await _audit(session, principal, flag, AuditAction.READ)
    return flag
