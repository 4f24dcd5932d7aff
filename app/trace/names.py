"""Name knowledge for matching: how common a name is, and which names are the same name.

Frequencies turn "both say Smith" into weaker evidence than "both say Okonkwo"
(Fellegi-Sunter with frequency-based u-probabilities). Names not in the tables
get a floor chosen so that an unknown name is never treated as rarer than about
one person in 5,000 (surnames) or 2,000 (given names): an unlisted name may simply
be one our table lacks, and overstating rarity is how false `certain` links happen.
"""

from functools import lru_cache
from importlib.resources import files

from app.trace.normalise import name_key

SURNAME_FLOOR = 200 / 1_000_000
GIVEN_FLOOR = 500 / 1_000_000


def _read(resource: str) -> list[str]:
    text = files("app.trace").joinpath("data", resource).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@lru_cache
def _frequencies(resource: str) -> dict[str, float]:
    table = {}
    for line in _read(resource):
        name, per_million = line.split()
        table[name_key(name)] = int(per_million) / 1_000_000
    return table


@lru_cache
def _nickname_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for line in _read("nicknames.txt"):
        formal, _, informal = line.partition(":")
        names = {name_key(formal), *(name_key(n) for n in informal.split())}
        for name in names:
            groups.setdefault(name, set()).update(names)
    return {name: frozenset(group - {name}) for name, group in groups.items()}


def surname_frequency(key: str) -> float:
    return max(_frequencies("surnames.txt").get(key, SURNAME_FLOOR), SURNAME_FLOOR)


def given_frequency(key: str) -> float:
    return max(_frequencies("given_names.txt").get(key, GIVEN_FLOOR), GIVEN_FLOOR)


def alternative_given_names(key: str) -> frozenset[str]:
    """Other forms of a given name: Bill -> {William, Will, Billy, Liam, ...}."""
    return _nickname_groups().get(key, frozenset())


def are_nicknames(a: str, b: str) -> bool:
    return a != b and b in alternative_given_names(a)


def formal_forms(key: str) -> tuple[str, ...]:
    """The formal names a nickname stands for (to search the Spine by), most common first."""
    formal = {
        line.partition(":")[0].strip()
        for line in _read("nicknames.txt")
        if key in {name_key(n) for n in line.partition(":")[2].split()}
    }
    return tuple(sorted((name_key(n) for n in formal), key=given_frequency, reverse=True))
