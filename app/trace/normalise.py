"""Normalisation and string similarity for demographic comparison.

Names are compared upper-case, without accents, punctuation or spaces
("O'Brien" = "OBRIEN", "Zoë" = "ZOE"); postcodes without spaces. Jaro-Winkler
(Winkler 1990) measures typing errors; Soundex (the PDS fuzzy search's own
homophone rule, spec A2) catches names spelt as they sound; one edit apart
(Damerau 1964: one letter dropped, added, replaced, or two adjacent swapped) is
the single keyboard slip Jaro-Winkler underrates in a short name ("Patel"/"Parel").
"""

import re
import unicodedata
from datetime import date

_NOT_LETTERS = re.compile(r"[^A-Z]")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([A-Z]{2})$")
_SOUNDEX_CODES = {
    **dict.fromkeys("BFPV", "1"),
    **dict.fromkeys("CGJKQSXZ", "2"),
    **dict.fromkeys("DT", "3"),
    "L": "4",
    **dict.fromkeys("MN", "5"),
    "R": "6",
}


def name_key(value: str | None) -> str:
    """ "O'Brien-Smith" -> "OBRIENSMITH"; the form exact name agreement is judged on."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_LETTERS.sub("", ascii_only.upper())


def name_parts(value: str | None) -> tuple[str, ...]:
    """The parts of a double-barrelled or multi-word name: "Smith-Jones" -> (SMITH, JONES)."""
    if not value:
        return ()
    return tuple(k for part in re.split(r"[\s\-]+", value) if (k := name_key(part)))


def postcode_key(value: str | None) -> str:
    return re.sub(r"\s", "", value or "").upper()


def postcode_sector(key: str) -> str | None:
    """ "LS16AE" -> "LS16": outward code plus the first inward digit."""
    match = _POSTCODE.match(key)
    return match.group(1) + match.group(2) if match else None


def postcode_district(key: str) -> str | None:
    match = _POSTCODE.match(key)
    return match.group(1) if match else None


def soundex(key: str) -> str:
    """American Soundex of a name key (letters only)."""
    if not key:
        return ""
    digits = [key[0]]
    previous = _SOUNDEX_CODES.get(key[0], "")
    for char in key[1:]:
        code = _SOUNDEX_CODES.get(char, "")
        if code and code != previous:
            digits.append(code)
        if char not in "HW":
            previous = code
    return "".join(digits)[:4].ljust(4, "0")


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity in [0, 1]; symmetric, 1.0 only for equal strings."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(len(a), len(b)) // 2 - 1
    a_matched = [False] * len(a)
    b_matched = [False] * len(b)
    matches = 0
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not b_matched[j] and b[j] == char:
                a_matched[i] = b_matched[j] = True
                matches += 1
                break
    if matches == 0:
        return 0.0
    a_chars = [c for c, m in zip(a, a_matched, strict=True) if m]
    b_chars = [c for c, m in zip(b, b_matched, strict=True) if m]
    transpositions = sum(x != y for x, y in zip(a_chars, b_chars, strict=True)) / 2
    jaro = (matches / len(a) + matches / len(b) + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return min(1.0, jaro + prefix * 0.1 * (1 - jaro))


def one_edit_apart(a: str, b: str) -> bool:
    """Different strings one deletion, insertion, substitution or adjacent swap apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    swapped = i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
    return a[i + 1 :] == b[i + 1 :] or (swapped and a[i + 2 :] == b[i + 2 :])


def parse_date(value: str | None) -> date | None:
    """A full `yyyy-mm-dd` date; partial FHIR dates (yyyy, yyyy-mm) are too vague to compare."""
    if not value or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def swap_day_month(value: date) -> date | None:
    """The date read the other way round (US order), when that is a different valid date."""
    if value.day == value.month or value.day > 12:
        return None
    try:
        return value.replace(month=value.day, day=value.month)
    except ValueError:
        return None
