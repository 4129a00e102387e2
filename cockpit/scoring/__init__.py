"""Scoring: metrics, peer benchmarks, automation potential, top issues and actions, backtest.

Pure functions over DataFrames; the score and backtest steps in `pipelines/` read the store,
call them and write the derived tables.
- `metrics`: metric definitions (automation rate, involvement, handover, CSAT, ...);
- `potential`: benchmarks per vertical × cell and each account's potential with its range;
- `mixture`: the working / not-working mixture with the account effect;
- `counterfactual`: per conversation, how its nearest peers' conversations resolve where their
  cell works (the vectors come from the embedding cache, read by `inputs.window_vectors`);
- `actions`: top issues and next best actions;
- `backtest`: the potential predicted at a past cutoff against what happened.
"""
