"""FHIR R4 `Subscription` (rest-hook) for an LA's notifications, and the pollable feed.

An LA registers `channel.type = rest-hook` with an `endpoint`, optional `header`
strings (e.g. its own Authorization) and `payload` (`application/fhir+json` sends
the notification AuditEvent; absent sends an empty ping, as R4 says, and the LA
reads the feed). The criteria select our notification AuditEvents about the LA's
own plans: `AuditEvent?type=<notification code system>|` (or just `AuditEvent`).
We activate a requested subscription at once; `status: off` pauses it.
"""

import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditAction, record
from app.auth.principal import Principal
from app.cpis import repository
from app.cpis.models import Subscription
from app.cpis.profile import NOTIFICATION_TYPE_SYSTEM
from app.fhir.errors import InvalidValue, NotFound
from app.fhir.ids import parse_logical_id
from app.settings import Environment, Settings

FHIR_JSON = "application/fhir+json"
CRITERIA = f"AuditEvent?type={NOTIFICATION_TYPE_SYSTEM}|"
_ACCEPTED_CRITERIA = frozenset({CRITERIA, "AuditEvent"})
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}:\s?[^\r\n]{1,2000}$")
_SETTABLE_STATUSES = frozenset({"requested", "active", "off"})
_FORBIDDEN_HEADERS = frozenset({"host", "content-length", "content-type", "idempotency-key"})


def _bad(diagnostics: str, where: str) -> InvalidValue:
    return InvalidValue(diagnostics, expression=[where])


def parse_subscription(resource: Any, settings: Settings) -> dict[str, Any]:
    """Column values for a valid Subscription, else InvalidValue naming the element."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Subscription":
        raise InvalidValue("The body must be a FHIR R4 Subscription resource")
    status = resource.get("status")
    if status not in _SETTABLE_STATUSES:
        raise _bad("Subscription.status must be requested, active or off", "Subscription.status")
    criteria = resource.get("criteria")
    if criteria not in _ACCEPTED_CRITERIA:
        raise _bad(f"Subscription.criteria must be '{CRITERIA}'", "Subscription.criteria")
    reason = resource.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise _bad("Subscription.reason is required", "Subscription.reason")
    channel = resource.get("channel")
    if not isinstance(channel, dict) or channel.get("type") != "rest-hook":
        raise _bad("Only channel.type rest-hook is supported", "Subscription.channel.type")
    endpoint = channel.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    schemes = {"https"} if settings.environment is Environment.PRODUCTION else {"http", "https"}
    if parts is None or parts.scheme not in schemes or not parts.netloc:
        raise _bad(
            f"channel.endpoint must be an absolute {' or '.join(sorted(schemes))} URL",
            "Subscription.channel.endpoint",
        )
    payload = channel.get("payload")
    if payload not in (None, FHIR_JSON, "application/json"):
        raise _bad(f"channel.payload must be {FHIR_JSON} or absent", "Subscription.channel.payload")
    headers = channel.get("header") or []
    if not isinstance(headers, list) or not all(
        isinstance(h, str) and _HEADER.match(h) for h in headers
    ):
        raise _bad("channel.header entries must be 'Name: value'", "Subscription.channel.header")
    if any(h.split(":", 1)[0].strip().lower() in _FORBIDDEN_HEADERS for h in headers):
        raise _bad("channel.header may not set that header", "Subscription.channel.header")
    return {
        "status": "off" if status == "off" else "active",
        "reason": reason.strip()[:500],
        "criteria": criteria,
        "endpoint": endpoint,
        "payload": FHIR_JSON if payload else None,
        "headers": headers,
        "end": _end(resource.get("end")),
    }


def _end(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        end = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        end = None
    if end is None or end.tzinfo is None:
        raise _bad("Subscription.end must be an instant with a time zone", "Subscription.end")
    return end


def render_subscription(subscription: Subscription) -> dict[str, Any]:
    channel: dict[str, Any] = {"type": "rest-hook", "endpoint": subscription.endpoint}
    if subscription.payload:
        channel["payload"] = subscription.payload
    if subscription.headers:
        # Header values are the LA's credentials: never echoed.
        channel["header"] = [h.split(":", 1)[0] + ": [withheld]" for h in subscription.headers]
    resource: dict[str, Any] = {
        "resourceType": "Subscription",
        "id": str(subscription.id),
        "meta": {
            "versionId": str(subscription.version_id),
            "lastUpdated": subscription.last_updated.isoformat(timespec="milliseconds"),
        },
        "status": subscription.status,
        "reason": subscription.reason,
        "criteria": subscription.criteria,
        "channel": channel,
    }
    if subscription.error:
        resource["error"] = subscription.error
    if subscription.end:
        resource["end"] = subscription.end.isoformat()
    return resource


async def create_subscription(
    session: AsyncSession, principal: Principal, values: dict[str, Any], now: datetime
) -> Subscription:
    subscription = Subscription(
        id=uuid.uuid4(),
        version_id=1,
        owner_ods=principal.ods_code,
        client_id=principal.client_id,
        last_updated=now,
        **values,
    )
    session.add(subscription)
    await session.flush()
    await _audit(session, principal, subscription, AuditAction.CREATE)
    return subscription


async def get_subscription(
    session: AsyncSession, principal: Principal, subscription_id: str, *, for_update: bool = False
) -> Subscription:
    key = parse_logical_id("Subscription", subscription_id)
    found = await repository.owned_subscription(
        session, key, principal.ods_code, for_update=for_update
    )
    if found is None:
        raise NotFound(f"Subscription/{subscription_id[:64]} is not known")
    return found


async def update_subscription(
    session: AsyncSession,
    principal: Principal,
    subscription_id: str,
    values: dict[str, Any],
    now: datetime,
) -> Subscription:
    subscription = await get_subscription(session, principal, subscription_id, for_update=True)
    for key, value in values.items():
        setattr(subscription, key, value)
    subscription.error = None
    subscription.version_id += 1
    subscription.last_updated = now
    await session.flush()
    await _audit(session, principal, subscription, AuditAction.UPDATE)
    return subscription


async def delete_subscription(
    session: AsyncSession, principal: Principal, subscription_id: str
) -> None:
    subscription = await get_subscription(session, principal, subscription_id, for_update=True)
    await _audit(session, principal, subscription, AuditAction.DELETE)
    await repository.delete_subscription(session, subscription)
    await session.flush()


async def _audit(
    session: AsyncSession, principal: Principal, subscription: Subscription, action: AuditAction
) -> None:
    await record(
        session,
        principal,
        action=action,
        resource_type="Subscription",
        resource_id=str(subscription.id),
        owner_ods=subscription.owner_ods,
    )


async def list_subscriptions(session: AsyncSession, principal: Principal) -> list[Subscription]:
    return list(await repository.subscriptions_of(session, principal.ods_code))
