"""Several removed families per data set, the novelty ratio chosen leave-one-dataset-out.

  .venv/bin/python bench/topics.py --families [--data DIR]

Pure-library harness (no store): for each family, the taxonomy loses the family's examples, the
tagger is fitted on what is left, the candidates are `other` / low confidence (the pipeline's
rule) plus, for a novelty ratio r, the conversations whose fit to their own topic is below r ×
the topic's median fit (cockpit.discovery.novelty). Candidates are clustered per vertical with
`cluster_vertical` over three cumulative phases (70% / +15% / +15% of the rows, the same split
as the refresh benchmark), ids carried over between phases as the discover step's re-clustering
does (its placing-by-centroid path is not exercised here). Printed per family: purity, coverage,
id kept, for every r of the grid (and F1 and topics shown for every MAX_KNOWN_SHARE of
KNOWN_SHARES: the share only hides clusters, so one clustering serves them all); then the
leave-one-dataset-out choice of (r, share) (`choose`: best mean F1 of purity and coverage over
the two other sets' families, then fewest topics shown within F1_TOLERANCE) and the held-out
figures. `BENCH_<NAME>=x` runs it with another value of clustering.<NAME>, for NAME in
MERGE_SIMILARITY, ASSIGN_QUANTILE, MIN_SAMPLES, MIN_CLUSTER_SHARE;
`BENCH_DUMP=path` pickles the results after each family.

Families (the rule, fixed before any result was seen): the data set's label groups (Bitext:
category; CLINC150: intent, with rewards_balance + redeem_rewards as one family; MultiDoGo:
primary intent) with at least MIN_FAMILY_ROWS rows, the legacy family of each set first
(Bitext REFUND, CLINC150 rewards), then families drawn with a seeded generator (FAMILY_SEED)
until FAMILIES_PER_SET. Removing a family: its home topic is the topic the full-taxonomy
tagger gives most of its rows; from that topic go the examples whose nearest family centroid
(of the set's families in the vertical) is this family; a topic left with fewer than
MIN_KEPT_EXAMPLES examples is removed whole.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cockpit import embedding as E
from cockpit.discovery import CLUSTER_COLUMNS, cluster_vertical, is_shown, known_share
from cockpit.discovery.clustering import unit
from cockpit.discovery.novelty import novel_mask, topic_fit
from cockpit.settings import Settings
from cockpit.tagging.tagger import fit_tagger, training_examples
from cockpit.tagging.taxonomy import OTHER, load_taxonomy

MIN_FAMILY_ROWS = 80  # ≥ 56 in the initial load: room for a shown topic (≥ 20) at 40% coverage
FAMILIES_PER_SET = 3
FAMILY_SEED = 13
MIN_KEPT_EXAMPLES = 3
LOW_CONFIDENCE = 0.5  # the pipeline's rule (pipelines/discover.py)
# None: the old rule (other / low confidence only). 0.95 and 1.0 left the grid: on Bitext they
# add 32% / 48% of the vertical (over CANDIDATE_BUDGET); 0.85 left it for time (2-core machine).
RATIOS = (None, 0.8, 0.9)
PHASE_SHARES = (0.70, 0.15, 0.15)
# Grid of cockpit.discovery MAX_KNOWN_SHARE (None: no such filter, the old rule): a cluster
# whose members are mostly (this share or more) tagged with one known topic is hidden.
KNOWN_SHARES = (None, 0.5, 0.6, 0.7, 0.8, 0.9)
# Choosing (ratio, share) leave-one-dataset-out: the best mean F1 on the training sets, then,
# among the pairs within this much of it, the one that shows fewest topics. 0.01 of a mean
# over six families is one family losing ~0.06 F1: below what one seed change moves.
F1_TOLERANCE = 0.01
# Most of a vertical's conversations novelty may add to the candidates (mean over the training
# families): one in five. Discovery is about the margin the taxonomy misses, and the noise it
# clusters grows with the candidates (spurious topics, cost). Without a budget the choice runs
# to the grid's top, where half of every topic is "novel" and known topics come back as
# emerging ones (the "topics shown" column).
CANDIDATE_BUDGET = 0.2
MULTIDOGO_VERTICAL = {
    "airline": "ecommerce", "fastfood": "ecommerce", "finance": "fintech",
    "insurance": "fintech", "media": "saas", "software": "saas",
}  # fmt: skip
LEGACY = {"bitext": "REFUND", "clinc150": "rewards"}


def load_sets(data: Path) -> dict[str, pd.DataFrame]:
    """text, vertical, family for each data set."""
    bitext = pd.read_csv(data / "bitext" / "bitext_cs_8k.csv")
    clinc = pd.read_csv(data / "clinc150" / "clinc150_cs_subset.csv")
    clinc = clinc[clinc.domain.isin(["banking", "credit_cards"])]
    md = pd.read_json(data / "multidogo" / "conversations_test.jsonl", lines=True)
    rewards = clinc.intent.isin(["rewards_balance", "redeem_rewards"])
    return {
        "bitext": pd.DataFrame({"text": bitext.utterance, "vertical": "ecommerce",
                                "family": bitext.category}),
        "clinc150": pd.DataFrame({"text": clinc.text.to_numpy(), "vertical": "fintech",
                                  "family": np.where(rewards, "rewards", clinc.intent)}),
        "multidogo": pd.DataFrame({
            "text": [E.embed_text(None, [t["text"] for t in turns]) for turns in md.customer_turns],
            "vertical": md.domain.map(MULTIDOGO_VERTICAL),
            "family": md.primary_intent.fillna("(none)"),
        }),
    }  # fmt: skip


def pick_families(name: str, frame: pd.DataFrame) -> list[str]:
    """The rule of the module docstring."""
    sizes = frame["family"].value_counts()
    eligible = sorted(
        f for f, n in sizes.items() if n >= MIN_FAMILY_ROWS and f not in ("(none)", "oos")
    )
    chosen = [LEGACY[name]] if name in LEGACY else []
    rng = np.random.default_rng(FAMILY_SEED)
    for f in rng.permutation([f for f in eligible if f not in chosen]):
        if len(chosen) == FAMILIES_PER_SET:
            break
        chosen.append(str(f))
    return chosen


def taxonomy_without(base: Path, folder: Path, topic: str, drop_examples: set[str]) -> Path:
    """A copy of the taxonomy folder with `drop_examples` gone from `topic` (whole topic if few
    examples are left)."""
    shutil.copytree(base, folder)
    for path in folder.glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        if not isinstance(doc, dict) or not doc.get("topics"):
            continue
        changed = False
        for t in list(doc["topics"]):
            if t.get("id") != topic:
                continue
            examples = t.get("examples") or {}
            if isinstance(examples, dict):
                t["examples"] = {
                    k: [e for e in v if e not in drop_examples] for k, v in examples.items()
                }
                kept = sum(len(v) for v in t["examples"].values())
            else:
                t["examples"] = [e for e in examples if e not in drop_examples]
                kept = len(t["examples"])
            if kept < MIN_KEPT_EXAMPLES:
                doc["topics"].remove(t)
            changed = True
        if changed:
            path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return folder


def _topic_examples(taxonomy) -> tuple[list[str], list[str]]:
    _, topic_rows = training_examples(taxonomy, descriptions=False)
    return [r[0] for r in topic_rows], [r[1] for r in topic_rows]


def _phases(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(len(PHASE_SHARES), n, p=list(PHASE_SHARES))


def _known_share(members: set[str], topic: np.ndarray) -> float:
    rows = [int(c[1:]) for c in members]
    return known_share(topic[rows]) if rows else 0.0


def run_family(frame, vectors, tags, fit, ex_types, family, ratio, phases) -> dict:
    """For each MAX_KNOWN_SHARE of the grid: purity, coverage (last phase), min over the
    phases, id kept, topics shown; one clustering per ratio (the filter only hides)."""
    vertical = frame.loc[frame.family == family, "vertical"].iloc[0]
    in_v = (frame["vertical"] == vertical).to_numpy()
    topic = tags["topic_id"].to_numpy()
    base = (topic == OTHER) | (tags["topic_confidence"].to_numpy() < LOW_CONFIDENCE)
    cand = in_v & (base | novel_mask(topic, fit, ratio))
    seq = {t: {"ids": [], "covs": [], "purs": [], "shown": []} for t in KNOWN_SHARES}
    previous = pd.DataFrame(columns=CLUSTER_COLUMNS)
    prev_points = pd.DataFrame({"conversation_id": [], "cluster_id": []})
    counter = iter(range(1, 10_000))
    start = pd.Timestamp("2026-08-03")
    for phase in range(len(PHASE_SHARES)):
        rows = np.flatnonzero(cand & (phases <= phase))
        cands = pd.DataFrame({
            "conversation_id": [f"r{i}" for i in rows], "account_id": "a",
            "created_at": start + pd.to_timedelta(phases[rows] * 10, "D"),
            "text": frame["text"].to_numpy()[rows],
        })  # fmt: skip
        result = cluster_vertical(
            vertical, cands, vectors[rows], previous, prev_points, (ex_types[0], ex_types[1]),
            lambda: f"em{next(counter):05d}", seed=0,
        )  # fmt: skip
        previous, prev_points = result.clusters, result.points
        fam = {
            f"r{i}" for i in np.flatnonzero((frame.family == family).to_numpy() & (phases <= phase))
        }
        members = (
            result.points.dropna(subset=["cluster_id"])
            .groupby("cluster_id")["conversation_id"]
            .agg(set)
        )
        shares = {
            r.cluster_id: _known_share(members.get(r.cluster_id, set()), topic)
            for r in result.clusters.itertuples()
        }
        for t in KNOWN_SHARES:
            shown = [
                r.cluster_id
                for r in result.clusters.itertuples()
                if is_shown(r.status, r.size, r.coherence, shares[r.cluster_id], t)
            ]
            best, shared = None, 0
            for cid in shown:
                k = len(fam & members.get(cid, set()))
                if k > shared:
                    best, shared = cid, k
            size = len(members.get(best, ())) if best else 0
            s = seq[t]
            s["ids"].append(best)
            s["purs"].append(shared / size if size else 0.0)
            s["covs"].append(shared / max(len(fam), 1))
            s["shown"].append(len(shown))
            if phase == len(PHASE_SHARES) - 1:  # where the family went (shares of the family)
                cluster = result.points.set_index("conversation_id")["cluster_id"]
                placed = cluster.reindex(sorted(fam))
                n = max(len(fam), 1)
                shown_set = set(shown)
                s["where"] = {
                    "not_candidate": float(placed.index.difference(cluster.index).size / n),
                    "noise": float((placed.index.isin(cluster.index) & placed.isna()).sum() / n),
                    "main_topic": shared / n,
                    "other_shown": float(placed.isin(shown_set - {best}).sum() / n),
                    "hidden": float((placed.notna() & ~placed.isin(shown_set)).sum() / n),
                }
    out = {}
    for t, s in seq.items():
        out[t] = {
            "purity": s["purs"][-1], "coverage": s["covs"][-1], "min_coverage": min(s["covs"]),
            "min_purity": min(s["purs"]), "id_kept": s["ids"][0] is not None and len(set(s["ids"])) == 1,
            "candidates": int(cand.sum()), "share": float(cand.sum() / in_v.sum()),
            "added": float((cand & ~base).sum() / in_v.sum()), "shown": s["shown"][-1],
            "reach": float(cand[(frame.family == family).to_numpy()].mean()),
            "where": s.get("where", {}),
        }  # fmt: skip
    return out


def f1(r: dict) -> float:
    p, c = r["min_purity"], r["min_coverage"]
    return 2 * p * c / (p + c) if p + c else 0.0


def main(data: Path, embedder_name: str) -> None:
    from cockpit.discovery import clustering

    for name in ("MERGE_SIMILARITY", "ASSIGN_QUANTILE", "MIN_SAMPLES", "MIN_CLUSTER_SHARE"):
        # clusterer settings under test (README)
        if os.environ.get(f"BENCH_{name}"):
            kind = type(getattr(clustering, name))  # int or float
            setattr(clustering, name, kind(float(os.environ[f"BENCH_{name}"])))
    sets = load_sets(data)
    work = Path(tempfile.mkdtemp(prefix="cockpit-families-"))
    settings = Settings(home=work / "home", embedder=embedder_name)
    settings.home.mkdir(parents=True)
    from bench.topics import CACHE

    if CACHE.exists():
        shutil.copyfile(CACHE, settings.embeddings_path)
    import duckdb

    con = duckdb.connect()
    E.attach_cache(con, settings.embeddings_path)
    embedder = E.make_embedder(settings)
    embed = E.cached_embed(con, embedder, embedder.model_id)
    from cockpit.tagging import taxonomy as module

    base_dir = module.DEFAULT_DIR
    full = load_taxonomy()
    results: dict[str, dict[str, dict]] = {}
    t0 = time.perf_counter()
    try:
        for name, frame in sets.items():
            vectors = unit(embed(frame["text"].tolist()))
            tagger = fit_tagger(full, embed)
            home = tagger.predict(vectors, frame["vertical"].tolist())["topic_id"].to_numpy()
            families = pick_families(name, frame)
            phases = _phases(len(frame), seed=7)
            results[name] = {}
            for family in families:
                is_f = (frame.family == family).to_numpy()
                topic = pd.Series(home[is_f]).mode().iloc[0]
                # examples of `topic` nearer to this family's centroid than to any other family's
                in_v = (frame.vertical == frame.vertical[is_f].iloc[0]).to_numpy()
                fams = frame.family[in_v].to_numpy()
                labels = sorted(set(fams))
                cents = unit(np.vstack([vectors[in_v][fams == f].mean(0) for f in labels]))
                texts, topics = _topic_examples(full)
                mine = [t for t, tp in zip(texts, topics, strict=True) if tp == topic]
                nearest = np.argmax(unit(embed(mine)) @ cents.T, axis=1) if mine else []
                drop = {t for t, j in zip(mine, nearest, strict=True) if labels[j] == family}
                folder = taxonomy_without(base_dir, work / f"tax-{name}-{family}", topic, drop)
                reduced = load_taxonomy(folder)
                tags = fit_tagger(reduced, embed).predict(vectors, frame["vertical"].tolist())
                ex_texts, ex_topics = _topic_examples(reduced)
                fit = topic_fit(
                    vectors, tags["topic_id"].to_numpy(), unit(embed(ex_texts)), ex_topics
                )
                type_rows, _ = training_examples(reduced, descriptions=False)
                ex_types = (unit(embed([r[0] for r in type_rows])), [r[1] for r in type_rows])
                results[name][family] = {}
                for ratio in RATIOS:
                    per = run_family(frame, vectors, tags, fit, ex_types, family, ratio, phases)
                    for t, r in per.items():
                        results[name][family][(ratio, t)] = r
                    if os.environ.get("BENCH_DUMP"):  # partial results survive a stopped run
                        Path(os.environ["BENCH_DUMP"]).write_bytes(pickle.dumps(results))
                    r = per[None]
                    print(
                        f"  {name} {family} (home topic {topic}, {len(drop)} examples removed) "
                        f"r={ratio}: purity {r['purity']:.2f} (min {r['min_purity']:.2f}), "
                        f"coverage {r['coverage']:.2f} (min {r['min_coverage']:.2f}), id "
                        f"{'kept' if r['id_kept'] else 'NOT kept'}; {r['reach']:.0%} of the family "
                        f"were candidates, {r['candidates']} candidates ({r['share']:.0%} of the "
                        f"vertical, {r['added']:.0%} added by novelty), {r['shown']} topics shown; "
                        "by max known share " + ", ".join(
                            f"{t}: F1 {f1(x):.2f} shown {x['shown']}" for t, x in per.items() if t
                        ), flush=True,
                    )  # fmt: skip
    finally:
        con.close()
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings.embeddings_path, CACHE)
        shutil.rmtree(work, ignore_errors=True)
    print(f"({time.perf_counter() - t0:.0f} s)")
    print("leave-one-dataset-out choice of (novelty ratio, max known share), held-out figures:")
    keys = [(r, t) for r in RATIOS for t in KNOWN_SHARES]
    held = []
    for out in results:
        train = [fam for n in results if n != out for fam in results[n].values()]
        best = choose(train, keys)
        score = np.mean([f1(f[best]) for f in train])
        for family, per in results[out].items():
            r = per[best]
            bar = r["min_purity"] >= 0.7 and r["min_coverage"] >= 0.6 and r["id_kept"]
            held.append(r | {"bar": bar})
            print(
                f"  {out} {family}: r={best[0]}, share={best[1]} (train F1 {score:.2f}); "
                f"{r['shown']} topics shown ({per[(best[0], None)]['shown']} without the share "
                f"rule, {per[(None, None)]['shown']} with neither rule): purity "
                f"{r['min_purity']:.2f}, coverage {r['min_coverage']:.2f} (min over the phases), "
                f"id {'kept' if r['id_kept'] else 'NOT kept'}; bar {'met' if bar else 'missed'}"
            )
            if r.get("where"):
                print(
                    "    where the family is at the last phase: "
                    + ", ".join(f"{k.replace('_', ' ')} {v:.0%}" for k, v in r["where"].items())
                )
    every = [f for per in results.values() for f in per.values()]
    chosen = choose(every, keys)
    print(
        f"chosen on all three sets: r={chosen[0]} (pipelines/discover.py NOVELTY_RATIO), "
        f"share={chosen[1]} (cockpit.discovery MAX_KNOWN_SHARE)"
    )
    for label, picked in (("old rule (no novelty)", (None, None)), ("in-sample", chosen)):
        rows = [f[picked] for f in every]
        print(
            f"{label} mean over {len(rows)} families: purity "
            f"{np.mean([h['min_purity'] for h in rows]):.2f}, coverage "
            f"{np.mean([h['min_coverage'] for h in rows]):.2f}, id kept "
            f"{np.mean([h['id_kept'] for h in rows]):.0%}, topics shown "
            f"{np.mean([h['shown'] for h in rows]):.1f}"
        )
    print(
        f"held-out mean over {len(held)} families: purity "
        f"{np.mean([h['min_purity'] for h in held]):.2f}, coverage "
        f"{np.mean([h['min_coverage'] for h in held]):.2f}, id kept "
        f"{np.mean([h['id_kept'] for h in held]):.0%}, topics shown "
        f"{np.mean([h['shown'] for h in held]):.1f}, bar met {sum(h['bar'] for h in held)}/{len(held)}"
    )


def choose(families: list[dict], keys: list[tuple]) -> tuple:
    """(ratio, share): within F1_TOLERANCE of the best mean F1 and inside the candidate budget,
    the pair showing fewest topics (ties: the looser rules, None first)."""
    added = {k: np.mean([f[k]["added"] for f in families]) for k in keys}
    allowed = [k for k in keys if added[k] <= CANDIDATE_BUDGET] or [(None, None)]
    score = {k: np.mean([f1(f[k]) for f in families]) for k in allowed}
    top = max(score.values())
    near = [k for k in allowed if score[k] >= top - F1_TOLERANCE]
    return min(near, key=lambda k: (np.mean([f[k]["shown"] for f in families]), -score[k]))
