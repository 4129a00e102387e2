"""Ingestion: contract files (CSV, Parquet, JSON Lines) → validated rows in the store.

`stage` reads each file record by record (row-exact CSV, encodings, literal paths),
`validate` types and checks every row, `privacy` masks personal data and secrets, `load`
upserts the good rows (newer wins) and quarantines the bad ones with their reason, retrying
rows that wait for a parent. `status_summary(con)` is what `cockpit status` prints.
"""

from cockpit.ingest.load import FileReport, IngestReport, ingest_paths, retry_waiting
from cockpit.ingest.status import status_summary
from cockpit.ingest.validate import Limits

__all__ = [
    "FileReport",
    "IngestReport",
    "Limits",
    "ingest_paths",
    "retry_waiting",
    "status_summary",
]
