"""`cockpit tag correct`, `cockpit taxonomy eval|override`, `cockpit export tags`."""

from __future__ import annotations

import click

from cockpit.errors import CockpitError
from pipelines.cli.group import cli, echo_json, settings_from


@cli.group("tag")
def tag_group() -> None:
    """Fix tags by hand; corrections win over the model and train it on the next refresh.

    Example: cockpit tag correct conv-123 --type personalized --topic orders
    """


@tag_group.command("correct")
@click.argument("conversation_id")
@click.option(
    "--type", "automation_type", required=True, help="informational, personalized or action."
)
@click.option(
    "--topic", "topic_id", required=True, help="A topic id (see taxonomy_topics) or 'other'."
)
@click.option("--note", default=None, help="Why the tag was wrong (free text).")
@click.option("--by", "by", default=None, help="Who corrects [current user].")
@click.pass_context
def tag_correct(
    ctx: click.Context, conversation_id: str, automation_type: str, topic_id: str, note, by
) -> None:
    """Record a corrected tag for one conversation (safe while a refresh runs).

    The next refresh applies it (confidence 1.0, corrected = true) and learns from it.

    \b
    Example: cockpit tag correct conv-123 --type personalized --topic orders --note "parcel"
    """
    import getpass

    from cockpit import store
    from cockpit.tagging.corrections import correct
    from cockpit.tagging.taxonomy import load_taxonomy

    settings = settings_from(ctx)
    taxonomy = load_taxonomy(custom_dir=settings.custom_taxonomy_dir)
    with store.reading(settings.db_path) as con:
        correct(
            con, settings.corrections_path, taxonomy, conversation_id, automation_type,
            topic_id, by=by or getpass.getuser(), note=note, source="cli",
        )  # fmt: skip
    click.echo(
        f"Recorded: {conversation_id} -> {automation_type} / {topic_id}. "
        f"It applies at the next `cockpit refresh`."
    )


@cli.group("taxonomy")
def taxonomy_group() -> None:
    """Inspect and evaluate the taxonomy.

    \b
    Example: cockpit taxonomy eval labelled.csv --text-col text --label-col intent --few-shot 10
    """


@taxonomy_group.command("eval")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--text-col", default="text", show_default=True, help="Column with the message.")
@click.option("--label-col", default="label", show_default=True, help="Column with the label.")
@click.option(
    "--few-shot",
    "few_shot",
    type=int,
    default=None,
    help="K examples per label from FILE; the rest is the test set.",
)
@click.option(
    "--train",
    "train",
    type=click.Path(dir_okay=False),
    default=None,
    help="Use all rows of this file as examples; FILE is the test set.",
)
@click.option(
    "--vertical", default=None, help="Zero-shot topics: judge with this vertical's topics only."
)
@click.option(
    "--seed", default=0, show_default=True, help="Seed of the example sample and the fit."
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def taxonomy_eval(ctx, file, text_col, label_col, few_shot, train, vertical, seed, as_json) -> None:
    """Measure how well labels in FILE are recognised (accuracy, macro-F1, coverage, confusions).

    With --few-shot K or --train, the labels become a custom taxonomy (labels `other`/`oos` mean
    out of scope). With neither, the labels must be automation types or project topic ids and the
    project taxonomy is evaluated zero-shot.

    \b
    Example: cockpit taxonomy eval tickets.csv --text-col body --label-col intent --few-shot 10
    """
    from cockpit.embedding import make_embedder
    from cockpit.tagging.evaluation import evaluate_file, format_report
    from cockpit.tagging.taxonomy import load_taxonomy

    settings = settings_from(ctx)
    taxonomy = load_taxonomy(custom_dir=settings.custom_taxonomy_dir)
    embedder = make_embedder(settings)
    result = evaluate_file(
        file, text_col, label_col, embedder.embed, taxonomy,
        few_shot=few_shot, train=train, seed=seed, vertical=vertical,
    )  # fmt: skip
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(format_report(result))


@taxonomy_group.command("override")
@click.argument("topic_id")
@click.option(
    "--type",
    "automation_type",
    type=click.Choice(["informational", "personalized", "action"]),
    default=None,
    help="The type this topic has for the account or vertical.",
)
@click.option("--account", "account_id", default=None, help="The account it applies to.")
@click.option("--vertical", default=None, help="Or: every account of this vertical.")
@click.option("--remove", is_flag=True, help="Remove the override instead.")
@click.option("--note", default="", help="Why (e.g. 'transfers need an agent in this product').")
@click.pass_context
def taxonomy_override(ctx, topic_id, automation_type, account_id, vertical, remove, note) -> None:
    """Declare the automation type of a topic for one account or a whole vertical.

    Whether a task is self-service or needs the company depends on the product. The override is
    kept in $COCKPIT_HOME/taxonomy/overrides-*.yaml, changes the taxonomy version, and the next
    refresh re-tags (so the potential follows). An account override beats a vertical one.

    \b
    Example: cockpit taxonomy override transfers --type action --account acc_0021
    """
    import getpass

    from cockpit.tagging.overrides import override_type

    if remove == (automation_type is not None):
        raise CockpitError("give either --type TYPE or --remove.")
    settings = settings_from(ctx)
    path = override_type(
        settings.custom_taxonomy_dir, settings.corrections_path, topic_id,
        None if remove else automation_type, account_id=account_id, vertical=vertical, note=note,
        by=getpass.getuser(), source="cli",
    )  # fmt: skip
    scope = f"account {account_id}" if account_id else f"vertical {vertical}"
    what = "removed" if remove else f"{topic_id} -> {automation_type}"
    click.echo(f"Override for {scope}: {what} ({path}). It applies at the next `cockpit refresh`.")


@cli.group("export")
def export_group() -> None:
    """Export data from the published database.

    Example: cockpit export tags --out tags.csv
    """


@export_group.command("tags")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False), help="CSV file to write."
)
@click.pass_context
def export_tags_command(ctx: click.Context, out: str) -> None:
    """Write one row per conversation with its tags (read-only; safe while a refresh runs).

    Columns: conversation_id, account_id, automation_type, type_confidence, topic_id,
    topic_confidence, taxonomy_version, corrected.

    Example: cockpit export tags --out tags.csv
    """
    from cockpit import store
    from cockpit.tagging.corrections import export_tags

    settings = settings_from(ctx)
    with store.reading(settings.db_path) as con:
        if not store.table_exists(con, "tags"):
            raise CockpitError("no tags yet — run `cockpit refresh` first.")
        n = export_tags(con, out)
    click.echo(f"Wrote {n} rows to {out}")
