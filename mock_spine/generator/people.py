"""Building one synthetic person: dates, names, telecoms, and the rare hard cases.

Rates are per person unless noted, and are listed in the README's generator table.
"""

import random
from bisect import bisect
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from mock_spine.generator import places
from mock_spine.generator.names import GROUPS, NICKNAMES, NameGroup
from mock_spine.generator.sandbox import RESERVED_BIRTH_DATES

REFERENCE_DATE = date(2025, 10, 1)  # "today" for ages, fixed so a seed always means one population
RESTRICTED_RATE = 0.005
VERY_RESTRICTED_RATE = 0.0002
NICKNAME_RATE = 0.1  # of people whose first name has a common short form
MIDDLE_NAME_RATE = 0.4
UNKNOWN_GENDER_RATE = 0.001
GP_RATE = 0.97
EMAIL_RATE = 0.55
MOBILE_RATE = 0.85
TEEN_MOBILE_RATE = 0.5
DEATH_NOTIFICATION_FORMAL = 0.85

Pool = tuple[tuple[str, ...], tuple[int, ...]]
_CUMULATIVE: dict[int, list[int]] = {}


def pick(rng: random.Random, pool: Pool) -> str:
    names, weights = pool
    cumulative = _CUMULATIVE.get(id(weights))
    if cumulative is None:
        cumulative = _CUMULATIVE[id(weights)] = list(accumulate(weights))
    return names[bisect(cumulative, rng.random() * cumulative[-1])]


_GROUP_CUMULATIVE = list(accumulate(group.weight for group in GROUPS))


def pick_group(rng: random.Random) -> NameGroup:
    return GROUPS[bisect(_GROUP_CUMULATIVE, rng.random() * _GROUP_CUMULATIVE[-1])]


def birth_date(rng: random.Random, min_age: float, max_age: float) -> date:
    days = rng.randint(int(min_age * 365.25), int(max_age * 365.25))
    born = REFERENCE_DATE - timedelta(days=days)
    while born in RESERVED_BIRTH_DATES:
        born -= timedelta(days=3)
    return born


def age(born: date) -> int:
    years = REFERENCE_DATE.year - born.year
    return years - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (born.month, born.day))


def given_name(rng: random.Random, group: NameGroup, gender: str, child: bool) -> str:
    if gender == "female":
        return pick(rng, group.girls if child else group.women)
    return pick(rng, group.boys if child else group.men)


def human_name(
    given: list[str], family: str, *, use: str = "usual", start: date, end: date | None = None
) -> dict[str, Any]:
    period = {"start": start.isoformat()}
    if end is not None:
        period["end"] = end.isoformat()
    return {"id": f"N{use[:2].upper()}{start:%y%m}", "use": use, "period": period,
            "given": given, "family": family}  # fmt: skip


def names_for(
    rng: random.Random, group: NameGroup, gender: str, born: date, family: str, child: bool
) -> list[dict[str, Any]]:
    first = given_name(rng, group, gender, child)
    given = [first]
    if rng.random() < MIDDLE_NAME_RATE:
        middle = given_name(rng, group, gender, child)
        if middle != first:
            given.append(middle)
    names = [human_name(given, family, start=born)]
    nicknames = NICKNAMES.get(first)
    if nicknames and rng.random() < NICKNAME_RATE:
        names.append(human_name([rng.choice(nicknames)], family, use="nickname", start=born))
    return names


def telecoms(rng: random.Random, given: str, family: str, years: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if (years >= 18 and rng.random() < MOBILE_RATE) or (
        13 <= years < 18 and rng.random() < TEEN_MOBILE_RATE
    ):
        items.append({"id": "TM", "system": "phone", "value": places.mobile(rng), "use": "mobile"})
    if years >= 18 and rng.random() < EMAIL_RATE:
        local = "".join(
            ch for ch in f"{given}.{family}".lower() if ch.isascii() and (ch.isalnum() or ch == ".")
        )
        address = f"{local}{rng.randint(1, 999)}@example.{rng.choice(('com', 'org', 'net'))}"
        items.append({"id": "TE", "system": "email", "value": address, "use": "home"})
    return items


def death(rng: random.Random, born: date) -> tuple[date, str] | None:
    years = age(born)
    rate = 0.0005 if years < 18 else 0.004 if years < 65 else 0.03 if years < 80 else 0.12
    if rng.random() >= rate:
        return None
    lived = (REFERENCE_DATE - born).days
    died = REFERENCE_DATE - timedelta(days=rng.randint(0, min(lived, 8 * 365)))
    return died, "2" if rng.random() < DEATH_NOTIFICATION_FORMAL else "1"


def security(rng: random.Random) -> str:
    draw = rng.random()
    return "V" if draw < VERY_RESTRICTED_RATE else "R" if draw < RESTRICTED_RATE else "U"


def typo(rng: random.Random, value: str) -> str:
    """One keyboard slip: a dropped, doubled, swapped or replaced letter."""
    if len(value) < 4:
        return value + value[-1]
    i = rng.randint(1, len(value) - 2)
    kind = rng.randint(0, 3)
    if kind == 0:
        return value[:i] + value[i + 1 :]
    if kind == 1:
        return value[:i] + value[i] + value[i:]
    if kind == 2:
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    return value[:i] + rng.choice("aeiourstnl") + value[i + 1 :]
