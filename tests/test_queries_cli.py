"""`cockpit accounts` / `cockpit account` on a small store built in tmp_path, checked against the
JSON Schemas in cockpit/schemas/."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cockpit import queries, store
from pipelines import score
from pipelines.cli import cli
from pipelines.context import StepContext

SCHEMAS = Path(__file__).resolve().parent.parent / "cockpit" / "schemas"
END = dt.date(2026, 3, 15)
CELLS = [("informational", "billing"), ("personalized", "orders"), ("action", "returns")]


def small_frames(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Four ecommerce accounts, 70 days, three cells; setup known for three of them."""
    rng = np.random.default_rng(seed)
    accounts = pd.DataFrame(
        {
            "account_id": ["acme", "globex", "initech", "umbra"],
            "name": ["Acme", "Globex", "Initech", "Umbra"],
            "vertical": "ecommerce",
            "csm": ["Dana", "Dana", "Sam", "Sam"],
        }
    )
    live = {("acme", "billing"), ("globex", "billing"), ("globex", "orders"),
            ("initech", "returns"), ("umbra", "billing")}  # fmt: skip
    rows = []
    for a in accounts["account_id"]:
        for d in range(70):
            day = END - dt.timedelta(days=d)
            for ty, topic in CELLS:
                for k in range(int(rng.integers(1, 4))):
                    p = 0.8 if (a, topic) in live else 0.1
                    rb = "ai" if rng.random() < p else ("human" if rng.random() < 0.9 else "none")
                    if rng.random() < 0.03:
                        rb = None
                    rows.append({
                        "conversation_id": f"{a}-{d}-{topic}-{k}", "account_id": a,
                        "created_at": pd.Timestamp(day) + pd.Timedelta(hours=9 + k),
                        "text": "hello", "channel": "chat", "ai_involved": True,
                        "resolved_by": rb, "handed_over": rb not in ("ai", None),
                        "handle_time_minutes": float(rng.integers(3, 15)) if rb == "human" else 0.0,
                        "csat": int(rng.integers(1, 6)) if rng.random() < 0.3 else None,
                        "language": "en", "automation_type": ty, "topic_id": topic,
                    })  # fmt: skip
    convs = pd.DataFrame(rows)
    convs["csat"] = convs["csat"].astype("Int64")
    setup = pd.DataFrame(
        [
            {"account_id": a, "enabler": {"billing": "help_content", "orders": "data_connector",
                                          "returns": "procedure"}[t],
             "topic_id": t, "live_since": None}
            for a, t in sorted(live) if a != "umbra"
        ]
    )  # fmt: skip
    return {"accounts": accounts, "conversations": convs, "setup": setup}


def write_sources(con, frames: dict[str, pd.DataFrame]) -> None:
    """Insert the source tables and tags directly (no ingest, no tagging model)."""
    con.register("acc", frames["accounts"])
    con.execute("INSERT INTO accounts (account_id, name, vertical, csm) SELECT * FROM acc")
    con.register("cv", frames["conversations"])
    store.upsert(
        con,
        "conversations",
        "SELECT conversation_id, account_id, created_at, text, channel, ai_involved, "
        "resolved_by, handed_over, handle_time_minutes, csat, language FROM cv",
    )
    store.upsert(con, "tags", "SELECT conversation_id, automation_type, topic_id FROM cv")
    con.register("st", frames["setup"])
    con.execute(
        "INSERT INTO setup (account_id, enabler, topic_id, live_since) "
        "SELECT account_id, enabler, topic_id, CAST(live_since AS DATE) FROM st"
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from cockpit.settings import Settings

    settings = Settings(home=tmp_path_factory.mktemp("scoring") / "home", embedder="hashing")
    with store.writing(settings, "test") as con:
        write_sources(con, small_frames())
        counts = score.run(StepContext(con=con, settings=settings, run_id="t"))
    assert counts["accounts"] == 4
    return settings.home


def _invoke(home, *args):
    return CliRunner().invoke(cli, list(args), env={"COCKPIT_HOME": str(home)})


def _schema(name):
    return json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))


def test_accounts_json_matches_schema(home):
    r = _invoke(home, "accounts", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    jsonschema.validate(rows, _schema("accounts"))
    assert {x["account_id"] for x in rows} == {"acme", "globex", "initech", "umbra"}
    assert rows == sorted(rows, key=lambda x: -x["gap_pts"])
    dana = json.loads(_invoke(home, "accounts", "--csm", "Dana", "--json").output)
    assert {x["account_id"] for x in dana} == {"acme", "globex"}


def test_account_json_matches_schema(home):
    r = _invoke(home, "account", "acme", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    jsonschema.validate(data, _schema("account"))
    assert data["as_of"] == END.isoformat()
    assert data["performance"]["window_days"] == 28
    assert 0 < data["performance"]["automation_rate"] < 1
    assert data["potential"]["automation_rate"] > data["performance"]["automation_rate"]
    assert data["top_issues"] and data["next_best_actions"]
    kinds = {(a["kind"], a["topic_id"]) for a in data["next_best_actions"]}
    assert ("help_content", "billing") not in kinds  # acme's billing help content is live
    assert ("data_connector", "orders") in kinds
    assert sum(m["share"] for m in data["mix"]) == pytest.approx(1.0)


def test_every_account_validates(home):
    con = store.read_only(home / "cockpit.duckdb")
    try:
        for row in queries.accounts_list(con):
            jsonschema.validate(queries.account_report(con, row["account_id"]), _schema("account"))
    finally:
        con.close()


def test_account_human_output(home):
    r = _invoke(home, "account", "globex")
    assert r.exit_code == 0, r.output
    assert "Globex (globex)" in r.output and "potential" in r.output and "%" in r.output
    assert "next best actions:" in r.output
    listing = _invoke(home, "accounts")
    assert listing.exit_code == 0 and "umbra" in listing.output


def test_unknown_account_error(home):
    r = _invoke(home, "account", "nope")
    assert r.exit_code == 1
    assert r.output.strip() == "Error: no account 'nope'; run 'cockpit accounts' to list them"


def test_help_documents_json_and_ends_with_example(home):
    for cmd in ("accounts", "account", "backtest"):
        r = _invoke(home, cmd, "--help")
        head = r.output.split("Options:")[0]
        assert "JSON" in head
        assert [x.strip() for x in head.splitlines() if x.strip()][-1].startswith(
            "Example: cockpit"
        )
