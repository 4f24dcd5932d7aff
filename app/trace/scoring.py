"""Our match-scoring model: per-field agreement weights in the Fellegi-Sunter spirit.

Each field comparison lands on an agreement level; its weight is log2(m/u), where
m is how often a true match shows that level and u how often a random person does.
Exact name agreement uses the name's frequency as u, so "Smith" = "Smith" is weaker
evidence than agreement on a rare surname. A missing field weighs 0: absence is not
disagreement. The total is a log-likelihood ratio in bits; `grading.py` turns it into
a match grade. The comparison is symmetric in its two records (tested by property).
"""

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from app.trace.demographics import Demographics
from app.trace.names import (
    alternative_given_names,
    are_nicknames,
    given_frequency,
    surname_frequency,
)
from app.trace.normalise import (
    jaro_winkler,
    name_key,
    name_parts,
    one_edit_apart,
    parse_date,
    postcode_district,
    postcode_key,
    postcode_sector,
    soundex,
    swap_day_month,
)


class Level(StrEnum):
    EXACT = "exact"
    NICKNAME = "nickname"
    OTHER_NAME = "other-name"  # a middle name, a previous surname, one part of a double barrel
    SWAPPED = "swapped"  # given and family transposed; day and month transposed
    INITIAL = "initial"
    FUZZY = "fuzzy"
    PARTIAL = "partial"  # a date differing in one component; a postcode in the same sector
    DISAGREE = "disagree"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class FieldScore:
    level: Level
    weight: float


# m-probabilities and fixed weights (bits). Chosen from published record-linkage
# error rates for administrative data and checked on a tuning seed (README, Trace).
M_NAME = 0.95
MAX_NAME_BITS = 12.0
DOB_EXACT = 14.0
DOB_SWAPPED = 7.0
DOB_PARTIAL = 3.0
DOB_DISAGREE = -8.0
GENDER_AGREE = 0.9
GENDER_DISAGREE = -4.6
NAME_DISAGREE = -4.3
NAME_FUZZY_HIGH = 3.5
NAME_FUZZY_LOW = 1.5
INITIAL_AGREE = 3.0
POSTCODE_EXACT = 11.0
HOUSE_AGREE = 3.0  # house and street as well as the postcode
POSTCODE_OTHER = 7.0
POSTCODE_SECTOR = 3.5
POSTCODE_DISTRICT = 1.5
POSTCODE_DISAGREE = -4.0
ADDRESS_LINE_AGREE = 7.0  # without a postcode: "12 Acacia Avenue" recurs across towns
TELECOM_AGREE = 9.0
NHS_NUMBER_AGREE = 10.0
NHS_NUMBER_DISAGREE = -6.0


def frequency_weight(frequency: float) -> float:
    return min(MAX_NAME_BITS, math.log2(M_NAME / frequency))


ONE_EDIT_MIN_LENGTH = 4  # "Ava"/"Eva", "Leo"/"Lea": one edit apart, yet different names


def _fuzzy(a: str, b: str) -> Level | None:
    similarity = jaro_winkler(a, b)
    if similarity >= 0.92 or (similarity >= 0.85 and soundex(a) == soundex(b)):
        return Level.FUZZY
    if max(len(a), len(b)) >= ONE_EDIT_MIN_LENGTH and one_edit_apart(a, b):
        return Level.FUZZY
    return None


def _misspelt_nickname(a: str, b: str) -> bool:
    """One name a slip away from another form of the other ("Hrary" for Henry, via Harry)."""
    return any(_fuzzy(a, n) for n in alternative_given_names(b)) or any(
        _fuzzy(b, n) for n in alternative_given_names(a)
    )


def _fuzzy_weight(a: str, b: str) -> float:
    return NAME_FUZZY_HIGH if jaro_winkler(a, b) >= 0.92 else NAME_FUZZY_LOW


def compare_family(a: Demographics, b: Demographics) -> FieldScore:
    x, y = name_key(a.family), name_key(b.family)
    if not x or not y:
        return FieldScore(Level.MISSING, 0.0)
    if x == y:
        return FieldScore(Level.EXACT, frequency_weight(surname_frequency(x)))
    previous_a = {name_key(f) for f in a.previous_families}
    previous_b = {name_key(f) for f in b.previous_families}
    parts = set(name_parts(a.family)) & set(name_parts(b.family))
    shared = ({x} & previous_b) | ({y} & previous_a) | parts
    if shared:
        rarest = min(surname_frequency(k) for k in shared)
        return FieldScore(Level.OTHER_NAME, frequency_weight(rarest) - 2.0)
    if _fuzzy(x, y):
        return FieldScore(Level.FUZZY, _fuzzy_weight(x, y))
    return FieldScore(Level.DISAGREE, NAME_DISAGREE)


def compare_given(a: Demographics, b: Demographics) -> FieldScore:
    first_a = name_key(a.given[0]) if a.given else ""
    first_b = name_key(b.given[0]) if b.given else ""
    if not first_a or not first_b:
        return FieldScore(Level.MISSING, 0.0)
    if first_a == first_b:
        return FieldScore(Level.EXACT, frequency_weight(given_frequency(first_a)))
    if are_nicknames(first_a, first_b):
        rarer = min(given_frequency(first_a), given_frequency(first_b))
        return FieldScore(Level.NICKNAME, frequency_weight(rarer) - 2.0)
    if len(first_a) == 1 or len(first_b) == 1:
        agree = first_a[0] == first_b[0]
        return FieldScore(Level.INITIAL, INITIAL_AGREE) if agree else _given_disagree()
    others_a = {name_key(g) for g in a.given[1:]} | {name_key(g[0]) for g in a.other_given}
    others_b = {name_key(g) for g in b.given[1:]} | {name_key(g[0]) for g in b.other_given}
    if first_a in others_b or first_b in others_a:
        return FieldScore(Level.OTHER_NAME, frequency_weight(GIVEN_OTHER_FREQUENCY))
    if _fuzzy(first_a, first_b):
        return FieldScore(Level.FUZZY, _fuzzy_weight(first_a, first_b))
    if _misspelt_nickname(first_a, first_b):
        return FieldScore(Level.FUZZY, NAME_FUZZY_LOW)
    return _given_disagree()


GIVEN_OTHER_FREQUENCY = 0.05  # a middle name or alias agreeing is modest evidence


def _given_disagree() -> FieldScore:
    return FieldScore(Level.DISAGREE, NAME_DISAGREE)


def names_swapped(a: Demographics, b: Demographics) -> bool:
    """Given and family transposed between the two records (a common data-entry error)."""
    if not (a.given and b.given and a.family and b.family):
        return False
    return name_key(a.given[0]) == name_key(b.family) and name_key(a.family) == name_key(b.given[0])


def compare_birth_date(a: Demographics, b: Demographics) -> FieldScore:
    x, y = parse_date(a.birth_date), parse_date(b.birth_date)
    if x is None or y is None:
        return FieldScore(Level.MISSING, 0.0)
    if x == y:
        return FieldScore(Level.EXACT, DOB_EXACT)
    if swap_day_month(x) == y:
        return FieldScore(Level.SWAPPED, DOB_SWAPPED)
    same = (x.year == y.year) + (x.month == y.month) + (x.day == y.day)
    if same == 2:
        return FieldScore(Level.PARTIAL, DOB_PARTIAL)
    return FieldScore(Level.DISAGREE, DOB_DISAGREE)


def compare_gender(a: Demographics, b: Demographics) -> FieldScore:
    known = {"male", "female"}
    if a.gender not in known or b.gender not in known:
        return FieldScore(Level.MISSING, 0.0)
    if a.gender == b.gender:
        return FieldScore(Level.EXACT, GENDER_AGREE)
    return FieldScore(Level.DISAGREE, GENDER_DISAGREE)


def _line_key(line: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", line.upper())


def compare_address_line(a: Demographics, b: Demographics) -> FieldScore | None:
    """House number and street agreeing: the evidence left when a postcode is missing."""
    lines_a = {k for line in a.address_lines if len(k := _line_key(line)) > 3}
    lines_b = {k for line in b.address_lines if len(k := _line_key(line)) > 3}
    if lines_a & lines_b:
        return FieldScore(Level.OTHER_NAME, ADDRESS_LINE_AGREE)
    return None


def compare_postcode(a: Demographics, b: Demographics) -> FieldScore:
    keys_a = [k for p in a.postcodes if (k := postcode_key(p))]
    keys_b = [k for p in b.postcodes if (k := postcode_key(p))]
    if not keys_a or not keys_b:
        return compare_address_line(a, b) or FieldScore(Level.MISSING, 0.0)
    if keys_a[0] == keys_b[0]:
        # The house too: a postcode is some fifteen households.
        house = compare_address_line(a, b) is not None
        return FieldScore(Level.EXACT, POSTCODE_EXACT + (HOUSE_AGREE if house else 0.0))
    if set(keys_a) & set(keys_b):
        return FieldScore(Level.OTHER_NAME, POSTCODE_OTHER)
    # Same house and street under a different postcode: most often a mistyped postcode.
    if line := compare_address_line(a, b):
        return line
    if {postcode_sector(k) for k in keys_a} & {postcode_sector(k) for k in keys_b} - {None}:
        return FieldScore(Level.PARTIAL, POSTCODE_SECTOR)
    if {postcode_district(k) for k in keys_a} & {postcode_district(k) for k in keys_b} - {None}:
        return FieldScore(Level.FUZZY, POSTCODE_DISTRICT)
    return FieldScore(Level.DISAGREE, POSTCODE_DISAGREE)


def compare_telecom(a: Demographics, b: Demographics) -> FieldScore:
    phones = {p.replace(" ", "") for p in a.phones} & {p.replace(" ", "") for p in b.phones}
    emails = {e.lower() for e in a.emails} & {e.lower() for e in b.emails}
    # Different numbers are no evidence either way: families share and change phones.
    if phones or emails:
        return FieldScore(Level.EXACT, TELECOM_AGREE)
    return FieldScore(Level.MISSING, 0.0)


def compare_nhs_number(a: Demographics, b: Demographics) -> FieldScore:
    if not a.nhs_number or not b.nhs_number:
        return FieldScore(Level.MISSING, 0.0)
    if a.nhs_number == b.nhs_number:
        return FieldScore(Level.EXACT, NHS_NUMBER_AGREE)
    return FieldScore(Level.DISAGREE, NHS_NUMBER_DISAGREE)


@dataclass(frozen=True)
class MatchScore:
    fields: dict[str, FieldScore] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(f.weight for f in self.fields.values()), 6)

    def level(self, name: str) -> Level:
        return self.fields[name].level


def score(a: Demographics, b: Demographics) -> MatchScore:
    """Compare two records field by field; symmetric in `a` and `b`."""
    fields = {
        "given": compare_given(a, b),
        "family": compare_family(a, b),
        "birthDate": compare_birth_date(a, b),
        "gender": compare_gender(a, b),
        "postcode": compare_postcode(a, b),
        "telecom": compare_telecom(a, b),
        "nhsNumber": compare_nhs_number(a, b),
    }
    if names_swapped(a, b):
        commoner = max(surname_frequency(name_key(a.family)), surname_frequency(name_key(b.family)))
        swapped = frequency_weight(commoner) - 2.0
        # Only when reading the names crosswise explains them better than reading them straight.
        if swapped > fields["given"].weight + fields["family"].weight:
            fields["given"] = FieldScore(Level.SWAPPED, swapped / 2)
            fields["family"] = FieldScore(Level.SWAPPED, swapped / 2)
    return MatchScore(fields)
