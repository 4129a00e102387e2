"""The layout holds: one folder per stage, no import cycle, the library knows neither the
pipelines nor the pages, pages hold no SQL, every module compiles."""

from __future__ import annotations

import ast
import compileall
import re
from collections import defaultdict

from tests.conftest import ROOT

PACKAGES = ("cockpit", "pipelines")
STAGES = ("store", "ingest", "embedding", "tagging", "scoring", "queries", "demo", "ui")


def _module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, object]:
    return {_module_name(p): p for top in PACKAGES for p in (ROOT / top).rglob("*.py")}


def _imports(path) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        for imported in _imports(path):
            # `from a.b import c` names module a.b.c when it exists, else a name in a.b
            target = imported if imported in mods else imported.rsplit(".", 1)[0]
            if target in mods and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_there_is_no_import_cycle():
    assert _cycles(_graph()) == []


def test_the_cycle_check_can_fail():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_library_imports_neither_pipelines_nor_pages():
    offenders = [
        f"{name} imports {imported}"
        for name, path in _modules().items()
        if name.startswith("cockpit")
        for imported in _imports(path)
        if imported.split(".")[0] in ("pipelines", "app_pages", "pages", "app")
    ]
    assert offenders == []


def test_only_the_ui_package_imports_streamlit():
    offenders = [
        name
        for name, path in _modules().items()
        if name.startswith("cockpit") and not name.startswith("cockpit.ui")
        and any(i.split(".")[0] == "streamlit" for i in _imports(path))
    ]  # fmt: skip
    assert offenders == []


def test_one_folder_per_stage_each_with_a_public_surface():
    for stage in STAGES:
        init = ROOT / "cockpit" / stage / "__init__.py"
        assert init.exists(), f"cockpit/{stage}/ must be a package"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), (
            f"cockpit/{stage}/__init__.py must say what the stage does"
        )
    flat = sorted(p.name for p in (ROOT / "cockpit").glob("*.py"))
    assert flat == [
        "__init__.py", "access.py", "brief.py", "contract.py", "errors.py", "formats.py", "progress.py",
        "settings.py",
    ], flat  # fmt: skip


def test_pages_hold_no_sql():
    sql = re.compile(r"\b(select|insert|update|delete|create|attach)\s", re.IGNORECASE)
    for page in [*(ROOT / "app_pages").glob("*.py"), ROOT / "app.py"]:
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            strings = re.findall(r"(['\"])(.*?)\1", code)
            assert not any(sql.search(s) for _, s in strings), f"{page.name}:{n}: {line.strip()}"


DDL = re.compile(
    r"\b(?:CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?(?:TABLE|VIEW|INDEX)"
    r"\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?([\w.{}]+)",
    re.IGNORECASE,
)


def _persistent_ddl(text: str) -> list[str]:
    """DDL statements in `text` on anything but the scratch (TEMP) tables the text creates."""
    found = DDL.findall(text)
    temp = {name for is_temp, name in found if is_temp}
    return [name for is_temp, name in found if not is_temp and name not in temp and name != "{t}"]


def test_all_ddl_lives_in_the_migrations():
    offenders = {
        str(path.relative_to(ROOT)): names
        for name, path in _modules().items()
        if name != "cockpit.store.migrations"
        and (names := _persistent_ddl(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_ddl_check_can_fail():
    assert _persistent_ddl('con.execute("CREATE TABLE IF NOT EXISTS audit (x INT)")') == ["audit"]
    assert _persistent_ddl("CREATE TEMP TABLE _t AS SELECT 1; DROP TABLE _t") == []


def test_every_module_compiles():
    for top in (*PACKAGES, "app_pages", "bench"):
        assert compileall.compile_dir(str(ROOT / top), quiet=1, force=True, legacy=False)
