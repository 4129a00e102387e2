"""The fitted tagger, cached on disk per (taxonomy version, model id, corrections, seed, tagger code).

Fitting takes seconds (cross-validated calibration over ~2,500 examples); nightly runs with an
unchanged taxonomy reuse the pickled fit from `$COCKPIT_HOME/models/`. The file is Cockpit's
own cache, written only by the single writer and replaced atomically; an unreadable one is
refitted, never fatal. Nothing here runs at page load: pages read stored tags.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from cockpit.store import pickles
from cockpit.tagging import tagger as tagger_module
from cockpit.tagging.taxonomy import Taxonomy


def code_fingerprint() -> str:
    """A digest of the tagger's code (`cockpit/tagging/tagger.py`, constants included).

    Part of the cache key and stored in the workspace's meta by the tag step, so a release that
    changes how the tagger fits or predicts (e.g. a re-tuned constant) refits and re-tags once,
    instead of reusing a pickle fitted by the old code. The whole file is hashed, not a list of
    constants, so no constant can be forgotten; an edit to a comment costs one refit.
    """
    source = Path(tagger_module.__file__).read_bytes()
    return hashlib.sha1(source).hexdigest()[:12]


def cache_path(
    models_dir: Path, taxonomy: Taxonomy, model_id: str, corrections: pd.DataFrame, seed: int
) -> Path:
    """Where the fit for these inputs lives (any change of input gives another file)."""
    fingerprint = "|".join(
        [taxonomy.version, model_id, str(seed), code_fingerprint(), corrections.to_csv(index=False)]
    )
    key = hashlib.sha1(fingerprint.encode()).hexdigest()[:16]
    return Path(models_dir) / f"tagger-{key}.pkl"


def load_or_fit(
    models_dir: Path | str,
    taxonomy: Taxonomy,
    embed: Callable[[list[str]], np.ndarray],
    model_id: str,
    corrections: pd.DataFrame | None = None,
    seed: int = 0,
) -> tagger_module.Tagger:
    """The fitted tagger for these inputs: from `models_dir` when cached, else fitted and cached.

    `corrections` (text, automation_type, topic_id, ...) join the training examples.
    """
    corrections = corrections if corrections is not None else pd.DataFrame()
    path = cache_path(Path(models_dir), taxonomy, model_id, corrections, seed)
    fitted, _ = pickles.cached(
        path,
        lambda: tagger_module.fit_tagger(
            taxonomy, embed, corrections if len(corrections) else None, seed=seed
        ),
    )
    return fitted
