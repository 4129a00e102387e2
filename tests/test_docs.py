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


def _readme_cli_rows() -> dict[str, str]:
    """The README's CLI table: command path → the row's synopsis (first cell)."""
    section = README.split("## CLI", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `cockpit ([^`]*)` \|", line)
        if m:
            words = m.group(1).split()
            names = [w for w in words if re.fullmatch(r"[a-z][a-z-]*", w)]
            path = next(
                (" ".join(names[:n]) for n in (2, 1) if " ".join(names[:n]) in COMMAND_NAMES), None
            )
            assert path, f"README CLI row names no command: {line}"
            rows[path] = m.group(1)
    return rows


COMMAND_NAMES = {" ".join(p) for p, _ in COMMANDS}


def _options(cmd: click.Command) -> set[str]:
    return {
        o for p in cmd.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")
    } - {"--help"}


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p))
def test_every_command_and_option_is_in_the_readme_cli_table(path):
    rows = _readme_cli_rows()
    name = " ".join(path)
    assert name in rows, f"README.md's CLI table has no row for `cockpit {name}`"
    cmd = dict((" ".join(p), c) for p, c in COMMANDS)[name]
    documented = set(re.findall(r"--[a-z][a-z-]*", rows[name]))
    assert _options(cmd) <= documented, (
        f"README row for `cockpit {name}` lacks {sorted(_options(cmd) - documented)}"
    )


def test_the_readme_cli_table_names_only_real_commands_and_options():
    for name, synopsis in _readme_cli_rows().items():
        cmd = dict((" ".join(p), c) for p, c in COMMANDS)[name]
        documented = set(re.findall(r"--[a-z][a-z-]*", synopsis))
        assert documented <= _options(cmd), (
            f"README row for `cockpit {name}` shows options the command does not have: "
            f"{sorted(documented - _options(cmd))}"
        )


def test_readme_opens_with_the_two_commands():
    head = README[:1500]
    assert "make run" in head and "make test" in head


def test_readme_embeds_the_generated_data_contract():
    assert contract_markdown() in README, (
        "README.md's data contract drifted from cockpit/contract.py; paste the output of "
        "contract_markdown() under '## Data contract (v1)'"
    )


def test_errors_have_one_shape_in_a_real_process(tmp_path):
    """A library error reaches the user as one `Error: …` line on stderr and exit 1: run the
    installed entry point in a subprocess (CliRunner would swallow a traceback)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "COCKPIT_HOME": str(tmp_path / "home"), "COCKPIT_EMBEDDER": "hashing"}
    env.pop("COCKPIT_DEBUG", None)
    cases = [
        (["account", "nope"], "Error: "),  # no store yet: NoDataError
        (["ingest", str(tmp_path / "missing.csv")], "Error: "),
    ]
    for args, prefix in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", *args],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 1, (args, proc.returncode, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert lines and lines[-1].startswith(prefix), proc.stderr
        assert len(lines) == 1, f"one error line expected, got: {proc.stderr}"


def test_an_unexpected_exception_is_one_error_line_naming_its_type(monkeypatch, tmp_path):
    from pipelines.cli import group

    monkeypatch.setenv("COCKPIT_HOME", str(tmp_path))
    monkeypatch.delenv("COCKPIT_DEBUG", raising=False)

    @group.cli.command("_boom", hidden=True)
    def _boom() -> None:
        raise ZeroDivisionError("division by zero")

    try:
        result = CliRunner().invoke(group.cli, ["_boom"])
    finally:
        group.cli.commands.pop("_boom")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: unexpected ZeroDivisionError: division by zero. "
        "Re-run with COCKPIT_DEBUG=1 for details."
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
