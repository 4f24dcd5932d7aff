"""The redaction processor: a safety net that keeps personal data out of every log line."""

import io
import sys

import structlog
from hypothesis import given
from hypothesis import strategies as st

from cci_common.logging import (
    PERSONAL_DATA_KEYS,
    REDACTED,
    configure_logging,
    redact_personal_data,
)

_values = st.text(min_size=1, max_size=30)


@given(
    personal=st.dictionaries(st.sampled_from(sorted(PERSONAL_DATA_KEYS)), _values, min_size=1),
    other=st.dictionaries(st.from_regex(r"\A[a-z]{3,8}_id\Z"), _values),
)
def test_personal_keys_are_replaced_and_others_kept(
    personal: dict[str, str], other: dict[str, str]
) -> None:
    event = redact_personal_data(None, "info", {"event": "x", **other, **personal})
    assert all(event[key] == REDACTED for key in personal)
    assert all(event[key] == value for key, value in other.items())


def test_a_logged_nhs_number_never_reaches_the_output() -> None:
    buffer = io.StringIO()
    original = sys.stderr
    sys.stderr = buffer
    try:
        configure_logging("INFO")
        structlog.get_logger("test").info(
            "trace.completed", nhs_number="9434765919", postcode="LS1 6AE", outcome="certain"
        )
    finally:
        sys.stderr = original
    line = buffer.getvalue()
    assert "trace.completed" in line
    assert "outcome=certain" in line
    assert "9434765919" not in line
    assert "LS1 6AE" not in line
