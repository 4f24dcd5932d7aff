"""The scoring model: how well one stored record matches a search (README, "Scoring").

Non-fuzzy searches only return records that satisfy every criterion, so their
score starts at 1.0 and loses a fixed factor for each weaker way of matching:
a wildcard, a historic name/address/telecom, a nickname or temporary name.

Fuzzy searches score each supplied item between 0 and 1 and take the weighted
mean; the record's best name (current or historic, direct or transposed) is used.
Every score is rounded to 4 places; exactly 1.0 means an exact match.
"""

from dataclasses import dataclass

WILDCARD = 0.9
HISTORIC = 0.9
ALTERNATIVE_NAME = 0.95

WEIGHTS = {
    "family": 0.30,
    "given": 0.20,
    "birthdate": 0.30,
    "gender": 0.05,
    "postcode": 0.10,
    "phone": 0.05,
    "email": 0.05,
    "death-date": 0.05,
    "general-practitioner": 0.05,
}
TRANSPOSED = 0.9
HISTORIC_NAME = 0.95
SWAPPED_DATE = 0.8
NAME_THRESHOLD = 0.5
FUZZY_THRESHOLD = 0.6


@dataclass(frozen=True, slots=True)
class NameEvidence:
    """What PostgreSQL found comparing one stored name with one searched name."""

    stored: str | None
    searched: str
    trigram: float
    soundex: bool
    dmetaphone: bool
    daitch_mokotoff: bool


def name_similarity(evidence: NameEvidence) -> float:
    """1.0 equal; else the best of trigram similarity and the phonetic codes' agreement."""
    stored = evidence.stored
    if stored is None:
        return 0.0
    if stored == evidence.searched:
        return 1.0
    parts = {part for part in stored.replace("-", " ").split(" ") if part}
    best = evidence.trigram
    if evidence.searched in parts:
        best = max(best, 0.85)  # one half of a double-barrelled or compound name
    if evidence.dmetaphone:
        best = max(best, 0.85)
    if evidence.daitch_mokotoff:
        best = max(best, 0.8)
    if evidence.soundex:
        best = max(best, 0.75)
    return round(best, 4)


def exact_score(
    *,
    wildcards: int,
    historic: int,
    alternative_name: bool,
) -> float:
    """Non-fuzzy: every criterion held; each weaker way of holding it costs a factor."""
    score = WILDCARD**wildcards * HISTORIC**historic
    if alternative_name:
        score *= ALTERNATIVE_NAME
    return round(score, 4)


def weighted_score(components: dict[str, float]) -> float:
    """Fuzzy: the weighted mean of the supplied items' similarities."""
    total = sum(WEIGHTS[key] for key in components)
    if total == 0:
        return 0.0
    return sum(WEIGHTS[key] * value for key, value in components.items()) / total


def postcode_similarity(stored: set[str], searched: str) -> float:
    if searched in stored:
        return 1.0
    outward = searched[:-3] if len(searched) > 4 else searched
    if any(code[:-3] == outward for code in stored if len(code) > 4):
        return 0.5
    return 0.0
