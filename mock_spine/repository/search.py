"""The search queries: exact (non-fuzzy) matching and fuzzy candidate evidence.

SQL is built per combination of supplied parameters (asyncpg prepares and caches
each shape). Wildcards become an index range on the prefix plus LIKE, so a
generic plan still uses the (family, birth_date) index.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mock_spine.search.params import SearchQuery, Text

ROW_LIMIT = 1000
# Everything PatientRow needs, so results render without a second round trip.
PATIENT = [
    "p.status", "p.superseded_by", "p.security", "p.version_id", "p.gender", "p.death_date",
    "p.death_notification", "p.multiple_birth", "p.gp_ods", "p.record",
]  # fmt: skip


@dataclass
class _Sql:
    args: list[object] = field(default_factory=list)
    where: list[str] = field(default_factory=list)

    def arg(self, value: object) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def _upper_bound(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _text_condition(sql: _Sql, column: str, text: Text) -> str:
    if text.pattern is None:
        return f"{column} = {sql.arg(text.value)}"
    prefix = text.prefix or ""
    return (
        f"{column} ~>=~ {sql.arg(prefix)} AND {column} ~<~ {sql.arg(_upper_bound(prefix))} "
        f"AND {column} LIKE {sql.arg(text.pattern)}"
    )


def _telecom_filters(sql: _Sql, query: SearchQuery, *, history: bool) -> list[str]:
    """Phone and email only ever match exactly; current data unless history is searched."""
    selects = []
    for system, value in (("email", query.email), ("phone", query.phone)):
        if value is None:
            continue
        match = (
            f"FROM search_telecom t WHERE t.nhs_number = n.nhs_number "
            f"AND t.system = '{system}' AND t.value = {sql.arg(value)}"
        )
        sql.where.append(f"EXISTS (SELECT 1 {match}{'' if history else ' AND t.current'})")
        selects.append(f"(SELECT bool_or(t.current) {match}) AS {system}_current")
    return selects


def _common(sql: _Sql, query: SearchQuery) -> None:
    sql.where.append("p.status <> 'invalidated'")
    if query.location_search:
        sql.where.append("p.security = 'U'")


def exact_sql(query: SearchQuery) -> tuple[str, list[object]]:
    if query.family is None:
        raise ValueError("a non-fuzzy search always has a family name")
    sql = _Sql()
    selects = ["n.nhs_number", "n.use", "n.current", "n.birth_date", *PATIENT]
    sql.where.append(_text_condition(sql, "n.family", query.family))
    sql.where.append(
        f"n.birth_date BETWEEN {sql.arg(query.birth.low)} AND {sql.arg(query.birth.high)}"
    )
    if not query.history:
        sql.where.append("n.current")
    if query.given is not None:
        sql.where.append(_text_condition(sql, "n.given", query.given))
    for more in query.given_more:
        sql.where.append(
            f"(' ' || coalesce(n.given_rest, '') || ' ') LIKE {sql.arg(f'% {more} %')}"
        )
    _common(sql, query)
    if query.gender is not None:
        sql.where.append(f"p.gender = {sql.arg(query.gender)}")
    if query.death is not None:
        sql.where.append(
            f"p.death_date BETWEEN {sql.arg(query.death.low)} AND {sql.arg(query.death.high)}"
        )
    if query.gp is not None:
        sql.where.append(f"upper(p.gp_ods) = {sql.arg(query.gp)}")
    if query.postcode is not None:
        condition = _text_condition(sql, "a.postcode", query.postcode)
        match = f"FROM search_address a WHERE a.nhs_number = n.nhs_number AND {condition}"
        current = "" if query.history else " AND a.current"
        sql.where.append(f"EXISTS (SELECT 1 {match}{current})")
        selects.append(f"(SELECT bool_or(a.current) {match}) AS postcode_current")
    selects += _telecom_filters(sql, query, history=query.history)
    text = (
        f"SELECT {', '.join(selects)} FROM search_name n "
        f"JOIN patient p ON p.nhs_number = n.nhs_number "
        f"WHERE {' AND '.join(sql.where)} LIMIT {ROW_LIMIT}"
    )
    return text, sql.args


def _name_evidence(column: str, param: str, label: str) -> str:
    return (
        f"similarity({column}, {param}) AS {label}_trgm, "
        f"soundex({column}) = soundex({param}) AS {label}_sdx, "
        f"(dmetaphone({column}) = dmetaphone({param}) "
        f"OR dmetaphone_alt({column}) = dmetaphone_alt({param})) AS {label}_dmeta, "
        f"daitch_mokotoff({column}) && daitch_mokotoff({param}) AS {label}_dm"
    )


def fuzzy_sql(query: SearchQuery, dates: list[date]) -> tuple[str, list[object]]:
    """Candidates born on the date (or its day/month swap, or in the range), with evidence."""
    sql = _Sql()
    family = sql.arg(query.family.value if query.family else None) + "::text"
    given = sql.arg(query.given.value if query.given else None) + "::text"
    selects = [
        "n.nhs_number", "n.use", "n.current", "n.family", "n.given", "n.birth_date", *PATIENT,
        _name_evidence("n.family", family, "ff"),
        _name_evidence("n.given", given, "gg"),
        _name_evidence("n.family", given, "fg"),
        _name_evidence("n.given", family, "gf"),
        "ARRAY(SELECT a.postcode FROM search_address a WHERE a.nhs_number = n.nhs_number)"
        " AS postcodes",
    ]  # fmt: skip
    if query.birth.exact is not None:
        sql.where.append(f"n.birth_date = ANY({sql.arg(dates)}::date[])")
    else:
        sql.where.append(
            f"n.birth_date BETWEEN {sql.arg(query.birth.low)} AND {sql.arg(query.birth.high)}"
        )
    _common(sql, query)
    _telecom_filters(sql, query, history=True)
    text = (
        f"SELECT {', '.join(selects)} FROM search_name n "
        f"JOIN patient p ON p.nhs_number = n.nhs_number "
        f"WHERE {' AND '.join(sql.where)} LIMIT {ROW_LIMIT * 5}"
    )
    return text, sql.args


async def run(connection: Any, sql: tuple[str, list[object]]) -> list[Any]:
    rows: list[Any] = await connection.fetch(sql[0], *sql[1])
    return rows
