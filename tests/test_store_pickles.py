"""The shared pickle cache (`cockpit.store.pickles`): reuse, recompute, and a bad file."""

import logging

from cockpit.store import pickles


def _counter():
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    return compute, calls


def test_a_value_is_computed_once_then_reused(tmp_path):
    compute, calls = _counter()
    path = tmp_path / "models" / "thing.pkl"
    assert pickles.cached(path, compute) == ({"value": 1}, False)
    assert pickles.cached(path, compute) == ({"value": 1}, True)
    assert len(calls) == 1
    assert not list(path.parent.glob("*.partial"))


def test_recompute_overwrites_the_stored_value(tmp_path):
    compute, calls = _counter()
    path = tmp_path / "thing.pkl"
    pickles.cached(path, compute)
    assert pickles.cached(path, compute, recompute=True) == ({"value": 2}, False)
    assert pickles.cached(path, compute) == ({"value": 2}, True)


def test_a_truncated_file_is_recomputed_with_a_warning(tmp_path, caplog):
    compute, calls = _counter()
    path = tmp_path / "thing.pkl"
    path.write_bytes(b"\x80\x04trunc")
    with caplog.at_level(logging.WARNING):
        value, reused = pickles.cached(path, compute)
    assert (value, reused) == ({"value": 1}, False)
    assert f"Cache {path} unreadable" in caplog.text
    assert pickles.cached(path, compute) == ({"value": 1}, True)
