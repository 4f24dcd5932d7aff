"""Who lives in a household: couples, single parents, children (twins, triplets,
step-family name changes, adoption), single adults and elderly couples."""

from datetime import timedelta
from typing import TYPE_CHECKING

from mock_spine.generator import people
from mock_spine.generator.model import Person

if TYPE_CHECKING:
    from mock_spine.generator.population import ChunkGenerator, Household


def _other_gender(gender: str) -> str:
    return "male" if gender == "female" else "female"


def _adult(
    gen: "ChunkGenerator", home: "Household", gender: str, min_age: float, max_age: float,
    family: str,
) -> Person:  # fmt: skip
    born = people.birth_date(gen.rng, min_age, max_age)
    return gen.person(home, gender, born, family, child=False)


def _married_name(gen: "ChunkGenerator", woman: Person, married: str) -> None:
    """Keep her birth surname as an old name, the married one as usual."""
    from mock_spine.generator import population

    if gen.rng.random() >= population.MAIDEN_NAME_RATE or woman.names[0]["family"] == married:
        return
    usual = woman.names[0]
    born = woman.birth_date or people.REFERENCE_DATE
    wedding = born + timedelta(days=gen.rng.randint(20 * 365, 35 * 365))
    wedding = min(wedding, people.REFERENCE_DATE - timedelta(days=30))
    old = people.human_name(
        list(usual["given"]), usual["family"], use="old", start=born, end=wedding
    )
    woman.names[0] = people.human_name(list(usual["given"]), married, start=wedding)
    woman.names.append(old)


def _children(
    gen: "ChunkGenerator", home: "Household", mother: Person | None, parents: list[Person],
    family: str, count: int,
) -> None:  # fmt: skip
    from mock_spine.generator import population

    rng = gen.rng
    mother_born = (mother or parents[0]).birth_date or people.REFERENCE_DATE
    oldest = min(17.9, max(0.0, people.age(mother_born) - 18))
    youngest = max(0.0, people.age(mother_born) - 45)
    if oldest <= youngest:
        return
    made = 0
    while made < count:
        born = people.birth_date(rng, youngest, oldest)
        draw = rng.random()
        multiple = 3 if draw < population.TRIPLET_RATE else 2 if draw < population.TWIN_RATE else 1
        for order in range(1, multiple + 1):
            gender = rng.choice(("female", "male"))
            child = gen.person(home, gender, born, family, child=True)
            if multiple > 1:
                child.multiple_birth = order
            for rank, parent in enumerate(parents, start=1):
                population.relate(child, parent, rank)
            if len(parents) == 2 and rng.random() < population.CHILD_NAME_CHANGE_RATE:
                _changed_surname(gen, child)
            if rng.random() < population.ADOPTED_RATE:
                gen.adopted(home, child)
        made += multiple


def _changed_surname(gen: "ChunkGenerator", child: Person) -> None:
    usual = child.names[0]
    born = child.birth_date or people.REFERENCE_DATE
    changed = born + timedelta(
        days=gen.rng.randint(100, max(101, (people.REFERENCE_DATE - born).days - 1))
    )
    earlier = people.pick(gen.rng, people.pick_group(gen.rng).surnames)
    child.names[0] = people.human_name(list(usual["given"]), usual["family"], start=changed)
    child.names.append(
        people.human_name(list(usual["given"]), earlier, use="old", start=born, end=changed)
    )


def fill_household(gen: "ChunkGenerator", home: "Household") -> None:
    from mock_spine.generator import population

    rng = gen.rng
    kind = rng.choices(population.KINDS, population.KIND_WEIGHTS)[0]
    surname = people.pick(rng, home.group.surnames)
    if kind in ("couple_children", "couple", "elderly_couple"):
        low, high = (66, 95) if kind == "elderly_couple" else (22, 60)
        first_gender = rng.choice(("female", "male"))
        first = _adult(gen, home, first_gender, low, high, surname)
        partner_family = people.pick(rng, home.group.surnames)
        second_gender = first_gender if rng.random() < 0.03 else _other_gender(first_gender)
        base_age = people.age(first.birth_date or people.REFERENCE_DATE)
        second = _adult(
            gen, home, second_gender, max(18, base_age - 5), base_age + 5, partner_family
        )
        for person in (first, second):
            if person.gender == "female" and person is second:
                _married_name(gen, person, surname)
        if kind == "couple_children":
            parents = [first, second]
            mother = next((p for p in parents if p.gender == "female"), None)
            family = surname
            if rng.random() < population.DOUBLE_BARREL_RATE and partner_family != surname:
                family = f"{surname}-{partner_family}"
            _children(
                gen, home, mother, parents, family, rng.choices((1, 2, 3, 4), (35, 40, 17, 8))[0]
            )
    elif kind == "single_parent":
        gender = "female" if rng.random() < 0.85 else "male"
        parent = _adult(gen, home, gender, 19, 55, surname)
        family = surname if rng.random() < 0.7 else people.pick(rng, home.group.surnames)
        mother = parent if gender == "female" else None
        _children(gen, home, mother, [parent], family, rng.choices((1, 2, 3), (50, 35, 15))[0])
    else:
        _adult(gen, home, rng.choice(("female", "male")), 18, 95, surname)
