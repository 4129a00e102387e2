"""The bundled all-MiniLM-L6-v2 as int8 ONNX (`COCKPIT_EMBEDDER=onnx-int8`): 2–6x faster on CPU.

Same interface as `cockpit.embedding.SentenceTransformerEmbedder`; see `OnnxInt8Embedder`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from cockpit.embedding.base import DIM, MAX_SEQ_LENGTH, l2_normalise
from cockpit.embedding.sentence_transformer import bundled_model_path
from cockpit.settings import Settings

log = logging.getLogger(__name__)


ONNX_SUFFIX = "+onnx-int8"


def _cpu_flavour() -> str:
    """The instruction set the int8 kernels were built for (the quantised file depends on it)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "generic"
    for flag in ("avx512_vnni", "avx2"):
        if flag in flags:
            return flag
    return "generic"


class OnnxInt8Embedder:
    """The same bundled model as int8 ONNX, run with plain onnxruntime + tokenizers.

    On first use the weights are exported from the bundled package (`torch.onnx.export`) and
    dynamically quantised (`onnxruntime.quantization.quantize_dynamic`) into
    `$COCKPIT_HOME/models/`, once per CPU instruction set; nothing is downloaded. Mean pooling and
    L2 normalisation reproduce the sentence-transformers pipeline. Vectors are not bit-identical
    to fp32 (cosine ~0.99), so the cache keys them under their own model id (`…+onnx-int8`).
    """

    def __init__(self, settings: Settings):
        self.model_id = settings.model_id + ONNX_SUFFIX
        self.dim = DIM
        self.threads = settings.threads
        self.batch_size = settings.embed_batch_size
        self.folder = settings.home / "models"
        self._session = None
        self._tokenizer = None

    @property
    def path(self) -> Path:
        return self.folder / f"all-MiniLM-L6-v2-int8-{_cpu_flavour()}.onnx"

    def _export(self) -> None:
        import os
        import tempfile
        import warnings

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel

        self.folder.mkdir(parents=True, exist_ok=True)
        # eager attention + a padded dummy batch: the traced graph must honour the padding mask
        bert = AutoModel.from_pretrained(
            str(bundled_model_path()), attn_implementation="eager"
        ).eval()

        class Encoder(torch.nn.Module):  # keyword call: positional args collide in transformers 5
            def __init__(self):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                out = self.bert(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                )
                return out.last_hidden_state

        names = ["input_ids", "attention_mask", "token_type_ids"]
        mask = torch.tensor([[1] * 8, [1] * 5 + [0] * 3], dtype=torch.long)
        dummy = (torch.full((2, 8), 2000, dtype=torch.long) * mask, mask, torch.zeros_like(mask))
        dynamic = {k: {0: "batch", 1: "tokens"} for k in [*names, "last_hidden_state"]}
        # The exporter's tracer warnings and onnxruntime's "consider pre-processing" root-logger
        # line are about graph shapes we handle (dynamic axes, padded dummy); a newcomer's first
        # `make run` should not print a page of them.
        root, level = logging.getLogger(), logging.getLogger().level
        with (
            warnings.catch_warnings(),
            tempfile.TemporaryDirectory(dir=self.folder) as tmp,
        ):
            warnings.simplefilter("ignore")
            root.setLevel(max(level, logging.ERROR))
            try:
                fp32 = Path(tmp) / "fp32.onnx"
                torch.onnx.export(
                    Encoder().eval(), dummy, str(fp32), dynamo=False, opset_version=17,
                    input_names=names, output_names=["last_hidden_state"], dynamic_axes=dynamic,
                )  # fmt: skip
                partial = self.path.with_suffix(".partial")
                # MatMul only, per channel: quantising the embedding Gather too cost ~3 points of
                # cosine to fp32 (0.964 vs 0.99+)
                quantize_dynamic(
                    str(fp32), str(partial), weight_type=QuantType.QInt8, per_channel=True,
                    op_types_to_quantize=["MatMul"],
                )  # fmt: skip
                os.replace(partial, self.path)
            finally:
                root.setLevel(level)
        log.info("Embedding - exported int8 ONNX model to %s", self.path)

    def _load(self):
        if self._session is None:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            if not self.path.exists():
                self._export()
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"]
            )
            tok = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
            tok.enable_truncation(MAX_SEQ_LENGTH)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")
            self._tokenizer = tok
        return self._session

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of shape (len(texts), dim), L2-normalised; batches sorted by length."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        session = self._load()
        order = np.argsort([len(t) for t in texts], kind="stable")
        for i in range(0, len(texts), self.batch_size):
            idx = order[i : i + self.batch_size]
            enc = self._tokenizer.encode_batch([texts[j] for j in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            hidden = session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            m = mask[:, :, None].astype(np.float32)
            out[idx] = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        return l2_normalise(out)
