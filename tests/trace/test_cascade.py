"""The cascade's stopping rule and call budget, against an in-memory Spine."""

import time
from dataclasses import replace
from typing import Any

from app.trace.cascade import MatchQuery, run_trace
from app.trace.grading import Grade
from app.trace.normalise import name_key
from app.trace.spine_client import RetrieveResult, RetrieveStatus, SearchParams, SearchResult
from app.trace.spine_models import SpinePatient
from cci_common.identifiers.nhs_number import NHSNumber
from tests.trace.builders import query, spine_patient


class MemorySpine:
    """Exact family + birth date (+ first given when asked) over a list of patients."""

    def __init__(self, *patients: SpinePatient) -> None:
        self.patients = patients
        self.searches: list[SearchParams] = []

    async def search(self, params: SearchParams, **_: Any) -> SearchResult:
        self.searches.append(params)
        born = params.birthdate[0].removeprefix("eq") if params.birthdate else None
        found = [
            p
            for p in self.patients
            if name_key(p.demographics.family) == name_key(params.family)
            and p.demographics.birth_date == born
            and (not params.given or name_key(p.demographics.given[0]) == name_key(params.given[0]))
        ]
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
