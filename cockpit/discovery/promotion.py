"""Promote an emerging topic into the taxonomy as a validated custom topic YAML.

The file goes to `$COCKPIT_HOME/taxonomy/` (where account custom topics live). Its examples are
the cluster's most central members' texts, which the store holds masked already. Because the
taxonomy version includes a hash of every custom file, writing it changes the version and the
next refresh re-tags everything with the new topic.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import yaml

from cockpit.contract import AUTOMATION_TYPES, VERTICALS
from cockpit.errors import CockpitError, TaxonomyError

# Examples written into the promoted topic: the tagger learns a custom topic from ≥ 5; twenty
# central members cover the family's phrasings without copying its edges (near other topics).
PROMOTED_EXAMPLES = 20
MAX_EXAMPLE_CHARS = 500  # examples are typical messages, not whole transcripts


def topic_id_for(name: str) -> str:
    """lower_snake_case id from a display name ('Crypto wallets' -> 'crypto_wallets')."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"topic_{slug}".rstrip("_")
    return slug[:48]


def promotion_document(
    cluster: dict,
    texts: list[str],
    name: str,
    vertical: str | None = None,
    account_id: str | None = None,
    automation_type: str | None = None,
    topic_id: str | None = None,
) -> dict:
    """The custom-topic YAML document for one cluster (validate it with `write_promotion`)."""
    if vertical and account_id:
        raise CockpitError("give --vertical or --account, not both.")
    if not name.strip():
        raise CockpitError("--name must not be empty; give the topic's display name.")
    if vertical is None and account_id is None:  # the cluster's own scope
        account_id = cluster.get("account_id") or None
        vertical = None if account_id else cluster["vertical"]
    if vertical is not None and vertical not in VERTICALS:
        raise CockpitError(
            f"unknown vertical {vertical!r}; expected one of {', '.join(VERTICALS)}."
        )
    kind = automation_type or cluster.get("likely_type")
    if kind is not None and kind not in AUTOMATION_TYPES:
        raise CockpitError(
            f"unknown automation type {kind!r}; expected one of {', '.join(AUTOMATION_TYPES)}."
        )
    examples, seen = [], set()
    for t in texts:
        t = " ".join(str(t).split())[:MAX_EXAMPLE_CHARS]
        if t and t.lower() not in seen:
            seen.add(t.lower())
            examples.append(t)
        if len(examples) == PROMOTED_EXAMPLES:
            break
    terms = ", ".join(cluster.get("terms") or []) or name
    topic = {
        "id": topic_id or topic_id_for(name),
        "name": name.strip(),
        "description": f"Promoted from emerging topic {cluster['cluster_id']} ({terms}).",
        "examples": examples,
    }
    if kind:
        topic["automation_type"] = kind
    doc: dict = {"account_id": account_id} if account_id else {"vertical": vertical}
    doc["promoted_from"] = cluster["cluster_id"]
    doc["promoted_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc["topics"] = [topic]
    return doc


def write_promotion(custom_dir: Path, doc: dict, load) -> Path:
    """Write `doc` as `<custom_dir>/emerging-<cluster>.yaml` and validate the whole taxonomy with
    `load(custom_dir)`; on a TaxonomyError the file is removed and the error re-raised."""
    custom_dir.mkdir(parents=True, exist_ok=True)
    path = custom_dir / f"emerging-{doc['promoted_from']}.yaml"
    if path.exists():
        raise CockpitError(f"{path} exists: cluster {doc['promoted_from']} was promoted already.")
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        load(custom_dir)
    except TaxonomyError:
        path.unlink()
        raise
    return path
