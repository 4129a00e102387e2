"""The demo generator: a deterministic, believable workspace (accounts, conversations, setup)
with a hidden truth beside it, for smoke tests, demos and backtests. Never the only evidence.

`generate(folder, ...)` writes the contract files; `build_demo(settings, ...)` also ingests
them and runs the refresh. Modules: `world` (accounts and their hidden setup), `volume` (daily
counts), `slots` / `text` / `phrases` (what customers write), `conversations`, `tables`.
"""

from cockpit.demo.build import DemoFiles, build_demo, generate

__all__ = ["DemoFiles", "build_demo", "generate"]
