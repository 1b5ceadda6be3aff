"""Values and errors that used to mislead: ``best`` outside the selected layers, layers or spans
the model does not have, and relative damage of a near-zero baseline."""

import pytest
from typed import typed  # a module beside these tests

from mechanisms.measure import checks
from mechanisms.measure.runs import task_run

INDUCTION = {"n_prompts": 8, "seed": 0, "span": 15, "pool": r"^w\d+$"}


def test_best_is_the_best_head_in_the_selected_layers(zoo_model):
    run = task_run(zoo_model("zoo-890k", 2048), "repeated_tokens", INDUCTION)
    everywhere = checks.heads(run, typed("heads", {"score": "induction", "min": 0.4}))
    layer0 = checks.heads(run, typed("heads", {"score": "induction", "min": 0.4, "layers": [0]}))
    scores = run.head_scores("induction")
    assert everywhere.values["best_score"] == pytest.approx(scores.max().item(), abs=1e-4)
    assert layer0.values["best_score"] == pytest.approx(scores[0].max().item(), abs=1e-4)
    assert layer0.values["best_score"] < everywhere.values["best_score"]


def test_layers_beyond_the_model_are_an_error(zoo_model):
    run = task_run(zoo_model("zoo-40k", 2048), "repeated_tokens", INDUCTION)
    with pytest.raises(ValueError, match=r"layers \[3\] do not exist in a 1-layer model"):
        checks.heads(run, typed("heads", {"score": "induction", "min": 0.4, "layers": [0, 3]}))


def test_prompts_longer_than_the_context_are_an_error(zoo_model):
    model = zoo_model("zoo-890k", 2048)
    span = model.bridge.cfg.n_ctx // 2 + 1  # two copies of the span (and BOS) overflow the context
    run = task_run(model, "repeated_tokens", {**INDUCTION, "span": span, "pool": "all"})
    with pytest.raises(ValueError, match="longer than the model's context"):
        run.metric("repeat_loss")


def test_a_near_zero_baseline_has_no_relative_damage():
    assert not checks._meaningful("logit_diff", 0.0004)  # 1481033% "damage" once came from here
    assert checks._meaningful("logit_diff", 1.0)
    assert checks.damage("logit_diff", 2.0, 0.5) == pytest.approx(0.75)
    assert checks.damage("repeat_loss", 1.0, 3.0) == pytest.approx(2.0)
