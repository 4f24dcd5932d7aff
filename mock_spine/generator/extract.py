"""An LA case-management extract of children, with the errors real records carry,
and a truth file mapping each row to the child's true NHS number (or none).

Rows come from the population a seed and size generate (so they line up with a
Spine seeded the same way). Error rates are per row and listed in ERROR_RATES;
`naive_exact_match_rate` measures how often an exact (forename, surname, date of
birth) look-up would find the right child — well under 80% by design.

CSV columns (`la_extract.csv`): record_id, forename, middle_names, surname,
date_of_birth (dd/mm/yyyy, may be blank), gender (M/F/U or blank), address_line_1,
address_line_2, town, postcode (may be blank), nhs_number (often blank; may be
stale or mistyped). Truth (`la_extract_truth.csv`): record_id, nhs_number (blank
when the child is not on the Spine), errors (semicolon-separated tags).
"""

import csv
import random
from dataclasses import astuple, dataclass, fields
from datetime import date
from pathlib import Path

from mock_spine.generator import people, places
from mock_spine.generator.extract_errors import ERROR_RATES, apply_errors
from mock_spine.generator.model import Person
from mock_spine.generator.population import generate_population

ABSENT_RATE = ERROR_RATES["absent_from_spine"]
DUPLICATE_RATE = ERROR_RATES["duplicate_row"]


@dataclass(frozen=True, slots=True)
class ExtractRow:
    record_id: str
    forename: str
    middle_names: str
    surname: str
    date_of_birth: str
    gender: str
    address_line_1: str
    address_line_2: str
    town: str
    postcode: str
    nhs_number: str


@dataclass(frozen=True, slots=True)
class Truth:
    record_id: str
    nhs_number: str | None
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Extract:
    rows: list[ExtractRow]
    truth: list[Truth]


def children_of(seed: int, size: int) -> list[Person]:
    return [
        person
        for chunk in generate_population(seed, size)
        for person in chunk
        if person.status == "active"
        and person.death_date is None
        and person.birth_date is not None
        and people.age(person.birth_date) < 18
    ]


def _invented_child(rng: random.Random) -> Person:
    """A child the Spine has never heard of (arrived from abroad, never registered)."""
    group = people.pick_group(rng)
    gender = rng.choice(("female", "male"))
    born = people.birth_date(rng, 0, 17.9)
    family = people.pick(rng, group.surnames)
    outward, town = places.OUTWARDS[rng.randrange(len(places.OUTWARDS))]
    address = {
        "use": "home",
        "line": places.address_lines(rng, town),
        "postalCode": places.postcode(rng, outward),
        "period": {"start": "2024-01-01"},
    }
    return Person(
        nhs_number="",
        gender=gender,
        birth_date=born,
        names=people.names_for(rng, group, gender, born, family, child=True),
        addresses=[address],
    )


def generate_extract(children: int, seed: int, size: int = 10_000) -> Extract:
    """`children` distinct children (some absent from the Spine), plus duplicate rows."""
    rng = random.Random(f"extract:{seed}:{size}")
    pool = children_of(seed, size)
    absent = round(children * ABSENT_RATE)
    chosen: list[Person] = rng.sample(pool, min(children - absent, len(pool)))
    chosen += [_invented_child(rng) for _ in range(absent)]
    rng.shuffle(chosen)
    chosen += [rng.choice(chosen) for _ in range(round(len(chosen) * DUPLICATE_RATE))]
    rows, truth = [], []
    for index, child in enumerate(chosen, start=1):
        record_id = f"LA{seed % 1000:03d}-{index:06d}"
        fields_, errors = apply_errors(rng, child)
        if not child.nhs_number:
            errors = ("absent_from_spine", *errors)
        rows.append(ExtractRow(record_id, **fields_))
        truth.append(Truth(record_id, child.nhs_number or None, errors))
    return Extract(rows, truth)


def write_extract(extract: Extract, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows_path, truth_path = out_dir / "la_extract.csv", out_dir / "la_extract_truth.csv"
    with rows_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f.name for f in fields(ExtractRow)])
        writer.writerows(astuple(row) for row in extract.rows)
    with truth_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "nhs_number", "errors"])
        writer.writerows(
            (t.record_id, t.nhs_number or "", ";".join(t.errors)) for t in extract.truth
        )
    return rows_path, truth_path


def read_extract(out_dir: Path) -> Extract:
    with (out_dir / "la_extract.csv").open(newline="", encoding="utf-8") as handle:
        rows = [ExtractRow(**row) for row in csv.DictReader(handle)]
    with (out_dir / "la_extract_truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = [
            Truth(row["record_id"], row["nhs_number"] or None,
                  tuple(filter(None, row["errors"].split(";"))))
            for row in csv.DictReader(handle)
        ]  # fmt: skip
    return Extract(rows, truth)


def _parse_date(value: str) -> date | None:
    try:
        day, month, year = (int(part) for part in value.split("/"))
        return date(year, month, day)
    except ValueError:
        return None


def naive_exact_match_rate(extract: Extract, seed: int, size: int = 10_000) -> float:
    """Share of rows an exact (forename, surname, birth date) look-up resolves correctly."""
    index: dict[tuple[str, str, date], set[str]] = {}
    for chunk in generate_population(seed, size):
        for person in chunk:
            usual = person.usual_name
            if person.status != "active" or usual is None or person.birth_date is None:
                continue
            key = (usual["given"][0].upper(), usual["family"].upper(), person.birth_date)
            index.setdefault(key, set()).add(person.nhs_number)
    correct = 0
    for row, truth in zip(extract.rows, extract.truth, strict=True):
        born = _parse_date(row.date_of_birth)
        found = index.get((row.forename.upper(), row.surname.upper(), born)) if born else None
        predicted = next(iter(found)) if found and len(found) == 1 else None
        correct += predicted is not None and predicted == truth.nhs_number
    return correct / len(extract.rows) if extract.rows else 0.0
