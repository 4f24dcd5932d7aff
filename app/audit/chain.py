"""The audit hash chain: each link is SHA-256(previous hash || canonical JSON of the row).

Pure functions, shared by the writer (`repository.append`) and `cci audit verify`,
so both hash exactly the same bytes.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

GENESIS = bytes(32)

# The hashed fields, in a fixed order; a new column must be added here to be protected.
CHAINED_FIELDS = (
    "seq", "recorded", "request_id", "client_id", "ods_code", "organisation_name", "role",
    "end_user_id", "end_user_name", "end_user_role", "purpose_code", "purpose_text",
    "action", "resource_type", "resource_id", "owner_ods", "outcome", "detail",
)  # fmt: skip

Content = dict[str, object]


def canonical(value: object) -> object:
    if isinstance(value, datetime):
        # Microseconds, UTC: what PostgreSQL's timestamptz gives back.
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def link_hash(prev_hash: bytes, content: Content) -> bytes:
    payload = orjson.dumps([canonical(content.get(name)) for name in CHAINED_FIELDS])
    return hashlib.sha256(prev_hash + payload).digest()


@dataclass(frozen=True, slots=True)
class Link:
    seq: int
    content: Content
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True, slots=True)
class BrokenLink:
    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class Head:
    last_seq: int
    last_hash: bytes


def verify(links: Iterable[Link], head: Head | None) -> tuple[int, BrokenLink | None]:
    """(links checked, the first broken link or None). `links` must come in `seq` order."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for link in links:
        if link.seq != expected_seq:
            return checked, BrokenLink(expected_seq, f"row {expected_seq} is missing")
        if link.prev_hash != prev:
            return checked, BrokenLink(link.seq, "previous-hash does not match the row before")
        if link_hash(link.prev_hash, link.content) != link.hash:
            return checked, BrokenLink(link.seq, "content does not match its hash")
        prev, expected_seq, checked = link.hash, expected_seq + 1, checked + 1
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            return checked, BrokenLink(last_seq, "chain head is missing")
        return checked, None
    if head.last_seq > last_seq:
        return checked, BrokenLink(last_seq + 1, f"rows after {last_seq} are missing")
    if head.last_seq < last_seq:
        return checked, BrokenLink(head.last_seq + 1, "rows beyond the chain head")
    if head.last_hash != prev:
        return checked, BrokenLink(last_seq, "last row does not match the chain head")
    return checked, None
