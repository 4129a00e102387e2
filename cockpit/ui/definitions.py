"""What each number means: the one-line definitions shown as `help=` tooltips."""

from cockpit.scoring import actions as _a
from cockpit.scoring import priority as _p

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
    "look_first": "Why a CSM should open this account first, computed by each refresh: "
    f"score = ARR in $100k × the parts that fire (renewal within {_p.RENEWAL_SOON_DAYS} days, "
    f"AI CSAT ≥ {_p.CSAT_GAP_MIN} below human CSAT, automation falling by more than "
    f"{_p.NOISE_Z:g} standard errors, a gap ≥ {_p.GAIN_MIN_PTS:g} pts to the potential). "
    f"Flagged when the score reaches {_p.MIN_SCORE:g}, at most {_p.MAX_FLAGGED_PER_BOOK} per "
    "CSM's book.",
    "automation_type": "What the customer needs: informational (an answer from help content), "
    "personalized (an answer from their own data, via a connector) or action (something done "
    "for them, via a procedure). Bars: conversations; label: the AI's automation rate.",
    "action_rank": "Ranked by Gain, the automation points the action adds to the potential. "
    "An action resting on fewer than "
    f"{_a.MIN_EVIDENCE_CONVERSATIONS} known outcomes in its cell is 'Low (thin)' and "
    "ranked after every other action, whatever its gain.",
    "other_share": "Share of conversations whose topic was too unsure to name ('other').",
}
