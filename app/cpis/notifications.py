"""Notifications to the owning LA, as FHIR R4 AuditEvent resources (CP-IS facts B3).

- Access to Service Notification (CP-IS message 05): who looked (name, job title),
  from which organisation (ODS code, name), in which setting, when, at which plans
  and NHS number. At most one per child per accessing organisation per window.
- Inactive NHS Number Notification (CP-IS 06): the flagged number was superseded,
  invalidated or the person died (found by `cci flags recheck`).
- Plan ended at the 18th birthday (also found by the re-check).

Each is written to the outbox in the caller's transaction (`outbox.enqueue`; an access
notification with the read that caused it, `repository.UNSCHEDULED_READ`).
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cpis import outbox
from app.cpis.models import Flag
from app.cpis.profile import NOTIFICATION_TYPE_SYSTEM, ODS_SYSTEM, NotificationKind, SubjectState
from cci_common.identifiers import nhs_number

GATEWAY = {"display": "CCI Gateway"}


def _patient(number: str) -> dict[str, Any]:
    return {
        "what": {
            "reference": f"Patient/{number}",
            "identifier": {"system": nhs_number.SYSTEM, "value": number},
        },
        "type": {"code": "1", "display": "Person"},
    }


def _flags(flags: Sequence[Flag]) -> list[dict[str, Any]]:
    return [{"what": {"reference": f"Flag/{flag.id}"}, "name": flag.plan_type} for flag in flags]


def _event(
    notification_id: uuid.UUID,
    kind: NotificationKind,
    now: datetime,
    *,
    agents: list[dict[str, Any]],
    entities: list[dict[str, Any]],
    description: str,
) -> dict[str, Any]:
    return {
        "resourceType": "AuditEvent",
        "id": str(notification_id),
        "type": {"system": NOTIFICATION_TYPE_SYSTEM, "code": kind.value, "display": kind.display},
        "action": "R" if kind is NotificationKind.ACCESS else "U",
        "recorded": now.isoformat(timespec="milliseconds"),
        "outcome": "0",
        "outcomeDesc": description,
        "agent": agents,
        "source": {"observer": GATEWAY},
        "entity": entities,
    }


def _system_agent() -> list[dict[str, Any]]:
    return [{"type": {"text": "system"}, "who": GATEWAY, "requestor": False}]


def access_notification(
    principal: Principal,
    flags: Sequence[Flag],
    *,
    number: str,
    setting: str,
    now: datetime,
) -> tuple[uuid.UUID, dict[str, Any]]:
    """The id and resource of an Access to Service Notification to the LA that owns `flags`
    (all one LA's). `repository.UNSCHEDULED_READ` inserts it only when the read
    opens a new notification window."""
    user = principal.end_user
    person: dict[str, Any] = {
        "type": {"text": setting},
        "who": {"display": user.name if user else "Unnamed user"},
        "requestor": True,
    }
    if user:
        person["who"]["identifier"] = {"value": user.id}
        person["role"] = [{"text": user.role}]
    organisation = {
        "type": {"text": "organisation"},
        "who": {
            "identifier": {"system": ODS_SYSTEM, "value": principal.ods_code},
            "display": principal.organisation_name,
        },
        "requestor": False,
    }
    description = (
        f"{user.name if user else 'A user'} ({user.role if user else 'role not given'}) at "
        f"{principal.organisation_name} ({principal.ods_code}) viewed the child protection "
        f"information for NHS number {number} in an unscheduled care setting"
    )
    notification_id = uuid.uuid4()
    return notification_id, _event(
        notification_id,
        NotificationKind.ACCESS,
        now,
        agents=[person, organisation],
        entities=[_patient(number), *_flags(flags)],
        description=description,
    )


async def notify_inactive_number(
    session: AsyncSession,
    flag: Flag,
    *,
    state: SubjectState,
    surviving_number: str | None,
    now: datetime,
) -> None:
    entities = [_patient(flag.uploaded_nhs_number), *_flags([flag])]
    description = f"NHS number {flag.uploaded_nhs_number} is inactive in the Spine: {state.value}"
    if surviving_number:
        entities.append(_patient(surviving_number) | {"description": "surviving record"})
        description += (
            f"; the plan now follows the surviving record {surviving_number}. "
            "Please update your case record with the new NHS number."
        )
    await _notify_owner(
        session, flag, NotificationKind.INACTIVE_NHS_NUMBER, entities, description, now
    )


async def notify_ended_at_eighteen(session: AsyncSession, flag: Flag, *, now: datetime) -> None:
    description = (
        f"The plan for NHS number {flag.nhs_number} (case {flag.case_reference}) "
        "ended automatically at the child's 18th birthday"
    )
    entities = [_patient(flag.nhs_number), *_flags([flag])]
    await _notify_owner(
        session, flag, NotificationKind.PLAN_ENDED_AT_EIGHTEEN, entities, description, now
    )


async def _notify_owner(
    session: AsyncSession,
    flag: Flag,
    kind: NotificationKind,
    entities: list[dict[str, Any]],
    description: str,
    now: datetime,
) -> None:
    """A notice from the system itself (no reader) to the LA that owns `flag`."""
    notification_id = uuid.uuid4()
    resource = _event(
        notification_id,
        kind,
        now,
        agents=_system_agent(),
        entities=entities,
        description=description,
    )
    await outbox.enqueue(
        session,
        notification_id=notification_id,
        owner_ods=flag.owner_ods,
        kind=kind,
        flag_id=flag.id,
        resource=resource,
        now=now,
    )
