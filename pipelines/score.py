"""Step `score`: metrics, benchmarks, potential, top issues and next best actions.

Reads conversations + tags + accounts + setup from the writer connection, aggregates in DuckDB
(account × week, account × cell), hands the small frames to `cockpit.scoring.metrics`,
`cockpit.scoring.potential` and `cockpit.scoring.actions`, and replaces the derived tables' rows (their schema is in `cockpit.store.migrations`).
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd
import pyarrow as pa

from cockpit import store
from cockpit.scoring import actions, backtest, metrics, potential, priority
from cockpit.scoring.inputs import potential_inputs, read_setup, window_vectors
from cockpit.scoring.potential import DEFAULT_PARAMS, PotentialParams
from cockpit.store import fingerprint as fp
from cockpit.tagging.taxonomy import Taxonomy, load_taxonomy
from pipelines.context import StepContext

log = logging.getLogger(__name__)

EXAMPLES_PER_CELL = 3
LIST_COLUMNS = ("example_conversation_ids", "evidence_conversation_ids", "reasons")


def write_table(con, name: str, df: pd.DataFrame) -> None:
    """Replace the rows of derived table `name` with `df` (id lists typed VARCHAR[] when empty)."""
    fields, arrays = [], []
    for col in df.columns:
        if col in LIST_COLUMNS:
            arr = pa.array([list(v) for v in df[col]], type=pa.list_(pa.string()))
        else:
            arr = pa.Array.from_pandas(df[col])
        fields.append(pa.field(col, arr.type))
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    con.register("_score_df", table)
    try:
        store.replace_rows(con, name, "_score_df")
    finally:
        con.unregister("_score_df")


def topic_facts(taxonomy: Taxonomy) -> dict[str, dict]:
    """topic_id → {name, data_source, sensitive} from the loaded taxonomy."""
    return {
        t.id: {"name": t.name, "data_source": t.data_source or None, "sensitive": t.sensitive}
        for t in taxonomy.topics
    }


def topic_names(con, facts: dict[str, dict]) -> dict[str, str]:
    """Display names: the `taxonomy_topics` table when present, else the taxonomy, else the id."""
    names = {k: v["name"] for k, v in facts.items()}
    if store.table_exists(con, "taxonomy_topics"):
        rows = con.execute(
            "SELECT topic_id, any_value(name) FROM taxonomy_topics "
            "WHERE account_id IS NULL GROUP BY topic_id"
        ).fetchall()
        names.update({t: n for t, n in rows if n})
    return names


def example_ids(con, source: str, start, end) -> pd.DataFrame:
    """A few example conversation ids per account × cell in [start, end]: deterministic choice,
    conversations the AI did not resolve first, then by a hash of the id."""
    return con.execute(
        f"""
        SELECT account_id, automation_type, topic_id,
               list(conversation_id ORDER BY pick) AS conversation_ids
        FROM (
            SELECT account_id, automation_type, topic_id, conversation_id,
                   row_number() OVER (
                       PARTITION BY account_id, automation_type, topic_id
                       ORDER BY coalesce(resolved_by = 'ai', false), hash(conversation_id),
                                conversation_id) AS pick
            FROM {source}
            WHERE day BETWEEN DATE '{start}' AND DATE '{end}'
        )
        WHERE pick <= {EXAMPLES_PER_CELL}
        GROUP BY ALL
        """
    ).df()


def score(
    con,
    window_days: int = metrics.DEFAULT_WINDOW_DAYS,
    params: PotentialParams = DEFAULT_PARAMS,
    taxonomy: Taxonomy | None = None,
    embeddings_path=None,
) -> dict[str, float]:
    """Rebuild every derived scoring table from the source tables on `con`.

    `embeddings_path` (the embedding cache) gives the potential its per-conversation
    counterfactual; without it (or when vectors are missing) the cell-level estimate is used.

    `taxonomy` (default: the bundled one) gives the topics' data sources and sensitivity."""
    con.execute("CREATE OR REPLACE TEMP TABLE scored AS " + metrics.scored_relation())
    as_of = metrics.as_of_date(con, "scored")
    if as_of is None:
        log.info("Score - no conversations, nothing to do")
        return {"accounts": 0, "conversations": 0}
    accounts = con.execute(
        "SELECT account_id, name, coalesce(vertical, 'other') AS vertical, csm FROM accounts"
    ).df()
    write_table(con, "weekly_metrics", metrics.weekly_metrics(con, "scored"))
    acc = metrics.account_metrics(con, "scored", accounts, as_of, window_days)
    write_table(con, "account_metrics", acc)
    cells = metrics.cell_metrics(con, "scored", as_of, window_days)
    write_table(con, "cell_metrics", cells)
    write_table(con, "topic_weekly", metrics.topic_weekly(con, "scored"))
    log.info("Score - metrics completed (as of %s)", as_of)

    inputs = potential_inputs(
        con, "scored", as_of, params.window_days, read_setup(con), soft=params.soft_types
    )
    scale = backtest.latest_interval_scale(con)  # the workspace's own conformal scale, if any
    if scale is not None:
        params = dataclasses.replace(params, interval_scale=scale)
    names = dict(zip(accounts["account_id"], accounts["name"], strict=True))
    neighbours = None
    if embeddings_path is not None and params.knn_weight > 0:
        neighbours = window_vectors(con, "scored", as_of, params.window_days, embeddings_path)
    result = potential.potential_for(
        inputs.cells,
        inputs.setup,
        as_of,
        params,
        names,
        previous=inputs.previous,
        neighbours=neighbours,
    )
    write_table(con, "benchmarks", result["benchmarks"])
    write_table(con, "potential", result["potential"])
    write_table(con, "potential_contributions", result["contributions"])
    log.info("Score - potential completed")

    facts = topic_facts(taxonomy if taxonomy is not None else load_taxonomy())
    tnames = topic_names(con, facts)
    examples = example_ids(con, "scored", *metrics.window_bounds(as_of, window_days))
    vertical_of = dict(zip(accounts["account_id"], accounts["vertical"], strict=True))
    issues = actions.top_issues(
        cells, result["benchmarks"], vertical_of, examples, tnames, window_days
    )
    write_table(con, "top_issues", issues)
    nba = actions.next_best_actions(
        result["cells"],
        result["benchmarks"],
        result["contributions"],
        params.window_days,
        facts,
        examples,
        tnames,
    )
    write_table(con, "actions", nba)
    book = con.execute("SELECT account_id, csm, arr_usd, renewal_date FROM accounts").df()
    look = priority.priority(book, acc, result["potential"], as_of)
    write_table(con, "priority", look)
    store.set_meta(con, "as_of", str(as_of))
    con.execute("DROP TABLE scored")
    log.info("Score - completed")
    return {
        "accounts": float(len(acc)),
        "conversations": float(acc["conversations"].sum()),
        "cells": float(len(cells)),
        "potential_accounts": float(len(result["potential"])),
        "top_issues": float(len(issues)),
        "actions": float(len(nba)),
        "look_first": float(look["look_first"].sum()),
    }


# What `score` reads (see `score` and the modules it calls); their content is fingerprinted.
# (Of backtest_runs it reads only the latest interval scale, fingerprinted as that value.)
INPUT_TABLES = ("conversations", "tags", "accounts", "setup", "taxonomy_topics")
# The code that computes the derived tables: a change to it recomputes them.
CODE_MODULES = (
    "pipelines.score",
    *(f"cockpit.scoring.{m}" for m in ("actions", "backtest", "counterfactual", "inputs")),
    *(f"cockpit.scoring.{m}" for m in ("metrics", "mixture", "potential", "priority")),
)


def inputs_fingerprint(con, taxonomy: Taxonomy, embeddings_path) -> str:
    """The fingerprint of everything `score` reads (`cockpit.store.fingerprint`)."""
    extra = {
        "taxonomy": taxonomy.version,
        "window_days": metrics.DEFAULT_WINDOW_DAYS,
        "params": repr(DEFAULT_PARAMS),
        "embeddings": embeddings_path is not None,
        "interval_scale": backtest.latest_interval_scale(con),
    }
    return fp.fingerprint(con, INPUT_TABLES, extra, embeddings_path, CODE_MODULES)


def run(ctx: StepContext) -> dict[str, float]:
    """Pipeline entry point: `score` on the writer connection, skipped (`{"skipped": 1}`) when
    its inputs' fingerprint equals the one stored by its last rebuild (not with `--full`)."""
    ctx.progress.start("score", None)
    try:
        taxonomy = load_taxonomy(custom_dir=ctx.settings.home / "taxonomy")
        value = inputs_fingerprint(ctx.con, taxonomy, ctx.settings.embeddings_path)
        if not ctx.full and fp.unchanged(ctx.con, "score", value):
            log.info("Score - inputs unchanged since the last rebuild, skipped")
            return {"skipped": 1}
        counts = score(ctx.con, taxonomy=taxonomy, embeddings_path=ctx.settings.embeddings_path)
        fp.remember(ctx.con, "score", value)
        return counts
    finally:
        ctx.progress.done()
