"""The searches of a cascading trace, in the order they run (issue 5, step 4b-c).

Each strategy turns what the caller knows into one PDS search (spec A2), or None
when the caller did not supply what it needs. Cheap, precise searches come first;
each later one covers an error real records have. All searches carry the birth
date PDS requires; `_max-results` is the healthcare-worker maximum, so a common
name gives TOO_MANY_MATCHES rather than a silently truncated list.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from app.trace.demographics import Demographics
from app.trace.names import alternative_given_names, formal_forms
from app.trace.normalise import name_key, parse_date, postcode_key, swap_day_month
from app.trace.spine_models import SearchParams

MAX_RESULTS = 50
MAX_NICKNAME_SEARCHES = 2
PDS_NAME_LIMIT = 35
CHILD_YEARS = 19  # an LA traces children (and care leavers just past 18)


@dataclass(frozen=True)
class Strategy:
    name: str
    build: Callable[[Demographics], list[SearchParams]]
    # Searches that list everyone with the family name and one birth date: after one,
    # a twin of a candidate born that day would have been seen.
    enumerates_siblings: bool = False


def _base(q: Demographics) -> SearchParams | None:
    born = parse_date(q.birth_date)
    if born is None:
        return None
    return SearchParams(birthdate=(f"eq{born.isoformat()}",), max_results=MAX_RESULTS)


def _family(q: Demographics) -> str | None:
    return q.family[:PDS_NAME_LIMIT] if q.family else None


def _given(q: Demographics) -> str | None:
    return q.given[0][:PDS_NAME_LIMIT] if q.given and len(name_key(q.given[0])) > 1 else None


def _postcode(q: Demographics) -> str | None:
    return postcode_key(q.postcodes[0]) if q.postcodes else None


def _gender(q: Demographics) -> str | None:
    return q.gender if q.gender in ("male", "female") else None


def exact(q: Demographics) -> list[SearchParams]:
    """Family, given and birth date, with history so a previous surname also finds them."""
    base, family, given = _base(q), _family(q), _given(q)
    if base is None or not family or not given:
        return []
    return [replace(base, family=family, given=(given,), history=True)]


def fuzzy(q: Demographics) -> list[SearchParams]:
    """PDS fuzzy search: homophones, transposed names, swapped day/month, history."""
    base, family, given = _base(q), _family(q), _given(q)
    if base is None or not family or not given:
        return []
    return [
        replace(
            base, family=family, given=(given,), gender=_gender(q), postcode=_postcode(q),
            fuzzy=True,
        )
    ]  # fmt: skip


def family_birthdate(q: Demographics) -> list[SearchParams]:
    """Everyone with the family name and birth date: twins, and a missing or wrong given."""
    base, family = _base(q), _family(q)
    if base is None or not family:
        return []
    return [replace(base, family=family, history=True)]


def initial_postcode(q: Demographics) -> list[SearchParams]:
    """Fuzzy family + birth date + gender + postcode, for an initial or misspelt given name."""
    base, family, gender, postcode = _base(q), _family(q), _gender(q), _postcode(q)
    if base is None or not family or not gender or not postcode:
        return []
    return [replace(base, family=family, gender=gender, postcode=postcode, fuzzy=True)]


def given_postcode(q: Demographics) -> list[SearchParams]:
    """Fuzzy given + birth date + gender + postcode: a surname that changed or is misspelt."""
    base, given, gender, postcode = _base(q), _given(q), _gender(q), _postcode(q)
    if base is None or not given or not gender or not postcode:
        return []
    return [replace(base, given=(given,), gender=gender, postcode=postcode, fuzzy=True)]


def day_month_swapped(q: Demographics) -> list[SearchParams]:
    """Everyone with the family name born on the day/month swap (twins included)."""
    born, family = parse_date(q.birth_date), _family(q)
    swapped = swap_day_month(born) if born else None
    if swapped is None or not family:
        return []
    return [
        SearchParams(
            family=family, birthdate=(f"eq{swapped.isoformat()}",), history=True,
            max_results=MAX_RESULTS,
        )
    ]  # fmt: skip


def names_swapped(q: Demographics) -> list[SearchParams]:
    base, family, given = _base(q), _family(q), _given(q)
    if base is None or not family or not given:
        return []
    return [replace(base, family=given, given=(family,))]


def nicknames(q: Demographics) -> list[SearchParams]:
    """The formal name for a nickname (Bill -> William), or the common forms of a formal one."""
    base, family, given = _base(q), _family(q), _given(q)
    if base is None or not family or not given:
        return []
    key = name_key(given)
    forms = list(formal_forms(key)) or sorted(alternative_given_names(key))
    return [replace(base, family=family, given=(f,)) for f in forms[:MAX_NICKNAME_SEARCHES]]


def birthdate_range(q: Demographics) -> list[SearchParams]:
    """Family and given within a year either side: a mistyped day, month or year."""
    born, family, given = parse_date(q.birth_date), _family(q), _given(q)
    if born is None or not family or not given:
        return []
    low, high = born - timedelta(days=366), born + timedelta(days=366)
    return [
        SearchParams(
            family=family, given=(given,), max_results=MAX_RESULTS,
            birthdate=(f"ge{low.isoformat()}", f"le{high.isoformat()}"),
        )
    ]  # fmt: skip


def earliest_child_birth_date(today: date) -> date:
    """The first birth date of someone still of an age an LA traces (29 Feb -> 1 Mar)."""
    year = today.year - CHILD_YEARS
    return today.replace(year=year) if (today.month, today.day) != (2, 29) else date(year, 3, 1)


def _child_ages(q: Demographics) -> SearchParams | None:
    family, given = _family(q), _given(q)
    if parse_date(q.birth_date) is not None or not family or not given:
        return None
    today = date.today()
    return SearchParams(
        family=family, given=(given,), max_results=MAX_RESULTS, history=True,
        birthdate=(f"ge{earliest_child_birth_date(today).isoformat()}", f"le{today.isoformat()}"),
    )  # fmt: skip


def no_birth_date(q: Demographics) -> list[SearchParams]:
    """No birth date (PDS needs one): family and given across the ages of a child."""
    base = _child_ages(q)
    return [base] if base else []


def no_birth_date_postcode(q: Demographics) -> list[SearchParams]:
    """The same at the postcode: a common name across 19 years is TOO_MANY_MATCHES, and
    a child at the postcode must be seen with any namesake living there too."""
    base, postcode = _child_ages(q), _postcode(q)
    return [replace(base, postcode=postcode)] if base and postcode else []


# Waves run in order, stopping once a candidate is certain on full agreement; the
# searches of one wave run concurrently. The first wave settles most clean records.
WAVES: tuple[tuple[Strategy, ...], ...] = (
    (
        Strategy("exact", exact),
        Strategy("no-birth-date", no_birth_date),
        Strategy("no-birth-date-postcode", no_birth_date_postcode),
    ),
    (
        Strategy("fuzzy", fuzzy),
        Strategy("family-birthdate", family_birthdate, enumerates_siblings=True),
        Strategy("nicknames", nicknames),
    ),
    (
        Strategy("initial-postcode", initial_postcode),
        Strategy("given-postcode", given_postcode),
        Strategy("birthdate-range", birthdate_range),
        Strategy("day-month-swapped", day_month_swapped, enumerates_siblings=True),
        Strategy("names-swapped", names_swapped),
    ),
)
