"""Taxonomy loading and validation (tiny YAML built here; the project YAML checked for ids)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cockpit.errors import TaxonomyError
from cockpit.tagging.taxonomy import load_taxonomy

TYPES = {
    "version": "2026.11.1",
    "other_threshold": 0.35,
    "types": [
        {"id": "informational", "name": "Informational", "rule": "same for all",
         "examples": ["what is your policy", "how does it work", "what are the fees"]},
        {"id": "personalized", "name": "Personalized", "rule": "own records",
         "examples": ["where is my thing", "show my status", "why was my thing declined"]},
        {"id": "action", "name": "Action", "rule": "change something",
         "examples": ["cancel it for me", "change my details", "please refund me now"]},
    ],
}  # fmt: skip
SHARED = {
    "vertical": None,
    "topics": [
        {"id": "billing", "name": "Billing", "description": "invoices and charges",
         "data_source": "billing system", "sensitive": False,
         "examples": {
             "informational": ["how do invoices work", "when do you send the invoice"],
             "personalized": ["show my invoice please", "why was my invoice charged twice"],
             "action": ["refund my invoice charge", "cancel my invoice subscription"]}},
    ],
}  # fmt: skip
ECOMMERCE = {
    "vertical": "ecommerce",
    "topics": [
        {"id": "orders", "name": "Orders", "description": "orders and parcels",
         "data_source": "order system", "sensitive": False,
         "examples": {
             "informational": ["how long does an order parcel take", "how do orders work"],
             "personalized": ["where is my parcel", "where is my order parcel", "track my order parcel"],
             "action": ["cancel my order", "change my order parcel address"]}},
    ],
}  # fmt: skip
FINTECH = {
    "vertical": "fintech",
    "topics": [
        {"id": "cards", "name": "Cards", "description": "bank cards",
         "data_source": "card processor", "sensitive": True,
         "examples": {
             "informational": ["how long does a new bank card take", "what card types exist"],
             "personalized": ["why was my bank card declined", "is my bank card blocked"],
             "action": ["block my bank card", "freeze my stolen bank card"]}},
    ],
}  # fmt: skip
OUT_OF_SCOPE = {
    "examples": ["what is the weather today", "tell me a joke", "who won the football game",
                 "what is the capital of france", "play some music", "weather forecast tomorrow"]
}  # fmt: skip


def write_taxonomy(folder: Path, **overrides) -> Path:
    """Write the tiny taxonomy (optionally replacing files) into `folder`; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "taxonomy.yaml": TYPES, "shared.yaml": SHARED, "ecommerce.yaml": ECOMMERCE,
        "fintech.yaml": FINTECH, "out_of_scope.yaml": OUT_OF_SCOPE,
    }  # fmt: skip
    files.update({f"{k}.yaml": v for k, v in overrides.items()})
    for name, data in files.items():
        (folder / name).write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def write_custom(folder: Path, account_id: str = "acme", n: int = 5, **topic) -> Path:
    """An account custom-topic file with `n` examples."""
    folder.mkdir(parents=True, exist_ok=True)
    entry = {
        "id": "loyalty", "name": "Loyalty points", "description": "loyalty points and rewards",
        "examples": [f"how many loyalty points do I have {i}" for i in range(n)],
    }  # fmt: skip
    entry.update(topic)
    path = folder / f"{account_id}.yaml"
    path.write_text(yaml.safe_dump({"account_id": account_id, "topics": [entry]}))
    return path


def test_loads_tiny_taxonomy(tmp_path):
    tax = load_taxonomy(write_taxonomy(tmp_path / "tax"))
    assert tax.type_ids == ["informational", "personalized", "action"]
    assert tax.topic_ids == ["billing", "orders", "cards"]
    assert tax.version.startswith("2026.11.1+") and len(tax.version) == len("2026.11.1+") + 8
    assert tax.other_threshold == 0.35
    assert len(tax.out_of_scope) == 6
    assert tax.name("orders") == "Orders" and tax.name("other") == "Other"
    assert tax.data_source("cards") == "card processor" and tax.sensitive("cards") is True


def test_any_edit_changes_version(tmp_path):
    folder = write_taxonomy(tmp_path / "tax")
    before = load_taxonomy(folder).version
    assert load_taxonomy(folder).version == before
    (folder / "out_of_scope.yaml").write_text(yaml.safe_dump({"examples": ["tell me a joke"]}))
    assert load_taxonomy(folder).version != before


def test_custom_topic_changes_version_and_applies_to_its_account_only(tmp_path):
    folder = write_taxonomy(tmp_path / "tax")
    plain = load_taxonomy(folder)
    custom = load_taxonomy(folder, custom_dir=write_custom(tmp_path / "custom").parent)
    assert custom.version != plain.version
    ids = lambda v, a: [t.id for t in custom.topics_for(v, a)]  # noqa: E731
    assert ids("ecommerce", "acme") == ["billing", "orders", "loyalty"]
    assert ids("ecommerce", "other-account") == ["billing", "orders"]
    assert ids("fintech", None) == ["billing", "cards"]
    assert ids(None, None) == ["billing"]


def _error(tmp_path, **overrides) -> str:
    folder = write_taxonomy(tmp_path / "tax", **overrides)
    with pytest.raises(TaxonomyError) as exc:
        load_taxonomy(folder)
    return str(exc.value).replace(str(folder) + "/", "")


def test_unknown_type_id(tmp_path):
    bad = {**SHARED, "topics": [{**SHARED["topics"][0], "examples": {"informative": ["x"]}}]}
    assert _error(tmp_path, shared=bad) == (
        "shared.yaml: topic 'billing' has examples for unknown type id 'informative'; "
        "expected one of informational, personalized, action."
    )


def test_duplicate_topic_id(tmp_path):
    dup = {"vertical": "saas", "topics": [{**SHARED["topics"][0]}]}
    assert _error(tmp_path, saas=dup) == (
        "saas.yaml: duplicate topic id 'billing' (already defined in shared.yaml)."
    )


def test_missing_description(tmp_path):
    entry = {k: v for k, v in ECOMMERCE["topics"][0].items() if k != "description"}
    assert _error(tmp_path, ecommerce={**ECOMMERCE, "topics": [entry]}) == (
        "ecommerce.yaml: topic 'orders' is missing 'description' (a non-empty string)."
    )


def test_unknown_vertical(tmp_path):
    assert _error(tmp_path, ecommerce={**ECOMMERCE, "vertical": "retail"}) == (
        "ecommerce.yaml: unknown vertical 'retail'; expected null or one of "
        "fintech, ecommerce, saas, gaming, healthcare, other."
    )


def test_unknown_automation_type_in_types(tmp_path):
    types = {**TYPES, "types": TYPES["types"][:2] + [{**TYPES["types"][2], "id": "transactional"}]}
    assert _error(tmp_path, taxonomy=types) == (
        "taxonomy.yaml: types[2] has unknown type id 'transactional'; "
        "expected one of informational, personalized, action."
    )


def test_other_is_reserved(tmp_path):
    entry = {**ECOMMERCE["topics"][0], "id": "other"}
    assert "topic id 'other' is reserved" in _error(
        tmp_path, ecommerce={**ECOMMERCE, "topics": [entry]}
    )


def test_custom_topic_needs_five_examples(tmp_path):
    folder = write_taxonomy(tmp_path / "tax")
    path = write_custom(tmp_path / "custom", n=4)
    with pytest.raises(TaxonomyError) as exc:
        load_taxonomy(folder, custom_dir=path.parent)
    assert str(exc.value) == (
        f"{path}: topic 'loyalty' has 4 example(s); custom topics need at least 5. "
        "Add typical customer messages."
    )


def test_custom_topic_cannot_reuse_a_project_id(tmp_path):
    folder = write_taxonomy(tmp_path / "tax")
    path = write_custom(tmp_path / "custom", id="orders")
    with pytest.raises(TaxonomyError, match="duplicate topic id 'orders'"):
        load_taxonomy(folder, custom_dir=path.parent)


def test_custom_topic_default_type_is_validated(tmp_path):
    folder = write_taxonomy(tmp_path / "tax")
    path = write_custom(tmp_path / "custom", automation_type="urgent")
    with pytest.raises(TaxonomyError, match="unknown automation_type 'urgent'"):
        load_taxonomy(folder, custom_dir=path.parent)


ARCHITECTURE_TOPICS = {
    None: ["account_access", "billing", "plans", "integrations", "bugs", "how_to", "data_privacy",
           "feedback", "contact"],
    "ecommerce": ["orders", "shipping", "returns", "payments", "product_info"],
    "fintech": ["cards", "transfers", "fees_fx", "identity", "fraud_disputes"],
    "saas": ["users_permissions", "reporting", "data_import_export", "performance", "onboarding"],
    "gaming": ["purchases", "game_account", "gameplay", "connectivity", "events_rewards"],
    "healthcare": ["appointments", "prescriptions", "insurance", "test_results", "medical_records"],
}  # fmt: skip


def test_project_taxonomy_is_valid_and_has_every_architecture_topic():
    tax = load_taxonomy()
    for vertical, ids in ARCHITECTURE_TOPICS.items():
        got = {t.id for t in tax.topics if t.vertical == vertical}
        assert got == set(ids), vertical
    assert tax.out_of_scope, "out_of_scope.yaml must give examples for the `other` rejection"
