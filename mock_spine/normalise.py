"""How names, postcodes and telecoms are compared: case-, accent- and space-insensitive.

The same functions build the search tables and normalise query values, so a
stored `Kociński` and a searched `KOCINSKI` meet as `KOCINSKI`.
"""

import re
import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose into a base letter plus a combining mark.
_FOLD = str.maketrans(
    {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE",
     "æ": "ae", "Œ": "OE", "œ": "oe", "\u2019": "'", "\u2018": "'"}
)  # fmt: skip
_SPACES = re.compile(r"\s+")


def name(value: str | None) -> str | None:
    return None if value is None else _name(value)


@lru_cache(maxsize=65_536)  # names repeat heavily; seeding a million people leans on this
def _name(value: str) -> str | None:
    decomposed = unicodedata.normalize("NFKD", value.translate(_FOLD))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = _SPACES.sub(" ", stripped).strip().upper()
    return cleaned or None


def postcode(value: str) -> str:
    return value.replace(" ", "").upper()


def phone(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() or ch == "+")


def email(value: str) -> str:
    return value.strip().lower()


def telecom(system: str, value: str) -> str:
    return email(value) if system == "email" else phone(value)
