"""Every DDL statement of Cockpit's stores, as ordered, recorded, idempotent migrations.

Three stores, one module:
- the published DuckDB (`cockpit.duckdb`): `MIGRATIONS`, applied by `migrate(con)` on every
  writer's work copy. Source-of-truth tables (the contract's input tables, quarantine, run log,
  tags) and the derived tables the score step rebuilds (declared here once, so the app, the
  tests and the steps share one schema; a step replaces their rows, never their shape);
- the embedding cache (`embeddings.duckdb`, writer-only, content addressed): `CACHE_DDL`;
- the corrections file (`corrections.sqlite`, written by the app and the CLI): `CORRECTIONS_DDL`.

Append only: never edit an applied migration; add a new one (ALTER TABLE ... ADD COLUMN).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb

from cockpit import contract

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2; the cache's vector width


def _input_table_ddl(spec: contract.TableSpec) -> str:
    cols = []
    for c in spec.columns:
        null = " NOT NULL" if c.required else ""
        cols.append(f"{c.name} {c.sql_type}{null}")
    cols.append("row_hash VARCHAR")  # hash of the validated row: detects real updates
    cols.append("source_file VARCHAR")
    cols.append("loaded_at TIMESTAMP")
    key = ", ".join(spec.key)
    return f"CREATE TABLE IF NOT EXISTS {spec.name} ({', '.join(cols)}, PRIMARY KEY ({key}))"


def _m001_input_tables(con: duckdb.DuckDBPyConnection) -> None:
    for spec in contract.TABLES.values():
        con.execute(_input_table_ddl(spec))
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS quarantine (
            file VARCHAR, table_name VARCHAR, row_number BIGINT, column_name VARCHAR,
            reason VARCHAR, raw VARCHAR, run_id VARCHAR, quarantined_at TIMESTAMP)
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS ingested_files (
            file_hash VARCHAR PRIMARY KEY, path VARCHAR, table_name VARCHAR,
            rows_read BIGINT, loaded BIGINT, updated BIGINT, unchanged BIGINT,
            quarantined BIGINT, ingested_at TIMESTAMP, run_id VARCHAR)
        """
    )


def _m002_runs(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS runs (
            run_id VARCHAR PRIMARY KEY, command VARCHAR, started_at TIMESTAMP,
            ended_at TIMESTAMP, status VARCHAR, exit_code INTEGER, error VARCHAR, pid INTEGER)
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS run_steps (
            run_id VARCHAR, step VARCHAR, started_at TIMESTAMP, duration_s DOUBLE,
            status VARCHAR, counts VARCHAR, PRIMARY KEY (run_id, step))
        """
    )


def _m003_tags(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS tags (
            conversation_id VARCHAR PRIMARY KEY, automation_type VARCHAR,
            type_confidence DOUBLE, topic_id VARCHAR, topic_confidence DOUBLE,
            taxonomy_version VARCHAR, model_id VARCHAR, text_hash VARCHAR,
            corrected BOOLEAN DEFAULT false, tagged_at TIMESTAMP)
        """
    )
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")


def _m004_mask_stored_texts(con: duckdb.DuckDBPyConnection) -> None:
    """Mask texts stored before masking existed (idempotent: masked text stays as it is)."""
    from cockpit.ingest.privacy import mask_stored_texts  # a data migration, not DDL

    mask_stored_texts(con)


def _m005_embed_texts(con: duckdb.DuckDBPyConnection) -> None:
    # Kept by the embed step: which text (hash) each conversation embeds, and the hash of the
    # source it was built from, so only conversations whose source changed are rebuilt.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS embed_texts (
            conversation_id VARCHAR PRIMARY KEY, text_hash VARCHAR, source_hash VARCHAR)
        """
    )


def _m006_backtest(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS backtest_runs (
            backtest_id VARCHAR, cutoff DATE, created_at TIMESTAMP, n_accounts INTEGER,
            mae_realised_pts DOUBLE, within5_realised DOUBLE, mae_truth_pts DOUBLE,
            within5_truth DOUBLE, method VARCHAR)
        """
    )
    # Columns added after the first stores were written (a store without them gains them).
    for col, typ in [
        ("n_realised", "INTEGER"), ("coverage_realised", "DOUBLE"),
        ("bias_realised_pts", "DOUBLE"), ("n_truth", "INTEGER"), ("coverage_truth", "DOUBLE"),
        ("bias_truth_pts", "DOUBLE"), ("calibration", "VARCHAR"),
    ]:  # fmt: skip
        con.execute(f"ALTER TABLE backtest_runs ADD COLUMN IF NOT EXISTS {col} {typ}")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS backtest_results (
            backtest_id VARCHAR, account_id VARCHAR, predicted DOUBLE, low DOUBLE, high DOUBLE,
            realised DOUBLE, truth DOUBLE)
        """
    )


_METRIC_COLUMNS = """
    conversations BIGINT, known_outcome BIGINT, unknown_outcome BIGINT, ai_involved BIGINT,
    ai_resolved BIGINT, handed_over BIGINT, automation_rate DOUBLE, involvement_rate DOUBLE,
    ai_resolution_rate DOUBLE, handover_rate DOUBLE, handle_time_total_min DOUBLE,
    handle_time_median_min DOUBLE, csat_ai DOUBLE, csat_ai_n BIGINT, csat_human DOUBLE,
    csat_human_n BIGINT"""

# The derived tables: rebuilt (rows replaced) by the tag and score steps, read by `queries`.
DERIVED_DDL = {
    "taxonomy_topics": """topic_id VARCHAR, name VARCHAR, description VARCHAR,
        vertical VARCHAR, account_id VARCHAR""",
    "weekly_metrics": f"account_id VARCHAR, week TIMESTAMP, {_METRIC_COLUMNS}",
    "account_metrics": f"""account_id VARCHAR, as_of DATE, window_days BIGINT, {_METRIC_COLUMNS},
        automation_rate_prev DOUBLE, automation_rate_change_pts DOUBLE,
        involvement_rate_change_pts DOUBLE, ai_resolution_rate_change_pts DOUBLE,
        csat_ai_change DOUBLE, csat_human_change DOUBLE, handle_time_median_change_min DOUBLE,
        conversations_change_pct DOUBLE, automation_percentile DOUBLE,
        involvement_percentile DOUBLE, ai_resolution_percentile DOUBLE,
        csat_ai_percentile DOUBLE""",
    "cell_metrics": f"""account_id VARCHAR, automation_type VARCHAR, topic_id VARCHAR,
        {_METRIC_COLUMNS}, share DOUBLE, trend_pts DOUBLE, weekly_mean DOUBLE, weekly_sd DOUBLE,
        last_week_volume BIGINT, spike BOOLEAN""",
    "topic_weekly": """week TIMESTAMP, vertical VARCHAR, automation_type VARCHAR,
        topic_id VARCHAR, conversations BIGINT, ai_resolved BIGINT""",
    "benchmarks": """vertical VARCHAR, automation_type VARCHAR, topic_id VARCHAR,
        benchmark_rate DOUBLE, n_accounts BIGINT, method VARCHAR""",
    "potential": """account_id VARCHAR, automation_rate DOUBLE, potential DOUBLE, low DOUBLE,
        high DOUBLE, gap_pts DOUBLE, method VARCHAR""",
    "potential_contributions": """account_id VARCHAR, automation_type VARCHAR,
        topic_id VARCHAR, share DOUBLE, current_rate DOUBLE, target_rate DOUBLE,
        enabler VARCHAR, enabler_live BOOLEAN, contribution_pts DOUBLE""",
    "top_issues": """account_id VARCHAR, rank BIGINT, topic_id VARCHAR, topic VARCHAR,
        automation_type VARCHAR, conversations BIGINT, automation_rate DOUBLE,
        benchmark_rate DOUBLE, trend_pts DOUBLE, spike BOOLEAN, unresolved BIGINT,
        hours_per_month DOUBLE, score DOUBLE, example_conversation_ids VARCHAR[]""",
    "actions": """account_id VARCHAR, rank BIGINT, kind VARCHAR, topic_id VARCHAR,
        automation_type VARCHAR, extra_ai_resolved_per_month DOUBLE, gain_pts DOUBLE,
        hours_saved_per_month DOUBLE, confidence VARCHAR, rationale VARCHAR,
        evidence_conversation_ids VARCHAR[]""",
    # Demo only: the generator's hidden truth, for backtests against it.
    "demo_truth": """account_id VARCHAR, achievable_automation_rate DOUBLE,
        automation_rate_end DOUBLE""",
    "demo_truth_cells": """account_id VARCHAR, automation_type VARCHAR, topic_id VARCHAR,
        share DOUBLE, p_live DOUBLE, p_base DOUBLE, live_since DATE""",
    "demo_conversation_truth": """conversation_id VARCHAR, automation_type VARCHAR,
        topic_id VARCHAR""",
}


def _m007_derived_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name, columns in DERIVED_DDL.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


# Columns added to derived tables after migration 7 (the potential's interval, window and floor;
# thin evidence on issues and actions; the backtest's interval scale).
POTENTIAL_COLUMNS_V8 = {
    "potential": [("sd", "DOUBLE"), ("window_days", "BIGINT"), ("floored", "BOOLEAN")],
    "potential_contributions": [("weight", "DOUBLE")],
    "top_issues": [("thin_evidence", "BOOLEAN")],
    "actions": [("thin_evidence", "BOOLEAN")],
    "backtest_runs": [("interval_scale", "DOUBLE")],
}


def _m008_potential_columns(con: duckdb.DuckDBPyConnection) -> None:
    for table, cols in POTENTIAL_COLUMNS_V8.items():
        for col, typ in cols:
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {col} {typ}")


def _m009_emerging_topics(con: duckdb.DuckDBPyConnection) -> None:
    """Emerging topics (cockpit.discovery): clusters with stable ids, their points, their events.

    Source of truth rather than derived: ids, first_seen, dismissals and promotions must survive
    every refresh, so the discover step updates these tables instead of rebuilding them.
    """
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS emerging_topics (
            cluster_id VARCHAR PRIMARY KEY, vertical VARCHAR, scope VARCHAR, account_id VARCHAR,
            status VARCHAR, name VARCHAR, terms VARCHAR[], likely_type VARCHAR,
            type_confidence DOUBLE, size INTEGER, coherence DOUBLE, assign_threshold DOUBLE,
            central_conversation_id VARCHAR, example_conversation_ids VARCHAR[],
            first_seen TIMESTAMP, merged_into VARCHAR, centroid FLOAT[], shown BOOLEAN,
            promoted_topic_id VARCHAR, updated_run_id VARCHAR, updated_at TIMESTAMP)
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS emerging_points (
            conversation_id VARCHAR PRIMARY KEY, vertical VARCHAR, cluster_id VARCHAR,
            similarity DOUBLE)
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS emerging_events (
            run_id VARCHAR, event_at TIMESTAMP, event VARCHAR, cluster_id VARCHAR,
            other_cluster_id VARCHAR, detail VARCHAR)
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS emerging_scopes (
            vertical VARCHAR PRIMARY KEY, fingerprint VARCHAR, candidates INTEGER,
            clustered_candidates INTEGER, added_since_clustering INTEGER,
            clustered_at TIMESTAMP, run_id VARCHAR)
        """
    )


def _m010_ingest_queue(con: duckdb.DuckDBPyConnection) -> None:
    # Newer wins: conversations carry an optional version timestamp.
    con.execute("ALTER TABLE conversations ADD COLUMN IF NOT EXISTS updated_at TIMESTAMP")
    # Quarantine as a queue: file lines, the parent a row waits for, the file's content hash.
    for col in ("lines", "waiting_for", "file_hash"):
        con.execute(f"ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS {col} VARCHAR")
    # Rows quarantined for a missing parent before the queue existed wait for it now.
    con.execute(
        "UPDATE quarantine SET waiting_for = CASE table_name WHEN 'messages' THEN "
        "'conversations' ELSE 'accounts' END WHERE reason LIKE 'unknown %_id; it must exist in %'"
    )
    # Applied tag corrections, also kept in the published store: a lost corrections.sqlite
    # is rebuilt from here (tagging.corrections) instead of silently undoing every correction.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS applied_corrections (
            id BIGINT PRIMARY KEY, conversation_id VARCHAR, automation_type VARCHAR,
            topic_id VARCHAR, corrected_by VARCHAR, corrected_at VARCHAR, note VARCHAR)
        """
    )


def _m011_mask_stored_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Mask stored rows with the privacy rules of issue 11 (secrets, passwords, SSN, NI, IP,
    dotted cards, lower-case IBANs; e-mails in id and account fields). Idempotent."""
    from cockpit.ingest.privacy import mask_stored_rows  # a data migration, not DDL

    mask_stored_rows(con)


# Derived tables added after migration 7 (version 12; same contract: rows replaced by a step, shape fixed here).
DERIVED_DDL_12 = {
    # Look first, per account (cockpit.scoring.priority): the score, its named parts, the flag.
    "priority": """account_id VARCHAR, csm VARCHAR, score DOUBLE, book_rank BIGINT,
        look_first BOOLEAN, reasons VARCHAR[], arr_usd DOUBLE, days_to_renewal BIGINT,
        renewal_part DOUBLE, csat_ai DOUBLE, csat_human DOUBLE, csat_part DOUBLE,
        automation_change_pts DOUBLE, automation_change_noise_pts DOUBLE, falling_part DOUBLE,
        gap_pts DOUBLE, gain_part DOUBLE""",
}


def _m012_priority(con: duckdb.DuckDBPyConnection) -> None:
    for name, columns in DERIVED_DDL_12.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
    # Topic demand per account, so the Topics page follows a CSM's book.
    con.execute("ALTER TABLE topic_weekly ADD COLUMN IF NOT EXISTS account_id VARCHAR")


def _m013_emerging_fit(con: duckdb.DuckDBPyConnection) -> None:
    # Novelty (issue 13): each tagged conversation's cosine to the nearest example of its topic,
    # kept so the discover step computes it only for what changed (new tag, text or taxonomy).
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS emerging_fit (
            conversation_id VARCHAR PRIMARY KEY, topic_id VARCHAR, text_hash VARCHAR,
            taxonomy_version VARCHAR, fit DOUBLE)
        """
    )


# Columns added to a lake table after the lake's shape was fixed (migrations 1-12), with their
# type: a lake workspace's writer gives its new-rows table these columns (`lake_writer_objects`),
# new files carry them and `union_by_name` reads old files as NULL.
LAKE_ADDED_COLUMNS: dict[str, dict[str, str]] = {
    # Migration 14: each automation type's probability per tagged conversation (the tagger's,
    # see `cockpit.tagging.tagger.type_probabilities`); the potential spreads a conversation
    # over its topic's type cells with them.
    "tags": {"p_informational": "DOUBLE", "p_personalized": "DOUBLE", "p_action": "DOUBLE"},
}


def _m014_type_probabilities(con: duckdb.DuckDBPyConnection) -> None:
    # A lake workspace keeps `tags` as Parquet (a view here): its columns are added per file.
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_name = 'tags' AND table_schema = 'main' AND table_catalog = current_database()"
    ).fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        for col, typ in LAKE_ADDED_COLUMNS["tags"].items():
            con.execute(f"ALTER TABLE tags ADD COLUMN IF NOT EXISTS {col} {typ}")


# Every derived table, whichever migration declared it.
DERIVED_TABLES = {**DERIVED_DDL, **DERIVED_DDL_12}

# (version, name, function). Append only; never edit an applied migration.
MIGRATIONS: list[tuple[int, str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    (1, "input tables, quarantine, ingested files", _m001_input_tables),
    (2, "run log", _m002_runs),
    (3, "tags and meta", _m003_tags),
    (4, "mask stored texts", _m004_mask_stored_texts),
    (5, "embed texts", _m005_embed_texts),
    (6, "backtest runs and results", _m006_backtest),
    (7, "derived tables", _m007_derived_tables),
    (8, "potential interval, window, floor; thin evidence", _m008_potential_columns),
    (9, "emerging topics", _m009_emerging_topics),
    (10, "updated_at, quarantine queue, applied corrections", _m010_ingest_queue),
    (11, "mask stored rows with the secret and identifier rules", _m011_mask_stored_rows),
    (12, "look-first priority; topic demand per account", _m012_priority),
    (13, "emerging topics: fit of each conversation to its topic", _m013_emerging_fit),
    (14, "tags: probability of each automation type", _m014_type_probabilities),
]


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply pending migrations in order; return the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, fn in MIGRATIONS:
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            fn(con)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        log.info("Migration %s applied: %s", version, name)
        applied.append(version)
    return applied


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, relation: str) -> None:
    """Replace every row of the declared table `table` with `relation`'s (matched by name).

    The shape stays the one the migrations declare: a column the relation lacks is NULL, a
    column the table lacks is an error (add a migration first).
    """
    if table not in DERIVED_TABLES:
        raise ValueError(f"{table!r} is not a derived table declared in store.migrations")
    con.execute(f"DELETE FROM {table}")
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {relation}")


# --- the embedding cache (its own DuckDB file, attached by the writer) ------------------------

CACHE_DDL = f"""
CREATE TABLE IF NOT EXISTS {{alias}}.embeddings (
    model_id VARCHAR, text_hash VARCHAR, vector FLOAT[{EMBEDDING_DIM}],
    PRIMARY KEY (model_id, text_hash))
"""


def migrate_cache(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Create the embedding cache's table in the attached database `alias`."""
    con.execute(CACHE_DDL.format(alias=alias))


# --- corrections (SQLite: written by the app and the CLI while a refresh runs) ----------------

CORRECTIONS_DDL = """
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    automation_type TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    corrected_by TEXT,
    corrected_at TEXT NOT NULL,
    note TEXT)
"""

# Audit of type overrides (`cockpit taxonomy override`), in the corrections file: the overrides
# themselves live in YAML ($COCKPIT_HOME/taxonomy/overrides-*.yaml), which keeps no history.
OVERRIDE_AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS override_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    changed_at TEXT NOT NULL,
    changed_by TEXT,
    source TEXT,
    role TEXT,
    account_id TEXT,
    vertical TEXT,
    topic_id TEXT NOT NULL,
    old_automation_type TEXT,
    automation_type TEXT,
    note TEXT)
"""

# Decisions on emerging topics (dismiss, promote), in the corrections file so the app, which
# only reads DuckDB, may record them; the discover step applies them to `emerging_topics`
# (`cockpit.discovery.decisions.sync_decisions`). Also the audit: who, when, from where.
EMERGING_DECISIONS_DDL = """
CREATE TABLE IF NOT EXISTS emerging_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    topic_id TEXT,
    name TEXT,
    path TEXT,
    decided_by TEXT,
    decided_at TEXT NOT NULL,
    source TEXT,
    role TEXT)
"""

# Columns added to `corrections` after CORRECTIONS_DDL shipped, applied in order by
# `tagging.corrections` on connect (ALTER only when the column is missing: idempotent, and
# older files keep working; their rows read NULL there). Append only.
CORRECTIONS_MIGRATIONS: list[tuple[str, str]] = [
    # audit (issue 12): where the change came from, the role it was made with, and the tag
    # it replaced (the latest correction if any, else the published tag)
    ("source", "ALTER TABLE corrections ADD COLUMN source TEXT"),
    ("role", "ALTER TABLE corrections ADD COLUMN role TEXT"),
    ("old_automation_type", "ALTER TABLE corrections ADD COLUMN old_automation_type TEXT"),
    ("old_topic_id", "ALTER TABLE corrections ADD COLUMN old_topic_id TEXT"),
    # undo (issue 16): an undo is a row of its own naming the correction it cancels (`undoes`
    # = that row's id); the cancelled row stays, so the audit keeps both events
    ("undoes", "ALTER TABLE corrections ADD COLUMN undoes INTEGER"),
]


# --- the Parquet lake (opt-in, `COCKPIT_STORE=parquet`; cockpit.store.lake) --------------------

# The large tables that live as Parquet files in a lake workspace, with their keys. Their shape
# is the one migrations 1-12 gave them when the workspace was converted; a later column needs
# a lake-aware migration (new files gain it; `union_by_name` reads old ones as NULL).
LAKE_TABLES: dict[str, tuple[str, ...]] = {
    "conversations": contract.TABLES["conversations"].key,
    "messages": contract.TABLES["messages"].key,
    "tags": ("conversation_id",),
    "embed_texts": ("conversation_id",),
    # Emerging topics' points (one per candidate conversation: 289,111 rows at 2,000,000
    # conversations, the largest table left in the small file, copied every night).
    "emerging_points": ("conversation_id",),
    # Each window conversation's fit to its topic (36,087 rows at 200,000 demo conversations,
    # a 32-character hash each; ~10x at 2M). Not partitioned: fits that left the window are
    # pruned only now and then (pipelines/discover.py FIT_PRUNE_SHARE), so a night writes its
    # new fits, not a rewrite of the files holding the old ones.
    "emerging_fit": ("conversation_id",),
}

# Lake tables whose every file holds one value of a column: the discover step replaces a whole
# vertical's points when it re-clusters it, which then rewrites only that vertical's files.
LAKE_PARTITIONS: dict[str, str] = {"emerging_points": "vertical"}


def lake_reader_view(table: str, files: str) -> str:
    """A reader's view of a lake table: exactly the manifest's files (`files`: a SQL list).

    In the reader's in-memory database (not TEMP): every cursor of the connection sees it."""
    return (
        f"CREATE OR REPLACE VIEW memory.main.{table} AS "
        f"SELECT * FROM read_parquet({files}, union_by_name = true)"
    )


def lake_writer_objects(table: str, files: str) -> list[str]:
    """A writer's view of a lake table: published rows minus replaced keys, plus new rows."""
    keys = ", ".join(LAKE_TABLES[table])
    src = f"read_parquet({files}, union_by_name = true)"
    added = [
        f"ALTER TABLE _lake_new_{table} ADD COLUMN IF NOT EXISTS {col} {typ}"
        for col, typ in LAKE_ADDED_COLUMNS.get(table, {}).items()
    ]
    return [
        f"CREATE OR REPLACE TEMP TABLE _lake_new_{table} AS SELECT * FROM {src} LIMIT 0",
        *added,
        f"CREATE OR REPLACE TEMP TABLE _lake_gone_{table} AS SELECT {keys} FROM {src} LIMIT 0",
        f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT b.* FROM {src} b "
        f"ANTI JOIN _lake_gone_{table} g USING ({keys}) "
        f"UNION ALL BY NAME SELECT * FROM _lake_new_{table}",
    ]


def drop_lake_tables(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Drop lake tables from a converted work copy (their rows now live in Parquet)."""
    for table in tables:
        con.execute(f"DROP TABLE {table}")
