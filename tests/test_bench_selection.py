"""The tagging bench's held-out configuration choice (bench/tagging.py pick_config)."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "tagging.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_tagging", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scores(table):
    return {
        cfg: {n: {"acc": a, "ece": e} for n, (a, e) in sets.items()} for cfg, sets in table.items()
    }


def test_robust_rule_keeps_the_plain_head_and_maximises_the_worst_set(bench):
    scores = _scores(
        {
            (True, 0.75, 1.0): {"a": (0.99, 0.1), "b": (0.60, 0.1)},  # best mean, intent layer
            (False, 0.25, 1.0): {"a": (0.90, 0.1), "b": (0.62, 0.1)},  # best worst set
            (False, 0.5, 1.0): {"a": (0.95, 0.1), "b": (0.61, 0.1)},  # best mean, plain head
            (False, 0.5, 0.8): {"a": (0.95, 0.05), "b": (0.61, 0.05)},  # same accuracy, lower ECE
        }
    )
    assert bench.pick_config(scores, ["a", "b"], "mean") == (True, 0.75, 1.0)
    assert bench.pick_config(scores, ["a", "b"]) == (False, 0.25, 1.0)
    # ties on the worst set's accuracy are broken by the lower mean ECE
    assert bench.pick_config(scores, ["a"]) == (False, 0.5, 0.8)
