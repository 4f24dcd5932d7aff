"""From scores to match grades (FHIR match-grade: certain, probable, possible).

`certain` is the grade that links one child's record to another's when it is wrong,
so it needs all of: the score over CERTAIN_MIN_BITS; the runner-up at least
CERTAIN_GAP_BITS behind; given name, family name and birth date agreeing; no
disagreeing gender or claimed NHS number; and — unless the given name agrees
exactly — a completed search for siblings sharing the family name and birth date
that found none at the child's address (twins differ, often only, by given name).
Every rule a candidate fails is kept as a reason, for the reconciliation queue and
the benchmark.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.trace.normalise import name_key, parse_date
from app.trace.scoring import Level, MatchScore, compare_postcode
from app.trace.spine_models import SpinePatient
from app.trace.strategies import earliest_child_birth_date

# Thresholds in bits of log-likelihood ratio; how they were chosen: README, Trace.
CERTAIN_MIN_BITS = 30.0
CERTAIN_GAP_BITS = 8.0
PROBABLE_MIN_BITS = 22.0
POSSIBLE_MIN_BITS = 8.0
# Prior odds that a random person is the one sought, for a ~1M population: 2^-20.
PRIOR_BITS = 20.0

GIVEN_AGREES = frozenset(
    {Level.EXACT, Level.NICKNAME, Level.OTHER_NAME, Level.FUZZY, Level.SWAPPED}
)
GIVEN_DISTINGUISHES_TWINS = frozenset({Level.EXACT, Level.NICKNAME})
FAMILY_AGREES = frozenset({Level.EXACT, Level.OTHER_NAME, Level.FUZZY, Level.SWAPPED})
# Two records whose addresses share no postcode, house or street: not one household.
ADDRESS_ELSEWHERE = frozenset({Level.PARTIAL, Level.FUZZY, Level.DISAGREE})


class Grade(StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"


@dataclass(frozen=True)
class Candidate:
    patient: SpinePatient
    score: MatchScore
    found_by: frozenset[str]

    @property
    def nhs_number(self) -> str:
        return self.patient.nhs_number

    @property
    def total(self) -> float:
        return self.score.total


@dataclass(frozen=True)
class GradedMatch:
    candidate: Candidate
    grade: Grade
    probability: float
    not_certain_because: tuple[str, ...] = ()


def probability(total_bits: float) -> float:
    """The score shown to callers: posterior probability under the population prior."""
    exponent = max(-60.0, min(60.0, total_bits - PRIOR_BITS))
    return float(1.0 / (1.0 + 2.0**-exponent))


def _may_be_twin_of(top: Candidate, other: Candidate) -> bool:
    """Same family name and birth date, and not known to live elsewhere (a twin lives with
    the child; a namesake born the same day at another address is left to the scores)."""
    a, b = top.patient.demographics, other.patient.demographics
    return (
        other.nhs_number != top.nhs_number
        and a.birth_date is not None
        and a.birth_date == b.birth_date
        and bool(name_key(a.family))
        and name_key(a.family) == name_key(b.family)
        and compare_postcode(a, b).level not in ADDRESS_ELSEWHERE
    )


def _child_aged(candidate: Candidate) -> bool:
    born = parse_date(candidate.patient.demographics.birth_date)
    return born is not None and born >= earliest_child_birth_date(date.today())


def _date_ok(top: Candidate) -> bool:
    level = top.score.level
    names_exact = level("given") in GIVEN_DISTINGUISHES_TWINS and level("family") is Level.EXACT
    at_address = level("postcode") is Level.EXACT
    # A day/month swap keeps the year and the two numbers, and no sibling is born
    # within the same year on the swapped date; with a name misspelt, or any other near
    # date, it also needs the postcode. With no birth date, exact names at the postcode
    # are the child or a namesake living there (the postcode search lists both), and
    # never an adult: a father may share his son's name and address.
    match level("birthDate"):
        case Level.EXACT:
            return True
        case Level.SWAPPED:
            return names_exact or at_address
        case Level.PARTIAL:
            return names_exact and at_address
        case Level.MISSING:
            return names_exact and at_address and _child_aged(top)
    return False


def certain_blockers(
    top: Candidate, others: list[Candidate], *, sibling_dates: Collection[str]
) -> list[str]:
    """Why `top` may not be certain; empty means it may. `sibling_dates`: the birth dates
    on which a family + birth-date search listed everyone (so a twin would be among `others`)."""
    level = top.score.level
    reasons = []
    if level("given") not in GIVEN_AGREES:
        reasons.append(f"given-{level('given')}")
    if level("family") not in FAMILY_AGREES:
        reasons.append(f"family-{level('family')}")
    if not _date_ok(top):
        reasons.append(f"birth-date-{level('birthDate')}")
    if level("gender") is Level.DISAGREE:
        reasons.append("gender-disagree")
    if level("nhsNumber") is Level.DISAGREE:
        reasons.append("claimed-nhs-number-disagrees")
    if level("given") not in GIVEN_DISTINGUISHES_TWINS:
        multiple_birth = top.patient.resource.get("multipleBirthInteger")
        if isinstance(multiple_birth, int) and 1 <= multiple_birth <= 7:
            reasons.append("multiple-birth")
        elif any(_may_be_twin_of(top, other) for other in others):
            reasons.append("sibling-same-birth-date")
        elif top.patient.demographics.birth_date not in sibling_dates:
            reasons.append("siblings-not-checked")
    if top.total < CERTAIN_MIN_BITS:
        reasons.append("score-below-certain")
    runner_up = max((o.total for o in others), default=None)
    if runner_up is not None and top.total - runner_up < CERTAIN_GAP_BITS:
        reasons.append("runner-up-too-close")
    return reasons


def grade(candidates: list[Candidate], *, sibling_dates: Collection[str]) -> list[GradedMatch]:
    """Grade and order candidates (best first); those below POSSIBLE_MIN_BITS are dropped."""
    ordered = sorted(candidates, key=lambda c: (-c.total, c.nhs_number))
    graded = []
    for index, candidate in enumerate(ordered):
        if candidate.total < POSSIBLE_MIN_BITS:
            break
        others = ordered[:index] + ordered[index + 1 :]
        blockers = certain_blockers(candidate, others, sibling_dates=sibling_dates)
        if index == 0 and not blockers:
            level = Grade.CERTAIN
        elif candidate.total >= PROBABLE_MIN_BITS:
            level = Grade.PROBABLE
        else:
            level = Grade.POSSIBLE
        graded.append(GradedMatch(candidate, level, probability(candidate.total), tuple(blockers)))
    return graded
