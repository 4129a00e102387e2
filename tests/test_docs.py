"""Docs tied to code: every CLI command has help ending with an example and is in README.md."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from cockpit.contract import contract_markdown
from pipelines.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        path = (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


COMMANDS = list(_commands(cli))


def test_the_cli_has_the_foundation_commands():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"demo", "ingest", "refresh", "status", "app"} <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p))
def test_every_command_has_help_ending_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    last = [
        line.strip() for line in result.output.split("Options:")[0].splitlines() if line.strip()
    ]
    assert last and last[-1].startswith("Example: cockpit"), (
        f"`cockpit {' '.join(path)} --help` must end with 'Example: cockpit …'; got {last[-1:]}"
    )


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p))
def test_every_command_is_documented_in_the_readme(path):
    assert re.search(rf"cockpit {re.escape(' '.join(path))}\b", README), (
        f"README.md does not mention `cockpit {' '.join(path)}`"
    )


def test_readme_opens_with_the_two_commands():
    head = README[:1500]
    assert "make run" in head and "make test" in head


def test_readme_embeds_the_generated_data_contract():
    assert contract_markdown() in README, (
        "README.md's data contract drifted from cockpit/contract.py; paste the output of "
        "contract_markdown() under '## Data contract (v1)'"
    )


def test_unknown_command_is_an_error_without_traceback():
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
