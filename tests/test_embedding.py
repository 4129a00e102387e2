"""Embedders, the embedded-text decision and the embedding cache (fake embedder only)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from cockpit import embedding as E
from cockpit.errors import SettingsError
from cockpit.settings import Settings


class CountingEmbedder(E.HashingEmbedder):
    """The hashing fake that records every batch it is asked to embed."""

    def __init__(self, model_id: str = "hashing-v1"):
        super().__init__()
        self.model_id = model_id
        self.calls: list[list[str]] = []

    def embed(self, texts):
        self.calls.append(list(texts))
        return super().embed(texts)


def test_hashing_embedder_is_deterministic_and_normalised():
    e = E.HashingEmbedder()
    a = e.embed(["where is my parcel", "cancel my order", ""])
    b = E.HashingEmbedder().embed(["where is my parcel", "cancel my order", ""])
    assert a.shape == (3, 384) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a[:2], axis=1), 1.0, rtol=1e-5)
    near = e.embed(["where is my parcel now"])[0] @ a[0]
    far = e.embed(["tell me a joke"])[0] @ a[0]
    assert near > 0.6 > far
    assert isinstance(e, E.Embedder) and e.model_id == "hashing-v1"


def test_make_embedder_follows_settings():
    assert isinstance(E.make_embedder(Settings(embedder="hashing")), E.HashingEmbedder)
    real = E.make_embedder(Settings(embedder="sentence-transformers"))
    assert isinstance(real, E.SentenceTransformerEmbedder) and real._model is None  # lazy
    assert E.embedder_model_id(Settings(embedder="sentence-transformers")) == Settings().model_id
    with pytest.raises(SettingsError, match="expected one of onnx-int8"):
        E.make_embedder(Settings(embedder="fp16"))
    assert E.embedder_model_id(Settings(embedder="hashing")) == "hashing-v1"
    onnx = E.make_embedder(Settings())  # the default
    assert type(onnx).__name__ == "OnnxInt8Embedder" and onnx._session is None  # lazy
    assert Settings.from_env({}).embedder == "onnx-int8"
    assert Settings.from_env({"COCKPIT_EMBEDDER": "sentence-transformers"}).embedder == (
        "sentence-transformers"
    )
    assert onnx.model_id == E.embedder_model_id(Settings(embedder="onnx-int8"))
    assert onnx.model_id == Settings().model_id + "+onnx-int8"


def test_embed_text_keeps_the_first_content_turn_of_a_transcript():
    turns = [
        "hi there",
        "Hello, good morning!",
        "  where is   my order\n123 ?",
        "my name is Mohan",
        "it was due monday",
    ]
    assert E.embed_text("ignored", turns) == "where is my order 123 ?"
    # identifying turns (placeholders, digits, identity words) are skipped even when first
    turns = ["name priya and ac no 0054", "[EMAIL] [PHONE]", "I want to close my card"]
    assert E.embed_text(None, turns) == "I want to close my card"
    assert E.embed_text(None, ["my account number is wrong"]) == "my account number is wrong"
    assert E.embed_text("hello\n\tthere  ", None) == "hello there"
    # only greetings and identifiers: the former rule (first turns), never empty
    assert E.embed_text(None, ["hi", "bye"]) == "hi bye"
    assert E.embed_text(None, ["ok thanks", "my name is raja"]) == "my name is raja"
    assert E.embed_text(None, []) == ""
    assert E.embed_text(None, ["", "  "]) == ""


def test_embed_text_turn_rules():
    assert E.text.is_filler("ok no thanks") and E.text.is_filler("hello robin")
    assert not E.text.is_filler("1 meat eater pizza")
    assert (
        E.text.identifier_share("booking confirmation number hgf 456")
        >= E.text.MAX_IDENTIFIER_SHARE
    )
    assert E.text.identifier_share("i need to change the address on my card") < 0.5
    assert E.text.identifier_share("") == 0.0


def test_embed_text_is_cut_on_a_word_boundary():
    text = "word " * 400
    out = E.embed_text(text)
    assert len(out) <= E.MAX_EMBED_CHARS and out.endswith("word")


def test_text_hash_is_stable():
    assert E.text_hash("abc") == E.text_hash("abc") != E.text_hash("abd")
    assert len(E.text_hash("abc")) == 32


def _source(con, texts):
    frame = pd.DataFrame({"text": texts})
    frame["text_hash"] = [E.text_hash(t) for t in texts]
    con.register("src", frame)
    return frame


def test_cache_embeds_only_missing_texts_in_chunks(tmp_path):
    con = duckdb.connect()
    E.attach_cache(con, tmp_path / "emb.duckdb")
    e = CountingEmbedder()
    frame = _source(con, ["a b c", "bb", "a", "cccc dd", "a b c", "e"])
    assert E.embed_missing(con, e, "src", chunk=2) == 5
    assert [len(c) for c in e.calls] == [2, 2, 1]
    assert [len(t) for c in e.calls for t in c] == sorted(len(t) for t in set(frame.text))
    assert E.embed_missing(con, e, "src") == 0  # second run: nothing
    vec = E.lookup_vectors(con, frame.text_hash.tolist(), e.model_id)
    np.testing.assert_allclose(vec, E.HashingEmbedder().embed(frame.text.tolist()), rtol=1e-6)


def test_cache_survives_reopen_and_a_new_model_id_reembeds(tmp_path):
    path = tmp_path / "emb.duckdb"
    con = duckdb.connect()
    E.attach_cache(con, path)
    _source(con, ["one", "two"])
    assert E.embed_missing(con, CountingEmbedder(), "src") == 2
    con.close()
    con = duckdb.connect()
    E.attach_cache(con, path)
    _source(con, ["one", "two", "three"])
    assert E.embed_missing(con, CountingEmbedder(), "src") == 1
    assert E.embed_missing(con, CountingEmbedder("hashing-v2"), "src") == 3
    rows = con.execute(
        "SELECT model_id, count(*) FROM emb.embeddings GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [("hashing-v1", 3), ("hashing-v2", 3)]


def test_factory_is_called_only_when_something_is_missing(tmp_path):
    con = duckdb.connect()
    E.attach_cache(con, tmp_path / "emb.duckdb")
    _source(con, ["one"])
    made = []

    def factory():
        made.append(1)
        return CountingEmbedder()

    assert E.embed_missing(con, factory, "src", model_id="hashing-v1") == 1
    assert E.embed_missing(con, factory, "src", model_id="hashing-v1") == 0
    assert made == [1]


def test_cached_embed_returns_vectors_in_order(tmp_path):
    con = duckdb.connect()
    E.attach_cache(con, tmp_path / "emb.duckdb")
    e = CountingEmbedder()
    embed = E.cached_embed(con, e, e.model_id)
    first = embed(["b  text", "a", "b text"])
    assert first.shape == (3, 384)
    np.testing.assert_array_equal(first[0], first[2])
    embed(["a"])
    assert len(e.calls) == 1


@pytest.mark.parametrize("n", [0, 1])
def test_vectors_arrow_round_trip(n):
    v = E.HashingEmbedder().embed(["x"] * n)
    back = (
        E.arrow_to_vectors(E.vectors_to_arrow(v))
        if n
        else E.arrow_to_vectors(E.vectors_to_arrow(v.reshape(0, 384)))
    )
    assert back.shape == (n, 384)


def test_a_corrupt_cache_is_named_moved_aside_and_rebuilt(tmp_path, caplog):
    import duckdb

    from cockpit.embedding.cache import attach_cache

    path = tmp_path / "embeddings.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    con = duckdb.connect()
    with caplog.at_level("WARNING"):
        attach_cache(con, path)
    assert f"Embedding cache {path} is unreadable" in caplog.text
    aside = list(tmp_path.glob("embeddings.duckdb.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    assert con.execute("SELECT count(*) FROM emb.embeddings").fetchall() == [(0,)]
