"""The LA extract: hard in the ways real data is, with a truth file to score a trace against."""

from collections import Counter
from pathlib import Path

import pytest

from cci_common.identifiers.nhs_number import is_valid
from mock_spine.generator.extract import (
    Extract,
    generate_extract,
    naive_exact_match_rate,
    read_extract,
    write_extract,
)

SEED, SIZE = 11, 6_000


@pytest.fixture(scope="module")
def extract() -> Extract:
    return generate_extract(400, SEED, SIZE)


def test_truth_lines_up_with_rows(extract: Extract) -> None:
    assert [r.record_id for r in extract.rows] == [t.record_id for t in extract.truth]
    assert len(extract.rows) > 400  # duplicate rows of the same child
    numbers = [t.nhs_number for t in extract.truth]
    assert None in numbers  # children absent from the Spine
    known = [n for n in numbers if n]
    assert all(is_valid(n) for n in known)
    assert len(set(known)) < len(known)  # the same child twice


def test_errors_cover_the_real_cases(extract: Extract) -> None:
    tags = Counter(tag for t in extract.truth for tag in t.errors)
    for expected in ("nickname", "forename_typo", "surname_typo", "old_address",
                     "day_month_transposed", "missing_postcode", "absent_from_spine"):  # fmt: skip
        assert tags[expected] > 0, expected


def test_naive_exact_match_is_well_under_80_percent(extract: Extract) -> None:
    assert naive_exact_match_rate(extract, SEED, SIZE) < 0.7


def test_deterministic_and_round_trips(extract: Extract, tmp_path: Path) -> None:
    assert generate_extract(400, SEED, SIZE) == extract
    rows_path, truth_path = write_extract(extract, tmp_path)
    assert rows_path.read_text().splitlines()[0].startswith("record_id,forename,middle_names")
    assert truth_path.exists()
    assert read_extract(tmp_path) == extract
