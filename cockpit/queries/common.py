"""The one helper dialect every query module uses, and what each page needs produced."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd


def clean(value):
    """JSON-safe Python value of a fetched cell: NaN → None, dates → ISO dates, lists cleaned."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    return value


def fetch_records(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> list[dict]:
    """Rows as JSON-ready dicts, straight from fetchall() (no pandas)."""
    cur = con.execute(sql, params or [])
    rows = cur.fetchall()
    names = [d[0] for d in cur.description]
    return [{k: clean(v) for k, v in zip(names, row, strict=True)} for row in rows]


def need(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    from cockpit.errors import NoDataError

    missing = missing_tables(con, names)
    if missing:
        raise NoDataError(f"Scores are missing (no table {', '.join(missing)})")


def fetch_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def fetch_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    # fetchall, never fetchone: DuckDB 2 refuses new work on a cursor with an unfinished result.
    return con.execute(sql, params or []).fetchall()


def exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        fetch_rows(
            con,
            "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database() "
            "UNION ALL SELECT 1 FROM duckdb_views() WHERE view_name = ? "
            "AND database_name IN (current_database(), 'temp', 'memory')",  # a Parquet store's views
            [name, name],
        )
    )


# The migrations declare every table up front; a derived table is "produced" once the step that
# writes it has run, which that step records in `meta` under this key.
PRODUCED_WHEN = {
    "taxonomy_topics": "taxonomy_version",
    **{
        t: "as_of"
        for t in (
            "weekly_metrics", "account_metrics", "cell_metrics", "topic_weekly", "benchmarks",
            "potential", "potential_contributions", "top_issues", "actions",
        )
    },
}  # fmt: skip


def missing_tables(con: duckdb.DuckDBPyConnection, names: tuple[str, ...] | list[str]) -> list[str]:
    """The tables among `names` that the pipeline has not produced in the published database."""
    meta = meta_items(con)
    return [
        n
        for n in names
        if not exists(con, n) or (n in PRODUCED_WHEN and PRODUCED_WHEN[n] not in meta)
    ]


def topic_names_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A subquery (topic_id, topic_name); empty when the tag step has not written the taxonomy."""
    if exists(con, "taxonomy_topics"):
        return (
            "(SELECT topic_id, any_value(name ORDER BY account_id NULLS FIRST) AS topic_name "
            "FROM taxonomy_topics GROUP BY topic_id)"
        )
    return "(SELECT NULL::VARCHAR AS topic_id, NULL::VARCHAR AS topic_name WHERE false)"


def meta_items(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The meta table as a dict (taxonomy version, model id, as-of, last refresh run)."""
    if not exists(con, "meta"):
        return {}
    return dict(fetch_rows(con, "SELECT key, value FROM meta ORDER BY key"))


def isna(v) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def vertical_clause(vertical: str | None) -> tuple[str, list]:
    return "(? IS NULL OR vertical = ?)", [vertical, vertical]


# Derived tables each page needs; a page lists the missing ones and shows what to run.
PAGE_TABLES = {
    "portfolio": ("account_metrics", "potential", "weekly_metrics", "cell_metrics", "actions"),
    "account": ("account_metrics", "potential", "weekly_metrics", "cell_metrics", "top_issues", "actions"),
    "topics": ("topic_weekly",),
    "conversations": ("tags",),
    "brief": ("account_metrics", "potential", "cell_metrics", "top_issues", "actions"),
    "data_health": (),
}  # fmt: skip


PAGE_SIZE = 50
