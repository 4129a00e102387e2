"""Discover step: emerging topics among what the taxonomy cannot place (runs after `tag`).

Candidates are the conversations of the last `WINDOW_DAYS` (as-of = the latest conversation)
tagged `other`, or, with no correction, a topic confidence below `LOW_CONFIDENCE` or a fit to
their topic below `NOVELTY_RATIO` × the topic's median fit in the vertical (novelty: a family
the taxonomy lacks, absorbed confidently by a neighbouring topic; the fit is kept in
`emerging_fit` and computed only for new tags, texts or taxonomy versions). Per vertical,
incremental and bounded:
- nothing changed in the vertical's candidates (same ids and texts) → nothing is done;
- a few new candidates (fewer than `RECLUSTER_SHARE` of those last clustered) → they are placed
  in the existing clusters by centroid (no re-clustering, ids untouched);
- otherwise, or on `--full` → the vertical is re-clustered (`cockpit.discovery.cluster_vertical`,
  at most MAX_FIT_POINTS vectors fitted) and ids carried over, merges and splits recorded.
Counts: candidates, verticals_clustered, verticals_assigned, verticals_unchanged,
points_assigned, new_clusters, clusters_shown, events, fits_computed, decisions_applied (dismissals and
promotions recorded in the corrections file since the last run, see cockpit.discovery.decisions).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from cockpit import discovery, store
from cockpit.discovery import decisions, novelty
from cockpit.embedding import (
    arrow_query,
    arrow_to_vectors,
    attach_cache,
    cached_embed,
    embedder_model_id,
)
from cockpit.tagging.tagger import training_examples
from cockpit.tagging.taxonomy import OTHER, load_taxonomy
from pipelines.context import StepContext

log = logging.getLogger(__name__)

# Emerging means recent: twelve weeks give the weekly trend three 4-week windows and keep the
# clustered volume bounded by the daily volume, not by the history (2M conversations over a
# year ≈ 460k in the window; ~10% of them are candidates).
WINDOW_DAYS = 84
# Below even odds the named topic is as likely wrong as right: such conversations may belong
# to a family the taxonomy lacks (the tagger's own `other` threshold is 0.35).
LOW_CONFIDENCE = 0.5
# New candidates, as a share of those last clustered, that trigger a re-clustering: one day in
# an 84-day window is ~1.2%, so a vertical is re-clustered about every 8 days of steady flow
# (and at once when a burst arrives), and placed by centroid in between.
RECLUSTER_SHARE = 0.1
# Novelty (cockpit.discovery.novelty): a conversation confidently tagged with a topic is a
# candidate too when its fit to that topic is below NOVELTY_RATIO × the topic's median fit in
# the vertical's window. Chosen by bench/topics.py --families on the three public sets (best
# mean F1 of purity and coverage over 9 removed families, with novelty adding at most 20% of a
# vertical's conversations); re-measured with the fp32 model over {none, 0.8, 0.9} jointly
# with cockpit.discovery.MAX_KNOWN_SHARE, the leave-one-dataset-out choices were 0.9 (Bitext,
# CLINC150 held out) and 0.8 (MultiDoGo held out); the held-out figures are the headline
# (README). Cost: more topics are shown (known topics' margins).
NOVELTY_RATIO = 0.9
# Fits that left the window (or whose tag became `other` or corrected) are deleted only once
# they are this share of the table; every read restricts to the window's fits anyway. In the
# Parquet store a prune rewrites the files holding them (the oldest, i.e. most of the table),
# so pruning every night would rewrite ~the whole table nightly; at 0.25 of an 84-day window
# it happens about every 3 weeks (amortised: ~1/21 of the table a night).
FIT_PRUNE_SHARE = 0.25
FIT_BATCH = 50_000  # conversations whose fit is computed per pass (bounded memory: ~80 MB)
SEED = 0
ID_PREFIX = "em"


def _candidates_sql(where: str = "true") -> str:
    return f"""
        WITH latest AS (SELECT max(created_at) AS t FROM conversations),
        fit AS (  -- the window's fits only: older ones stay until a prune (FIT_PRUNE_SHARE)
            SELECT f.conversation_id, f.fit,
                   median(f.fit) OVER w AS typical, count(*) OVER w AS n
            FROM emerging_fit f JOIN conversations c USING (conversation_id)
            JOIN tags ft ON ft.conversation_id = f.conversation_id
            LEFT JOIN accounts a USING (account_id), latest
            WHERE c.created_at > latest.t - INTERVAL {WINDOW_DAYS} DAY
              AND ft.topic_id <> '{OTHER}' AND NOT coalesce(ft.corrected, false)
            WINDOW w AS (PARTITION BY coalesce(a.vertical, 'other'), f.topic_id))
        SELECT c.conversation_id, c.account_id, coalesce(a.vertical, 'other') AS vertical,
               c.created_at, c.text, t.text_hash
        FROM tags t JOIN conversations c USING (conversation_id)
        LEFT JOIN accounts a USING (account_id) LEFT JOIN fit USING (conversation_id), latest
        WHERE c.created_at > latest.t - INTERVAL {WINDOW_DAYS} DAY
          AND (t.topic_id = '{OTHER}'
               OR (NOT coalesce(t.corrected, false)
                   AND (t.topic_confidence < {LOW_CONFIDENCE}
                        OR (fit.n >= {novelty.MIN_TOPIC_ROWS}
                            AND fit.fit < {NOVELTY_RATIO} * fit.typical))))
          AND {where}
    """


def _window_tags_sql() -> str:
    """Tagged (not other, not corrected) conversations of the window whose fit is stale."""
    return f"""
        WITH latest AS (SELECT max(created_at) AS t FROM conversations)
        SELECT t.conversation_id, t.topic_id, t.text_hash, t.taxonomy_version
        FROM tags t JOIN conversations c USING (conversation_id)
        LEFT JOIN emerging_fit f USING (conversation_id), latest
        WHERE c.created_at > latest.t - INTERVAL {WINDOW_DAYS} DAY
          AND t.topic_id <> '{OTHER}' AND NOT coalesce(t.corrected, false)
          AND (f.conversation_id IS NULL OR f.topic_id <> t.topic_id
               OR f.text_hash <> t.text_hash
               OR f.taxonomy_version IS DISTINCT FROM t.taxonomy_version)
    """


def _update_fit(ctx: StepContext, model_id: str) -> int:
    """Fit of each window conversation to its topic, computed only where it is stale."""
    con = ctx.con
    in_window = f"""SELECT t.conversation_id FROM tags t JOIN conversations c USING (conversation_id),
                     (SELECT max(created_at) AS m FROM conversations) l
              WHERE c.created_at > l.m - INTERVAL {WINDOW_DAYS} DAY
                AND t.topic_id <> '{OTHER}' AND NOT coalesce(t.corrected, false)"""
    total, out = con.execute(
        f"""SELECT count(*), count(*) - count(w.conversation_id)
            FROM emerging_fit f LEFT JOIN ({in_window}) w USING (conversation_id)"""
    ).fetchall()[0]
    if out and out > FIT_PRUNE_SHARE * total:
        store.delete_where(con, "emerging_fit", f"conversation_id NOT IN ({in_window})")
    (stale,) = con.execute(f"SELECT count(*) FROM ({_window_tags_sql()})").fetchall()[0]
    if not stale:
        return 0
    taxonomy = load_taxonomy(custom_dir=ctx.settings.custom_taxonomy_dir)
    _, topic_rows = training_examples(taxonomy, descriptions=False)
    ex_vectors = cached_embed(con, ctx.embedder_factory, model_id)([r[0] for r in topic_rows])
    ex_topics = [r[1] for r in topic_rows]
    done = 0
    while True:  # each pass takes the next stale batch (the previous one is fresh now)
        table = arrow_query(
            con,
            f"""SELECT k.conversation_id, k.topic_id, k.text_hash, k.taxonomy_version, v.vector
                FROM ({_window_tags_sql()}) k
                JOIN emb.embeddings v ON v.text_hash = k.text_hash AND v.model_id = ?
                ORDER BY k.conversation_id LIMIT {FIT_BATCH}""",
            [model_id],
        )
        if not table.num_rows:
            return done
        frame = table.drop(["vector"]).to_pandas()
        frame["fit"] = novelty.topic_fit(
            arrow_to_vectors(table.column("vector")), frame["topic_id"].to_numpy(),
            ex_vectors, ex_topics,
        )  # fmt: skip
        con.register("_em_fit", frame.astype(object).where(frame.notna(), None))
        store.upsert(
            con,
            "emerging_fit",
            """SELECT conversation_id::VARCHAR AS conversation_id, topic_id::VARCHAR AS topic_id,
               text_hash::VARCHAR AS text_hash, taxonomy_version::VARCHAR AS taxonomy_version,
               fit::DOUBLE AS fit FROM _em_fit""",
        )
        con.unregister("_em_fit")
        done += len(frame)
        if len(frame) < FIT_BATCH:
            return done


# This run's candidates, computed once (`_materialize`): the query's per-topic medians over the
# window's fits cost ~1 s a time at 2,000,000 conversations, and a run reads the candidates
# 3 times per vertical plus once for the fingerprints (docs/scale.md, "Discovery").
CANDIDATES = "_em_candidates"


def _materialize(con) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CANDIDATES} AS {_candidates_sql()}")


def _fingerprints(con) -> dict[str, tuple[str, int]]:
    rows = con.execute(
        f"""SELECT vertical, count(*)::VARCHAR || ':' ||
                   coalesce(bit_xor(hash(conversation_id || '|' || text_hash)), 0)::VARCHAR,
                   count(*)
            FROM {CANDIDATES} GROUP BY vertical"""
    ).fetchall()
    return {r[0]: (r[1], int(r[2])) for r in rows}


def _load(con, vertical: str, model_id: str, only_new: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """The vertical's candidates with vectors (only those without a point yet, if `only_new`)."""
    extra = (
        "k.conversation_id NOT IN (SELECT conversation_id FROM emerging_points)"
        if only_new
        else "true"
    )
    table = arrow_query(
        con,
        f"""SELECT k.conversation_id, k.account_id, k.created_at, k.text, v.vector
            FROM (SELECT * FROM {CANDIDATES} k WHERE {extra}) k
            JOIN emb.embeddings v ON v.text_hash = k.text_hash AND v.model_id = ?
            WHERE k.vertical = ? ORDER BY k.conversation_id""",
        [model_id, vertical],
    )
    vectors = arrow_to_vectors(table.column("vector"))
    frame = table.drop(["vector"]).to_pandas()
    return frame, vectors


class _Ids:
    """Fresh cluster ids from a counter in `meta` (ids are never reused)."""

    def __init__(self, con):
        self.con = con
        self.next = int(store.get_meta(con, "emerging_next_id", "1"))
        self.made = 0

    def __call__(self) -> str:
        cid = f"{ID_PREFIX}{self.next:05d}"
        self.next += 1
        self.made += 1
        store.set_meta(self.con, "emerging_next_id", str(self.next))
        return cid


def run(ctx: StepContext) -> dict[str, float]:
    """Discover emerging topics; see the module docstring."""
    con, settings = ctx.con, ctx.settings
    counts = dict.fromkeys(
        ["candidates", "verticals_clustered", "verticals_assigned", "verticals_unchanged",
         "points_assigned", "new_clusters", "clusters_shown", "events", "decisions_applied", "fits_computed"], 0,
    )  # fmt: skip
    if not store.table_exists(con, "tags"):
        return counts
    # Decisions recorded since the last run (the app and the CLI only write the corrections file).
    counts["decisions_applied"] = decisions.sync_decisions(
        con, settings.corrections_path, ctx.run_id
    )
    model_id = embedder_model_id(settings)
    attach_cache(con, settings.embeddings_path)
    counts["fits_computed"] = _update_fit(ctx, model_id)
    _materialize(con)
    try:
        _discover(ctx, model_id, counts)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
    counts["clusters_shown"] = con.execute(
        "SELECT count(*) FROM emerging_topics WHERE shown"
    ).fetchall()[0][0]
    log.info("Discovery - Completed: %s", counts)
    return counts


def _discover(ctx: StepContext, model_id: str, counts: dict) -> None:
    """Per vertical: skip (unchanged), re-cluster or assign the new candidates."""
    con = ctx.con
    fingerprints = _fingerprints(con)
    scopes = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT vertical, fingerprint, clustered_candidates, added_since_clustering "
            "FROM emerging_scopes"
        ).fetchall()
    }
    ids = _Ids(con)
    examples = None
    now = datetime.now(UTC).replace(tzinfo=None)
    gone_verticals = set(scopes) - set(fingerprints)
    for vertical in sorted(gone_verticals):  # no candidates left: points go, clusters stay
        store.delete_where(con, "emerging_points", "vertical = ?", [vertical])
        con.execute("DELETE FROM emerging_scopes WHERE vertical = ?", [vertical])
    for vertical, (fingerprint, n) in sorted(fingerprints.items()):
        counts["candidates"] += n
        prev = scopes.get(vertical)
        if prev and prev[0] == fingerprint and not ctx.full:
            counts["verticals_unchanged"] += 1
            continue
        # Points that are no longer candidates (out of the window, re-tagged) leave first.
        store.delete_where(
            con,
            "emerging_points",
            f"""vertical = ? AND conversation_id NOT IN
                (SELECT conversation_id FROM {CANDIDATES} WHERE vertical = ?)""",
            [vertical, vertical],
        )
        clustered = prev[1] if prev else 0
        added = (prev[2] if prev else 0) + con.execute(
            f"""SELECT count(*) FROM {CANDIDATES} k WHERE vertical = ?
                AND conversation_id NOT IN (SELECT conversation_id FROM emerging_points)""",
            [vertical],
        ).fetchall()[0][0]
        if ctx.full or prev is None or added >= RECLUSTER_SHARE * max(clustered, 1):
            if examples is None:
                examples = _examples(ctx, model_id)
            _recluster(con, ctx.run_id, vertical, model_id, examples, ids, now, counts)
            clustered, added = n, 0
        else:
            _assign(con, vertical, model_id, counts)
        con.execute(
            "INSERT OR REPLACE INTO emerging_scopes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [vertical, fingerprint, n, clustered, added, now, ctx.run_id],
        )
    _refresh_sizes(con, ctx.run_id, now)
    counts["new_clusters"] = ids.made


def _examples(ctx: StepContext, model_id: str) -> tuple[np.ndarray, list[str]]:
    """Taxonomy type examples and their vectors (through the embedding cache)."""
    taxonomy = load_taxonomy(custom_dir=ctx.settings.custom_taxonomy_dir)
    type_rows, _ = training_examples(taxonomy, descriptions=False)
    texts = [r[0] for r in type_rows]
    vectors = cached_embed(ctx.con, ctx.embedder_factory, model_id)(texts)
    return discovery.clustering.unit(vectors), [r[1] for r in type_rows]


def _recluster(con, run_id, vertical, model_id, examples, ids: _Ids, now, counts) -> None:
    frame, vectors = _load(con, vertical, model_id, only_new=False)
    previous = con.execute(
        "SELECT * FROM emerging_topics WHERE vertical = ? ORDER BY cluster_id", [vertical]
    ).df()
    previous_points = con.execute(
        "SELECT conversation_id, cluster_id FROM emerging_points WHERE vertical = ?", [vertical]
    ).df()
    from threadpoolctl import threadpool_limits

    # One BLAS thread: many small matrix products; a thread pool on the 2 shared cores spins
    # (measured: 46,000 candidates re-clustered in 26 s with one thread, 38 s with the pool).
    with threadpool_limits(limits=1, user_api="blas"):
        result = discovery.cluster_vertical(
            vertical, frame, vectors, previous, previous_points, examples, ids, seed=SEED
        )
    clusters = result.clusters.assign(updated_run_id=run_id, updated_at=now)
    promoted = con.execute(
        "SELECT cluster_id, promoted_topic_id FROM emerging_topics "
        "WHERE vertical = ? AND promoted_topic_id IS NOT NULL",
        [vertical],
    ).fetchall()
    con.register("_em_clusters", clusters.astype(object).where(clusters.notna(), None))
    con.execute("DELETE FROM emerging_topics WHERE vertical = ?", [vertical])
    con.execute(
        """INSERT INTO emerging_topics BY NAME
           SELECT cluster_id::VARCHAR AS cluster_id, vertical::VARCHAR AS vertical,
                  scope::VARCHAR AS scope, account_id::VARCHAR AS account_id,
                  status::VARCHAR AS status, name::VARCHAR AS name, terms::VARCHAR[] AS terms,
                  likely_type::VARCHAR AS likely_type, type_confidence::DOUBLE AS type_confidence,
                  size::INTEGER AS size, coherence::DOUBLE AS coherence,
                  assign_threshold::DOUBLE AS assign_threshold,
                  central_conversation_id::VARCHAR AS central_conversation_id,
                  example_conversation_ids::VARCHAR[] AS example_conversation_ids,
                  first_seen::TIMESTAMP AS first_seen, merged_into::VARCHAR AS merged_into,
                  centroid::FLOAT[] AS centroid, updated_run_id::VARCHAR AS updated_run_id,
                  updated_at::TIMESTAMP AS updated_at
           FROM _em_clusters"""
    )
    con.unregister("_em_clusters")
    for cid, topic_id in promoted:  # a promotion is a decision: it stays with the id
        con.execute(
            "UPDATE emerging_topics SET promoted_topic_id = ? WHERE cluster_id = ?", [topic_id, cid]
        )
    _write_points(con, vertical, result.points, replace=True)
    for event, cid, other in result.events:
        con.execute(
            "INSERT INTO emerging_events VALUES (?, ?, ?, ?, ?, NULL)",
            [run_id, now, event, cid, other],
        )
    counts["verticals_clustered"] += 1
    counts["events"] += len(result.events)


def _assign(con, vertical, model_id, counts) -> None:
    frame, vectors = _load(con, vertical, model_id, only_new=True)
    clusters = con.execute(
        "SELECT cluster_id, status, size, centroid, assign_threshold FROM emerging_topics "
        "WHERE vertical = ?",
        [vertical],
    ).df()
    points = discovery.assign_new(frame, vectors, clusters)
    _write_points(con, vertical, points, replace=False)
    counts["verticals_assigned"] += 1
    counts["points_assigned"] += int(points["cluster_id"].notna().sum())


def _write_points(con, vertical: str, points: pd.DataFrame, replace: bool) -> None:
    if replace:
        store.delete_where(con, "emerging_points", "vertical = ?", [vertical])
    frame = points.assign(vertical=vertical)[
        ["conversation_id", "vertical", "cluster_id", "similarity"]
    ]
    con.register("_em_points", frame.astype(object).where(frame.notna(), None))
    store.upsert(
        con,
        "emerging_points",
        """SELECT conversation_id::VARCHAR AS conversation_id, vertical::VARCHAR AS vertical,
                  cluster_id::VARCHAR AS cluster_id, similarity::DOUBLE AS similarity
           FROM _em_points""",
    )
    con.unregister("_em_points")


def _refresh_sizes(con, run_id: str, now) -> None:
    """Sizes from the points; an active cluster left without members is gone; `shown` flags."""
    con.execute(
        """UPDATE emerging_topics e SET size = coalesce(p.n, 0)
           FROM (SELECT t.cluster_id, count(p.conversation_id) AS n FROM emerging_topics t
                 LEFT JOIN emerging_points p USING (cluster_id) GROUP BY t.cluster_id) p
           WHERE p.cluster_id = e.cluster_id AND e.size IS DISTINCT FROM coalesce(p.n, 0)"""
    )
    gone = con.execute(
        "SELECT cluster_id FROM emerging_topics WHERE status = 'active' AND size = 0"
    ).fetchall()
    for (cid,) in gone:
        con.execute(
            "INSERT INTO emerging_events VALUES (?, ?, 'gone', ?, NULL, NULL)", [run_id, now, cid]
        )
    con.execute("UPDATE emerging_topics SET status = 'gone' WHERE status = 'active' AND size = 0")
    con.execute(
        "UPDATE emerging_topics SET shown = (status = 'active' AND size >= ? AND coherence >= ?)",
        [discovery.MIN_SHOWN_SIZE, discovery.MIN_COHERENCE],
    )
    if discovery.MAX_KNOWN_SHARE is None:  # the shipped setting (see its comment)
        return
    # Mostly one known topic (members' current tags): a margin of that topic, not a new one.
    con.execute(
        f"""UPDATE emerging_topics e SET shown = false
            FROM (SELECT cluster_id,
                         max(n) FILTER (WHERE topic_id <> '{OTHER}') / sum(n) AS share
                  FROM (SELECT p.cluster_id, t.topic_id, count(*) AS n
                        FROM emerging_points p JOIN tags t USING (conversation_id)
                        WHERE p.cluster_id IS NOT NULL GROUP BY ALL)
                  GROUP BY cluster_id) k
            WHERE k.cluster_id = e.cluster_id AND e.shown AND k.share >= ?""",
        [discovery.MAX_KNOWN_SHARE],
    )
