"""The synthetic population: deterministic per seed, realistic, with its hard cases at
their documented rates, and never colliding with the sandbox patients' searches."""

from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cci_common.identifiers.nhs_number import is_valid
from mock_spine import normalise
from mock_spine.generator import people
from mock_spine.generator.model import Person
from mock_spine.generator.numbers import NumberAllocator
from mock_spine.generator.population import generate_chunk, generate_population
from mock_spine.generator.sandbox import RESERVED_BIRTH_DATES, SANDBOX_NUMBERS

SIZE = 20_000


@pytest.fixture(scope="module")
def population() -> list[Person]:
    return [person for chunk in generate_population(7, SIZE) for person in chunk]


def fingerprint(persons: list[Person]) -> list[tuple[object, ...]]:
    return [(p.nhs_number, p.birth_date, p.status, str(p.names), str(p.addresses)) for p in persons]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31), chunk=st.integers(min_value=0, max_value=30))
def test_generation_is_deterministic(seed: int, chunk: int) -> None:
    first = generate_chunk(seed, chunk, 60)
    assert fingerprint(first) == fingerprint(generate_chunk(seed, chunk, 60))
    assert fingerprint(first) != fingerprint(generate_chunk(seed + 1, chunk, 60))


@settings(max_examples=30, deadline=None)
@given(chunk=st.integers(min_value=0, max_value=200))
def test_numbers_are_valid_distinct_and_never_sandbox(chunk: int) -> None:
    allocator = NumberAllocator(chunk)
    numbers = [allocator.next() for _ in range(500)]
    assert len(set(numbers)) == 500
    assert all(is_valid(n) and n.startswith("99") for n in numbers)
    assert not set(numbers) & SANDBOX_NUMBERS
    other = NumberAllocator(chunk + 1)
    assert not set(numbers) & {other.next() for _ in range(500)}


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_name_normalisation_is_idempotent(value: str) -> None:
    once = normalise.name(value)
    assert normalise.name(once) == once


def rate(count: int, total: int) -> float:
    return count / total


def test_population_shape(population: list[Person]) -> None:
    active = [p for p in population if p.status == "active"]
    assert len(active) >= SIZE
    assert len({p.nhs_number for p in population}) == len(population)
    children = [p for p in active if p.birth_date and people.age(p.birth_date) < 18]
    assert 0.15 < rate(len(children), len(active)) < 0.35
    assert all(p.birth_date not in RESERVED_BIRTH_DATES for p in population)
    statuses = Counter(p.status for p in population)
    assert 0.003 < rate(statuses["superseded"], len(active)) < 0.01
    assert statuses["invalidated"] > 0  # adopted children's birth records
    restricted = sum(p.security != "U" for p in active)
    assert 0.003 < rate(restricted, len(active)) < 0.008
    assert any(p.death_date for p in active)
    twins = Counter(p.multiple_birth for p in active if p.multiple_birth)
    assert twins[1] > 0
    assert twins[2] > 0
    assert sum(p.gp_ods is not None for p in active) > 0.9 * len(active)


def test_names_are_realistic(population: list[Person]) -> None:
    families = [n["family"] for p in population for n in p.names]
    givens = [n["given"][0] for p in population for n in p.names]
    assert Counter(families).most_common(1)[0][0] == "Smith"
    assert any("-" in f for f in families)
    assert any("'" in f for f in families)
    assert any(normalise.name(f) != f.upper() for f in families + givens)  # diacritics
    assert any(f in {"Khan", "Patel", "Nowak", "Okafor", "Nguyen"} for f in families)
    uses = Counter(n["use"] for p in population for n in p.names)
    assert uses["nickname"] > 0
    assert uses["old"] > 0


def test_households_and_addresses(population: list[Person]) -> None:
    households = Counter(p.household_id for p in population if p.status == "active")
    assert max(households.values()) >= 4
    postcodes = [a.get("postalCode") for p in population for a in p.addresses]
    assert None in postcodes
    assert "ZZ99 3VZ" in postcodes
    assert any(a["period"].get("end") for p in population for a in p.addresses)
    child = next(p for p in population if p.related)
    assert {r.related_nhs_number for r in child.related} <= {
        p.nhs_number for p in population if p.household_id == child.household_id
    }


def test_reserved_dates_are_avoided() -> None:
    import random

    rng = random.Random(1)
    assert all(people.birth_date(rng, 0, 100) not in RESERVED_BIRTH_DATES for _ in range(20_000))
    assert date(2010, 10, 22) in RESERVED_BIRTH_DATES
