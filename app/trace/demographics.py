"""The demographic facts a trace compares, read from a FHIR R4 Patient (PDS shape, spec A4).

Values are kept as given; normalisation for comparison lives in `matching.normalise`.
"""

from dataclasses import dataclass
from typing import Any

from cci_common.identifiers import nhs_number

_CURRENT_NAME_USES = frozenset({"usual", "official", None})
_PREVIOUS_NAME_USES = frozenset({"old", "maiden"})


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(v.strip() for v in values if isinstance(v, str) and v.strip())


def _given_names(name: dict[str, Any]) -> tuple[str, ...]:
    # PDS allows a compound first given ("John Paul"); split so each part compares alone.
    return tuple(part for given in _strings(name.get("given")) for part in given.split())


@dataclass(frozen=True, slots=True)
class Demographics:
    given: tuple[str, ...] = ()
    family: str | None = None
    other_given: tuple[tuple[str, ...], ...] = ()
    previous_families: tuple[str, ...] = ()
    birth_date: str | None = None
    gender: str | None = None
    postcodes: tuple[str, ...] = ()
    address_lines: tuple[str, ...] = ()  # the first line of each address, same order
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    nhs_number: str | None = None

    @classmethod
    def from_patient(cls, resource: dict[str, Any]) -> "Demographics":
        names = [n for n in resource.get("name") or [] if isinstance(n, dict)]
        current = next((n for n in names if n.get("use") in _CURRENT_NAME_USES), None)
        others = [n for n in names if n is not current]
        family = current.get("family") if current else None
        telecom = [t for t in resource.get("telecom") or [] if isinstance(t, dict)]
        addresses = [a for a in resource.get("address") or [] if isinstance(a, dict)]
        # Home addresses first: a postcode agreement on the current home means most.
        addresses.sort(key=lambda a: 0 if a.get("use") in (None, "home") else 1)
        return cls(
            given=_given_names(current) if current else (),
            family=family.strip() if isinstance(family, str) and family.strip() else None,
            other_given=tuple(g for n in others if (g := _given_names(n))),
            previous_families=tuple(
                n["family"].strip()
                for n in others
                if n.get("use") in _PREVIOUS_NAME_USES and isinstance(n.get("family"), str)
            ),
            birth_date=_string(resource.get("birthDate")),
            gender=_string(resource.get("gender")),
            postcodes=tuple(
                p for a in addresses if (p := _string(a.get("postalCode"))) is not None
            ),
            address_lines=tuple(line for a in addresses if (line := _first_line(a)) is not None),
            phones=tuple(v for t in telecom if t.get("system") == "phone" if (v := _value(t))),
            emails=tuple(v for t in telecom if t.get("system") == "email" if (v := _value(t))),
            nhs_number=nhs_number_of(resource),
        )


def _string(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _first_line(address: dict[str, Any]) -> str | None:
    lines = address.get("line")
    return _string(lines[0]) if isinstance(lines, list) and lines else None


def _value(element: dict[str, Any]) -> str | None:
    return _string(element.get("value"))


def nhs_number_of(resource: dict[str, Any]) -> str | None:
    """The NHS number identifier's value as given (not validated), else None."""
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("system") == nhs_number.SYSTEM:
            return _string(identifier.get("value"))
    return None
