"""Bundle builders (FHIR R4 bundle.html): searchset results and batch responses."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4


def searchset(
    entries: list[dict[str, Any]],
    *,
    total: int | None = None,
    self_link: str | None = None,
    next_link: str | None = None,
) -> dict[str, Any]:
    """A searchset Bundle; `entries` are complete entry objects (fullUrl, resource, search)."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid4()),
        "type": "searchset",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "total": len(entries) if total is None else total,
    }
    links = [{"relation": "self", "url": self_link}] if self_link else []
    if next_link:
        links.append({"relation": "next", "url": next_link})
    if links:
        bundle["link"] = links
    if entries:
        bundle["entry"] = entries
    return bundle


def match_entry(
    full_url: str, resource: dict[str, Any], *, score: float | None = None, mode: str = "match"
) -> dict[str, Any]:
    search: dict[str, Any] = {"mode": mode}
    if score is not None:
        search["score"] = round(score, 4)
    return {"fullUrl": full_url, "resource": resource, "search": search}
