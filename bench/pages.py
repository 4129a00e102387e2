"""Per-page server time: each page run with AppTest (app.py + sidebar + page script, no browser).

Usage:
    COCKPIT_HOME=/path/to/workspace python bench/pages.py [--account ID] [--runs N]
    python bench/pages.py            # COCKPIT_HOME unset: a fresh fixture store in a temp dir

With COCKPIT_HOME set the workspace must hold a published store; it is only read (the app opens
it read-only). Prints, per page, the first (cold) run and the median of N warm runs, in seconds.
Bar: every page's warm median < 1 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["portfolio", "account", "topics", "conversations", "brief", "data_health"]
BAR_S = 1.0


def _workspace() -> tuple[Path, str]:
    """(home, where it came from): $COCKPIT_HOME when set, else a new fixture store."""
    from cockpit.settings import Settings

    home = os.environ.get("COCKPIT_HOME")
    if home:
        if not Settings(home=Path(home)).db_path.exists():
            raise SystemExit(
                f"Error: COCKPIT_HOME={home} has no published store (cockpit.duckdb). "
                "Point it at a workspace built by `cockpit demo` / `cockpit refresh`, or unset it "
                "to benchmark a fixture store."
            )
        return Path(home), "COCKPIT_HOME"
    from tests.app_fixture import build_app_store

    home = Path(tempfile.mkdtemp()) / "home"
    build_app_store(Settings(home=home))
    os.environ["COCKPIT_HOME"] = str(home)
    return home, "fixture store"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="warm runs per page (default 5)")
    parser.add_argument("--account", help="account id the account pages show (default: the first)")
    args = parser.parse_args()

    from cockpit import queries, store
    from cockpit.settings import Settings

    home, origin = _workspace()
    con = store.read_only(Settings(home=home).db_path)
    con.execute("USE c")
    accounts = queries.account_options(con)
    con.close()
    account = args.account or next(iter(accounts), None)
    if args.account and args.account not in accounts:
        raise SystemExit(f"Error: account {args.account!r} is not in {home}; pick one of its ids.")

    from streamlit.testing.v1 import AppTest

    # AppTest runs scripts outside a server; Streamlit warns about that on every page.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )

    print(f"workspace: {home} ({origin}), account: {account} ({accounts.get(account, '—')})")
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'page':<14} {'first (s)':>10} {f'warm median of {args.runs} (s)':>26}")
    worst = 0.0
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        if account:
            at.query_params["account"] = account
        at.run()  # the entrypoint's first run (the default page), not timed
        times = []
        for _ in range(args.runs + 1):
            t0 = time.perf_counter()
            at.switch_page(f"app_pages/{page}.py").run()
            times.append(time.perf_counter() - t0)
            if at.exception:
                raise SystemExit(f"{page}: {at.exception[0].value}")
        heading = [t.value for t in at.title] or [
            m.value for m in at.markdown if m.value.startswith("# ")
        ]
        if not heading:  # e.g. the page stopped on guidance: its time would mean nothing
            raise SystemExit(f"{page}: rendered no heading; info: {[i.value for i in at.info]}")
        warm = statistics.median(times[1:])
        worst = max(worst, warm)
        print(f"{page:<14} {times[0]:>10.3f} {warm:>26.3f}")
    print(
        f"slowest warm page: {worst:.3f} s (bars: < {BAR_S:.0f} s on the demo workspace, "
        f"< {2 * BAR_S:.0f} s on a 2,000,000-conversation workspace)"
    )


if __name__ == "__main__":
    main()
