"""The hash chain detects any change, removal, reordering or forgery (pure, hypothesis)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.audit.chain import CHAINED_FIELDS, GENESIS, Head, Link, link_hash, verify

TEXT_FIELDS = [name for name in CHAINED_FIELDS if name not in ("seq", "recorded")]


def build(count: int) -> tuple[list[Link], Head]:
    links, prev = [], GENESIS
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, count + 1):
        content: dict[str, object] = {name: f"{name}-{seq}" for name in TEXT_FIELDS}
        content |= {"seq": seq, "recorded": start + timedelta(seconds=seq)}
        digest = link_hash(prev, content)
        links.append(Link(seq, content, prev, digest))
        prev = digest
    return links, Head(count, prev)


def test_an_untouched_chain_verifies() -> None:
    links, head = build(5)
    assert verify(links, head) == (5, None)
    assert verify([], None) == (0, None)


@given(
    count=st.integers(2, 12),
    data=st.data(),
    kind=st.sampled_from(["change", "delete", "swap", "forge_append", "truncate"]),
)
def test_any_tampering_is_found_at_its_first_link(
    count: int, data: st.DataObject, kind: str
) -> None:
    links, head = build(count)
    index = data.draw(st.integers(0, count - 1), label="row")
    expected_seq = index + 1
    if kind == "change":
        field = data.draw(st.sampled_from([*TEXT_FIELDS, "recorded"]), label="field")
        link = links[index]
        value = link.content[field]
        changed = value + timedelta(microseconds=1) if isinstance(value, datetime) else f"{value}!"
        links[index] = Link(link.seq, {**link.content, field: changed}, link.prev_hash, link.hash)
    elif kind == "delete":
        del links[index]
    elif kind == "swap":
        other = (index + 1) % count
        links[index], links[other] = links[other], links[index]
        expected_seq = min(index, other) + 1
    elif kind == "forge_append":
        # A well-formed extra row, hashed onto the chain, without moving the head.
        content = {**links[-1].content, "seq": count + 1}
        links.append(Link(count + 1, content, links[-1].hash, link_hash(links[-1].hash, content)))
        expected_seq = count + 1
    else:
        links = links[:index]
        expected_seq = index + 1
    _checked, broken = verify(links, head)
    assert broken is not None
    assert broken.seq == expected_seq, broken
