"""Interventions change what they target, refuse to be no-ops, and have negative controls."""

import pytest
from typed import selector, typed  # a module beside these tests

from mechanisms.measure.checks import ablation, select_heads
from mechanisms.measure.interventions import InterventionError, _run_with, ablate_heads, path_patch
from mechanisms.measure.runs import TaskRun, task_run

REPEAT = {"n_prompts": 16, "seed": 0, "span": 15, "pool": r"^w\d+$"}


@pytest.fixture(scope="module")
def trained(zoo_model):
    return zoo_model("zoo-890k", 2048)


def test_ablating_induction_heads_destroys_copying_but_other_heads_do_not(trained):
    run = task_run(trained, "repeated_tokens", REPEAT)
    induction, _ = select_heads(run, selector({"role": "induction_heads"}))
    assert induction and all(layer == 1 for layer, _ in induction)
    clean = run.metric("repeat_loss")
    ablated = run.metric("repeat_loss", ablate_heads(run, induction, "mean"))
    others = [(3, h) for h in range(trained.n_heads)]  # negative control: heads with no induction score
    control = run.metric("repeat_loss", ablate_heads(run, others, "mean"))
    assert clean < 0.5 and ablated > clean + 2.0 and control < clean + 0.5


def test_ablation_check_fails_for_irrelevant_heads(trained):
    run = task_run(trained, "repeated_tokens", REPEAT)
    fields = {"heads": {"ids": ["L3H0"]}, "metric": "repeat_loss", "method": "zero", "min_drop": 0.5}
    assert not ablation(run, typed("ablation", fields)).holds
    fields["heads"] = {"role": "induction_heads"}
    assert ablation(run, typed("ablation", fields)).holds


def test_unknown_hook_is_an_error_not_a_silent_no_op(trained):
    run = task_run(trained, "repeated_tokens", REPEAT)
    with pytest.raises(InterventionError, match="no such hook"):
        _run_with(trained.bridge, run.data.padded(), {"blocks.9.attn.hook_z": lambda z: z * 0})


def test_an_edit_that_changes_nothing_is_an_error(trained):
    run = task_run(trained, "repeated_tokens", REPEAT)
    with pytest.raises(InterventionError, match="unchanged"):
        _run_with(trained.bridge, run.data.padded(), {"blocks.1.attn.hook_z": lambda z: z})


def test_gated_hooks_are_refused(trained):
    run = task_run(trained, "repeated_tokens", REPEAT)
    with pytest.raises(Exception, match="use_attn_result"):
        _run_with(trained.bridge, run.data.padded(), {"blocks.1.attn.hook_result": lambda z: z * 0})


def test_forward_passes_are_shared_between_checks(trained):
    run = task_run(trained, "ioi", {"n_prompts": 16, "seed": 3, "templates": "train", "corruption": "s2_io"})
    for score in ("copy", "end_to_io"):
        run.head_scores(score)
    run.metric("logit_diff"), run.metric("pair_accuracy")
    assert run.forwards == 1
    assert (
        task_run(trained, "ioi", {"n_prompts": 16, "seed": 3, "templates": "train", "corruption": "s2_io"})
        is run
    )


IOI = {"n_prompts": 64, "seed": 0, "templates": "train", "corruption": "s2_io"}


def test_path_patching_finds_the_value_route_and_not_a_dead_end(trained):
    """Positive: layer-1 heads feed the values of the heads that carry IOI (their interchange
    ablation costs 4-6 logits): one sender erases ~39% of the clean-corrupted gap. Controls: the
    same senders into an unimportant head's values, and into the important heads' queries,
    change almost nothing."""
    from mechanisms.measure.checks import path

    run = task_run(trained, "ioi", IOI)
    base = {"senders": {"layers": [0, 1]}, "metric": "logit_diff", "min_damage": 0.1}
    carrying = {"ids": ["L2H1", "L2H3", "L3H1"]}
    routed = path(run, typed("path", {**base, "receivers": carrying, "into": "v"}))
    assert routed.holds and max(routed.values["senders"].values()) > 0.3
    assert not path(run, typed("path", {**base, "receivers": {"ids": ["L3H3"]}, "into": "v"})).holds
    assert not path(run, typed("path", {**base, "receivers": carrying, "into": "q"})).holds


def test_the_s_inhibition_screen_keeps_the_senders_that_harm_the_s2_io_set(trained):
    """The paper's candidate screen: senders whose path into the receivers, patched from S2=IO
    prompts, erases more than ``screen`` of that set's gap go on to the ABB->BAB confirmation;
    the others are not judged. A screen no sender passes leaves nothing to confirm (control)."""
    from mechanisms.measure.checks import _screen, path

    run = task_run(trained, "ioi", {**IOI, "n_prompts": 32, "corruption": "abb_bab"})
    fields = {
        "senders": {"layers": [0, 1]},
        "receivers": {"ids": ["L2H1", "L3H1"]},  # the zoo's answer writers, fed through values
        "into": "v",
        "metric": "logit_diff",
        "min_damage": 0.01,
        "normalise": "clean",
        "attention_shift": True,
    }
    senders, _ = select_heads(run, selector(fields["senders"]))
    receivers, _ = select_heads(run, selector(fields["receivers"]))
    passing = {h for h, d in _screen(run, senders, receivers, typed("path", fields)).items() if d > 0.001}
    assert 0 < len(passing) < len(senders)
    plain, screened = path(run, typed("path", fields)), path(run, typed("path", {**fields, "screen": 0.001}))
    assert screened.values["candidates"] == len(passing)
    assert set(screened.values["senders"]) == set(plain.values["senders"]) & passing
    nothing = path(run, typed("path", {**fields, "screen": 10.0}))
    assert nothing.values["candidates"] == 0 and not nothing.holds


def test_path_patching_unembeds_only_the_answer_and_gets_the_same_numbers(trained, monkeypatch):
    """Step 2 of path patching stops at the final residual stream and unembeds the answer
    positions alone when the metric reads nothing else: the same number as the full forward."""
    run = task_run(trained, "ioi", IOI)
    assert run.unembeds_at_answer("logit_diff") and not run.unembeds_at_answer("repeat_loss")
    sender, receivers = (1, 0), [(2, 1), (2, 3), (3, 1)]
    short = path_patch(run, sender, receivers, "v", "logit_diff")
    monkeypatch.setattr(run, "unembeds_at_answer", lambda metric: False)
    full = path_patch(run, sender, receivers, "v", "logit_diff")
    assert short == pytest.approx(full, abs=1e-4) and abs(full - run.metric("logit_diff")) > 0.1


def test_logits_the_shortcut_cannot_reproduce_get_the_full_forward(trained, monkeypatch):
    """Control: a model whose logits are not ``ln_final(resid) @ W_U`` (as if softcapped) is
    unembedded by the model itself."""
    exact = TaskRun.answer_logits_from
    monkeypatch.setattr(TaskRun, "answer_logits_from", lambda self, resid: 1.5 * exact(self, resid))
    run = TaskRun(trained, "ioi", {**IOI, "n_prompts": 8})
    assert not run.unembeds_at_answer("logit_diff")
