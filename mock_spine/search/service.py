"""Run a search: match, score, resolve merged records, apply PDS's result rules."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from cci_common.operation_outcome import IssueType, Severity, SpineCode
from mock_spine.errors import SpineError
from mock_spine.records import PatientRow
from mock_spine.repository import patients as patient_repository
from mock_spine.repository import search as search_repository
from mock_spine.search import scoring
from mock_spine.search.params import SearchQuery
from mock_spine.search.scoring import NameEvidence


@dataclass(frozen=True, slots=True)
class Match:
    row: PatientRow
    score: float


def too_many_matches() -> SpineError:
    # PDS answers TOO_MANY_MATCHES with HTTP 200 and no partial list.
    return SpineError(
        IssueType.MULTIPLE_MATCHES,
        SpineCode.TOO_MANY_MATCHES,
        status=200,
        severity=Severity.INFORMATION,
    )


def swapped(day: date) -> date | None:
    """The date with day and month exchanged, when that is a different real date."""
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(month=day.day, day=day.month)


def _survivor(row: Any) -> str:
    superseded: str | None = row["superseded_by"]
    return superseded if row["status"] == "superseded" and superseded else row["nhs_number"]


def score_exact_row(query: SearchQuery, row: Any) -> float:
    wildcards = sum(
        1 for text in (query.family, query.given, query.postcode) if text and text.wildcard
    )
    historic = 0 if row["current"] else 1
    for key in ("postcode_current", "email_current", "phone_current"):
        if key in row and row[key] is False:
            historic += 1
    return scoring.exact_score(
        wildcards=wildcards, historic=historic, alternative_name=row["use"] != "usual"
    )


def _evidence(row: Any, label: str, searched: str | None, column: str) -> float | None:
    if searched is None:
        return None
    return scoring.name_similarity(
        NameEvidence(
            stored=row[column],
            searched=searched,
            trigram=row[f"{label}_trgm"] or 0.0,
            soundex=bool(row[f"{label}_sdx"]),
            dmetaphone=bool(row[f"{label}_dmeta"]),
            daitch_mokotoff=bool(row[f"{label}_dm"]),
        )
    )


def _names(query: SearchQuery, row: Any) -> tuple[dict[str, float], bool] | None:
    """The name components (direct, or transposed when that matches better), or None."""
    family = query.family.value if query.family else None
    given = query.given.value if query.given else None
    direct = {
        key: value
        for key, value in (
            ("family", _evidence(row, "ff", family, "family")),
            ("given", _evidence(row, "gg", given, "given")),
        )
        if value is not None
    }
    if min(direct.values()) >= scoring.NAME_THRESHOLD:
        return direct, False
    if family and given:
        transposed = {
            "family": _evidence(row, "gf", family, "given") or 0.0,
            "given": _evidence(row, "fg", given, "family") or 0.0,
        }
        if min(transposed.values()) >= scoring.NAME_THRESHOLD:
            return transposed, True
    return None


def score_fuzzy_row(query: SearchQuery, row: Any, birth_swap: date | None) -> float | None:
    names = _names(query, row)
    if names is None:
        return None
    components, transposed = names
    born: date | None = row["birth_date"]
    components["birthdate"] = 1.0 if born != birth_swap or born is None else scoring.SWAPPED_DATE
    if query.gender is not None:
        stored = row["gender"]
        components["gender"] = 1.0 if stored == query.gender else 0.5 if not stored else 0.0
    if query.postcode is not None:
        components["postcode"] = scoring.postcode_similarity(
            set(row["postcodes"]), query.postcode.value
        )
    for key, value in (("phone", query.phone), ("email", query.email)):
        if value is not None:
            components[key] = 1.0  # a filter: only matching records got this far
    death: date | None = row["death_date"]
    if query.death is not None:
        within = death is not None and query.death.low <= death <= query.death.high
        components["death-date"] = 1.0 if within else 0.0
    if query.gp is not None:
        components["general-practitioner"] = float((row["gp_ods"] or "").upper() == query.gp)
    # Sandbox-compatible rule (README): a formally notified death is only returned by a
    # fuzzy search that corroborates it with a matching death date, phone or email.
    if row["death_notification"] == "2" and not any(
        components.get(key) == 1.0 for key in ("death-date", "phone", "email")
    ):
        return None
    score = scoring.weighted_score(components)
    if transposed:
        score *= scoring.TRANSPOSED
    if not row["current"] or row["use"] != "usual":
        score *= scoring.HISTORIC_NAME
    score = round(score, 4)
    return score if score >= scoring.FUZZY_THRESHOLD else None


async def search(connection: Any, query: SearchQuery) -> list[Match]:
    best: dict[str, float] = {}
    in_hand: dict[str, PatientRow] = {}
    if query.fuzzy:
        exact_day = query.birth.exact
        swap = swapped(exact_day) if exact_day else None
        dates = [d for d in (exact_day, swap) if d is not None]
        rows = await search_repository.run(connection, search_repository.fuzzy_sql(query, dates))
        for row in rows:
            score = score_fuzzy_row(query, row, swap)
            if score is not None:
                number = _survivor(row)
                best[number] = max(score, best.get(number, 0.0))
                if number == row["nhs_number"]:
                    in_hand[number] = PatientRow.from_mapping(row)
    else:
        rows = await search_repository.run(connection, search_repository.exact_sql(query))
        for row in rows:
            number = _survivor(row)
            best[number] = max(score_exact_row(query, row), best.get(number, 0.0))
            if number == row["nhs_number"]:
                in_hand[number] = PatientRow.from_mapping(row)
    if query.exact:
        best = {number: score for number, score in best.items() if score == 1.0}
    if len(best) > query.max_results:
        raise too_many_matches()
    found = {number: in_hand[number] for number in best if number in in_hand}
    missing = [number for number in best if number not in in_hand]
    if missing:  # survivors of merged records matched through their old data
        found |= await patient_repository.get_many(connection, missing)
    matches = [
        Match(row, best[number])
        for number, row in found.items()
        if row.status == "active" and not (query.location_search and row.security != "U")
    ]
    if len(matches) > query.max_results:
        raise too_many_matches()
    matches.sort(key=lambda match: (-match.score, match.row.nhs_number))
    return matches
