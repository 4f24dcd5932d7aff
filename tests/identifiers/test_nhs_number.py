from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cci_common.identifiers import nhs_number


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919", " 9434765919 "])
def test_valid_numbers_in_any_layout(value: str) -> None:
    result = nhs_number.validate(value)
    assert result.valid
    assert result.normalised == "9434765919"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("9434765910", "check digit is 0 but should be 9"),
        ("4857773456", "check digit is 6 but should be 7"),
        ("abc", "only digits"),
        ("", "empty"),
        ("943476591", "10 digits, not 9"),
        ("94347659190", "10 digits, not 11"),
        ("1000000010", "no check digit exists"),  # weighted sum leaves remainder 1 -> 10
        ("९४३४७६५९१९", "only digits"),  # Devanagari digits are not NHS numbers
    ],
)
def test_invalid_numbers_say_why(value: str, reason: str) -> None:
    result = nhs_number.validate(value)
    assert not result.valid
    assert result.reason is not None
    assert reason in result.reason


def test_remainder_eleven_maps_to_zero() -> None:
    # All-zero prefix: sum 0, 11 - 0 = 11, which the rule maps to check digit 0.
    assert nhs_number.check_digit("000000000") == 0
    assert nhs_number.is_valid("0000000000")


def test_formatting() -> None:
    assert nhs_number.format_nhs_number("9434765919") == "943 476 5919"


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_each_prefix_has_at_most_one_valid_check_digit(prefix: str) -> None:
    valid = [d for d in "0123456789" if nhs_number.is_valid(prefix + d)]
    assert len(valid) <= 1
    expected = nhs_number.check_digit(prefix)
    assert valid == ([] if expected is None else [str(expected)])


@given(st.integers(min_value=0, max_value=2**32))
def test_generated_numbers_validate_and_stay_in_the_test_range(seed: int) -> None:
    number = nhs_number.generate(Random(seed))
    assert nhs_number.is_valid(number)
    assert nhs_number.TEST_RANGE[0] <= int(number) <= nhs_number.TEST_RANGE[1]


@given(st.integers(min_value=0, max_value=2**32))
def test_format_and_normalise_round_trip(seed: int) -> None:
    number = nhs_number.generate(Random(seed), 4000000000, 8999999999)
    formatted = nhs_number.format_nhs_number(number)
    assert formatted.count(" ") == 2
    assert nhs_number.parse(formatted) == number


@given(st.text())
def test_arbitrary_text_never_raises(value: str) -> None:
    result = nhs_number.validate(value)
    assert result.valid == (result.reason is None)
