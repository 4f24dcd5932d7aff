"""Searchset Bundles of disclosed Patients, for search and `$match` (FHIR R4 bundle.html)."""

from datetime import UTC, datetime
from uuid import uuid4

from app.auth.scopes import AgencyRole
from app.trace.disclosure import disclose
from app.trace.grading import GradedMatch
from app.trace.schemas import (
    BundleEntry,
    BundleSearch,
    Extension,
    OutcomeIssue,
    OutcomeResource,
    SearchsetBundle,
)
from app.trace.spine_models import SpinePatient

MATCH_GRADE_URL = "http://hl7.org/fhir/StructureDefinition/match-grade"


def _bundle(entries: list[BundleEntry], total: int) -> SearchsetBundle:
    return SearchsetBundle(
        id=str(uuid4()),
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        total=total,
        entry=entries or None,
    )


def outcome_entry(warnings: list[str]) -> BundleEntry:
    issues = [
        OutcomeIssue(severity="warning", code="informational", diagnostics=warning)
        for warning in warnings
    ]
    return BundleEntry(resource=OutcomeResource(issue=issues), search=BundleSearch(mode="outcome"))


def search_bundle(
    patients: list[SpinePatient], role: AgencyRole, base_url: str, warnings: list[str]
) -> SearchsetBundle:
    entries = [
        BundleEntry(
            fullUrl=f"{base_url}/Patient/{p.nhs_number}",
            resource=disclose(p, role),
            search=BundleSearch(mode="match", score=p.score),
        )
        for p in patients
    ]
    if warnings:
        entries.append(outcome_entry(warnings))
    return _bundle(entries, len(patients))


def match_bundle(
    matches: list[GradedMatch], role: AgencyRole, base_url: str, warnings: list[str]
) -> SearchsetBundle:
    entries = [
        BundleEntry(
            fullUrl=f"{base_url}/Patient/{m.candidate.nhs_number}",
            resource=disclose(m.candidate.patient, role),
            search=BundleSearch(
                mode="match",
                score=round(m.probability, 4),
                extension=[Extension(url=MATCH_GRADE_URL, valueCode=m.grade.value)],
            ),
        )
        for m in matches
    ]
    if warnings:
        entries.append(outcome_entry(warnings))
    return _bundle(entries, len(matches))
