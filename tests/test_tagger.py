"""Tagger logic with the hashing fake: determinism, masking, `other`, corrections, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cockpit.embedding import HashingEmbedder
from cockpit.tagging.tagger import fit_tagger, training_examples
from cockpit.tagging.taxonomy import custom_taxonomy, load_taxonomy
from tests.test_taxonomy import write_custom, write_taxonomy

EMBED = HashingEmbedder().embed


@pytest.fixture
def taxonomy(tmp_path):
    return load_taxonomy(
        write_taxonomy(tmp_path / "tax"), custom_dir=write_custom(tmp_path / "custom").parent
    )


def _predict(tagger, texts, vertical="ecommerce", account=None):
    return tagger.predict(EMBED(texts), [vertical] * len(texts), [account] * len(texts))


def test_predicts_types_and_topics(taxonomy):
    tagger = fit_tagger(taxonomy, EMBED)
    out = _predict(tagger, ["where is my order parcel", "please cancel my order"])
    assert list(out.columns) == [
        "automation_type",
        "type_confidence",
        "topic_id",
        "topic_confidence",
        "p_informational",
        "p_personalized",
        "p_action",
    ]
    assert out.topic_id.tolist() == ["orders", "orders"]
    assert out.automation_type.tolist() == ["personalized", "action"]
    for col in ("type_confidence", "topic_confidence"):
        assert out[col].between(0, 1).all()
    probs = out[["p_informational", "p_personalized", "p_action"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    # The tagged type's probability is its stored confidence.
    np.testing.assert_allclose(probs[[0, 1], [1, 2]], out["type_confidence"].to_numpy())


def test_type_probabilities_give_the_tagged_type_its_confidence():
    from cockpit.tagging.tagger import type_probabilities

    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    classes = ["informational", "personalized", "action"]
    # Row 1 was overridden to "informational" with confidence 0.9; row 3's type is unknown.
    types = np.array(["informational", "informational", "personalized", "unknown"], dtype=object)
    conf = np.array([0.8, 0.9, 0.7, 0.5])
    out = type_probabilities(probs, classes, types, conf)
    # The other types share 1 − confidence in proportion to the head: 0.2 · (0.75, 0.25).
    np.testing.assert_allclose(out[0], [0.8, 0.15, 0.05])
    np.testing.assert_allclose(out[1], [0.9, 0.025, 0.075])
    # The head gives the other types nothing: they share the rest evenly.
    np.testing.assert_allclose(out[2], [0.15, 0.7, 0.15])
    assert np.isnan(out[3]).all()


def test_fitting_twice_gives_identical_tags(taxonomy):
    texts = ["where is my parcel", "my bank card was declined", "what is the weather", "invoice"]
    a = _predict(fit_tagger(taxonomy, EMBED, seed=3), texts)
    b = _predict(fit_tagger(taxonomy, EMBED, seed=3), texts)
    pd.testing.assert_frame_equal(a, b)


def test_topics_are_masked_by_vertical(taxonomy):
    tagger = fit_tagger(taxonomy, EMBED)
    text = ["why was my bank card declined"]
    assert _predict(tagger, text, "fintech").topic_id[0] == "cards"
    assert _predict(tagger, text, "ecommerce").topic_id[0] != "cards"
    assert _predict(tagger, text, None).topic_id[0] in ("billing", "other")


def test_custom_topic_only_for_its_account(taxonomy):
    tagger = fit_tagger(taxonomy, EMBED)
    text = ["how many loyalty points do I have left"]
    assert _predict(tagger, text, "ecommerce", "acme").topic_id[0] == "loyalty"
    assert _predict(tagger, text, "ecommerce", "someone-else").topic_id[0] != "loyalty"


def test_custom_topic_default_type_wins(tmp_path):
    tax = load_taxonomy(
        write_taxonomy(tmp_path / "tax"),
        custom_dir=write_custom(tmp_path / "custom", automation_type="action").parent,
    )
    out = _predict(
        fit_tagger(tax, EMBED), ["how many loyalty points do I have left"], account="acme"
    )
    assert (out.topic_id[0], out.automation_type[0]) == ("loyalty", "action")
    assert out.type_confidence[0] == out.topic_confidence[0]


def test_out_of_scope_becomes_other(taxonomy):
    tagger = fit_tagger(taxonomy, EMBED)
    out = _predict(tagger, ["what is the weather forecast today", "tell me a funny joke"])
    assert out.topic_id.tolist() == ["other", "other"]
    assert out.topic_confidence.between(0, 1).all()


def test_threshold_turns_unsure_topics_into_other(taxonomy):
    import dataclasses

    text = ["order invoice"]
    sure = _predict(fit_tagger(taxonomy, EMBED), text)
    assert sure.topic_id[0] != "other"
    strict = dataclasses.replace(
        taxonomy, other_threshold=sure.topic_confidence[0] + 1e-6, _by_id={}
    )
    unsure = _predict(fit_tagger(strict, EMBED), text)
    assert unsure.topic_id[0] == "other"
    assert unsure.topic_confidence[0] == pytest.approx(1 - sure.topic_confidence[0])


def test_corrections_become_training_examples(taxonomy):
    weird = "zorblax quibbit frommage"
    before = _predict(fit_tagger(taxonomy, EMBED), [weird])
    corrections = pd.DataFrame(
        {"text": [weird] * 3, "automation_type": ["action"] * 3, "topic_id": ["billing"] * 3}
    )
    after = _predict(fit_tagger(taxonomy, EMBED, corrections=corrections), [weird])
    assert (after.topic_id[0], after.automation_type[0]) == ("billing", "action")
    assert before.topic_id[0] != "billing" or before.topic_confidence[0] < after.topic_confidence[0]


def test_training_examples_include_descriptions_oos_and_corrections(taxonomy):
    corr = pd.DataFrame({"text": ["x y"], "automation_type": ["action"], "topic_id": ["other"]})
    types, topics = training_examples(taxonomy, corr)
    assert ("Orders: orders and parcels", "orders") in topics
    assert ("tell me a joke", "__oos__") in topics and ("x y", "__oos__") in topics
    assert ("where is my parcel", "personalized", "orders") in types
    assert ("x y", "action", "corrections") in types
    assert not any(
        source == "loyalty" for _, _, source in types
    )  # custom topics without a type: topic only


def test_confidences_are_calibrated_not_flat():
    """Few examples per class: temperature scaling keeps the right class clearly on top."""
    examples = {
        "refund": [f"i want a refund for item {i}" for i in range(6)],
        "password": [f"reset my password please {i}" for i in range(6)],
        "shipping": [f"how long does shipping take {i}" for i in range(6)],
    }
    tagger = fit_tagger(custom_taxonomy(examples), EMBED)
    out = tagger.predict(EMBED(["refund for item please"]), None, ["eval"])
    assert out.topic_id[0] == "refund" and out.topic_confidence[0] > 0.5
    assert np.isfinite(tagger.topic_head.temperature) and tagger.topic_head.temperature > 0


def test_empty_input(taxonomy):
    out = fit_tagger(taxonomy, EMBED).predict(np.zeros((0, 384), dtype=np.float32), [], [])
    assert len(out) == 0 and list(out.columns)[0] == "automation_type"


# --- evaluation -----------------------------------------------------------------------------


def test_few_shot_split_is_seeded_and_disjoint():
    from cockpit.tagging.evaluation import few_shot_split

    labels = ["a"] * 5 + ["b"] * 3 + ["c"] * 1
    tr, te = few_shot_split(labels, 2, seed=1)
    assert sorted(np.concatenate([tr, te]).tolist()) == list(range(9))
    assert [labels[i] for i in tr].count("a") == 2 and [labels[i] for i in tr].count("c") == 1
    np.testing.assert_array_equal(tr, few_shot_split(labels, 2, seed=1)[0])
    assert any(not np.array_equal(tr, few_shot_split(labels, 2, seed=s)[0]) for s in range(2, 6))


def test_score_metrics():
    from cockpit.tagging.evaluation import format_report, score

    r = score(["a", "a", "b", "other"], ["a", "b", "b", "other"], "t", 3)
    assert r.accuracy == 0.75 and r.coverage == 0.75 and r.n_test == 4
    assert r.per_label.set_index("label").loc["a", "recall"] == 0.5
    assert r.confusions.to_dict(orient="records") == [{"true": "a", "predicted": "b", "count": 1}]
    assert "a -> b: 1" in format_report(r)


def test_evaluate_train_file_and_zero_shot_types(tmp_path, taxonomy):
    from cockpit.errors import CockpitError
    from cockpit.tagging.evaluation import evaluate_file

    train = tmp_path / "train.csv"
    pd.DataFrame(
        {"text": ["refund my order now", "i want my money back refund", "reset my password",
                  "forgot password help", "weather today"],
         "label": ["refund", "refund", "password", "password", "oos"]}
    ).to_csv(train, index=False)  # fmt: skip
    test = tmp_path / "test.csv"
    pd.DataFrame(
        {"text": ["refund please", "password reset", "weather tomorrow"],
         "label": ["refund", "password", "other"]}
    ).to_csv(test, index=False)  # fmt: skip
    r = evaluate_file(test, "text", "label", EMBED, taxonomy, train=train)
    assert r.mode == "train file" and r.n_examples == 5 and r.n_test == 3
    assert r.accuracy >= 2 / 3

    types = tmp_path / "types.csv"
    pd.DataFrame(
        {"text": ["where is my order parcel", "cancel my order", "how do orders work"],
         "label": ["personalized", "action", "informational"]}
    ).to_csv(types, index=False)  # fmt: skip
    r = evaluate_file(types, "text", "label", EMBED, taxonomy)
    assert r.mode == "zero-shot types" and r.accuracy == 1.0
    with pytest.raises(CockpitError, match="zero-shot evaluation needs labels"):
        evaluate_file(test, "text", "label", EMBED, taxonomy)


def test_intent_layer_sums_intents_into_types_deterministically(taxonomy):
    from cockpit.tagging.tagger import TypeHeadConfig, fit_type_head

    cfg = TypeHeadConfig(intents=True, mix_weight=0.5)
    texts = ["where is my order parcel", "please cancel my order", "what are the fees"]
    a = fit_type_head(taxonomy, EMBED, seed=1, type_config=cfg)
    b = fit_type_head(taxonomy, EMBED, seed=1, type_config=cfg)
    assert a.classes == ["action", "informational", "personalized"]
    assert a.agg is not None and a.agg.shape[0] > len(a.classes)  # more intents than types
    pa, pb = a.probs(EMBED(texts)), b.probs(EMBED(texts))
    np.testing.assert_array_equal(pa, pb)
    np.testing.assert_allclose(pa.sum(axis=1), 1.0)


def test_expected_calibration_error():
    from cockpit.tagging.evaluation import expected_calibration_error

    # bin 0.9: confidence 0.9, accuracy 0.5 (gap 0.4, 2 rows); bin 0.6: 0.6 vs 1.0 (gap 0.4, 2 rows)
    assert expected_calibration_error([0.9, 0.9, 0.6, 0.6], [1, 0, 1, 1]) == pytest.approx(0.4)
    assert expected_calibration_error([0.75] * 4, [1, 1, 1, 0]) == pytest.approx(0.0)


def test_type_confidence_is_calibrated_by_distance_to_the_examples():
    """The shipped calibrator lowers confidence for text far from every example; without it
    the confidence is the top probability; the argmax never changes."""
    from dataclasses import replace

    from cockpit.tagging.tagger import DEFAULT_TYPE_CONFIG, calibrated_confidence

    taxonomy = load_taxonomy()  # the bundled one: enough examples to fit the calibrator

    texts = ["where is my order parcel", "please cancel my order", "zq xv wpl kk"]
    raw = fit_tagger(taxonomy, EMBED, type_config=replace(DEFAULT_TYPE_CONFIG, calibration=None))
    cal = fit_tagger(taxonomy, EMBED)
    r, c = _predict(raw, texts), _predict(cal, texts)
    assert r.automation_type.tolist() == c.automation_type.tolist()
    probs = raw.type_head.probs(EMBED(texts))
    assert np.allclose(r.type_confidence, probs.max(axis=1))
    assert not np.allclose(r.type_confidence, c.type_confidence)
    coef = cal.type_head.calibration  # fitted with the head (EXAMPLES_CALIBRATION)
    assert len(coef) == 3
    near, far = calibrated_confidence(np.array([0.8, 0.8]), np.array([0.9, 0.2]), coef)
    # same top probability, closer to the examples: never less confident (the hashing fake's
    # fit has no similarity weight; the real model's is positive, tests/test_real_model.py)
    assert near >= far
    assert _predict(cal, texts).equals(c)  # deterministic


def test_a_calibrator_fitted_on_the_heads_own_examples(tmp_path):
    """EXAMPLES_CALIBRATION fits (a, b, c) on the type head's out-of-fold predictions (topics
    held out): its mean confidence there equals its accuracy there (a logistic fit with an
    intercept), confidence still rises with the top probability, and the out-of-fold arrays are
    not kept in the fitted tagger."""
    from dataclasses import replace

    from cockpit.tagging.tagger import (
        DEFAULT_TYPE_CONFIG,
        EXAMPLES_CALIBRATION,
        calibrated_confidence,
        examples_calibration,
        fit_type_head,
    )

    full = load_taxonomy()
    cfg = replace(DEFAULT_TYPE_CONFIG, calibration=EXAMPLES_CALIBRATION)
    head = fit_type_head(full, EMBED, 0, cfg, keep_oof=True)
    probs, near, target = head.oof
    assert len(probs) == len(near) == len(target) > 100
    coef = examples_calibration(head.oof, head.scale)
    assert head.calibration == coef and coef[0] > 0
    scaled = np.power(probs, 1 / head.scale)
    scaled /= scaled.sum(axis=1, keepdims=True)
    conf = calibrated_confidence(scaled.max(axis=1), near, coef)
    accuracy = (scaled.argmax(axis=1) == target).mean()
    assert conf.mean() == pytest.approx(accuracy, abs=0.01)
    assert fit_type_head(full, EMBED, 0, cfg).oof is None
    tagger = fit_tagger(full, EMBED, type_config=cfg)
    assert tagger.type_head.oof is None and tagger.type_head.calibration == coef
    # too few right or wrong out-of-fold predictions to fit: the top probability is used
    right = (np.eye(3)[[0, 1, 2, 0] * 20] * 0.9 + 0.1 / 3, np.ones(80), np.array([0, 1, 2, 0] * 20))
    assert examples_calibration(right) is None
    small = load_taxonomy(write_taxonomy(tmp_path / "tax"))
    assert fit_type_head(small, EMBED, 0, cfg).calibration is None
