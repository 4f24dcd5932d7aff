"""Care-setting reads of a child's plans, and what each read leaves behind (CP-IS B3, D9).

Scheduled or unscheduled — the role decides, the `IsUnscheduledAccessEvent` header
may only escalate:
- health-unscheduled: always unscheduled (CP-IS B0107; an A&E read cannot be silent);
- health-scheduled: scheduled ("silent", B0170) unless the request says `true`;
- police: as the header says, absent meaning unscheduled (the CP-IS default);
- social care reads are the LA's own business, never an access event.
Every read is audited. An unscheduled read also records an access event per returned
plan and notifies each owning LA, at most once per child per organisation per window.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from app.audit.chain import Content
from app.audit.service import AuditAction, audit_row
from app.audit.writer import AuditWriter
from app.auth.principal import Principal
from app.auth.scopes import AgencyRole
from app.cpis import repository
from app.cpis.models import AccessEvent, Flag
from app.cpis.notifications import access_notification
from app.cpis.rules import england_today
from app.settings import Environment, Settings


def is_unscheduled(principal: Principal, declared: bool | None) -> bool:
    if principal.role is AgencyRole.HEALTH_UNSCHEDULED:
        return True
    if principal.role is AgencyRole.HEALTH_SCHEDULED:
        return declared is True
    if principal.role is AgencyRole.POLICE:
        return declared is not False
    return False


@dataclass(slots=True)
class FlagSearch:
    flags: Sequence[Flag]
    unscheduled: bool
    access: dict[object, list[AccessEvent]] = field(default_factory=dict)


def records_reads(settings: Settings) -> bool:
    # The switch exists to measure what recording costs; production always records.
    return settings.cpis_record_reads or settings.environment is Environment.PRODUCTION


async def search_flags(
    connection: asyncpg.Connection,
    writer: AuditWriter,
    principal: Principal,
    number: str,
    *,
    declared_unscheduled: bool | None,
    include_access: bool,
    settings: Settings,
    now: datetime,
) -> FlagSearch:
    """Reads on `connection` (`app.db.driver_connection`, no transaction open); every
    write goes through the audit writer, grouped with other requests' writes: the audit
    rows alone, or the unscheduled-read statement carrying its own audit row."""
    today = england_today(now)
    flags = await repository.find_for_subject(connection, number, principal, today)
    result = FlagSearch(flags, is_unscheduled(principal, declared_unscheduled))
    if records_reads(settings):
        await _record(writer, principal, number, result, settings, now)
    if include_access:
        visible = [f.id for f in flags if repository.access_history_visible(principal, f)]
        for event in await repository.latest_access(connection, visible):
            result.access.setdefault(event.flag_id, []).append(event)
    return result


async def _record(
    writer: AuditWriter,
    principal: Principal,
    number: str,
    result: FlagSearch,
    settings: Settings,
    now: datetime,
) -> None:
    by_owner: dict[str, list[Flag]] = defaultdict(list)
    for flag in result.flags:
        by_owner[flag.owner_ods].append(flag)
    kind = "unscheduled" if result.unscheduled else "scheduled"

    def audited(owner: str | None) -> Content:
        # One audit row per owning LA, so each LA can read the events about its own plans.
        returned = len(by_owner.get(owner or "", []))
        return audit_row(
            principal,
            action=AuditAction.SEARCH,
            resource_type="Flag",
            resource_id=number,
            owner_ods=owner,
            detail=f"{kind} read, {returned} plan(s) returned",
        )

    if not result.unscheduled or not result.flags:
        owners: list[str | None] = list(by_owner) or [None]
        await writer.append([audited(owner) for owner in owners])
        return
    window = timedelta(hours=settings.cpis_notification_window_hours)
    runs = []
    for owner, flags in by_owner.items():
        child = flags[0].nhs_number
        notification_id, notification = access_notification(
            principal, flags, number=child, setting=principal.role.value, now=now
        )
        read = repository.UnscheduledRead(flags, child, notification_id, notification)
        runs.append(
            repository.unscheduled_read_run(
                principal, read, now=now, window=window, audit=audited(owner)
            )
        )
    # Every owning LA's record in one transaction: none is told of a read that failed.
    await writer.carry(repository.UNSCHEDULED_READ, runs)
