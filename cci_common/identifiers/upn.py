"""Unique Pupil Number (DfE "Unique Pupil Numbers (UPN): guidance", annex on check letters).

13 characters: a check letter, the 3-digit LA code, the 4-digit establishment
number, 2 digits of the year of allocation and a 3-digit serial. A temporary UPN
has a letter in position 13. The check letter is the sum of characters 2-13
weighted 2..13, modulo 23, mapped onto the alphabet less I, O and S.
"""

import re
from typing import NewType

from cci_common.identifiers.result import ValidationResult

UPN = NewType("UPN", str)

SYSTEM = "https://fhir.education.gov.uk/Id/upn"

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_LETTER_VALUES = {letter: value for value, letter in enumerate(CHECK_LETTERS)}
_SHAPE = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")


def normalise(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def check_letter(body: str) -> str:
    """The check letter for characters 2-13 (twelve characters)."""
    total = 0
    for weight, char in enumerate(body, start=2):
        total += int(char) * weight if char.isdigit() else _LETTER_VALUES[char] * weight
    return CHECK_LETTERS[total % 23]


def validate(value: str) -> ValidationResult:
    normalised = normalise(value)
    if not normalised:
        return ValidationResult.invalid("UPN is empty")
    if len(normalised) != 13:
        return ValidationResult.invalid(
            f"UPN must have 13 characters, not {len(normalised)}", normalised
        )
    if not normalised.isascii() or not _SHAPE.match(normalised):
        return ValidationResult.invalid(
            "UPN must be a letter, 11 digits and a final digit (or a letter for a temporary UPN)",
            normalised,
        )
    if normalised[0] not in _LETTER_VALUES:
        return ValidationResult.invalid(
            f"UPN check letter {normalised[0]} is never issued (I, O and S are not used)",
            normalised,
        )
    if normalised[12].isalpha() and normalised[12] not in _LETTER_VALUES:
        return ValidationResult.invalid(
            f"temporary UPN final letter {normalised[12]} is never issued", normalised
        )
    expected = check_letter(normalised[1:])
    if normalised[0] != expected:
        return ValidationResult.invalid(
            f"UPN check letter is {normalised[0]} but should be {expected}", normalised
        )
    return ValidationResult.ok(normalised)


def is_temporary(value: str) -> bool:
    normalised = normalise(value)
    return validate(normalised).valid and normalised[12].isalpha()
