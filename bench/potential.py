"""Potential benchmark: the estimate against the true achievable rate, on two books.

Books (each a Cockpit home that `cockpit ingest` + `cockpit refresh` built):
- demo: `cockpit demo` (truth in its `demo_truth` tables);
- eval: the evaluation book of `bench/evalbook` (real customer messages, an independent outcome
  model; truth in `<files>/truth/`). Build it with
      python -m bench.evalbook.generate /tmp/evalfiles --data ../shared/data
      COCKPIT_HOME=/tmp/eval cockpit ingest /tmp/evalfiles/*.parquet && cockpit refresh

For each book it re-runs the potential as of the book's last day with the stored tags (what a user
gets; with the per-conversation counterfactual over the book's cached vectors, as the score step
does) and with the generator's true tags (the rest is the tagging-noise share of the error), and
prints MAE, bias, MAE / bias on the accounts with a missing enabler, MAE on the accounts with
everything live, the share within 5 points and the coverage of the likely range.

Truth is stated like Cockpit's automation rate (AI-resolved / known outcome): the demo's truth
counts unknown outcomes in its denominator, so it is divided by (1 − its unknown-outcome rate).

Usage: python bench/potential.py --demo /tmp/demo --eval /tmp/eval --eval-files /tmp/evalfiles
       [--more-demo HOME ...] [--more-eval HOME:FILES ...]   (other seeds; adds a summary)
       [--groups] [--cells] [--stored-only] [--set knn_weight=0.5 ...]
       python bench/potential.py --cost 500000   (the counterfactual's time at that size)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cockpit import store  # noqa: E402
from cockpit.embedding.cache import lookup_vectors  # noqa: E402
from cockpit.scoring import metrics  # noqa: E402
from cockpit.scoring.inputs import potential_inputs, read_setup, window_conversations  # noqa: E402
from cockpit.scoring.potential import DEFAULT_PARAMS, PotentialParams, potential_for  # noqa: E402


@dataclass
class Book:
    """One book: a reader on its store, its truth and its true tags."""

    name: str
    con: object
    truth: pd.DataFrame  # account_id, truth, missing (bool: an enabler is missing at the end)
    true_tags: pd.DataFrame  # conversation_id, automation_type, topic_id
    home: Path | None = None
    files: Path | None = None  # the evaluation book's generator folder
    _vectors: dict = dataclasses.field(default_factory=dict)

    def neighbours(self, source: str, as_of, window_days: int, key: str):
        """(window conversations, their vectors) from the book's embedding cache, read-only."""
        if key not in self._vectors:
            conv = window_conversations(self.con, source, as_of, window_days)
            path = str(self.home / "embeddings.duckdb").replace("'", "''")
            dbs = {
                r[0]
                for r in self.con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
            }
            if "emb" not in dbs:
                self.con.execute(f"ATTACH '{path}' AS emb (READ_ONLY)")
            model = conv["model_id"].iloc[0]
            vec = lookup_vectors(self.con, conv["text_hash"].tolist(), model)
            self._vectors[key] = (conv.drop(columns=["text_hash", "model_id"]), vec)
        return self._vectors[key]


def demo_book(home: Path) -> Book:
    """The demo workspace under `home`."""
    from cockpit.demo.params import UNKNOWN_OUTCOME_RATE

    con = store.read_only(home / "cockpit.duckdb")
    truth = con.execute(
        f"""SELECT t.account_id, t.achievable_automation_rate / (1 - {UNKNOWN_OUTCOME_RATE}) AS truth,
                  bool_or(c.live_since IS NULL OR c.live_since > (SELECT max(CAST(created_at AS DATE))
                                                                FROM conversations)) AS missing
           FROM demo_truth t JOIN demo_truth_cells c USING (account_id)
           WHERE c.automation_type <> 'unknown' AND c.topic_id <> 'other' GROUP BY ALL"""
    ).df()
    tags = con.execute(
        "SELECT conversation_id, automation_type, topic_id FROM demo_conversation_truth"
    ).df()
    truth["has_setup"], truth["setup_wrong"] = True, False
    return Book("demo", con, truth, tags, home)


def eval_book(home: Path, files: Path) -> Book:
    """The evaluation book: store under `home`, truth files under `files/truth`."""
    con = store.read_only(home / "cockpit.duckdb")
    t = pd.read_parquet(files / "truth" / "evalbook_truth.parquet")
    truth = pd.DataFrame(
        {
            "account_id": t["account_id"],
            "truth": t["achievable_automation_rate"],
            "missing": t["missing_units"] > 0,
            "has_setup": t["has_setup"],
            "setup_wrong": t["setup_wrong"],
        }
    )
    tags = pd.read_parquet(files / "truth" / "evalbook_conversation_truth.parquet")
    tags = tags[["conversation_id", "automation_type", "topic_id"]]
    return Book("eval", con, truth, tags, home, files)


def predict(book: Book, params: PotentialParams, true_tags: bool = False) -> pd.DataFrame:
    """The potential per account as of the book's last day (stored or true tags)."""
    return run(book, params, true_tags)["potential"]


def run(book: Book, params: PotentialParams, true_tags: bool = False) -> dict[str, pd.DataFrame]:
    """`potential_for`'s frames as of the book's last day (stored or true tags), with the
    window's known-outcome conversations (`window`: conversation_id and its account × cell)."""
    con = book.con
    tags = "tags"
    if true_tags:
        con.register("_true_tags", book.true_tags)
        tags = "_true_tags"
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _bench_scored AS " + metrics.scored_relation(tags=tags)
    )
    as_of = metrics.as_of_date(con, "_bench_scored")
    inputs = potential_inputs(
        con,
        "_bench_scored",
        as_of,
        params.window_days,
        read_setup(con),
        tags=None if true_tags else "tags",
        soft=params.soft_types and not true_tags,
    )
    nb = None
    if params.knn_weight > 0:
        nb = book.neighbours("_bench_scored", as_of, params.window_days, str(true_tags))
    res = potential_for(
        inputs.cells, inputs.setup, as_of, params, previous=inputs.previous, neighbours=nb
    )
    res["window"] = con.execute(
        f"""SELECT conversation_id, account_id, automation_type, topic_id FROM _bench_scored
            WHERE resolved_by IS NOT NULL
              AND CAST(created_at AS DATE) > DATE '{as_of}' - {int(params.window_days)}"""
    ).df()
    return res


def score(pred: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """MAE / bias (points), the same on accounts with a missing enabler, within-5, coverage."""
    m = pred.merge(truth, on="account_id")
    err = 100 * (m["potential"] - m["truth"])
    inside = (m["truth"] >= m["low"] - 1e-9) & (m["truth"] <= m["high"] + 1e-9)
    miss = m["missing"].astype(bool)
    return {
        "n": len(m),
        "mae": float(err.abs().mean()),
        "bias": float(err.mean()),
        "n_missing": int(miss.sum()),
        "mae_missing": float(err[miss].abs().mean()) if miss.any() else np.nan,
        "bias_missing": float(err[miss].mean()) if miss.any() else np.nan,
        "mae_live": float(err[~miss].abs().mean()) if (~miss).any() else np.nan,
        "within5": float((err.abs() <= 5).mean()),
        "coverage": float(inside.mean()),
        "width": float(100 * (m["high"] - m["low"]).mean()),
        # The interval scale that would cover 80% of this book (|error| / sd, 80th percentile).
        "scale80": float(np.quantile((err.abs() / (100 * m["sd"])).to_numpy(), 0.8))
        if "sd" in m
        else np.nan,
    }


def table(books: list[Book], params: PotentialParams, true_tags_too: bool = True) -> pd.DataFrame:
    """One row per book × tags (stored, true)."""
    rows = []
    for book in books:
        for true_tags in (False, True) if true_tags_too else (False,):
            s = score(predict(book, params, true_tags), book.truth)
            rows.append({"book": book.name, "tags": "true" if true_tags else "stored", **s})
    return pd.DataFrame(rows)


def seed_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per book kind (demo, eval) × tags over its seeds: mean, min and max of MAE, bias,
    missing-enabler MAE and coverage."""
    kind = rows["book"].str.split("#").str[0]
    cols = ["mae", "bias", "mae_missing", "coverage"]
    out = rows.assign(kind=kind).groupby(["kind", "tags"])[cols].agg(["mean", "min", "max"])
    out.columns = [f"{c}_{stat}" for c, stat in out.columns]
    seeds = rows.assign(kind=kind).groupby(["kind", "tags"]).size().rename("seeds")
    return out.join(seeds).reset_index()


def groups(book: Book, params: PotentialParams) -> pd.DataFrame:
    """MAE / bias (points) per account group: missing enabler or all live, setup right / none /
    wrong (the evaluation book's truth says which), with the worst account."""
    m = predict(book, params).merge(book.truth, on="account_id")
    err = 100 * (m["potential"] - m["truth"])
    right = m["has_setup"].astype(bool) & ~m["setup_wrong"].astype(bool)
    masks = {
        "missing enabler": m["missing"].astype(bool),
        "all live": ~m["missing"].astype(bool),
        "setup right": right,
        "no setup": ~m["has_setup"].astype(bool),
        "setup wrong": m["setup_wrong"].astype(bool),
        "all but the worst": err.abs() < err.abs().max(),
    }
    rows = [
        {"book": book.name, "group": g, "n": int(k.sum()), "mae": err[k].abs().mean(),
         "bias": err[k].mean()}
        for g, k in masks.items()
        if k.any()
    ]  # fmt: skip
    worst = int(err.abs().to_numpy().argmax())
    rows.append({"book": book.name, "group": f"worst: {m['account_id'].iloc[worst]}", "n": 1,
                 "mae": abs(err.iloc[worst]), "bias": err.iloc[worst]})  # fmt: skip
    return pd.DataFrame(rows)


# A cell's true state from its conversations' truth: the share of its achievable rate it reaches
# now (p_now / p_full over the window). Below half it is "not live", from 95% on "live"
# (a unit live all window reaches 100%), in between "partial" (part of its requests covered, or
# going live during the window).
STATE_BINS = [-0.01, 0.5, 0.95, 1.01]
STATE_NAMES = ["not live", "partial", "live"]


def cell_breakdown(book: Book, params: PotentialParams, true_tags: bool = False) -> pd.DataFrame:
    """Where the error comes from, cell by cell (the evaluation book only: it needs the
    per-conversation truth `p_full`, `p_now`). Per true cell state × where the estimate took its
    status from (setup / inferred) × the mixture's verdict (working: p_work > 0.5), the lift the
    estimate gives and the true lift, in points per account (they add up to the book's bias up
    to the floor at today's rate and the realised-versus-expected noise of today's rate)."""
    ct = pd.read_parquet(book.files / "truth" / "evalbook_conversation_truth.parquet")
    if "p_full" not in ct:
        raise SystemExit(
            f"{book.files}: its conversation truth has no p_full / p_now; regenerate it with "
            "python -m bench.evalbook.generate (the same seed writes the same book)"
        )
    res = run(book, params, true_tags)
    key = ["account_id", "automation_type", "topic_id"]
    # The window's cells are the tags the estimate used (stored or true).
    w = res["window"].merge(ct.drop(columns=["automation_type", "topic_id"]), on="conversation_id")
    truth = w.groupby(key).agg(nt=("p_full", "size"), tfull=("p_full", "mean"),
                               tnow=("p_now", "mean")).reset_index()  # fmt: skip
    truth["tshare"] = truth["nt"] / truth.groupby("account_id")["nt"].transform("sum")
    c = res["contributions"][[*key, "target_rate", "weight"]]
    x = res["cells"].merge(c, on=key, how="left").merge(truth, on=key, how="outer")
    x = x[x["enabler"].notna() & x["tfull"].notna()]
    x["state"] = pd.cut(x["tnow"] / x["tfull"], STATE_BINS, labels=STATE_NAMES)
    x["status"] = x["status_source"].fillna("none")
    x["verdict"] = np.where(x["p_work"] > 0.5, "working", "not working")
    x["est"] = 100 * x["weight"].fillna(0) * (x["target_rate"] - x["rho_window"]).fillna(0)
    x["true"] = 100 * x["tshare"] * (x["tfull"] - x["tnow"])
    accounts = res["potential"]["account_id"].nunique()
    g = x.groupby(["state", "status", "verdict"], observed=True).agg(
        cells=("nt", "size"), est=("est", "sum"), true=("true", "sum")
    )
    g[["est", "true"]] /= accounts
    g["error"] = g["est"] - g["true"]
    return g.reset_index().assign(book=book.name, tags="true" if true_tags else "stored")


def cost(n: int, seed: int = 0, accounts: int = 2000, cells: int = 15) -> dict[str, float]:
    """Seconds of the per-conversation counterfactual on `n` known outcomes of one vertical
    (random unit vectors, 384 dims, `accounts` accounts × `cells` cells, half of the cells
    working): what the score step adds at that size, with the caps of `counterfactual`."""
    import time

    from cockpit.scoring import counterfactual as cf

    rng = np.random.default_rng(seed)
    acc = rng.integers(0, accounts, n)
    cell = rng.integers(0, cells, n)
    conv = pd.DataFrame(
        {"account_id": [f"a{a}" for a in acc], "vertical": "v", "automation_type": "informational",
         "topic_id": [f"t{c}" for c in cell], "ai": rng.integers(0, 2, n)}
    )  # fmt: skip
    vec = rng.standard_normal((n, 384)).astype("float32")
    keys = conv[cf.KEYC].drop_duplicates()
    working = keys.assign(p_work=np.where(keys["topic_id"].str[1:].astype(int) % 2 == 0, 0.9, 0.1))
    delta = pd.Series(0.0, index=pd.Index(keys["account_id"].unique()))
    t0, c0 = time.perf_counter(), time.process_time()
    out = cf.cell_counterfactual(conv, vec, working, delta)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    # CPU seconds say the cost on a busy machine (wall seconds then include waiting for a core).
    return {"known_outcomes": n, "cells": len(keys), "asked": int(out["n_knn"].sum()),
            "wall_s": round(seconds, 1), "cpu_s": round(cpu, 1)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--demo", type=Path, help="COCKPIT_HOME of the demo")
    p.add_argument("--eval", type=Path, help="COCKPIT_HOME of the evaluation book")
    p.add_argument("--eval-files", type=Path, help="folder the generator wrote")
    p.add_argument(
        "--more-demo", action="append", default=[], type=Path, metavar="HOME",
        help="another demo book (another seed); repeatable",
    )  # fmt: skip
    p.add_argument(
        "--more-eval", action="append", default=[], metavar="HOME:FILES",
        help="another evaluation book (another seed) and its files; repeatable",
    )  # fmt: skip
    p.add_argument("--set", action="append", default=[], help="param=value overrides")
    p.add_argument("--stored-only", action="store_true", help="skip the true-tags rows")
    p.add_argument("--groups", action="store_true", help="also MAE / bias per account group")
    p.add_argument(
        "--cells", action="store_true",
        help="also the error per true cell state (evaluation books), stored and true tags",
    )  # fmt: skip
    p.add_argument(
        "--cost", type=int, default=0, help="only time the counterfactual on this many outcomes"
    )
    a = p.parse_args()
    if a.cost:
        print(cost(a.cost), "load", " ".join(f"{x:.1f}" for x in __import__("os").getloadavg()))
        return
    params = DEFAULT_PARAMS
    for kv in a.set:
        k, v = kv.split("=", 1)
        cur = getattr(params, k)
        params = dataclasses.replace(
            params, **{k: type(cur)(v) if not isinstance(cur, bool) else v == "1"}
        )
    if not (a.demo and a.eval and a.eval_files):
        p.error("--demo, --eval and --eval-files are required (unless --cost)")
    books = [demo_book(a.demo), eval_book(a.eval, a.eval_files)]
    for i, home in enumerate(a.more_demo, start=2):
        books.append(dataclasses.replace(demo_book(home), name=f"demo#{i}"))
    for i, pair in enumerate(a.more_eval, start=2):
        home, _, files = pair.partition(":")
        if not files:
            p.error(f"--more-eval takes HOME:FILES (the generator's folder); got {pair!r}")
        books.append(dataclasses.replace(eval_book(Path(home), Path(files)), name=f"eval#{i}"))
    pd.set_option("display.width", 200)
    rows = table(books, params, not a.stored_only)
    print(rows.round(2).to_string(index=False))
    if len(books) > 2:  # several seeds: a setting must hold on every draw, not on one
        print(seed_summary(rows).round(2).to_string(index=False))
    if a.groups:
        print(pd.concat([groups(b, params) for b in books]).round(2).to_string(index=False))
    if a.cells:
        evals = [b for b in books if b.files is not None]
        parts = [cell_breakdown(b, params, t) for b in evals for t in (False, True)]
        print(pd.concat(parts).round(2).to_string(index=False))


if __name__ == "__main__":
    main()
