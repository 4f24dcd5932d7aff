"""The scoring model and grading rules, with Hypothesis properties."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from app.trace.demographics import Demographics
from app.trace.grading import Candidate, Grade, GradedMatch, grade
from app.trace.normalise import jaro_winkler, name_key, soundex
from app.trace.scoring import Level, score
from app.trace.spine_models import SpinePatient
from tests.trace.builders import query, spine_patient

NAMES = st.sampled_from(
    [
        "Oliver",
        "Olivia",
        "Smith",
        "Smyth",
        "Okonkwo",
        "Jack",
        "Jak",
        "William",
        "Bill",
        "O'Brien",
        "Zoë",
        "A",
    ]
)
DATES = st.sampled_from(
    ["2015-03-14", "2015-14-03", "2015-03-04", "2015-04-03", "2016-03-14", "2001-01-01", None]
)
POSTCODES = st.sampled_from(["LS1 6AE", "LS16AE", "LS1 6AF", "LS2 7XX", "M1 1AA", None])
GENDERS = st.sampled_from(["male", "female", "unknown", None])
NUMBERS = st.sampled_from(["9000000009", "9000000017", None])


@st.composite
def demographics(draw: st.DrawFn) -> Demographics:
    given_name = draw(st.none() | NAMES)
    postcode = draw(POSTCODES)
    return Demographics(
        given=(given_name,) if given_name else (),
        family=draw(st.none() | NAMES),
        birth_date=draw(DATES),
        gender=draw(GENDERS),
        postcodes=(postcode,) if postcode else (),
        nhs_number=draw(NUMBERS),
    )


def graded_alone(q: Demographics, patient_demographics: Demographics) -> Grade | None:
    patient = spine_patient("9000000009")
    candidate = Candidate(patient, score(q, patient_demographics), frozenset({"exact"}))
    result = grade([candidate], siblings_checked=True)
    return result[0].grade if result else None


@given(demographics(), demographics())
@settings(max_examples=300)
def test_scoring_is_symmetric(a: Demographics, b: Demographics) -> None:
    assert score(a, b).total == score(b, a).total


FIELDS = ("given", "family", "birth_date", "gender", "postcodes")
GRADE_ORDER = {None: 0, Grade.POSSIBLE: 1, Grade.PROBABLE: 2, Grade.CERTAIN: 3}


@given(demographics(), demographics(), st.sampled_from(FIELDS))
@settings(max_examples=300)
def test_adding_an_agreeing_field_never_lowers_the_score(
    q: Demographics, candidate: Demographics, field: str
) -> None:
    if not getattr(candidate, field):
        return
    empty: object = () if field in ("given", "postcodes") else None
    without = replace(q, **{field: empty})  # type: ignore[arg-type]
    with_field = replace(q, **{field: getattr(candidate, field)})
    assert score(with_field, candidate).total >= score(without, candidate).total


@given(demographics(), st.sampled_from(["9000000017", "9000000025"]))
@settings(max_examples=200)
def test_a_disagreeing_claimed_number_never_yields_certain(q: Demographics, claimed: str) -> None:
    candidate = spine_patient("9000000009").demographics
    assert graded_alone(replace(q, nhs_number=claimed), candidate) is not Grade.CERTAIN


def test_full_agreement_on_a_rare_name_is_certain() -> None:
    candidate = spine_patient("9000000009").demographics
    assert graded_alone(query(), candidate) is Grade.CERTAIN


def test_common_name_without_postcode_agreement_is_not_certain() -> None:
    candidate = spine_patient("9000000009", given="Oliver", family="Smith").demographics
    q = query(family="Smith", postcode="M1 1AA")
    assert graded_alone(q, candidate) is not Grade.CERTAIN


def test_frequency_matters() -> None:
    smith = spine_patient("9000000009", family="Smith").demographics
    rare = spine_patient("9000000009", family="Okonkwo").demographics
    assert score(query(family="Smith"), smith).total < score(query(), rare).total


def _twins(given_a: str = "Oliver", given_b: str = "Jack") -> list[SpinePatient]:
    return [
        spine_patient("9000000009", given=given_a, multiple_birth=None),
        spine_patient("9000000017", given=given_b, multiple_birth=None),
    ]


def _grade_all(
    q: Demographics, patients: list[SpinePatient], siblings_checked: bool = True
) -> list[GradedMatch]:
    candidates = [Candidate(p, score(q, p.demographics), frozenset({"exact"})) for p in patients]
    return grade(candidates, siblings_checked=siblings_checked)


def test_twins_with_missing_given_name_are_never_certain() -> None:
    graded = _grade_all(query(given=None), _twins())
    assert all(g.grade is not Grade.CERTAIN for g in graded)


def test_twins_with_misspelt_given_name_are_never_certain() -> None:
    for typo in ("Olivr", "Oliverr", "Olliver"):
        graded = _grade_all(query(given=typo), _twins())
        assert all(g.grade is not Grade.CERTAIN for g in graded), typo


def test_twins_with_exact_given_name_can_be_certain() -> None:
    graded = _grade_all(query(given="Oliver"), _twins())
    assert graded[0].grade is Grade.CERTAIN
    assert graded[0].candidate.nhs_number == "9000000009"


def test_misspelt_given_needs_the_sibling_search() -> None:
    only = [spine_patient("9000000009")]
    assert (
        _grade_all(query(given="Olivr"), only, siblings_checked=False)[0].grade is not Grade.CERTAIN
    )


def test_flagged_multiple_birth_needs_exact_given() -> None:
    patient = spine_patient("9000000009", multiple_birth=1)
    graded = _grade_all(query(given="Olivr"), [patient])
    assert "multiple-birth" in graded[0].not_certain_because


def test_restricted_record_has_no_postcode_to_disagree_with() -> None:
    restricted = spine_patient("9000000009", security="R")
    result = score(query(postcode="M1 1AA"), restricted.demographics)
    assert result.level("postcode") is Level.MISSING


def test_field_levels() -> None:
    base = spine_patient("9000000009", given="William").demographics
    assert score(query(given="Bill"), base).level("given") is Level.NICKNAME
    assert score(query(birth_date="2015-14-03"), base).level("birthDate") is Level.MISSING
    swapped = spine_patient("9000000009", birth_date="2015-04-03").demographics
    assert score(query(birth_date="2015-03-04"), swapped).level("birthDate") is Level.SWAPPED
    assert score(query(given="Okonkwo", family="William"), base).level("given") is Level.SWAPPED


def test_string_helpers() -> None:
    assert name_key("O'Brien-Smith") == "OBRIENSMITH"
    assert name_key("Zoë") == "ZOE"
    assert soundex("ROBERT") == soundex("RUPERT") == "R163"
    assert jaro_winkler("MARTHA", "MARHTA") > 0.95
    assert jaro_winkler("ABC", "XYZ") == 0.0
