"""SQL of the trace package: the reconciliation queue."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.trace.models import ReconciliationItem


async def enqueue(
    session: AsyncSession,
    principal: Principal,
    *,
    best_grade: str | None,
    spine_calls: int,
    query: dict[str, Any],
    candidates: list[dict[str, Any]],
) -> ReconciliationItem:
    item = ReconciliationItem(
        client_id=principal.client_id,
        ods_code=principal.ods_code,
        request_id=principal.request_id,
        best_grade=best_grade,
        spine_calls=spine_calls,
        query=query,
        candidates=candidates,
        status="open",
    )
    session.add(item)
    await session.flush()
    return item
