import pytest
from hypothesis import given
from hypothesis import strategies as st

from cci_common.identifiers import uln, upn


def test_published_upn_is_valid() -> None:
    assert upn.validate("H801200001001").valid


def test_upn_is_case_and_space_insensitive() -> None:
    result = upn.validate(" h80120 0001001 ")
    assert result.valid
    assert result.normalised == "H801200001001"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("A801200001001", "should be H"),
        ("I801200001001", "never issued"),
        ("H80120000100", "13 characters"),
        ("H8012000010X1", "11 digits"),
        ("", "empty"),
    ],
)
def test_invalid_upns_say_why(value: str, reason: str) -> None:
    result = upn.validate(value)
    assert not result.valid
    assert result.reason is not None
    assert reason in result.reason


@given(body=st.from_regex(r"\A[0-9]{11}\Z"), last=st.sampled_from(upn.CHECK_LETTERS + "0123456789"))
def test_computed_check_letter_always_validates(body: str, last: str) -> None:
    candidate = body + last
    value = upn.check_letter(candidate) + candidate
    assert upn.validate(value).valid
    assert upn.is_temporary(value) == last.isalpha()


@given(st.text(max_size=20))
def test_upn_arbitrary_text_never_raises(value: str) -> None:
    upn.validate(value)


@given(st.from_regex(r"\A[1-9][0-9]{8}\Z"))
def test_uln_prefix_has_at_most_one_check_digit(prefix: str) -> None:
    valid = [d for d in "0123456789" if uln.validate(prefix + d).valid]
    expected = uln.check_digit(prefix)
    assert valid == ([] if expected is None else [str(expected)])


def test_uln_rules() -> None:
    # 1 x 10 = 10; 10 mod 11 = 10; check digit 10 - 10 = 0.
    assert uln.validate("1000000000").valid
    assert not uln.validate("1000000004").valid
    # 1 x 10 + 1 x 9 + 1 x 3 = 22, remainder 0: never issued.
    assert uln.check_digit("110000010") is None
    assert "cannot start with 0" in (uln.validate("0123456789").reason or "")


@given(st.text(max_size=20))
def test_uln_arbitrary_text_never_raises(value: str) -> None:
    uln.validate(value)
