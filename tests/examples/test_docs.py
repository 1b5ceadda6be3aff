"""The YAML examples in docs/specs.md are tests: each validates and measures on the zoo, and
every registered name is documented."""

import re
from pathlib import Path

import pytest

from mechanisms import registry
from mechanisms.cells import suite_cells
from mechanisms.evaluation import measure
from mechanisms.spec import parse_spec

DOC = Path(__file__).parents[2] / "docs" / "specs.md"
EXAMPLES = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)


@pytest.mark.parametrize("text", EXAMPLES, ids=lambda t: re.search(r"id: (\S+)", t).group(1))
def test_example_validates_and_measures(text):
    spec = parse_spec(text, DOC)
    cell = suite_cells("zoo", "zoo-890k", "final")[0]
    record = measure(spec, cell, {})
    assert record["checks"] and all("summary" in c for c in record["checks"])


def test_induction_examples_hold_on_the_trained_zoo():
    by_id = {parse_spec(t, DOC).id: parse_spec(t, DOC) for t in EXAMPLES}
    cell = suite_cells("zoo", "zoo-890k", "final")[0]
    for name in ("doc-ablation", "doc-fixed-heads", "doc-behaviour"):
        assert measure(by_id[name], cell, {})["holds"], name


def test_every_registered_name_is_documented():
    text = DOC.read_text()
    names = [*registry.TASKS, *registry.METRICS, *registry.HEAD_SCORES, *registry.ROLES, *registry.CHECK_KINDS]
    assert [n for n in names if f"`{n}`" not in text and f"### {n}" not in text] == []
