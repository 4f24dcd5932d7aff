"""The errors an LA case record carries, applied to one child's true data.

Rates are per row (each error drawn independently, where the child's data
allows it), chosen from what data-quality reviews of children's social care
records report: nicknames, typos, surnames that changed, stale addresses,
American-style dates, blank fields, and NHS numbers that are missing or stale.
"""

import random
import unicodedata
from datetime import date, timedelta
from typing import Any

from mock_spine.generator import people, places
from mock_spine.generator.model import Person
from mock_spine.generator.names import NICKNAMES

ERROR_RATES = {
    "absent_from_spine": 0.08,
    "duplicate_row": 0.05,
    "nickname": 0.15,
    "forename_typo": 0.07,
    "surname_typo": 0.08,
    "middle_name_as_forename": 0.02,
    "old_surname": 0.5,  # of children whose surname changed
    "one_half_of_double_barrel": 0.4,  # of hyphenated surnames
    "accents_dropped": 0.6,  # of names with diacritics
    "old_address": 0.5,  # of children who moved
    "postcode_typo": 0.04,
    "missing_postcode": 0.08,
    "day_month_transposed": 0.06,  # of dates with day <= 12
    "birth_date_off_by_one": 0.02,
    "missing_birth_date": 0.03,
    "missing_gender": 0.06,
    "nhs_number_present": 0.35,
    "nhs_number_typo": 0.05,  # of present NHS numbers
}


def _ascii(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.replace("ł", "l").replace("Ł", "L"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _names(rng: random.Random, child: Person, errors: list[str]) -> tuple[str, str, str]:
    usual = child.usual_name or child.names[0]
    given: list[str] = list(usual["given"])
    forename, middle, surname = given[0], " ".join(given[1:]), str(usual["family"])
    old = [n for n in child.names if n["use"] == "old"]
    if old and rng.random() < ERROR_RATES["old_surname"]:
        surname = old[0]["family"]
        errors.append("old_surname")
    elif "-" in surname and rng.random() < ERROR_RATES["one_half_of_double_barrel"]:
        surname = rng.choice(surname.split("-"))
        errors.append("one_half_of_double_barrel")
    nicknames = NICKNAMES.get(forename)
    if nicknames and rng.random() < ERROR_RATES["nickname"] * 2:
        forename = rng.choice(nicknames)
        errors.append("nickname")
    elif middle and rng.random() < ERROR_RATES["middle_name_as_forename"] * 3:
        forename, middle = middle.split(" ")[0], forename
        errors.append("middle_name_as_forename")
    if rng.random() < ERROR_RATES["forename_typo"]:
        forename = people.typo(rng, forename)
        errors.append("forename_typo")
    if rng.random() < ERROR_RATES["surname_typo"]:
        surname = people.typo(rng, surname)
        errors.append("surname_typo")
    if (
        _ascii(forename + surname) != forename + surname
        and rng.random() < ERROR_RATES["accents_dropped"]
    ):
        forename, surname = _ascii(forename), _ascii(surname)
        errors.append("accents_dropped")
    return forename, middle, surname


def _birth_date(rng: random.Random, born: date | None, errors: list[str]) -> str:
    if born is None or rng.random() < ERROR_RATES["missing_birth_date"]:
        errors.append("missing_birth_date")
        return ""
    if (
        born.day <= 12
        and born.day != born.month
        and rng.random() < ERROR_RATES["day_month_transposed"] * 2
    ):
        born = born.replace(month=born.day, day=born.month)
        errors.append("day_month_transposed")
    elif rng.random() < ERROR_RATES["birth_date_off_by_one"]:
        born += timedelta(days=rng.choice((-1, 1)))
        errors.append("birth_date_off_by_one")
    return f"{born:%d/%m/%Y}"


def _address(rng: random.Random, child: Person, errors: list[str]) -> tuple[str, str, str, str]:
    addresses = child.addresses or [{}]
    address: dict[str, Any] = addresses[0]
    if len(addresses) > 1 and rng.random() < ERROR_RATES["old_address"]:
        address = addresses[-1]
        errors.append("old_address")
    lines = [*list(address.get("line", [])), "", "", ""]
    town = lines[-4] if len(lines) > 3 and lines[-4] else ""
    postcode = str(address.get("postalCode", ""))
    if postcode and rng.random() < ERROR_RATES["missing_postcode"]:
        postcode = ""
        errors.append("missing_postcode")
    elif (
        postcode
        and postcode != places.NO_FIXED_ABODE
        and rng.random() < ERROR_RATES["postcode_typo"]
    ):
        postcode = postcode[:-2] + rng.choice(places.INWARD_LETTERS) + postcode[-1]
        errors.append("postcode_typo")
    street = lines[:-4] if len(lines) > 4 else lines[:1]
    return street[0], street[1] if len(street) > 1 else "", town, postcode


def _nhs_number(rng: random.Random, number: str, errors: list[str]) -> str:
    if not number or rng.random() >= ERROR_RATES["nhs_number_present"]:
        return ""
    if rng.random() < ERROR_RATES["nhs_number_typo"]:
        i = rng.randrange(10)
        errors.append("nhs_number_typo")
        return number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
    return number


def apply_errors(rng: random.Random, child: Person) -> tuple[dict[str, str], tuple[str, ...]]:
    errors: list[str] = []
    forename, middle, surname = _names(rng, child, errors)
    date_of_birth = _birth_date(rng, child.birth_date, errors)
    gender = {"female": "F", "male": "M"}.get(child.gender or "", "U")
    if rng.random() < ERROR_RATES["missing_gender"]:
        gender = ""
        errors.append("missing_gender")
    line_1, line_2, town, postcode = _address(rng, child, errors)
    fields = {
        "forename": forename, "middle_names": middle, "surname": surname,
        "date_of_birth": date_of_birth, "gender": gender, "address_line_1": line_1,
        "address_line_2": line_2, "town": town, "postcode": postcode,
        "nhs_number": _nhs_number(rng, child.nhs_number, errors),
    }  # fmt: skip
    return fields, tuple(errors)
