"""Where the row-parallel steps (embedding, tagging) run: in-process or on Ray Data.

`Settings.engine` is "local" (default: the steps page through DuckDB in this process) or "ray"
(`cockpit.engine.ray_data`: the same row functions, `embed_rows` and `predict_tags`, as Ray Data
`map_batches` over Parquet written by the single DuckDB writer, which loads the results back).
Importing this package never imports Ray.
"""

from __future__ import annotations

import importlib.util

from cockpit.errors import SettingsError
from cockpit.settings import ENGINES, Settings


def uses_ray(settings: Settings) -> bool:
    """True when the settings ask for the Ray engine (and Ray is installed; else a clear error)."""
    if settings.engine not in ENGINES:
        raise SettingsError(
            f"unknown engine {settings.engine!r}; expected one of {', '.join(ENGINES)} "
            "(COCKPIT_ENGINE or `cockpit refresh --engine`)."
        )
    if settings.engine != "ray":
        return False
    if importlib.util.find_spec("ray") is None:
        raise SettingsError(
            "the Ray engine was asked for (COCKPIT_ENGINE=ray or --engine ray) but Ray is not "
            "installed; run `pip install -e .[ray]` or use the local engine."
        )
    return True


def shutdown(settings: Settings) -> None:
    """Stop the Ray session this process started, if any (no-op for the local engine)."""
    if settings.engine == "ray" and importlib.util.find_spec("ray") is not None:
        from cockpit.engine import ray_data

        ray_data.shutdown()


__all__ = ["shutdown", "uses_ray"]
