"""The direct effect (head -> logits path patching, the paper's normalisation) against a hooked
forward pass, the heads it finds on the zoo, and the IOI roles built on it."""

import pytest
import torch
from typed import selector, typed  # a module beside these tests

from mechanisms.measure.checks import select_heads
from mechanisms.measure.direct import noising_effect
from mechanisms.measure.runs import task_run

IOI = {"n_prompts": 32, "templates": "train", "seed": 0}


@pytest.fixture(scope="module")
def trained(zoo_model):
    return zoo_model("zoo-890k", 2048)


def hooked_direct_effect(run, layer, head):
    """Path patching by brute force: every head's z and every MLP output frozen at the clean run,
    except the sender's z, taken from the corrupted run; the final layer norm recomputes."""
    bridge, n_layers = run.model.bridge, run.model.n_layers
    tokens = run.data.padded()
    with torch.inference_mode():
        _, cache = bridge.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_mlp_out"))
    hooks = []
    for l in range(n_layers):

        def freeze_z(z, hook=None, l=l):
            z = run.z(l).clone()
            if l == layer:
                z[:, :, head] = run.z(l, corrupted=True)[:, :, head]
            return z

        def freeze_mlp(x, hook=None, l=l):
            return cache[f"blocks.{l}.hook_mlp_out"]

        hooks += [(f"blocks.{l}.attn.hook_z", freeze_z), (f"blocks.{l}.hook_mlp_out", freeze_mlp)]
    with torch.inference_mode():
        logits = bridge.run_with_hooks(tokens, fwd_hooks=hooks)
    clean, corrupted = run.metric("logit_diff"), run.metric("logit_diff", run.corrupted[0])
    return noising_effect(run.metric("logit_diff", logits), clean, corrupted)


def test_the_shortcut_equals_brute_force_path_patching(trained):
    run = task_run(trained, "ioi", IOI)
    effects = run.head_scores("direct_effect")
    for layer, head in [(3, 1), (2, 1), (1, 0), (0, 2)]:
        assert effects[layer, head].item() == pytest.approx(hooked_direct_effect(run, layer, head), abs=1e-4)


def test_direct_effect_finds_the_late_heads_that_write_the_answer(trained):
    run = task_run(trained, "ioi", IOI)
    effects = run.head_scores("direct_effect")
    strongest = {tuple(divmod(i, trained.n_heads)) for i in effects.flatten().argsort()[:3].tolist()}
    assert strongest == {(2, 1), (3, 1), (2, 3)}
    assert effects[:2].abs().max() < 0.01  # layers 0-1 write almost nothing to the logits directly
    writers, _ = select_heads(run, selector({"role": "direct_effect_heads"}))
    assert writers[:2] == [(2, 1), (3, 1)]  # strongest (most negative) first


@pytest.mark.parametrize("step", [0, 256])
def test_no_head_is_classified_without_a_clean_corrupted_gap(zoo_model, step):
    """Negative control: before IOI exists (gap 0.005 at step 0, negative at step 256) the
    noising ratio is noise (|effect| up to 0.66 at step 0), so every effect is 0 and no role holds."""
    run = task_run(zoo_model("zoo-890k", step), "ioi", IOI)
    assert run.metric("logit_diff") - run.metric("logit_diff", run.corrupted[0]) < 0.05
    assert run.head_scores("direct_effect").abs().max() == 0
    assert not select_heads(run, selector({"role": "direct_effect_heads"}))[0]


def test_name_movers_need_a_copy_score_and_a_negative_direct_effect(trained):
    """On the zoo the heads that copy names (layer 1) write nothing to the logits and the heads
    that write the answer (layers 2-3) do not copy names: the paper's rule finds no name mover."""
    run = task_run(trained, "ioi", IOI)
    copy, effect = run.head_scores("copy"), run.head_scores("direct_effect")
    assert copy[1, 0] > 0.5 and effect[1, 0] > 0
    assert copy[2, 1] < 0.10 and effect[2, 1] < -0.2
    movers, _ = select_heads(run, selector({"role": "name_movers"}))
    assert movers == [h for h in movers if copy[h] > 0.10 and effect[h] < 0] == []


def test_share_is_the_selected_heads_part_of_the_absolute_total(trained):
    from mechanisms.measure.checks import share

    run = task_run(trained, "ioi", IOI)
    effects = run.head_scores("direct_effect").abs()
    fields = {"heads": [{"role": "direct_effect_heads", "top": 3}], "score": "direct_effect", "min": 0.5}
    result = share(run, typed("share", fields))
    expected = effects.flatten().sort(descending=True).values[:3].sum() / effects.sum()
    assert result.holds and result.values["share"] == pytest.approx(expected.item(), abs=1e-6)
    control = share(
        run, typed("share", {**fields, "heads": [{"layers": [0, 1]}]})
    )  # heads that write nothing
    assert not control.holds and control.values["share"] < 0.05
    union = share(
        run, typed("share", {**fields, "heads": [{"ids": ["L2H1"]}, {"ids": ["L3H1"]}, {"ids": ["L2H1"]}]})
    )
    assert union.values["heads"] == ["L2H1", "L3H1"]  # a union: L2H1 counted once


def test_the_forward_pass_route_for_post_normed_blocks_agrees_where_both_apply(trained):
    """Gemma normalises each attention output before the residual stream, so its direct effects
    take one forward pass per head; on a model without that norm both routes must agree."""
    from mechanisms.measure.direct import _hooked_direct_effect

    run = task_run(trained, "ioi", IOI)
    clean, corrupted = run.metric("logit_diff"), run.metric("logit_diff", run.corrupted[0])
    hooked = _hooked_direct_effect(run, clean, corrupted)
    assert torch.allclose(hooked, run.head_scores("direct_effect"), atol=1e-4)
    with torch.inference_mode():  # the passes stopped early left no hook behind
        assert torch.equal(trained.bridge(run.data.padded()), run.logits)


def test_copy_score_variants_on_the_zoo(trained):
    """The paper's copy score folds the final norm's weight into W_U: 49 of L1H3's 192 name
    vectors (64 prompts x IO, S1, S2) on zoo-890k@step2048; Wang et al.'s, with the whole final
    norm applied, 37."""
    run = task_run(trained, "ioi", {"n_prompts": 64, "templates": "train", "seed": 0})
    assert run.head_scores("copy")[1, 3].item() == pytest.approx(49 / 192, abs=1e-6)
    assert run.head_scores("copy_final_ln")[1, 3].item() == pytest.approx(37 / 192, abs=1e-6)
