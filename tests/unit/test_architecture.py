"""The package's shape: no import cycle, the plugin never reaches the build tools, and the plugin
entry point stays import-safe (no torch, transformers or transformer_lens)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "mechanisms"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every import of every module (top-level and inside functions), resolved to modules."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    edges.add(full if full in modules else target)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
        graph[name] = {e for e in edges if e in modules and e != name and modules[e].name != "__init__.py"}
    return graph


def reachable(graph, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_there_is_no_import_cycle():
    graph = import_graph()
    cycles = sorted(m for m in graph if m in reachable(graph, m))
    assert not cycles, f"modules on an import cycle: {cycles}"


def test_the_plugin_never_imports_the_build_tools():
    graph = import_graph()
    used = reachable(graph, "mechanisms.plugin")
    assert "mechanisms.measure.evaluation" in used  # the graph does see lazy imports
    assert not [m for m in used if m.startswith("mechanisms.tools")]


def test_subpackages_follow_the_path_of_a_spec():
    """catalogue -> spec -> plan -> models -> measure -> gate -> report: no stage imports a later one."""
    order = ["catalogue", "spec", "plan", "models", "measure", "gate", "report"]
    graph = import_graph()
    backwards = []
    for module, targets in graph.items():
        stage = module.split(".")[1] if module.count(".") >= 2 else None
        for target in targets:
            target_stage = target.split(".")[1] if target.count(".") >= 2 else None
            later = (
                stage in order and target_stage in order and order.index(target_stage) > order.index(stage)
            )
            if later:
                backwards.append((module, target))
    assert not backwards, backwards


def test_the_plugin_entry_point_loads_neither_torch_nor_transformer_lens():
    code = (
        "import sys, mechanisms.plugin, mechanisms.items, mechanisms.scheduling, mechanisms.spec.loader, "
        "mechanisms.plan.cells, mechanisms.report.matrix, mechanisms.report.files, mechanisms.report.merge; "
        "heavy = [m for m in ('torch', 'transformer_lens', 'transformers', 'xdist', 'matplotlib') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_tools_point_at_the_repositorys_fixtures():
    """The zoo tools write into the repository's fixtures/ and docs/ (a layout move once pointed
    them at mechanisms/fixtures, which does not exist)."""
    from mechanisms.tools.zoo import build, emergence

    assert (build.DEFAULT_OUT / "zoo.json").is_file()
    assert (emergence.ROOT / "docs" / "emergence.md").is_file()


def test_every_subpackage_is_in_the_wheel():
    """pyproject.toml lists packages by hand: a subpackage missing there is missing from the
    wheel (mechanisms.gate once was; setuptools 84 refused to build)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = PACKAGE.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found - listed == set()


def test_the_plugin_module_is_a_thin_hook_layer():
    """Hooks hand off to the MechanismSession (session.py); the plugin module stays small."""
    assert len((PACKAGE / "plugin.py").read_text().splitlines()) < 200


# Process-wide state that is not a run's: the loaded-model cache (one load per model@checkpoint
# and process, shared by the plugin and mechanisms.measure_spec) and the progress-line channel
# (like a logging handler). Everything a run gathers lives on its MechanismSession.
PROCESS_WIDE = {("mechanisms.models.cache", "MODELS"), ("mechanisms.progress", "_CURRENT")}


def test_no_module_holds_run_state():
    """No module-level mutable container and no ``global`` rebinding outside PROCESS_WIDE."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if "tools" in path.relative_to(PACKAGE).parts:
            continue  # build scripts, not the plugin
        tree = ast.parse(path.read_text())
        for node in tree.body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            value = getattr(node, "value", None)
            mutable = isinstance(value, (ast.List, ast.Dict, ast.Set)) and not _constant_table(value)
            mutable |= isinstance(value, ast.Call) and getattr(value.func, "id", "") in (
                "dict",
                "list",
                "set",
                "ModelCache",
            )
            found |= {(module_name(path), t.id) for t in targets if mutable and isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found |= {(module_name(path), name) for name in node.names}
    assert found - PROCESS_WIDE == set()


def _constant_table(value: ast.expr) -> bool:
    """A literal table of constants (names, thresholds), not filled at run time: never empty."""
    elements = value.keys if isinstance(value, ast.Dict) else value.elts  # type: ignore[attr-defined]
    return bool(elements)


# Keys that name a record's fields (record.py) and nothing else in the package. Records are
# dataclasses: read by attribute; only their serialisation (record.py), the shape check of files
# (records_schema.py), the stored baseline's own format (gate/baseline.py) and the spec files'
# reader (spec/loader.py: a spec's YAML has ``checks`` and ``expect: {holds: ...}``) see these keys.
RECORD_KEYS = {
    "outcome",
    "holds",
    "expected",
    "spec_version",
    "spec_sha256",
    "spec_path",
    "checks",
    "headline",
    "provenance",
    "circuit_edges",
    "carried",
    "nodeid",
    "test_outcome",
    "worker",
    "verdict",
    "reasons",
    "base_outcome",
    "measured_here",
    "extra_model",
    "derived_from",
    "loaded_model",
    "summary",
    "weights_sha256",
    "tokenizer_sha256",
}
SERIALISATION = {
    "mechanisms.record",
    "mechanisms.records_schema",
    "mechanisms.gate.baseline",
    "mechanisms.spec.loader",
}


def test_records_are_read_by_attribute_not_by_string_key():
    found = []
    for path in PACKAGE.rglob("*.py"):
        if module_name(path) in SERIALISATION:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            key = None
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                key = node.slice.value
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") in ("get", "setdefault", "pop")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                key = node.args[0].value
            if key in RECORD_KEYS:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: [{key!r}]")
    assert not found, "\n".join(found)


def _setting_names() -> set[str]:
    from dataclasses import fields, is_dataclass

    from mechanisms.spec import settings

    classes = [c for c in vars(settings).values() if isinstance(c, type) and is_dataclass(c)]
    return {f.name for c in classes for f in fields(c)}


def test_check_settings_are_read_by_attribute_with_defaults_from_one_place():
    """Checks, series, the gate and the reports read typed settings (``spec/settings.py``), whose
    classes state each default once; only the spec stage (which validates what a spec wrote)
    reads a setting by its string key. Before, every reader supplied its own default."""
    names, found = _setting_names(), []
    for path in PACKAGE.rglob("*.py"):
        if module_name(path).startswith("mechanisms.spec."):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            receiver, key = None, None
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                receiver, key = node.value, node.slice.value
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "get"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                receiver, key = node.func.value, node.args[0].value  # type: ignore[attr-defined]
            if (
                isinstance(receiver, ast.Name)
                and receiver.id in ("fields", "sel", "settings")
                and key in names
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {receiver.id}[{key!r}]")
    assert not found, "\n".join(found)
    assert "min_drop" in names and "ig_steps" in names  # the scan knows the settings' names
