"""Every bundled zoo claim can fail: at step 0 (random init) each one is absent, and the IOI
checks fail on corrupted prompts where the answer flips."""

from pathlib import Path

import pytest

from mechanisms.measure.evaluation import measure
from mechanisms.plan.cells import suite_cells
from mechanisms.run_options import RunOptions
from mechanisms.spec.loader import load_spec

SPECS = sorted(p for p in (Path(__file__).parents[2] / "mechanisms" / "specs").glob("*.mech.yaml"))
ZOO_SPECS = [p for p in SPECS if "zoo" in load_spec(p).applies_to]


@pytest.mark.parametrize("spec_path", ZOO_SPECS, ids=lambda p: p.stem)
def test_random_init_fails_every_claim(spec_path):
    spec = load_spec(spec_path)
    cell = next(c for c in suite_cells("zoo", "zoo-890k", "step0"))
    record = measure(spec, cell, RunOptions())
    assert record.holds is False, record.checks


def test_ioi_fails_on_corrupted_prompts():
    spec = load_spec(Path(__file__).parents[2] / "mechanisms" / "specs" / "ioi.mech.yaml")
    cell = next(c for c in suite_cells("zoo", "zoo-890k", "final"))
    assert measure(spec, cell, RunOptions()).holds
    from mechanisms.measure.checks import behaviour
    from mechanisms.measure.evaluation import load_cell_model
    from mechanisms.measure.runs import task_run
    from mechanisms.spec.settings import Behaviour

    run = task_run(load_cell_model(cell, RunOptions()), "ioi", spec.params_for("zoo"))
    assert not behaviour(run, Behaviour(metric="logit_diff", min=1.0, on="corrupted")).holds
