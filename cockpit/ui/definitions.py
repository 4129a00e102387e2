"""What each number means: the one-line definitions shown as `help=` tooltips."""

DEFINITIONS = {
    "automation_rate": "Share of conversations with a known outcome that the AI agent resolved "
    "without a human (AI-resolved ÷ known outcome).",
    "involvement_rate": "Share of all conversations in which the AI agent took part.",
    "ai_resolution_rate": "Of the conversations the AI took part in, the share it resolved alone.",
    "csat": "Average satisfaction score (1–5) of AI-resolved vs human-resolved conversations.",
    "handle_time": "Median human handle time per conversation, in minutes.",
    "conversations": "Support conversations in the current window.",
    "potential": "Automation rate the account could reach if each topic performed like the "
    "best peers of its vertical (with a low–high interval).",
    "gap_pts": "Potential minus current automation rate, in percentage points.",
    "percentile": "Rank among all accounts: 80th means better than 80% of accounts.",
    "look_first": "Why a CSM should open this account first: a big gap on high ARR, "
    "automation falling ≥ 3 pts, or a topic whose volume spiked last week.",
    "other_share": "Share of conversations whose topic was too unsure to name ('other').",
}
