"""Households of synthetic people, generated in independent, deterministic chunks.

A chunk is a run of households from `Random(f"{seed}:{chunk}")` with its own
slice of NHS numbers, so the same seed and size always give the same people,
and chunks can be generated in any order or in parallel.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from mock_spine.generator import people, places
from mock_spine.generator.households import fill_household
from mock_spine.generator.model import Person, Related
from mock_spine.generator.names import NameGroup
from mock_spine.generator.numbers import NumberAllocator

CHUNK_PEOPLE = 20_000
KINDS = ("couple_children", "single_parent", "couple", "single", "elderly_couple")
KIND_WEIGHTS = (30, 12, 22, 28, 8)
TWIN_RATE = 0.016  # per birth
TRIPLET_RATE = 0.0002
MOVED_RATE = 0.25  # households with a previous address
NO_POSTCODE_RATE = 0.005
NO_FIXED_ABODE_RATE = 0.002
MAIDEN_NAME_RATE = 0.6  # of women in couples
DOUBLE_BARREL_RATE = 0.06  # of couples' children
CHILD_NAME_CHANGE_RATE = 0.03
MERGED_DUPLICATE_RATE = 0.006
ADOPTED_RATE = 0.003  # of children
ROLE_CODES = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


@dataclass
class Household:
    id: int
    group: NameGroup
    area: int
    outward: str
    town: str
    addresses: list[dict[str, Any]]
    gp: str | None
    members: list[Person] = field(default_factory=list)
    extras: list[Person] = field(default_factory=list)  # superseded and invalidated records


class ChunkGenerator:
    def __init__(self, seed: int, chunk: int) -> None:
        self.rng = random.Random(f"{seed}:{chunk}")
        self.numbers = NumberAllocator(chunk)
        self.chunk = chunk
        self.households = 0

    def _address(self, outward: str, town: str, start: date, end: date | None) -> dict[str, Any]:
        rng = self.rng
        period = {"start": start.isoformat()} | ({"end": end.isoformat()} if end else {})
        address: dict[str, Any] = {"id": f"A{start:%y%m}", "period": period, "use": "home"}
        if end is None and rng.random() < NO_FIXED_ABODE_RATE:
            return address | {"line": ["No fixed abode"], "postalCode": places.NO_FIXED_ABODE}
        address["line"] = places.address_lines(rng, town)
        if end is not None or rng.random() >= NO_POSTCODE_RATE:
            address["postalCode"] = places.postcode(rng, outward)
        return address

    def household(self) -> Household:
        rng = self.rng
        area = rng.randrange(len(places.OUTWARDS))
        outward, town = places.OUTWARDS[area]
        moved_in = people.REFERENCE_DATE - timedelta(days=rng.randint(30, 15 * 365))
        addresses = [self._address(outward, town, moved_in, None)]
        if rng.random() < MOVED_RATE:
            before = rng.randrange(len(places.OUTWARDS)) if rng.random() < 0.4 else area
            old_outward, old_town = places.OUTWARDS[before]
            old_start = moved_in - timedelta(days=rng.randint(365, 10 * 365))
            addresses.append(self._address(old_outward, old_town, old_start, moved_in))
        self.households += 1
        return Household(
            id=self.chunk * 1_000_000 + self.households,
            group=people.pick_group(rng),
            area=area,
            outward=outward,
            town=town,
            addresses=addresses,
            gp=places.gp_practice(rng, area) if rng.random() < people.GP_RATE else None,
        )

    def person(
        self, home: Household, gender: str, born: date, family: str, *, child: bool
    ) -> Person:
        rng = self.rng
        names = people.names_for(rng, home.group, gender, born, family, child)
        usual = names[0]
        lived_at = [a for a in home.addresses if a["period"].get("end", "9999") > born.isoformat()]
        person = Person(
            nhs_number=self.numbers.next(),
            gender="unknown" if rng.random() < people.UNKNOWN_GENDER_RATE else gender,
            birth_date=born,
            names=names,
            addresses=lived_at,  # shared within the household; writers copy before changing
            telecom=people.telecoms(rng, usual["given"][0], family, people.age(born)),
            security=people.security(rng),
            gp_ods=home.gp,
            gp_start=home.addresses[0]["period"]["start"] if home.gp else None,
            household_id=home.id,
        )
        died = people.death(rng, born)
        if died:
            person.death_date, person.death_notification = died
        home.members.append(person)
        if rng.random() < MERGED_DUPLICATE_RATE:
            home.extras.append(self.duplicate(person))
        return person

    def duplicate(self, person: Person) -> Person:
        """An earlier registration of the same person, since merged into `person`."""
        rng = self.rng
        usual = person.names[0]
        given = list(usual["given"])
        if rng.random() < 0.5:
            given[0] = people.typo(rng, given[0])
        born = person.birth_date
        if born and born.day <= 12 and rng.random() < 0.2:
            born = born.replace(month=born.day, day=born.month)
        name = people.human_name(given, usual["family"], start=born or people.REFERENCE_DATE)
        return Person(
            nhs_number=self.numbers.next(),
            gender=person.gender,
            birth_date=born,
            names=[name],
            addresses=[dict(a) for a in person.addresses[-1:]],
            status="superseded",
            superseded_by=person.nhs_number,
        )

    def adopted(self, home: Household, child: Person) -> None:
        """The child's birth record: a different surname and address, invalidated, unlinked."""
        rng = self.rng
        birth_family = people.pick(rng, people.pick_group(rng).surnames)
        usual = child.names[0]
        outward, town = places.OUTWARDS[rng.randrange(len(places.OUTWARDS))]
        born = child.birth_date or people.REFERENCE_DATE
        home.extras.append(
            Person(
                nhs_number=self.numbers.next(),
                gender=child.gender,
                birth_date=child.birth_date,
                names=[people.human_name(list(usual["given"]), birth_family, start=born)],
                addresses=[self._address(outward, town, born, None)],
                status="invalidated",
            )
        )


def _relationship(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": ROLE_CODES, "code": code, "display": display}]}]


# Shared, never mutated: a million children reuse these two structures.
MOTHER, FATHER = _relationship("MTH", "mother"), _relationship("FTH", "father")


def relate(child: Person, parent: Person, rank: int) -> None:
    usual = parent.names[0]
    child.related.append(
        Related(
            id=f"R{child.nhs_number}{rank}",
            related_nhs_number=parent.nhs_number,
            rank=rank,
            record={
                "period": {"start": (child.birth_date or people.REFERENCE_DATE).isoformat()},
                "name": [{"use": "usual", "given": usual["given"][:1], "family": usual["family"]}],
                "relationship": MOTHER if parent.gender == "female" else FATHER,
            },
        )
    )


def generate_chunk(seed: int, chunk: int, target: int) -> list[Person]:
    generator = ChunkGenerator(seed, chunk)
    out: list[Person] = []
    active = 0
    while active < target:
        home = generator.household()
        fill_household(generator, home)
        out.extend(home.members)
        out.extend(home.extras)
        active += len(home.members)
    return out


def generate_population(seed: int, size: int) -> Iterator[list[Person]]:
    """The population in chunks of about CHUNK_PEOPLE active people."""
    chunk = 0
    remaining = size
    while remaining > 0:
        target = min(CHUNK_PEOPLE, remaining)
        yield generate_chunk(seed, chunk, target)
        remaining -= target
        chunk += 1
