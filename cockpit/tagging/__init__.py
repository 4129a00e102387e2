"""Tagging: each conversation's automation type and topic, from its embedding.

- `taxonomy`: the automation taxonomy (YAML in `taxonomies/`, validated on load, versioned);
- `tagger`: the classifier over embeddings (`fit_tagger`), with `other` for what it cannot place;
- `corrections`: hand corrections (they win, and train the next fit);
- `evaluation`: `cockpit taxonomy eval` metrics;
- `cache`: the fitted tagger cached per (taxonomy version, model, corrections): `load_or_fit`.
"""
