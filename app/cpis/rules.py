"""CP-IS plan rules that need no database: when a plan is current, and when the LA's
demographics agree with the Spine (facts B4: exact match on given name, family name
and birth date, after normalising case, spaces and hyphens)."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.cpis.parsing import Demographics
from app.cpis.profile import ADULT_AGE_YEARS, FlagStatus, PlanType

_IGNORED = re.compile(r"[\s\-\u2010\u2011\u2012\u2013]+")


def adult_on(birth_date: date | None, plan_type: PlanType) -> date | None:
    """The 18th birthday, from which a child's plan is no longer current.

    A 29 February birthday is taken as 1 March in a common year, as English law does.
    """
    if birth_date is None or not plan_type.ends_at_eighteen:
        return None
    try:
        return birth_date.replace(year=birth_date.year + ADULT_AGE_YEARS)
    except ValueError:
        return date(birth_date.year + ADULT_AGE_YEARS, 3, 1)


def is_current(status: str, period_end: date | None, adult_from: date | None, today: date) -> bool:
    """Active, not past its end date (inclusive) and the child not yet 18."""
    if status != FlagStatus.ACTIVE:
        return False
    if period_end is not None and period_end < today:
        return False
    return adult_from is None or today < adult_from


def normalise_name(value: str | None) -> str:
    return _IGNORED.sub("", value or "").casefold()


@dataclass(frozen=True, slots=True)
class SpineDemographics:
    given: tuple[str, ...]
    family: str | None
    birth_date: str | None


def disagreeing_fields(supplied: Demographics, spine: SpineDemographics) -> list[str]:
    """The FHIRPaths of the supplied fields that do not match the Spine record exactly.

    The given name matches the Spine's first given name or all its given names together
    (LAs hold "Mary Ann" as one name or two); nothing else is fuzzy.
    """
    wrong = []
    given = normalise_name(supplied.given)
    spine_given = {normalise_name(spine.given[0] if spine.given else None)}
    spine_given.add(normalise_name("".join(spine.given)))
    if not given or given not in spine_given:
        wrong.append("Flag.contained.Patient.name.given")
    if not supplied.family or normalise_name(supplied.family) != normalise_name(spine.family):
        wrong.append("Flag.contained.Patient.name.family")
    if supplied.birth_date is None or supplied.birth_date.isoformat() != spine.birth_date:
        wrong.append("Flag.contained.Patient.birthDate")
    return wrong


_ENGLAND = ZoneInfo("Europe/London")


def england_today(now: datetime) -> date:
    """Plan dates are English calendar dates, whatever the server's time zone."""
    return now.astimezone(_ENGLAND).date()
