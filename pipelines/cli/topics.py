"""`cockpit topics emerging | promote | dismiss | decisions` (discovery)."""

from __future__ import annotations

import click

from pipelines.cli.group import cli, echo_json, settings_from


@cli.group("topics")
def topics_group() -> None:
    """Emerging topics: clusters of conversations the taxonomy cannot place yet.

    Example: cockpit topics emerging --json
    """


@topics_group.command("emerging")
@click.option("--account", "account_id", default=None, help="Only this account's conversations.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def topics_emerging(ctx: click.Context, account_id: str | None, as_json: bool) -> None:
    """List emerging topics, largest first (hidden: too small, incoherent, dismissed, promoted).

    JSON: {"topics": [{"id", "name", "likely_type", "conversations", "accounts", "first_seen",
    "trend_pts", "example_conversation_ids", "conversation_ids", ...}]}, every member id included.

    \b
    Example: cockpit topics emerging --account acc_0021 --json | jq '.topics[0].name'
    """
    from cockpit import queries, store
    from cockpit.discovery.decisions import decided_clusters

    settings = settings_from(ctx)
    decided = decided_clusters(settings.corrections_path)  # hidden before the next refresh too
    with store.reading(settings.db_path) as con:
        topics = queries.emerging_topics(con, account_id, exclude=decided)
    if as_json:
        keep = ("id", "name", "likely_type", "conversations", "accounts", "first_seen",
                "trend_pts", "example_conversation_ids", "conversation_ids", "scope", "terms",
                "tagged_as", "tagged_share")  # fmt: skip
        echo_json({"topics": [{k: t[k] for k in keep} for t in topics]})
        return
    if not topics:
        click.echo("No emerging topics (run `cockpit refresh` after new conversations arrive).")
        return
    for t in topics:
        click.echo(
            f"{t['id']}  {t['name']}  ·  {t['conversations']} conversations, {t['accounts']} "
            f"account(s), likely {t['likely_type'] or 'unknown'}, trend {t['trend_pts']:+.1f} pts, "
            f"since {t['first_seen']}  [{t['scope']}]"
        )


@topics_group.command("promote")
@click.argument("cluster_id")
@click.option("--name", required=True, help="Display name of the new topic.")
@click.option("--vertical", default=None, help="Serve every account of this vertical.")
@click.option("--account", "account_id", default=None, help="Serve this account only.")
@click.option(
    "--type", "automation_type", default=None, help="Default automation type [likely type]."
)
@click.option("--id", "topic_id", default=None, help="Topic id [from the name].")
@click.pass_context
def topics_promote(ctx, cluster_id, name, vertical, account_id, automation_type, topic_id) -> None:
    """Turn an emerging topic into a custom taxonomy topic; the next refresh re-tags with it.

    Writes $COCKPIT_HOME/taxonomy/emerging-CLUSTER_ID.yaml (examples: the cluster's most central
    conversations, masked), validated with the whole taxonomy, and records the decision in the
    corrections file (safe while a refresh runs). Without --vertical or --account the topic
    serves the cluster's own scope.

    \b
    Example: cockpit topics promote em00007 --name "Crypto withdrawals" --vertical fintech --type personalized
    """
    import getpass

    from cockpit import store
    from cockpit.discovery.decisions import promote
    from cockpit.tagging.taxonomy import load_taxonomy

    settings = settings_from(ctx)
    custom = settings.custom_taxonomy_dir
    with store.reading(settings.db_path) as con:
        path, doc = promote(
            con, custom, settings.corrections_path, lambda d: load_taxonomy(custom_dir=d),
            cluster_id, name, vertical=vertical, account_id=account_id,
            automation_type=automation_type, topic_id=topic_id, by=getpass.getuser(),
        )  # fmt: skip
    topic = doc["topics"][0]
    click.echo(
        f"Promoted {cluster_id} as topic '{topic['id']}' ({len(topic['examples'])} examples) in "
        f"{path}. The taxonomy version changed: the next `cockpit refresh` re-tags with it."
    )


@topics_group.command("dismiss")
@click.argument("cluster_id")
@click.pass_context
def topics_dismiss(ctx: click.Context, cluster_id: str) -> None:
    """Hide an emerging topic for good (it keeps its id and never comes back).

    Recorded in the corrections file (safe while a refresh runs); the next refresh applies it.

    \b
    Example: cockpit topics dismiss em00007
    """
    import getpass

    from cockpit import store
    from cockpit.discovery.decisions import dismiss

    settings = settings_from(ctx)
    with store.reading(settings.db_path) as con:
        cluster = dismiss(con, settings.corrections_path, cluster_id, by=getpass.getuser())
    click.echo(f"Dismissed {cluster_id} ({cluster['name']}); it will not be shown again.")


@topics_group.command("decisions")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@click.option("--limit", type=int, default=None, help="Only the newest N decisions.")
@click.pass_context
def topics_decisions(ctx: click.Context, as_json: bool, limit: int | None) -> None:
    """List dismissals and promotions, newest first: who, when, from where (app or CLI), role.

    Reads the corrections file ($COCKPIT_HOME/corrections.sqlite); safe while a refresh runs.

    \b
    Example: cockpit topics decisions --limit 10 --json
    """
    from cockpit.discovery.decisions import decision_log

    frame = decision_log(settings_from(ctx).corrections_path, limit)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    if as_json:
        echo_json(records)
        return
    if not records:
        click.echo("No emerging-topic decisions recorded yet.")
        return
    for r in records:
        what = f"promoted as '{r['topic_id']}'" if r["decision"] == "promoted" else "dismissed"
        click.echo(
            f"{r['decided_at']}  {r['decided_by'] or '?'} ({r['source']}"
            f"{', ' + r['role'] if r['role'] else ''})  {r['cluster_id']} {what}"
        )
