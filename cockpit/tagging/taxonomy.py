"""The taxonomy: automation types x topics, loaded from YAML and validated.

Files (in `cockpit/tagging/taxonomies/` unless another folder is given):
- `taxonomy.yaml`: `version`, `other_threshold`, `types` (informational, personalized, action).
- `out_of_scope.yaml`: `examples` of messages outside every topic (train the `other` rejection).
- any other `*.yaml`: `vertical: null|<vertical>` and `topics` with examples per type.
Custom topics live in `$COCKPIT_HOME/taxonomy/*.yaml` (`account_id` or `vertical`, `topics` with
at least 5 `examples` each, optional `automation_type`) and apply to that account (or every
account of that vertical) only; promoted emerging topics are written there too.
Type overrides live beside them (`overrides-<scope>.yaml`: `account_id` or `vertical`, and
`overrides` with `topic` and `automation_type`): whether a task is self-service or needs the
company depends on the product, so an account (or a whole vertical) may declare a topic's type.

`Taxonomy.version` is the declared version plus a short hash of every file's content, so any
edit (including a custom topic) changes the version and re-tags everything. Topic ids are unique
across the whole taxonomy, custom topics included, so downstream tables can join on `topic_id`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cockpit.contract import AUTOMATION_TYPES, VERTICALS
from cockpit.errors import TaxonomyError

DEFAULT_DIR = Path(__file__).resolve().parent / "taxonomies"
OTHER = "other"
MIN_CUSTOM_EXAMPLES = 5
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class AutomationType:
    """One automation type with its rule and examples."""

    id: str
    name: str
    rule: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    """One topic. `vertical` None = shared; `account_id` set = that account's custom topic."""

    id: str
    name: str
    description: str
    examples: dict[str, tuple[str, ...]]  # automation type (or "" for custom) -> examples
    data_source: str = ""
    sensitive: bool = False
    vertical: str | None = None
    account_id: str | None = None
    automation_type: str | None = None  # custom topics: default type for their conversations

    def all_examples(self) -> list[str]:
        """Every example, whatever its type."""
        return [e for exs in self.examples.values() for e in exs]


@dataclass(frozen=True)
class TypeOverride:
    """For `account_id` (or every account of `vertical`), conversations on `topic_id` get this type."""

    topic_id: str
    automation_type: str
    account_id: str | None = None
    vertical: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Taxonomy:
    """The loaded taxonomy. Build with `load_taxonomy` (or `custom_taxonomy` for evaluation)."""

    version: str
    other_threshold: float
    types: tuple[AutomationType, ...]
    topics: tuple[Topic, ...]
    out_of_scope: tuple[str, ...] = ()
    overrides: tuple[TypeOverride, ...] = ()
    _by_id: dict[str, Topic] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({t.id: t for t in self.topics})

    def override_for(
        self, topic_id: str, vertical: str | None = None, account_id: str | None = None
    ) -> str | None:
        """The declared type of `topic_id` for this account (account beats vertical), or None."""
        found = None
        for o in self.overrides:
            if o.topic_id != topic_id:
                continue
            if o.account_id is not None and o.account_id == account_id:
                return o.automation_type
            if o.vertical is not None and o.vertical == vertical:
                found = o.automation_type
        return found

    @property
    def type_ids(self) -> list[str]:
        return [t.id for t in self.types]

    @property
    def topic_ids(self) -> list[str]:
        """Every topic id (shared, vertical and custom), without `other`."""
        return [t.id for t in self.topics]

    def topic(self, topic_id: str) -> Topic:
        try:
            return self._by_id[topic_id]
        except KeyError:
            raise TaxonomyError(
                f"unknown topic id {topic_id!r}; valid ids: {', '.join(self.topic_ids + [OTHER])}"
            ) from None

    def topics_for(self, vertical: str | None = None, account_id: str | None = None) -> list[Topic]:
        """Topics valid for a conversation: shared + its vertical's + its account's custom ones."""
        return [
            t
            for t in self.topics
            if (t.account_id is None and (t.vertical is None or t.vertical == vertical))
            or (t.account_id is not None and t.account_id == account_id)
        ]

    def name(self, topic_id: str) -> str:
        """Display name of a topic (`Other` for `other`)."""
        return "Other" if topic_id == OTHER else self.topic(topic_id).name

    def data_source(self, topic_id: str) -> str:
        return "" if topic_id == OTHER else self.topic(topic_id).data_source

    def sensitive(self, topic_id: str) -> bool:
        return False if topic_id == OTHER else self.topic(topic_id).sensitive

    def rows(self) -> list[dict]:
        """One row per topic for the `taxonomy_topics` table (plus `other`)."""
        out = [
            {
                "topic_id": t.id,
                "name": t.name,
                "description": t.description,
                "vertical": t.vertical,
                "account_id": t.account_id,
            }
            for t in self.topics
        ]
        out.append(
            {
                "topic_id": OTHER,
                "name": "Other",
                "description": "Out of scope, or too unsure to name a topic.",
                "vertical": None,
                "account_id": None,
            }
        )
        return out


# --- loading --------------------------------------------------------------------------------


def _read(path: Path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML ({exc}). Fix the syntax.") from None
    if not isinstance(data, dict):
        raise TaxonomyError(
            f"{path}: expected a mapping at the top level; got {type(data).__name__}."
        )
    return data, raw


def _text(path: Path, where: str, entry: dict, key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{path}: {where} is missing '{key}' (a non-empty string).")
    return value.strip()


def _strings(path: Path, where: str, value, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TaxonomyError(f"{path}: {where} '{key}' must be a list of non-empty strings.")
    return tuple(v.strip() for v in value)


def _topic_id(path: Path, where: str, entry: dict, seen: dict[str, Path]) -> str:
    tid = entry.get("id")
    if not isinstance(tid, str) or not _ID.match(tid):
        raise TaxonomyError(
            f"{path}: {where} has id {tid!r}; expected lower_snake_case like 'orders'."
        )
    if tid == OTHER:
        raise TaxonomyError(f"{path}: topic id 'other' is reserved for out-of-scope; rename it.")
    if tid in seen:
        raise TaxonomyError(f"{path}: duplicate topic id '{tid}' (already defined in {seen[tid]}).")
    seen[tid] = path
    return tid


def _load_types(path: Path, data: dict) -> tuple[AutomationType, ...]:
    entries = data.get("types")
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError(f"{path}: expected a non-empty 'types' list.")
    types = []
    for i, entry in enumerate(entries):
        where = f"types[{i}]"
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{path}: {where} must be a mapping.")
        tid = entry.get("id")
        if tid not in AUTOMATION_TYPES:
            raise TaxonomyError(
                f"{path}: {where} has unknown type id {tid!r}; expected one of "
                f"{', '.join(AUTOMATION_TYPES)}."
            )
        types.append(
            AutomationType(
                id=tid,
                name=_text(path, f"type '{tid}'", entry, "name"),
                rule=str(entry.get("rule") or "").strip(),
                examples=_strings(path, f"type '{tid}'", entry.get("examples"), "examples"),
            )
        )
    missing = set(AUTOMATION_TYPES) - {t.id for t in types}
    if missing:
        raise TaxonomyError(f"{path}: types lacks {', '.join(sorted(missing))}.")
    return tuple(types)


def _topic_entries(path: Path, data: dict, seen: dict[str, Path], non_empty: bool):
    """Yield (entry, topic id, where) for each mapping in the file's `topics` list, validated."""
    entries = data.get("topics")
    if not isinstance(entries, list) or (non_empty and not entries):
        kind = "a non-empty 'topics' list" if non_empty else "a 'topics' list"
        raise TaxonomyError(f"{path}: expected {kind}.")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{path}: topics[{i}] must be a mapping.")
        tid = _topic_id(path, f"topics[{i}]", entry, seen)
        yield entry, tid, f"topic '{tid}'"


def _load_topics(path: Path, data: dict, seen: dict[str, Path]) -> list[Topic]:
    vertical = data.get("vertical")
    if vertical is not None and vertical not in VERTICALS:
        raise TaxonomyError(
            f"{path}: unknown vertical {vertical!r}; expected null or one of {', '.join(VERTICALS)}."
        )
    topics = []
    for entry, tid, where in _topic_entries(path, data, seen, non_empty=False):
        raw_examples = entry.get("examples") or {}
        if not isinstance(raw_examples, dict):
            raise TaxonomyError(f"{path}: {where} 'examples' must map automation types to lists.")
        examples = {}
        for type_id, exs in raw_examples.items():
            if type_id not in AUTOMATION_TYPES:
                raise TaxonomyError(
                    f"{path}: {where} has examples for unknown type id {type_id!r}; expected "
                    f"one of {', '.join(AUTOMATION_TYPES)}."
                )
            examples[type_id] = _strings(path, where, exs, f"examples.{type_id}")
        if not any(examples.values()):
            raise TaxonomyError(f"{path}: {where} has no examples.")
        topics.append(
            Topic(
                id=tid,
                name=_text(path, where, entry, "name"),
                description=_text(path, where, entry, "description"),
                examples=examples,
                data_source=str(entry.get("data_source") or ""),
                sensitive=bool(entry.get("sensitive", False)),
                vertical=vertical,
            )
        )
    return topics


def _load_custom(path: Path, data: dict, seen: dict[str, Path]) -> list[Topic]:
    account = data.get("account_id")
    vertical = data.get("vertical")  # a promoted emerging topic may serve a whole vertical
    if vertical is not None and account is None:
        if vertical not in VERTICALS:
            raise TaxonomyError(
                f"{path}: unknown vertical {vertical!r}; expected one of {', '.join(VERTICALS)}."
            )
    elif not isinstance(account, str) or not account.strip():
        raise TaxonomyError(
            f"{path}: expected 'account_id: <id>' (or 'vertical: <vertical>') for custom topics."
        )
    topics = []
    for entry, tid, where in _topic_entries(path, data, seen, non_empty=True):
        examples = _strings(path, where, entry.get("examples"), "examples")
        if len(examples) < MIN_CUSTOM_EXAMPLES:
            raise TaxonomyError(
                f"{path}: {where} has {len(examples)} example(s); custom topics need at least "
                f"{MIN_CUSTOM_EXAMPLES}. Add typical customer messages."
            )
        default_type = entry.get("automation_type")
        if default_type is not None and default_type not in AUTOMATION_TYPES:
            raise TaxonomyError(
                f"{path}: {where} has unknown automation_type {default_type!r}; expected one of "
                f"{', '.join(AUTOMATION_TYPES)}."
            )
        topics.append(
            Topic(
                id=tid,
                name=_text(path, where, entry, "name"),
                description=_text(path, where, entry, "description"),
                examples={default_type or "": examples},
                data_source=str(entry.get("data_source") or ""),
                sensitive=bool(entry.get("sensitive", False)),
                vertical=vertical if account is None else None,
                account_id=account.strip() if account is not None else None,
                automation_type=default_type,
            )
        )
    return topics


def load_taxonomy(path: Path | str | None = None, custom_dir: Path | str | None = None) -> Taxonomy:
    """Load and validate the taxonomy folder (or its taxonomy.yaml) plus account custom topics.

    Raises TaxonomyError naming the file and the bad entry.
    """
    folder = Path(path) if path is not None else DEFAULT_DIR
    if folder.is_file():
        folder = folder.parent
    main = folder / "taxonomy.yaml"
    if not main.exists():
        raise TaxonomyError(f"{main}: not found; expected the taxonomy folder with taxonomy.yaml.")
    digest = hashlib.sha1()
    data, raw = _read(main)
    digest.update(b"taxonomy.yaml\0" + raw)
    declared = str(data.get("version") or "").strip()
    if not declared:
        raise TaxonomyError(f"{main}: missing 'version', e.g. version: \"2026.11.1\".")
    threshold = data.get("other_threshold", 0.35)
    if not isinstance(threshold, int | float) or not 0 <= threshold < 1:
        raise TaxonomyError(
            f"{main}: other_threshold must be a number in [0, 1); got {threshold!r}."
        )
    types = _load_types(main, data)

    seen: dict[str, Path] = {}
    topics: list[Topic] = []
    out_of_scope: tuple[str, ...] = ()
    # shared topics first, then verticals alphabetically: a stable, readable topic order
    for f in sorted(folder.glob("*.yaml"), key=lambda p: (p.name != "shared.yaml", p.name)):
        if f.name == "taxonomy.yaml":
            continue
        fdata, fraw = _read(f)
        digest.update(f.name.encode() + b"\0" + fraw)
        if f.name == "out_of_scope.yaml":
            out_of_scope = _strings(f, "out_of_scope", fdata.get("examples"), "examples")
        else:
            topics.extend(_load_topics(f, fdata, seen))
    overrides: list[TypeOverride] = []
    override_files: list[tuple[Path, dict]] = []
    if custom_dir is not None and Path(custom_dir).is_dir():
        for f in sorted(Path(custom_dir).glob("*.yaml")):
            fdata, fraw = _read(f)
            digest.update(b"custom/" + f.name.encode() + b"\0" + fraw)
            if "overrides" in fdata:
                override_files.append((f, fdata))
            else:
                topics.extend(_load_custom(f, fdata, seen))
    by_id = {t.id: t for t in topics}
    claimed: dict[tuple, Path] = {}
    for f, fdata in override_files:  # after every topic is known, so references can be checked
        overrides.extend(_load_overrides(f, fdata, by_id, claimed))
    return Taxonomy(
        version=f"{declared}+{digest.hexdigest()[:8]}",
        other_threshold=float(threshold),
        types=types,
        topics=tuple(topics),
        out_of_scope=out_of_scope,
        overrides=tuple(overrides),
    )


def _load_overrides(
    path: Path, data: dict, topics: dict[str, Topic], claimed: dict[tuple, Path]
) -> list[TypeOverride]:
    """Validate one overrides file: one scope (account_id xor vertical), known topics and types."""
    account, vertical = data.get("account_id"), data.get("vertical")
    if (account is None) == (vertical is None):
        raise TaxonomyError(
            f"{path}: expected exactly one of 'account_id: <id>' or 'vertical: <vertical>' "
            f"for type overrides; found {'both' if account is not None else 'neither'}."
        )
    if account is not None and (not isinstance(account, str) or not account.strip()):
        raise TaxonomyError(f"{path}: account_id must be a non-empty string; got {account!r}.")
    if vertical is not None and vertical not in VERTICALS:
        raise TaxonomyError(
            f"{path}: unknown vertical {vertical!r}; expected one of {', '.join(VERTICALS)}."
        )
    entries = data.get("overrides")
    if not isinstance(entries, list):
        raise TaxonomyError(f"{path}: 'overrides' must be a list of {{topic, automation_type}}.")
    out = []
    for i, entry in enumerate(entries):
        where = f"overrides[{i}]"
        if not isinstance(entry, dict):
            raise TaxonomyError(
                f"{path}: {where} must be a mapping with topic and automation_type."
            )
        tid = entry.get("topic")
        topic = topics.get(tid) if isinstance(tid, str) else None
        valid = topic is not None and (
            (topic.account_id is None and topic.vertical in (None, vertical))
            if account is None
            else (topic.account_id in (None, account))
        )
        if not valid:
            scope = f"account {account}" if account is not None else f"vertical {vertical}"
            raise TaxonomyError(
                f"{path}: {where} names topic {tid!r}, which is not a topic of {scope}. "
                f"Use a topic id from taxonomy_topics (not 'other')."
            )
        type_id = entry.get("automation_type")
        if type_id not in AUTOMATION_TYPES:
            raise TaxonomyError(
                f"{path}: {where} has automation_type {type_id!r}; expected one of "
                f"{', '.join(AUTOMATION_TYPES)}."
            )
        key = (account, vertical, tid)
        if key in claimed:
            raise TaxonomyError(
                f"{path}: {where} overrides topic '{tid}' again (already in {claimed[key]})."
            )
        claimed[key] = path
        out.append(
            TypeOverride(
                topic_id=tid,
                automation_type=type_id,
                account_id=account.strip() if account is not None else None,
                vertical=vertical,
                note=str(entry.get("note") or ""),
            )
        )
    return out


def override_path(custom_dir: Path | str, account_id: str | None, vertical: str | None) -> Path:
    """Where the overrides of one account (or vertical) are kept."""
    scope = f"account-{account_id}" if account_id is not None else f"vertical-{vertical}"
    return Path(custom_dir) / f"overrides-{re.sub(r'[^A-Za-z0-9_.-]', '_', scope)}.yaml"


def write_override(
    custom_dir: Path | str,
    topic_id: str,
    automation_type: str | None,
    account_id: str | None = None,
    vertical: str | None = None,
    note: str = "",
    taxonomy_dir: Path | str | None = None,
) -> Path:
    """Declare (or, with automation_type None, remove) a topic's type for an account or vertical.

    The file is validated by loading the whole taxonomy before it replaces the old one, so a bad
    override never lands; the taxonomy version changes and the next refresh re-tags.
    """
    if (account_id is None) == (vertical is None):
        raise TaxonomyError("an override needs exactly one of an account id or a vertical.")
    path = override_path(custom_dir, account_id, vertical)
    data: dict = {"account_id": account_id} if account_id is not None else {"vertical": vertical}
    entries = []
    if path.exists():
        entries = [e for e in (_read(path)[0].get("overrides") or []) if e.get("topic") != topic_id]
    if automation_type is not None:
        entry = {"topic": topic_id, "automation_type": automation_type}
        entries.append({**entry, "note": note} if note else entry)
    data["overrides"] = sorted(entries, key=lambda e: str(e.get("topic")))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")  # a dot name: never read as a taxonomy file
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    try:
        _load_overrides(tmp, data, {t.id: t for t in _all_topics(taxonomy_dir, custom_dir)}, {})
    except TaxonomyError:
        tmp.unlink()
        raise
    if entries:
        tmp.replace(path)
    else:
        tmp.unlink()
        path.unlink(missing_ok=True)
    return path


def _all_topics(taxonomy_dir, custom_dir) -> tuple[Topic, ...]:
    return load_taxonomy(taxonomy_dir, custom_dir).topics


def custom_taxonomy(
    examples: dict[str, Iterable[str]],
    account_id: str = "eval",
    out_of_scope: Iterable[str] = (),
    other_threshold: float = 0.35,
    types: tuple[AutomationType, ...] = (),
) -> Taxonomy:
    """A taxonomy made only of one account's custom topics (label -> examples), for evaluation."""
    examples = {str(k): tuple(v) for k, v in examples.items()}
    topics = tuple(
        Topic(
            id=label,
            name=label.replace("_", " "),
            description=label.replace("_", " "),
            examples={"": exs},
            account_id=account_id,
        )
        for label, exs in examples.items()
    )
    digest = hashlib.sha1(repr(sorted(examples.items())).encode())
    return Taxonomy(
        version=f"custom+{digest.hexdigest()[:8]}",
        other_threshold=other_threshold,
        types=types,
        topics=topics,
        out_of_scope=tuple(out_of_scope),
    )
