"""The cascading trace behind `Patient/$match`: verify a claimed number, then search.

Order (issue 5, step 4): a claimed NHS number that validates is retrieved and
scored like any candidate, so it only becomes `certain` if the demographics agree;
then the waves of `strategies.WAVES` run until one candidate is certain on
full agreement, the Spine-call budget is spent, or the deadline nears. Candidates
from every step are merged by NHS number and graded together.
"""

import asyncio
import time
from dataclasses import dataclass, field, replace

import structlog

from app.fhir.errors import FHIRError, ServiceUnavailable
from app.trace.demographics import Demographics
from app.trace.grading import Candidate, Grade, GradedMatch, grade
from app.trace.names import surname_frequency
from app.trace.normalise import name_key
from app.trace.scoring import FieldScore, Level, MatchScore, frequency_weight, score
from app.trace.spine_client import (
    RetrieveStatus,
    SearchParams,
    SearchResult,
    SpineClient,
    SpinePatient,
)
from app.trace.strategies import WAVES, Strategy
from cci_common.identifiers.nhs_number import NHSNumber

CLAIMED = "claimed-nhs-number"
# Strategies whose PDS search matched the family name exactly (current or historic).
FAMILY_FILTERED = frozenset({"exact", "family-birthdate", "day-month-swapped"})
FULL_AGREEMENT = frozenset({Level.EXACT, Level.NICKNAME, Level.MISSING})

log = structlog.get_logger("app.trace")


@dataclass(frozen=True)
class MatchQuery:
    """What the caller knows; `demographics.nhs_number` is the claimed number if it validates."""

    demographics: Demographics
    claimed_number_invalid: bool = False


@dataclass
class TraceResult:
    matches: list[GradedMatch]
    spine_calls: int
    strategies: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def grade(self) -> Grade | None:
        return self.matches[0].grade if self.matches else None


class _Trace:
    def __init__(
        self, spine: SpineClient, query: MatchQuery, max_calls: int, deadline: float
    ) -> None:
        self.spine = spine
        self.query = query.demographics
        self.max_calls = max_calls
        self.deadline = deadline
        self.found: dict[str, tuple[SpinePatient, set[str]]] = {}
        self.calls = 0
        self.strategies: list[str] = []
        self.warnings: list[str] = []
        self.sibling_dates: set[str] = set()  # birth dates whose family search listed all
        self.answered = 0  # Spine calls that got an answer
        self.unavailable = False

    async def run(self) -> TraceResult:
        if self.query.nhs_number:
            await self._verify_claimed(NHSNumber(self.query.nhs_number))
        if not self._decided():
            await self._cascade()
        matches = self._graded()
        return TraceResult(matches, self.calls, self.strategies, self.warnings)

    async def _verify_claimed(self, claimed: NHSNumber) -> None:
        self.calls += 1
        self.strategies.append(CLAIMED)
        result = await self.spine.retrieve(claimed, deadline=self.deadline)
        self.answered += 1
        if result.patient is None:
            self.warnings.append(
                "The NHS number supplied was not found on the Spine"
                if result.status is RetrieveStatus.NOT_FOUND
                else "The NHS number supplied belongs to an invalidated record"
            )
            return
        if result.superseded:
            # A merged number: the surviving record stands for the claim.
            self.warnings.append("The NHS number supplied has been superseded; use the new one")
            self.query = replace(self.query, nhs_number=result.patient.nhs_number)
        self._add(result.patient, CLAIMED)

    async def _cascade(self) -> None:
        """Run the strategies in waves; searches within a wave go to the Spine concurrently."""
        seen: set[SearchParams] = set()
        for wave in WAVES:
            planned: list[tuple[Strategy, SearchParams]] = []
            for strategy in wave:
                searches = [p for p in strategy.build(self.query) if p not in seen]
                seen.update(searches)
                planned += [(strategy, params) for params in searches]
                if searches:
                    self.strategies.append(strategy.name)
            room = self.max_calls - self.calls
            if len(planned) > room or (planned and time.monotonic() >= self.deadline):
                self.warnings.append("The trace stopped at its Spine-call or time limit")
                planned = planned[: max(0, room)] if time.monotonic() < self.deadline else []
            self.calls += len(planned)
            outcomes = await asyncio.gather(
                *(self.spine.search(params, deadline=self.deadline) for _, params in planned),
                return_exceptions=True,
            )
            for (strategy, params), outcome in zip(planned, outcomes, strict=True):
                self._take(strategy, params, outcome)
            if self.unavailable:
                if not self.answered:
                    raise ServiceUnavailable("The Spine is unavailable")
                self.warnings.append("The Spine became unavailable; the trace is incomplete")
                return
            if self._decided() or self.calls >= self.max_calls:
                return

    def _take(
        self, strategy: Strategy, params: SearchParams, outcome: SearchResult | BaseException
    ) -> None:
        if isinstance(outcome, ServiceUnavailable):
            self.unavailable = True
            return
        if isinstance(outcome, FHIRError):
            # A search the Spine will not run (e.g. its minimum data rules): skip it.
            log.info("trace.strategy_rejected", strategy=strategy.name, code=outcome.code)
            return
        if isinstance(outcome, BaseException):
            raise outcome
        self.answered += 1
        if outcome.too_many_matches:
            return
        if strategy.enumerates_siblings:
            self.sibling_dates.update(d.removeprefix("eq") for d in params.birthdate)
        for patient in outcome.matches:
            self._add(patient, strategy.name)

    def _add(self, patient: SpinePatient, strategy: str) -> None:
        existing = self.found.get(patient.nhs_number)
        if existing is None:
            self.found[patient.nhs_number] = (patient, {strategy})
        else:
            # Keep a retrieved record over a search result: it has previous names too.
            keep = existing[0] if CLAIMED in existing[1] else patient
            self.found[patient.nhs_number] = (keep, existing[1] | {strategy})

    def _candidate(self, patient: SpinePatient, found_by: set[str]) -> Candidate:
        match_score = score(self.query, patient.demographics)
        family = match_score.fields["family"]
        if found_by & FAMILY_FILTERED and family.level in (Level.FUZZY, Level.DISAGREE):
            # PDS found them by this exact family name in their history (search results
            # carry only current names), so it is a previous surname of theirs.
            weight = frequency_weight(surname_frequency(name_key(self.query.family))) - 2.0
            fields = {**match_score.fields, "family": FieldScore(Level.OTHER_NAME, weight)}
            match_score = MatchScore(fields)
        return Candidate(patient, match_score, frozenset(found_by))

    def _graded(self) -> list[GradedMatch]:
        candidates = [self._candidate(p, s) for p, s in self.found.values()]
        return grade(candidates, sibling_dates=frozenset(self.sibling_dates))

    def _decided(self) -> bool:
        """A certain top candidate agreeing on every field both records have, address included.

        Without an agreeing address the later waves must run: a namesake born the same
        day elsewhere could be the one found first while the child is recorded under a
        middle name, a misspelling or a nickname (found by the family + birth date wave).
        """
        graded = self._graded()
        if not graded or graded[0].grade is not Grade.CERTAIN:
            return False
        fields = graded[0].candidate.score.fields
        return (
            all(
                fields[name].level in FULL_AGREEMENT
                for name in ("given", "family", "birthDate", "gender")
            )
            and fields["birthDate"].level is Level.EXACT
            and fields["postcode"].level is Level.EXACT
        )


async def run_trace(
    spine: SpineClient, query: MatchQuery, *, max_calls: int, deadline: float
) -> TraceResult:
    result = await _Trace(spine, query, max_calls, deadline).run()
    log.info(
        "trace.completed",
        grade=result.grade,
        candidates=len(result.matches),
        spine_calls=result.spine_calls,
    )
    return result
