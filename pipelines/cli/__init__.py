"""The `cockpit` command: a thin shell over `cockpit.*` and the pipeline steps.

`group` holds the click group and the shared helpers; each area's commands live in their own
module and register themselves on import.
"""

from pipelines.cli import (  # noqa: F401  (each module registers its commands)
    audit,
    brief,
    demo,
    ingest,
    quarantine,
    refresh,
    scoring,
    tagging,
    topics,
)
from pipelines.cli.group import cli


def main() -> None:
    """Console-script entry point."""
    import signal

    # `cockpit accounts | head` should end quietly, like any Unix tool, not with BrokenPipeError.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli(prog_name="cockpit")


__all__ = ["cli", "main"]
