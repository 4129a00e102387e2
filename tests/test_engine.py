"""The engine switch: the Ray engine gives the local engine's tags (small demo, hashing embedder).

Runs a local Ray cluster (marked `ray`; skipped with a reason when Ray is not installed —
`make install` installs it through the dev extra).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import sys

import pytest
from click.testing import CliRunner

from cockpit import demo, engine, store
from cockpit.embedding import make_embedder
from cockpit.errors import SettingsError
from cockpit.settings import Settings
from pipelines import embed as embed_step
from pipelines import tag as tag_step
from pipelines.context import StepContext

TAG_SQL = """SELECT conversation_id, automation_type, topic_id, corrected, text_hash,
                    round(type_confidence, 6), round(topic_confidence, 6)
             FROM tags ORDER BY conversation_id"""


def test_the_local_engine_is_the_default_and_imports_no_ray(tmp_path):
    settings = Settings.from_env({"COCKPIT_HOME": str(tmp_path)})
    assert settings.engine == "local" and settings.ray_address is None
    assert not engine.uses_ray(settings)
    assert Settings.from_env({"COCKPIT_ENGINE": "ray"}).engine == "ray"
    with pytest.raises(SettingsError, match="COCKPIT_ENGINE must be one of local, ray"):
        Settings.from_env({"COCKPIT_ENGINE": "spark"})


def test_a_refresh_on_the_local_engine_never_imports_ray(tmp_path):
    import subprocess

    code = (
        "import sys; from pathlib import Path; from cockpit.settings import Settings;"
        "from pipelines.refresh import refresh;"
        f"r = refresh(Settings(home=Path({str(tmp_path)!r}), embedder='hashing'),"
        " progress_mode='quiet');"
        "assert r.status == 'success', r.error; print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_asking_for_ray_without_it_says_what_to_install(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    with pytest.raises(SettingsError, match=r"pip install -e \.\[ray\]"):
        engine.uses_ray(Settings(home=tmp_path, engine="ray"))


@pytest.mark.ray
@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray[data] is not installed")
def test_ray_engine_gives_the_local_engines_tags(tmp_path):
    """One small demo, copied; embed + tag on each engine (a local Ray cluster for `ray`)."""
    source = Settings(home=tmp_path / "source", embedder="hashing")
    demo.build_demo(source, 6, 2, 1200, 5)
    rows, counts = {}, {}
    for name in ("local", "ray"):
        settings = dataclasses.replace(source, home=tmp_path / name, engine=name)
        shutil.copytree(source.home, settings.home)
        try:
            with store.writing(settings, "refresh") as con:
                ctx = StepContext(con=con, settings=settings, run_id="r",
                                  embedder_factory=lambda s=settings: make_embedder(s))  # fmt: skip
                counts[name] = (embed_step.run(ctx), tag_step.run(ctx))
        finally:
            engine.shutdown(settings)
        with store.reading(settings.db_path) as con:
            rows[name] = con.execute(TAG_SQL).fetchall()
        assert not list((settings.home / "tmp").glob("ray-*"))  # hand-over folders removed
    assert len(rows["local"]) == 1200 and counts["local"][1]["tags_written"] == 1200
    assert counts["ray"] == counts["local"]
    assert rows["ray"] == rows["local"]


def test_cli_refresh_takes_the_engine_options(tmp_path, monkeypatch):
    from pipelines.cli import cli
    from pipelines.cli import refresh as cli_refresh

    seen = {}

    def fake(settings, **kwargs):
        seen["settings"] = settings
        from pipelines.refresh import RunResult

        return RunResult("r1", "success", 0)

    monkeypatch.setattr("pipelines.refresh.refresh", fake)
    monkeypatch.setenv("COCKPIT_HOME", str(tmp_path))
    assert cli_refresh is not None
    out = CliRunner().invoke(cli, ["refresh", "--quiet", "--engine", "ray"])
    assert out.exit_code == 0, out.output
    assert seen["settings"].engine == "ray" and seen["settings"].ray_address is None
    out = CliRunner().invoke(cli, ["refresh", "--quiet", "--ray-address", "ray://head:10001"])
    assert out.exit_code == 0, out.output
    assert seen["settings"].engine == "ray"
    assert seen["settings"].ray_address == "ray://head:10001"
    monkeypatch.setenv("COCKPIT_ENGINE", "ray")
    out = CliRunner().invoke(cli, ["refresh", "--quiet", "--engine", "local"])
    assert seen["settings"].engine == "local"
