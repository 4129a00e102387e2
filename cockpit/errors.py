"""Domain errors. Each says what was expected, what was found and what to do.

The CLI turns any `CockpitError` into `Error: <message>` and exit code 1; pages turn it into
`st.info(...)` + `st.stop()`.
"""

from __future__ import annotations


class CockpitError(Exception):
    """Base class for errors a user can act on."""


class ContractError(CockpitError):
    """An input file does not follow the data contract as a whole (not just a bad row)."""


class MissingColumnsError(ContractError):
    """An input file lacks required columns; it is refused whole."""

    def __init__(self, path: str, table: str, missing: list[str], expected: list[str]):
        self.path, self.table, self.missing, self.expected = path, table, missing, expected
        super().__init__(
            f"{path}: missing required column(s) {', '.join(missing)} for table '{table}'; "
            f"expected columns: {', '.join(expected)}. Rename the columns in the export "
            f"or pass --table if the file feeds another table."
        )


class UnknownTableError(ContractError):
    """The table a file feeds could not be recognised from its name."""


class NoDataError(CockpitError):
    """The store holds no data yet."""

    def __init__(self, what: str = "No data yet"):
        super().__init__(f"{what} — run `cockpit demo` or `cockpit ingest FILE...` first.")


class UnknownAccountError(CockpitError):
    """An account id that is not in the store."""

    def __init__(self, account_id: str):
        self.account_id = account_id
        super().__init__(f"no account '{account_id}'; run 'cockpit accounts' to list them")


class TaxonomyError(CockpitError):
    """The taxonomy YAML is invalid; the message names the bad entry."""


class MissingVectorsError(CockpitError):
    """The tag step needs vectors the embed step has not written."""


class LockedError(CockpitError):
    """Another writer (refresh, ingest, demo) is running."""


class SettingsError(CockpitError):
    """An environment setting has a value Cockpit cannot use."""


class StoreMissingError(CockpitError):
    """The published store vanished while the home shows it existed (caches, history)."""
