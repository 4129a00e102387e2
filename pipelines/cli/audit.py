"""`cockpit audit`: who corrected which tag, when, from where, old and new value."""

from __future__ import annotations

from collections.abc import Callable

import click
import pandas as pd

from cockpit.errors import CockpitError
from pipelines.cli.group import cli, echo_json, settings_from


@cli.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", type=int, default=None, help="Only the newest N entries.")
@click.option("--conversation", "conversation_id", default=None, help="Only this conversation.")
@click.option("--overrides", is_flag=True, help="List type overrides instead of corrections.")
@click.pass_context
def audit(
    ctx: click.Context, as_json: bool, limit: int | None, conversation_id, overrides: bool
) -> None:
    """List every tag correction (or type override), newest first: who, when, from where, old → new.

    Reads the corrections file ($COCKPIT_HOME/corrections.sqlite); safe while a refresh runs.
    Corrections recorded before the audit existed show no source and no old value.

    \b
    Example: cockpit audit --limit 20 --json
    """
    from cockpit.tagging.corrections import audit_log

    settings = settings_from(ctx)
    if overrides:
        _overrides(settings, as_json, limit)
        return
    ids = [conversation_id] if conversation_id else None
    _listing(
        lambda: audit_log(settings.corrections_path, ids, limit),
        as_json,
        "No corrections recorded yet.",
        _correction_line,
    )


def _listing(
    read: Callable[[], pd.DataFrame], as_json: bool, empty: str, line: Callable[[dict], str]
) -> None:
    """Print the log `read` returns: JSON records, `empty` when there are none, else one `line` each."""
    try:
        frame = read()
    except CockpitError as exc:
        raise click.ClickException(str(exc)) from None
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    if as_json:
        echo_json(records)
    elif not records:
        click.echo(empty)
    else:
        for r in records:
            click.echo(line(r))


def _correction_line(r: dict) -> str:
    old = f"{r['old_automation_type'] or '?'} / {r['old_topic_id'] or '?'}"
    return (
        f"{r['corrected_at']}  {r['corrected_by'] or '?'} ({r['source'] or '?'}"
        f"{', ' + r['role'] if r['role'] else ''})  {r['conversation_id']}: "
        f"{old} -> {r['automation_type'] or '?'} / {r['topic_id'] or '?'}"
        + (f"  [undo of #{r['undoes']}]" if r.get("undoes") is not None else "")
        + (f"  # {r['note']}" if r["note"] else "")
    )


def _overrides(settings, as_json: bool, limit: int | None) -> None:
    from cockpit.tagging.overrides import override_log

    _listing(
        lambda: override_log(settings.corrections_path, limit),
        as_json,
        "No type overrides recorded yet.",
        _override_line,
    )


def _override_line(r: dict) -> str:
    scope = f"account {r['account_id']}" if r["account_id"] else f"vertical {r['vertical']}"
    return (
        f"{r['changed_at']}  {r['changed_by'] or '?'} ({r['source'] or '?'})  {scope} "
        f"{r['topic_id']}: {r['old_automation_type'] or '-'} -> "
        f"{r['automation_type'] or 'removed'}" + (f"  # {r['note']}" if r["note"] else "")
    )
