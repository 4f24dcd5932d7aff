"""The scoring model and grading rules, with Hypothesis properties."""

from dataclasses import replace
from datetime import date

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.trace.demographics import Demographics
from app.trace.grading import Candidate, Grade, GradedMatch, grade
from app.trace.names import are_nicknames
from app.trace.normalise import jaro_winkler, name_key, one_edit_apart, soundex
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
DATE_VALUES = ["2015-03-14", "2015-14-03", "2015-03-04", "2015-04-03", "2016-03-14", "2001-01-01"]
DATES = st.sampled_from([*DATE_VALUES, None])
# As if a family + birth-date search had listed everyone born on any of these days.
ALL_DATES = frozenset(DATE_VALUES)
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
    result = grade([candidate], sibling_dates=ALL_DATES)
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
    return grade(candidates, sibling_dates=ALL_DATES if siblings_checked else ())


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


def _osa_distance(a: str, b: str) -> int:
    """Reference optimal-string-alignment distance (Damerau), by dynamic programming."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


LETTERS = st.text(alphabet="ABEILNORST", max_size=7)


@given(LETTERS, LETTERS)
@settings(max_examples=500)
def test_one_edit_apart_is_osa_distance_one(a: str, b: str) -> None:
    assert one_edit_apart(a, b) == one_edit_apart(b, a) == (_osa_distance(a, b) == 1)


@st.composite
def slips(draw: st.DrawFn, name: str) -> str:
    """One keyboard slip, as an LA clerk makes them: a letter dropped, doubled, swapped
    with the next, or replaced."""
    i = draw(st.integers(0, len(name) - 1))
    kind = draw(st.sampled_from(["drop", "double", "swap", "replace"]))
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    if kind == "swap" and i + 1 < len(name):
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + draw(st.sampled_from("aeiourstnlm")) + name[i + 1 :]


TWIN_NAMES = ["Oliver", "Olivia", "Freddie", "Harry", "Henry", "Amelia", "Mohammed", "Jack"]


@st.composite
def twins_and_a_query_given(draw: st.DrawFn) -> tuple[str, str, str | None]:
    sought = draw(st.sampled_from(TWIN_NAMES))
    twin = draw(st.sampled_from([n for n in TWIN_NAMES if n != sought]))
    written = draw(st.none() | st.just(sought[0]) | slips(sought))
    return sought, twin, written


@given(twins_and_a_query_given(), st.booleans(), st.sampled_from([None, "LS1 6AE"]))
@settings(max_examples=400)
def test_twins_are_never_certain_on_a_misspelt_or_missing_given_name(
    names: tuple[str, str, str | None], same_gender: bool, postcode: str | None
) -> None:
    sought, twin, written = names
    keys = {name_key(sought), name_key(twin)}
    # A slip that happens to spell one twin's name (or a form of it) names that twin.
    assume(written is None or (name_key(written) not in keys and len(name_key(written)) > 0))
    assume(written is None or not any(are_nicknames(name_key(written), k) for k in keys))
    pair = [
        spine_patient("9000000009", given=sought),
        spine_patient("9000000017", given=twin, gender="male" if same_gender else "female"),
    ]
    graded = _grade_all(query(given=written, postcode=postcode), pair)
    assert all(g.grade is not Grade.CERTAIN for g in graded)


def test_misspelt_given_is_partial_agreement() -> None:
    base = spine_patient("9000000009", given="Freddie", family="Patel").demographics
    assert score(query(given="Fneddie", family="Patel"), base).level("given") is Level.FUZZY
    assert score(query(given="Freddie", family="Parel"), base).level("family") is Level.FUZZY
    henry = spine_patient("9000000009", given="Henry").demographics
    # "Hrary": Harry (a form of Henry) with two letters swapped.
    assert score(query(given="Hrary"), henry).level("given") is Level.FUZZY
    eva = spine_patient("9000000009", given="Eva").demographics
    assert score(query(given="Ava"), eva).level("given") is Level.DISAGREE


def test_misspelt_given_with_a_namesake_born_the_same_day_elsewhere_can_be_certain() -> None:
    child = spine_patient("9000000009", given="Freddie", family="Wright", postcode="HD1 4WX")
    namesake = spine_patient(
        "9000000017", given="Olivia", family="Wright", gender="female", postcode="SR1 8QT"
    )
    namesake.resource["address"][0]["line"] = ["9 Mill Lane"]
    q = query(given="Fneddie", family="Wright", postcode="HD1 4WX")
    graded = _grade_all(q, [child, namesake])
    assert graded[0].candidate.nhs_number == "9000000009"
    assert graded[0].grade is Grade.CERTAIN
    # A namesake whose address is withheld (restricted record) may be a twin at home.
    hidden = spine_patient("9000000017", given="Olivia", family="Wright", security="R")
    graded = _grade_all(q, [child, hidden])
    assert "sibling-same-birth-date" in graded[0].not_certain_because


def _born(years_ago: int) -> str:
    return date(date.today().year - years_ago, 6, 1).isoformat()


def test_missing_birth_date_is_certain_only_for_a_child_at_the_postcode() -> None:
    child = spine_patient("9000000009", birth_date=_born(6))
    assert _grade_all(query(birth_date=None), [child])[0].grade is Grade.CERTAIN
    moved = _grade_all(query(birth_date=None, postcode="M1 1AA"), [child])[0]
    assert "birth-date-missing" in moved.not_certain_because
    misspelt = _grade_all(query(birth_date=None, given="Olivr"), [child])[0]
    assert "birth-date-missing" in misspelt.not_certain_because
    # A father who shares his son's name and address is never the son.
    father = spine_patient("9000000009", birth_date=_born(40))
    adult = _grade_all(query(birth_date=None), [father])[0]
    assert "birth-date-missing" in adult.not_certain_because


def test_swapped_birth_date_with_misspelt_given_needs_the_postcode_and_the_sibling_search() -> None:
    child = spine_patient("9000000009", birth_date="2015-04-03")
    q = query(given="Olivr", birth_date="2015-03-04")
    candidate = Candidate(child, score(q, child.demographics), frozenset({"day-month-swapped"}))
    assert grade([candidate], sibling_dates={"2015-04-03"})[0].grade is Grade.CERTAIN
    # Only the LA's (swapped) date searched: a twin born on the true date would be unseen.
    unseen = grade([candidate], sibling_dates={"2015-03-04"})[0]
    assert "siblings-not-checked" in unseen.not_certain_because
    moved = replace(q, postcodes=("M1 1AA",))
    elsewhere = Candidate(child, score(moved, child.demographics), frozenset())
    blockers = grade([elsewhere], sibling_dates={"2015-04-03"})[0].not_certain_because
    assert "birth-date-swapped" in blockers


def test_the_house_adds_to_an_agreeing_postcode_and_a_moved_child_loses_more() -> None:
    child = spine_patient("9000000009").demographics  # 1 Road, LS1 6AE
    postcode_only = score(query(), child).fields["postcode"]
    with_house = score(replace(query(), address_lines=("1 Road",)), child).fields["postcode"]
    assert with_house.level is postcode_only.level is Level.EXACT
    assert with_house.weight > postcode_only.weight
    moved = score(query(postcode="M1 1AA"), child).fields["postcode"]
    assert moved.level is Level.DISAGREE
    assert moved.weight <= -4.0
