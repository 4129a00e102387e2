"""The `cockpit` command: a thin shell over the library.

Library errors (`CockpitError`) become `Error: …` on stderr and exit code 1, never a traceback.
Every command's help ends with an example (a test checks it).
The group and its shared helpers live here; each area's commands live in their own module of
this package (ingest, demo, tagging, scoring, brief, refresh).
"""

from __future__ import annotations

import json
import logging
import os
import sys

import click

from cockpit.errors import CockpitError
from cockpit.settings import Settings

log = logging.getLogger("cockpit")


class CockpitGroup(click.Group):
    """A click group that turns domain errors into `Error: …` and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CockpitError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
        except Exception as exc:  # never show a traceback to a user
            if os.environ.get("COCKPIT_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {exc}. Re-run with COCKPIT_DEBUG=1 for details."
            ) from None


def settings_from(ctx: click.Context) -> Settings:
    """The settings object built once per invocation from the environment."""
    return ctx.find_root().obj


def echo_json(data) -> None:
    """Print `data` as stable, indented JSON (dates as ISO strings)."""
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@click.group(cls=CockpitGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.version_option(package_name="cockpit")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Cockpit: automation performance, potential and next best actions per account.

    Data lives in $COCKPIT_HOME (default ./var).

    Example: cockpit demo && cockpit app
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        ctx.obj = Settings.from_env()
    except CockpitError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--port", default=8501, show_default=True, help="Port to serve on.")
@click.pass_context
def app(ctx: click.Context, port: int) -> None:
    """Start the Streamlit app on http://localhost:PORT.

    Example: cockpit app --port 8501
    """
    from pathlib import Path

    app_py = Path(__file__).resolve().parents[2] / "app.py"
    if not app_py.exists():
        raise click.ClickException(f"app.py not found next to the cockpit package ({app_py}).")
    os.execvp(
        sys.executable,
        [
            sys.executable, "-m", "streamlit", "run", str(app_py),
            "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ],
    )  # fmt: skip
