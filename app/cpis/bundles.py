"""The Bundles CP-IS routes answer with: the Flag searchset (plans, their access history,
and the statement that no flag is not evidence of safety) and the notification feed."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from app.auth.principal import Principal
from app.auth.scopes import AgencyRole
from app.cpis.models import Flag, Notification
from app.cpis.profile import NO_FLAG_IS_NOT_SAFETY
from app.cpis.reads import FlagSearch
from app.cpis.render import access_audit_event, flag_for_owner, flag_for_reader
from app.fhir.bundles import match_entry, searchset
from cci_common.operation_outcome import IssueType, Severity, issue, operation_outcome


def flag_view(principal: Principal, flag: Flag, today: date) -> dict[str, Any]:
    """The owner's view for the LA that wrote it; the care-setting view for everyone else."""
    if principal.role is AgencyRole.SOCIAL_CARE and flag.owner_ods == principal.ods_code:
        return flag_for_owner(flag, today)
    return flag_for_reader(flag, today)


def safety_statement() -> dict[str, Any]:
    return operation_outcome(
        issue(
            severity=Severity.INFORMATION,
            code=IssueType.INFORMATIONAL,
            diagnostics=NO_FLAG_IS_NOT_SAFETY,
        )
    )


def flag_searchset(
    principal: Principal, result: FlagSearch, *, base_url: str, self_link: str, today: date
) -> dict[str, Any]:
    entries = [
        match_entry(f"{base_url}/Flag/{flag.id}", flag_view(principal, flag, today))
        for flag in result.flags
    ]
    for flag in result.flags:
        for event in result.access.get(flag.id, []):
            entries.append(
                match_entry(
                    f"{base_url}/AuditEvent/access-{event.id}",
                    access_audit_event(event),
                    mode="include",
                )
            )
    entries.append({"resource": safety_statement(), "search": {"mode": "outcome"}})
    return searchset(entries, total=len(result.flags), self_link=self_link)


def notification_feed(
    notifications: Sequence[Notification], *, base_url: str, after: int, count: int
) -> dict[str, Any]:
    last = notifications[-1].seq if notifications else after
    feed_url = f"{base_url}/Subscription/$notifications"
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "history",
        "total": len(notifications),
        "link": [
            {"relation": "self", "url": f"{feed_url}?after={after}&_count={count}"},
            {"relation": "next", "url": f"{feed_url}?after={last}&_count={count}"},
        ],
    }
    if notifications:
        bundle["entry"] = [
            {
                "fullUrl": f"{base_url}/AuditEvent/{n.id}",
                "resource": n.resource,
                "request": {"method": "POST", "url": "AuditEvent"},
                "response": {"status": "201 Created"},
            }
            for n in notifications
        ]
    return bundle
