"""The cascade's stopping rule and call budget, against an in-memory Spine."""

import time
from dataclasses import replace
from datetime import date
from typing import Any

from app.trace.cascade import MatchQuery, run_trace
from app.trace.grading import Grade
from app.trace.normalise import name_key
from app.trace.spine_client import RetrieveResult, RetrieveStatus, SearchParams, SearchResult
from app.trace.spine_models import SpinePatient
from cci_common.identifiers.nhs_number import NHSNumber
from tests.trace.builders import query, spine_patient


def _born_within(birth_date: str | None, bounds: tuple[str, ...]) -> bool:
    if birth_date is None:
        return False
    for bound in bounds:
        op, day = bound[:2], bound[2:]
        if (op == "eq" and birth_date != day) or (op == "ge" and birth_date < day):
            return False
        if op == "le" and birth_date > day:
            return False
    return True


class MemorySpine:
    """Exact family + birth date or range (+ first given, postcode when asked) over a list
    of patients; more matches than `_max-results` is TOO_MANY_MATCHES, as PDS answers."""

    def __init__(self, *patients: SpinePatient) -> None:
        self.patients = patients
        self.searches: list[SearchParams] = []

    async def search(self, params: SearchParams, **_: Any) -> SearchResult:
        self.searches.append(params)
        found = [
            p
            for p in self.patients
            if name_key(p.demographics.family) == name_key(params.family)
            and _born_within(p.demographics.birth_date, params.birthdate)
            and (not params.given or name_key(p.demographics.given[0]) == name_key(params.given[0]))
            and (
                not params.postcode
                or params.postcode in {pc.replace(" ", "") for pc in p.demographics.postcodes}
            )
        ]
        if params.max_results is not None and len(found) > params.max_results:
            return SearchResult(too_many_matches=True)
        return SearchResult(tuple(found))

    async def retrieve(self, number: str, **_: Any) -> RetrieveResult:
        for patient in self.patients:
            if patient.nhs_number == number:
                return RetrieveResult(NHSNumber(number), RetrieveStatus.FOUND, patient)
        return RetrieveResult(NHSNumber(number), RetrieveStatus.NOT_FOUND)


async def trace(spine: MemorySpine, **q: Any) -> Any:
    demographics = query(**q)
    return await run_trace(
        spine,  # type: ignore[arg-type]
        MatchQuery(demographics),
        max_calls=10,
        deadline=time.monotonic() + 5,
    )


async def test_clean_record_with_postcode_stops_after_one_search() -> None:
    spine = MemorySpine(spine_patient("9000000009"))
    result = await trace(spine)
    assert result.grade is Grade.CERTAIN
    assert result.spine_calls == 1


async def test_middle_name_recorded_first_does_not_link_a_namesake() -> None:
    # The child is "Joshua Arthur Davies"; the LA wrote "Arthur (Joshua) Davies" and
    # no postcode. Another "Arthur Davies" was born the same day in another town.
    child = spine_patient("9000000009", given="Joshua", family="Davies", postcode="CT1 7TT")
    child.resource["name"][0]["given"] = ["Joshua", "Arthur"]
    namesake = spine_patient("9000000017", given="Arthur", family="Davies", postcode="M1 1AA")
    spine = MemorySpine(child, namesake)
    demographics = replace(
        query(given="Arthur", family="Davies", postcode=None), given=("Arthur", "Joshua")
    )
    result = await run_trace(
        spine,  # type: ignore[arg-type]
        MatchQuery(demographics),
        max_calls=10,
        deadline=time.monotonic() + 5,
    )
    assert result.grade is not Grade.CERTAIN
    assert {m.candidate.nhs_number for m in result.matches} >= {"9000000009", "9000000017"}


async def test_spine_calls_are_bounded() -> None:
    spine = MemorySpine()
    demographics = query(given="Bill", birth_date="2015-03-04")
    result = await run_trace(
        spine,  # type: ignore[arg-type]
        MatchQuery(demographics),
        max_calls=4,
        deadline=time.monotonic() + 5,
    )
    assert result.spine_calls <= 4
    assert len(spine.searches) <= 4
    assert result.matches == []


def _years_ago(years: int, month: int = 6) -> str:
    return date(date.today().year - years, month, 1).isoformat()


async def test_missing_birth_date_is_traced_at_the_postcode() -> None:
    # Too many children share the name nationally; one lives at the LA's postcode.
    namesakes = [
        spine_patient(f"90000{i:05d}", birth_date=_years_ago(1 + i % 15), postcode="M1 1AA")
        for i in range(60)
    ]
    child = spine_patient("9000000009", birth_date=_years_ago(7))
    spine = MemorySpine(child, *namesakes)
    result = await trace(spine, birth_date=None)
    assert "no-birth-date-postcode" in result.strategies
    assert result.grade is Grade.CERTAIN
    assert result.matches[0].candidate.nhs_number == "9000000009"


async def test_missing_birth_date_with_a_namesake_at_the_postcode_is_not_certain() -> None:
    child = spine_patient("9000000009", birth_date=_years_ago(7))
    cousin = spine_patient("9000000017", birth_date=_years_ago(9))
    result = await trace(MemorySpine(child, cousin), birth_date=None)
    assert result.grade is not Grade.CERTAIN
    assert {m.candidate.nhs_number for m in result.matches} == {"9000000009", "9000000017"}


async def test_swapped_birth_date_and_misspelt_given_lists_the_true_day() -> None:
    # The LA wrote 4 March for a child born 3 April, and misspelt the given name.
    child = spine_patient("9000000009", birth_date="2015-04-03")
    alone = await trace(MemorySpine(child), given="Olivr", birth_date="2015-03-04")
    assert alone.grade is Grade.CERTAIN
    twin = spine_patient("9000000017", given="Jack", birth_date="2015-04-03")
    with_twin = await trace(MemorySpine(child, twin), given="Olivr", birth_date="2015-03-04")
    assert with_twin.grade is not Grade.CERTAIN
