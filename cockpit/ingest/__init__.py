"""Ingestion: contract files (CSV, Parquet, JSON Lines) → validated rows in the store.

`ingest_paths(con, paths)` stages each file, validates it against `cockpit.contract`, masks
personal data (`privacy`) and upserts the good rows; every bad row goes to `quarantine` with
its reason. `status_summary(con)` is what `cockpit status` prints.
"""

from cockpit.ingest.load import IngestReport, ingest_paths, status_summary

__all__ = ["IngestReport", "ingest_paths", "status_summary"]
