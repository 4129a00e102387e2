"""Real customer messages from `../shared/data`, read at run time, with the cell each one needs.

Every intent of the public data sets gets the (automation_type, topic_id) an AI agent would need
to resolve it, by the rule in `../shared/data/README.md` (informational: the same answer for
everyone; personalized: this customer's records, read-only; action: the company changes
something) and the topic descriptions of Cockpit's taxonomy. This is the evaluation book's ground
truth of what each message needs, written from the intent names alone, never from Cockpit's tags.
Nothing here is copied into the project: the texts stay in `../shared/data`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

# Bitext (e-commerce): intent → (automation_type, topic_id). Types follow bitext/intent_types.csv.
BITEXT_CELLS = {
    "cancel_order": ("action", "orders"),
    "change_order": ("action", "orders"),
    "change_shipping_address": ("action", "shipping"),
    "check_cancellation_fee": ("informational", "plans"),
    "check_invoice": ("personalized", "billing"),
    "check_payment_methods": ("informational", "payments"),
    "check_refund_policy": ("informational", "returns"),
    "complaint": ("action", "feedback"),
    "contact_customer_service": ("informational", "contact"),
    "contact_human_agent": ("action", "contact"),
    "create_account": ("informational", "account_access"),
    "delete_account": ("action", "account_access"),
    "delivery_options": ("informational", "shipping"),
    "delivery_period": ("informational", "shipping"),
    "edit_account": ("informational", "account_access"),
    "get_invoice": ("personalized", "billing"),
    "get_refund": ("action", "returns"),
    "newsletter_subscription": ("informational", "account_access"),
    "payment_issue": ("personalized", "payments"),
    "place_order": ("informational", "orders"),
    "recover_password": ("informational", "account_access"),
    "registration_problems": ("informational", "account_access"),
    "review": ("informational", "feedback"),
    "set_up_shipping_address": ("informational", "shipping"),
    "switch_account": ("informational", "account_access"),
    "track_order": ("personalized", "orders"),
    "track_refund": ("personalized", "returns"),
}

# CLINC150 banking + credit cards (fintech).
CLINC_CELLS = {
    "account_blocked": ("personalized", "identity"),
    "balance": ("personalized", "transfers"),
    "bill_balance": ("personalized", "transfers"),
    "bill_due": ("personalized", "transfers"),
    "freeze_account": ("action", "fraud_disputes"),
    "interest_rate": ("informational", "fees_fx"),
    "min_payment": ("personalized", "cards"),
    "order_checks": ("action", "transfers"),
    "pay_bill": ("action", "transfers"),
    "pin_change": ("informational", "cards"),
    "report_fraud": ("action", "fraud_disputes"),
    "routing": ("informational", "transfers"),
    "spending_history": ("personalized", "transfers"),
    "transactions": ("personalized", "transfers"),
    "transfer": ("action", "transfers"),
    "application_status": ("personalized", "cards"),
    "apr": ("personalized", "cards"),
    "card_declined": ("personalized", "cards"),
    "credit_limit": ("personalized", "cards"),
    "credit_limit_change": ("action", "cards"),
    "credit_score": ("personalized", "cards"),
    "damaged_card": ("action", "cards"),
    "expiration_date": ("personalized", "cards"),
    "improve_credit_score": ("informational", "cards"),
    "international_fees": ("informational", "fees_fx"),
    "new_card": ("action", "cards"),
    "redeem_rewards": ("informational", "cards"),
    "replacement_card_duration": ("informational", "cards"),
    "report_lost_card": ("action", "cards"),
    "rewards_balance": ("personalized", "cards"),
    "oos": ("unknown", "other"),  # out of scope: no enabler helps
}

# MultiDoGo finance (fintech, multi-turn; the customer turns joined).
MULTIDOGO_CELLS = {
    "checkbalance": ("personalized", "transfers"),
    "disputecharge": ("action", "fraud_disputes"),
    "reportlostcard": ("action", "cards"),
    "updateaddress": ("action", "account_access"),
    "transfermoney": ("action", "transfers"),
    "replacecard": ("action", "cards"),
    "closeaccount": ("action", "account_access"),
}


@dataclass(frozen=True)
class Intent:
    """One intent of one vertical: its true cell and its real messages."""

    vertical: str
    source: str
    name: str
    automation_type: str
    topic_id: str
    texts: tuple[str, ...]


def _bitext(root: Path) -> list[Intent]:
    texts: dict[str, list[str]] = {}
    with open(root / "bitext" / "bitext_cs_8k.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts.setdefault(row["intent"], []).append(row["utterance"])
    return [
        Intent("ecommerce", "bitext", k, *BITEXT_CELLS[k], tuple(v))
        for k, v in sorted(texts.items())
        if k in BITEXT_CELLS
    ]


def _clinc(root: Path) -> list[Intent]:
    texts: dict[str, list[str]] = {}
    with open(root / "clinc150" / "clinc150_cs_subset.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts.setdefault(row["intent"], []).append(row["text"])
    return [
        Intent("fintech", "clinc150", k, *CLINC_CELLS[k], tuple(v))
        for k, v in sorted(texts.items())
        if k in CLINC_CELLS
    ]


def _multidogo(root: Path) -> list[Intent]:
    texts: dict[str, list[str]] = {}
    with open(root / "multidogo" / "conversations_test.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            intent = d.get("primary_intent")
            if d.get("domain") != "finance" or intent not in MULTIDOGO_CELLS:
                continue
            turns = [t["text"] for t in d.get("customer_turns") or [] if t.get("text")]
            if turns:
                texts.setdefault(intent, []).append(" ".join(turns)[:600])
    return [
        Intent("fintech", "multidogo", k, *MULTIDOGO_CELLS[k], tuple(v))
        for k, v in sorted(texts.items())
    ]


def load_intents(data_dir: Path) -> list[Intent]:
    """All intents with their messages, read from `data_dir` (= `../shared/data`)."""
    missing = [p for p in ("bitext", "clinc150", "multidogo") if not (data_dir / p).is_dir()]
    if missing:
        raise FileNotFoundError(
            f"expected the benchmark data folders {missing} under {data_dir}; found none. "
            "Point --data at ../shared/data (see its README)."
        )
    return _bitext(data_dir) + _clinc(data_dir) + _multidogo(data_dir)
