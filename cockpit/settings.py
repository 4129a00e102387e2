"""One typed settings object, read from the environment only at the edges (CLI, app, pipelines)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.errors import SettingsError

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    """Where Cockpit keeps its data and how heavy steps are tuned.

    `home` holds the published database, the embedding cache, the corrections file, the refresh
    lock and the inbox. Nothing in `cockpit/` reads the environment; call `Settings.from_env()`
    at the edge and pass the object down.
    """

    home: Path = field(default_factory=lambda: Path("var"))
    model_id: str = DEFAULT_MODEL_ID
    embed_batch_size: int = 64
    threads: int = 2
    memory_limit: str = "4GB"
    # "sentence-transformers" (the bundled all-MiniLM-L6-v2) or "hashing" (a deterministic,
    # model-free embedder for fast tests and smoke runs; never for real tagging).
    embedder: str = "sentence-transformers"
    # What one conversation handled by a human costs (USD): the brief turns the human time the
    # AI would save into money with it. A default, not a measurement: set your own.
    cost_per_human_conversation_usd: int = 6

    @property
    def db_path(self) -> Path:
        """The published database the app reads."""
        return self.home / "cockpit.duckdb"

    @property
    def embeddings_path(self) -> Path:
        """Writer-only cache of embeddings keyed by (model id, text hash)."""
        return self.home / "embeddings.duckdb"

    @property
    def corrections_path(self) -> Path:
        """Tag corrections written by the CLI and the app (SQLite: safe for concurrent writers)."""
        return self.home / "corrections.sqlite"

    @property
    def custom_taxonomy_dir(self) -> Path:
        """Per-account custom topics (YAML), merged into the bundled taxonomy."""
        return self.home / "taxonomy"

    @property
    def lock_path(self) -> Path:
        return self.home / "writer.lock"

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from `COCKPIT_*` environment variables (defaults in brackets).

        COCKPIT_HOME [./var], COCKPIT_MODEL_ID [all-MiniLM-L6-v2], COCKPIT_EMBED_BATCH [64],
        COCKPIT_THREADS [2], COCKPIT_MEMORY_LIMIT [4GB], COCKPIT_EMBEDDER [sentence-transformers],
        COCKPIT_COST_PER_HUMAN_CONVERSATION [6] (USD, for the brief's value in money).
        """
        env = os.environ if environ is None else environ

        def _int(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(
                    f"{name} must be a whole number; got {raw!r}. Unset it or set e.g. {name}={default}."
                ) from None
            if value < 1:
                raise SettingsError(f"{name} must be at least 1; got {value}.")
            return value

        def _choice(name: str, choices: tuple[str, ...]) -> str:
            raw = env.get(name) or choices[0]
            if raw not in choices:
                raise SettingsError(f"{name} must be one of {', '.join(choices)}; got {raw!r}.")
            return raw

        return cls(
            home=Path(env.get("COCKPIT_HOME") or "var"),
            model_id=env.get("COCKPIT_MODEL_ID") or DEFAULT_MODEL_ID,
            embed_batch_size=_int("COCKPIT_EMBED_BATCH", 64),
            threads=_int("COCKPIT_THREADS", 2),
            memory_limit=env.get("COCKPIT_MEMORY_LIMIT") or "4GB",
            embedder=_choice("COCKPIT_EMBEDDER", ("sentence-transformers", "hashing", "onnx-int8")),
            cost_per_human_conversation_usd=_int("COCKPIT_COST_PER_HUMAN_CONVERSATION", 6),
        )
