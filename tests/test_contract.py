"""The data contract is documented: README.md names every table and column of contract.TABLES."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit import contract

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme() -> str:
    text = README.read_text(encoding="utf-8")
    assert "Data contract" in text, "README.md must have a 'Data contract' section"
    return text


@pytest.mark.parametrize("table", list(contract.TABLES))
def test_readme_documents_every_table_and_column(table):
    text = _readme()
    # Names are written as code (`name`) so that common words like "text" do not count.
    missing = [c for c in [table, *contract.TABLES[table].names] if f"`{c}`" not in text]
    assert not missing, f"README.md data contract lacks {table}: {', '.join(missing)}"


def test_contract_is_self_consistent():
    for spec in contract.TABLES.values():
        assert set(spec.key) <= set(spec.required), spec.name
        for column, parent in spec.references.items():
            assert column in spec.names and parent in contract.TABLES
            assert contract.LOAD_ORDER.index(parent) < contract.LOAD_ORDER.index(spec.name)
        for col in spec.columns:
            if col.default is not None:
                assert col.choices and col.default in col.choices
    assert set(contract.LOAD_ORDER) == set(contract.TABLES)
