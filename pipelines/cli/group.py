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
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0: every one)."
)
@click.option(
    "--allow-open",
    is_flag=True,
    help="Serve on a non-local --host although no sign-in is configured (anyone reaching it "
    "sees every account).",
)
@click.pass_context
def app(ctx: click.Context, port: int, host: str, allow_open: bool) -> None:
    """Start the Streamlit app on http://HOST:PORT (localhost by default).

    With an OpenID Connect provider in .streamlit/secrets.toml every page needs sign-in;
    without one the app is open, so it refuses a non-local --host unless --allow-open.

    \b
    Example: cockpit app --port 8501
    """
    from pathlib import Path

    from cockpit import access

    root = Path(__file__).resolve().parents[2]
    app_py = root / "app.py"
    if not app_py.exists():
        raise click.ClickException(f"app.py not found next to the cockpit package ({app_py}).")
    # Streamlit's default secrets locations (the app re-checks with what Streamlit really read).
    secrets = access.read_secrets(
        [Path.home() / ".streamlit" / "secrets.toml", root / ".streamlit" / "secrets.toml"]
    )
    try:
        access.check_bind(host, access.auth_configured(secrets), allow_open)
    except CockpitError as exc:
        raise click.ClickException(str(exc)) from None
    settings = settings_from(ctx)
    env = {**os.environ, "COCKPIT_HOME": str(settings.home.resolve())}
    if settings.roles_file:
        env["COCKPIT_ROLES"] = str(settings.roles_file.resolve())
    if allow_open:
        env["COCKPIT_ALLOW_OPEN"] = "1"
    os.chdir(root)  # Streamlit reads .streamlit/config.toml and secrets.toml from here
    os.execvpe(
        sys.executable,
        [
            sys.executable, "-m", "streamlit", "run", str(app_py),
            "--server.port", str(port), "--server.address", host, "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
        ],
        env,
    )  # fmt: skip
