"""`cockpit topics emerging`, `cockpit topics promote`, `cockpit topics dismiss` (discovery)."""

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

    settings = settings_from(ctx)
    with store.reading(settings.db_path) as con:
        topics = queries.emerging_topics(con, account_id)
    if as_json:
        keep = ("id", "name", "likely_type", "conversations", "accounts", "first_seen",
                "trend_pts", "example_conversation_ids", "conversation_ids", "scope", "terms")  # fmt: skip
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
    conversations, masked), validated with the whole taxonomy. Without --vertical or --account
    the topic serves the cluster's own scope.

    \b
    Example: cockpit topics promote em00007 --name "Crypto withdrawals" --vertical fintech --type personalized
    """
    from cockpit import store
    from cockpit.discovery.decisions import promote
    from cockpit.tagging.taxonomy import load_taxonomy

    settings = settings_from(ctx)
    custom = settings.custom_taxonomy_dir
    with store.writing(settings, f"topics promote {cluster_id}") as con:
        path, doc = promote(
            con, custom, lambda d: load_taxonomy(custom_dir=d), cluster_id, name,
            vertical=vertical, account_id=account_id, automation_type=automation_type,
            topic_id=topic_id,
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

    \b
    Example: cockpit topics dismiss em00007
    """
    import getpass

    from cockpit import store
    from cockpit.discovery.decisions import dismiss

    settings = settings_from(ctx)
    with store.writing(settings, f"topics dismiss {cluster_id}") as con:
        cluster = dismiss(con, cluster_id, by=getpass.getuser())
    click.echo(f"Dismissed {cluster_id} ({cluster['name']}); it will not be shown again.")
