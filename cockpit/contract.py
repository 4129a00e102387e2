"""Data contract v1: the one source of truth for what Cockpit accepts.

Ingestion validates against these specs, the store's DDL is derived from them, and README.md
documents them (a test checks the README names every column).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTRACT_VERSION = 1

VERTICALS = ("fintech", "ecommerce", "saas", "gaming", "healthcare", "other")
CHANNELS = ("chat", "email", "phone", "social", "other")
RESOLVED_BY = ("ai", "human", "none")
AUTHORS = ("customer", "ai", "agent")
ENABLERS = ("help_content", "data_connector", "procedure")
AUTOMATION_TYPES = ("informational", "personalized", "action")
# Which enabler lets the AI agent resolve each automation type.
# A cell of the automation taxonomy: one automation type × one topic; metrics, benchmarks,
# potential and actions are all computed per cell.
CELL = ["automation_type", "topic_id"]

ENABLER_FOR_TYPE = {
    "informational": "help_content",
    "personalized": "data_connector",
    "action": "procedure",
}


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    kind: text | timestamp | date | bool | float | int.
    """

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] | None = None
    default: str | None = None
    min: float | None = None
    max: float | None = None
    doc: str = ""

    @property
    def sql_type(self) -> str:
        return {
            "text": "VARCHAR",
            "timestamp": "TIMESTAMP",  # stored as naive UTC
            "date": "DATE",
            "bool": "BOOLEAN",
            "float": "DOUBLE",
            "int": "INTEGER",
        }[self.kind]


@dataclass(frozen=True)
class TableSpec:
    """An input table: its columns, its key, and the parent it references."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    references: dict[str, str] = field(default_factory=dict)  # column -> parent table
    # Newer wins: a row's version is the first non-empty of these columns; an incoming row
    # older than the stored one is skipped (counted as stale). Empty: the later file wins.
    version: tuple[str, ...] = ()
    # A column that may never change for a stored key (a conversation never changes account).
    owner: str | None = None

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


ACCOUNTS = TableSpec(
    "accounts",
    (
        Column("account_id", "text", required=True, doc="unique id of the business customer"),
        Column("name", "text", required=True, doc="display name"),
        Column("vertical", "text", choices=VERTICALS, default="other", doc="industry"),
        Column("plan", "text", doc="commercial plan"),
        Column("arr_usd", "float", min=0, doc="annual recurring revenue, USD, ≥ 0"),
        Column("csm", "text", doc="owning Customer Success Manager"),
        Column("region", "text", doc="sales region"),
        Column("renewal_date", "date", doc="next renewal (ISO date)"),
    ),
    key=("account_id",),
    doc="one row per business customer",
)

CONVERSATIONS = TableSpec(
    "conversations",
    (
        Column("conversation_id", "text", required=True, doc="unique id"),
        Column("account_id", "text", required=True, doc="must exist in accounts"),
        Column("created_at", "timestamp", required=True, doc="ISO-8601; stored as UTC"),
        Column("text", "text", required=True, doc="customer's opening message or whole transcript"),
        Column("channel", "text", choices=CHANNELS, doc="contact channel"),
        Column("ai_involved", "bool", doc="the AI agent took part"),
        Column("resolved_by", "text", choices=RESOLVED_BY, doc="who resolved it; empty = unknown"),
        Column("handed_over", "bool", doc="the AI passed it to a human"),
        Column("handle_time_minutes", "float", min=0, doc="human agent time, ≥ 0"),
        Column("csat", "int", min=1, max=5, doc="satisfaction score, integer 1–5"),
        Column("language", "text", doc="language code, e.g. en"),
        Column(
            "updated_at",
            "timestamp",
            doc="last change (ISO-8601); an older version never overwrites a newer one",
        ),
    ),
    key=("conversation_id",),
    doc="one row per support conversation",
    references={"account_id": "accounts"},
    version=("updated_at", "created_at"),
    owner="account_id",
)

MESSAGES = TableSpec(
    "messages",
    (
        Column("conversation_id", "text", required=True, doc="must exist in conversations"),
        Column("sent_at", "timestamp", required=True, doc="ISO-8601; stored as UTC"),
        Column("author", "text", required=True, choices=AUTHORS, doc="who wrote it"),
        Column("body", "text", required=True, doc="message text"),
    ),
    key=("conversation_id", "sent_at", "author"),
    doc="optional multi-turn transcripts, one row per message",
    references={"conversation_id": "conversations"},
)

SETUP = TableSpec(
    "setup",
    (
        Column("account_id", "text", required=True, doc="must exist in accounts"),
        Column("enabler", "text", required=True, choices=ENABLERS, doc="what was deployed"),
        Column("topic_id", "text", required=True, doc="taxonomy topic it serves"),
        Column("live_since", "date", doc="date it went live; empty = live, date unknown"),
    ),
    key=("account_id", "enabler", "topic_id"),
    doc="optional: what each account has already deployed",
    references={"account_id": "accounts"},
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (ACCOUNTS, CONVERSATIONS, MESSAGES, SETUP)}
# Parents load before children within one ingest command.
LOAD_ORDER = ("accounts", "conversations", "messages", "setup")
FORMATS = (".csv", ".parquet", ".jsonl", ".ndjson", ".json")


def table_for_filename(filename: str) -> str | None:
    """Recognise the table a file feeds from its base name (`accounts*`, `conversations*`, ...)."""
    base = filename.rsplit("/", 1)[-1].lower()
    for name in TABLES:
        if base.startswith(name):
            return name
    return None


def file_format(filename: str) -> str | None:
    """`csv`, `parquet` or `jsonl` from the extension (a trailing `.gz` is allowed)."""
    name = filename.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return None


def contract_markdown() -> str:
    """The contract as Markdown tables: README.md embeds this text verbatim (a test checks it)."""
    out: list[str] = []
    for t in TABLES.values():
        out.append(f"### `{t.name}`: {t.doc}\n")
        refs = ", ".join(f"`{c}` → `{p}`" for c, p in t.references.items())
        out.append(f"Key: `{', '.join(t.key)}`." + (f" References: {refs}." if refs else "") + "\n")
        out.append("| column | type | required | allowed values / range | meaning |")
        out.append("|---|---|---|---|---|")
        for c in t.columns:
            allowed = "`" + "\\|".join(c.choices) + "`" if c.choices else ""
            if c.min is not None and c.max is not None:
                allowed = f"{c.min:g}–{c.max:g}"
            elif c.min is not None:
                allowed = f"≥ {c.min:g}"
            if c.default:
                allowed += f" (default `{c.default}`)"
            required = "yes" if c.required else ""
            out.append(f"| `{c.name}` | {c.kind} | {required} | {allowed} | {c.doc} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
