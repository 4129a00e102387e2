"""Per-page server time with AppTest against $COCKPIT_HOME (or a fixture store when unset/empty).

Usage: python bench/pages.py [--runs N]   (bar: every page < 1 s)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["portfolio", "account", "topics", "conversations", "brief", "data_health"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from cockpit import queries, store
    from cockpit.settings import Settings

    settings = Settings.from_env()
    if not settings.db_path.exists():
        from tests.app_fixture import build_app_store

        home = Path(tempfile.mkdtemp()) / "home"
        build_app_store(Settings(home=home))
        os.environ["COCKPIT_HOME"] = str(home)
        settings = Settings(home=home)
        print(f"COCKPIT_HOME has no store; using a fixture store in {home}")
    con = store.read_only(settings.db_path)
    account = next(iter(queries.account_options(con)), None)
    con.close()

    from streamlit.testing.v1 import AppTest

    print(f"{'page':<14} {'first (s)':>10} {'warm median (s)':>16}")
    worst = 0.0
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if account:
            at.query_params["account"] = account
        at.run()
        times = []
        for _ in range(args.runs + 1):
            t0 = time.perf_counter()
            at.switch_page(f"pages/{page}.py").run()
            times.append(time.perf_counter() - t0)
            if at.exception:
                raise SystemExit(f"{page}: {at.exception[0].value}")
        warm = sorted(times[1:])[len(times[1:]) // 2]
        worst = max(worst, warm)
        print(f"{page:<14} {times[0]:>10.3f} {warm:>16.3f}")
    print(f"slowest warm page: {worst:.3f} s ({'OK' if worst < 1 else 'OVER'} the 1 s bar)")


if __name__ == "__main__":
    main()
