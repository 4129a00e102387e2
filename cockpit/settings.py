"""One typed settings object, read from the environment only at the edges (CLI, app, pipelines)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cockpit.errors import SettingsError

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDERS = ("onnx-int8", "sentence-transformers", "hashing")  # the first is the default
ENGINES = ("local", "ray")  # the first is the default
STORE_FORMATS = ("parquet", "duckdb")  # COCKPIT_STORE; the first is the default
# DuckDB memory sizes: a number and a unit, or a percentage of RAM. Anything else is refused,
# so a setting can never carry SQL.
_MEMORY_RE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$", re.IGNORECASE)


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
    # "onnx-int8" (the bundled all-MiniLM-L6-v2 quantised to int8: 2-6x faster on CPU, same
    # figures on every benchmark line), "sentence-transformers" (the same model in fp32), or
    # "hashing" (a deterministic, model-free embedder for fast tests; never for real tagging).
    embedder: str = "onnx-int8"
    # What one conversation handled by a human costs (USD): the brief turns the human time the
    # AI would save into money with it. A default, not a measurement: set your own.
    cost_per_human_conversation_usd: int = 6
    # where the row-parallel steps (embedding, tagging) run: "local" (in-process) or "ray"
    # (Ray Data; `pip install -e .[ray]`). `ray_address` joins a cluster; None starts a local one.
    engine: str = "local"
    ray_address: str | None = None
    # "parquet" (default): the large tables as Parquet files and a small published file
    # (cockpit.store.lake; a single-file workspace converts on its next write, once);
    # "duckdb": one published file, copied by every writer (new workspaces only: opt-out).
    store_format: str = "parquet"
    # Roles file (see cockpit.access); None = `home / "roles.toml"`.
    roles_file: Path | None = None
    # Serve without sign-in on a non-local address (the operator accepted an open app).
    allow_open: bool = False
    # Plausible timestamps: earlier ones are typos or placeholders (0001-01-01, 1900-01-01);
    # the upper bound is ingestion time + `timestamp_ahead_days` (clock skew, time zones).
    timestamp_min: date = date(2000, 1, 1)
    timestamp_ahead_days: int = 1
    # One value (a text) above this many bytes quarantines its row: 1 MB holds a long
    # transcript many times over; larger values are attachments pasted by mistake.
    max_value_bytes: int = 1_000_000
    # Raw inbox files are personal data: deleted after a published run unless kept N days.
    inbox_keep_days: int = 0

    def __post_init__(self) -> None:
        if not _MEMORY_RE.match(self.memory_limit.strip()):
            raise SettingsError(
                f"COCKPIT_MEMORY_LIMIT must be a size such as 4GB, 512MiB or 50%; "
                f"got {self.memory_limit!r}."
            )

    def ingest_limits(self, now: datetime | None = None):
        """The per-row plausibility limits of ingestion, as of `now` (default: now, UTC)."""
        from cockpit.ingest.validate import Limits

        now = (now or datetime.now(UTC)).replace(tzinfo=None)
        return Limits(
            datetime.combine(self.timestamp_min, datetime.min.time()),
            now + timedelta(days=self.timestamp_ahead_days),
            self.max_value_bytes,
        )

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
    def roles_path(self) -> Path:
        """Who may see what: e-mails and groups mapped to roles (cockpit.access)."""
        return self.roles_file or self.home / "roles.toml"

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
        COCKPIT_THREADS [2], COCKPIT_MEMORY_LIMIT [4GB], COCKPIT_EMBEDDER [onnx-int8],
        COCKPIT_ENGINE [local], COCKPIT_RAY_ADDRESS [unset: a local Ray cluster],
        COCKPIT_ROLES [$COCKPIT_HOME/roles.toml], COCKPIT_ALLOW_OPEN [0],
        COCKPIT_TIMESTAMP_MIN [2000-01-01], COCKPIT_MAX_VALUE_BYTES [1000000],
        COCKPIT_INBOX_KEEP_DAYS [0],
        COCKPIT_COST_PER_HUMAN_CONVERSATION [6] (USD, for the brief's value in money).
        """
        env = os.environ if environ is None else environ

        def _int(name: str, default: int, minimum: int = 1) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(
                    f"{name} must be a whole number; got {raw!r}. Unset it or set e.g. {name}={default}."
                ) from None
            if value < minimum:
                raise SettingsError(f"{name} must be at least {minimum}; got {value}.")
            return value

        def _date(name: str, default: date) -> date:
            raw = env.get(name)
            if not raw:
                return default
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise SettingsError(
                    f"{name} must be a date YYYY-MM-DD; got {raw!r}. Unset it or set e.g. "
                    f"{name}={default}."
                ) from None

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
            embedder=_choice("COCKPIT_EMBEDDER", EMBEDDERS),
            engine=_choice("COCKPIT_ENGINE", ENGINES),
            ray_address=env.get("COCKPIT_RAY_ADDRESS") or None,
            store_format=_choice("COCKPIT_STORE", STORE_FORMATS),
            roles_file=Path(env["COCKPIT_ROLES"]) if env.get("COCKPIT_ROLES") else None,
            allow_open=_choice("COCKPIT_ALLOW_OPEN", ("0", "1")) == "1",
            timestamp_min=_date("COCKPIT_TIMESTAMP_MIN", date(2000, 1, 1)),
            max_value_bytes=_int("COCKPIT_MAX_VALUE_BYTES", 1_000_000),
            inbox_keep_days=_int("COCKPIT_INBOX_KEEP_DAYS", 0, minimum=0),
            cost_per_human_conversation_usd=_int("COCKPIT_COST_PER_HUMAN_CONVERSATION", 6),
        )
