"""Every knob of the demo world in one place: rates, mixes and probabilities.

These describe the simulated book, not Cockpit: they are chosen to look like a plausible support
operation (a modest share of unknown outcomes, half the accounts sharing their setup, a few
typos), never tuned to make Cockpit's own figures look good.
"""

from __future__ import annotations

# Share of conversations whose outcome the export does not know (resolved_by empty).
UNKNOWN_OUTCOME_RATE = 0.02
# Share of accounts whose `setup` table is delivered (the rest must be inferred).
KNOWN_SETUP_SHARE = 0.5
# Share of conversations with a CSAT answer.
CSAT_RATE = 0.30
# Share of generated card numbers that pass the Luhn check (the rest must survive masking).
LUHN_VALID_SHARE = 0.6
# Share of conversations with a multi-turn transcript in `messages`.
MULTI_TURN_RATE = 0.10
# Share of texts with a typo, and of texts written all in lower case.
TYPO_RATE = 0.06
LOWERCASE_RATE = 0.08
# Days before the end of the data over which the hidden "achievable" truth is measured.
TRUTH_WINDOW_DAYS = 90

# (informational, personalized, action) share of each topic's conversations.
TYPE_MIX = {
    "account_access": (0.25, 0.40, 0.35),
    "billing": (0.25, 0.45, 0.30),
    "plans": (0.45, 0.20, 0.35),
    "integrations": (0.50, 0.30, 0.20),
    "bugs": (0.30, 0.50, 0.20),
    "how_to": (0.75, 0.15, 0.10),
    "data_privacy": (0.45, 0.15, 0.40),
    "feedback": (0.35, 0.20, 0.45),
    "contact": (0.50, 0.25, 0.25),
    "orders": (0.15, 0.60, 0.25),
    "shipping": (0.40, 0.45, 0.15),
    "returns": (0.40, 0.30, 0.30),
    "payments": (0.40, 0.35, 0.25),
    "product_info": (0.80, 0.10, 0.10),
    "cards": (0.30, 0.35, 0.35),
    "transfers": (0.25, 0.50, 0.25),
    "fees_fx": (0.60, 0.30, 0.10),
    "identity": (0.35, 0.35, 0.30),
    "fraud_disputes": (0.20, 0.35, 0.45),
    "users_permissions": (0.35, 0.30, 0.35),
    "reporting": (0.55, 0.35, 0.10),
    "data_import_export": (0.55, 0.25, 0.20),
    "performance": (0.35, 0.50, 0.15),
    "onboarding": (0.70, 0.15, 0.15),
    "purchases": (0.25, 0.40, 0.35),
    "game_account": (0.25, 0.35, 0.40),
    "gameplay": (0.80, 0.10, 0.10),
    "connectivity": (0.45, 0.45, 0.10),
    "events_rewards": (0.55, 0.30, 0.15),
    "appointments": (0.25, 0.30, 0.45),
    "prescriptions": (0.30, 0.35, 0.35),
    "insurance": (0.55, 0.35, 0.10),
    "test_results": (0.30, 0.55, 0.15),
    "medical_records": (0.45, 0.25, 0.30),
}

# Relative popularity of a topic within an account (before per-account noise).
TOPIC_WEIGHT = {
    "account_access": 7,
    "billing": 6,
    "plans": 3,
    "integrations": 2,
    "bugs": 4,
    "how_to": 5,
    "data_privacy": 1,
    "feedback": 1.5,
    "contact": 2.5,
    "orders": 14,
    "shipping": 12,
    "returns": 8,
    "payments": 5,
    "product_info": 6,
    "cards": 11,
    "transfers": 10,
    "fees_fx": 5,
    "identity": 6,
    "fraud_disputes": 5,
    "users_permissions": 7,
    "reporting": 6,
    "data_import_export": 5,
    "performance": 4,
    "onboarding": 5,
    "purchases": 11,
    "game_account": 9,
    "gameplay": 7,
    "connectivity": 6,
    "events_rewards": 6,
    "appointments": 14,
    "prescriptions": 9,
    "insurance": 6,
    "test_results": 7,
    "medical_records": 4,
}

# Base AI resolution probability when the enabler is live, per automation type: (low, high).
P_LIVE_RANGE = {"informational": (0.75, 0.90), "personalized": (0.60, 0.80), "action": (0.40, 0.65)}
# ... and when it is not live.
P_BASE_RANGE = {"informational": (0.15, 0.30), "personalized": (0.05, 0.15), "action": (0.02, 0.08)}
