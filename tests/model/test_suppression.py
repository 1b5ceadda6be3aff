"""How the zoo writes the IOI answer (measure/suppression.py): its strongest direct-effect heads
lower the S logit instead of copying IO, so the paper's rule finds no name mover there that writes
anything, while the S-suppression role finds exactly those heads. The early heads that do copy names raise both."""

import pytest
import torch
from typed import selector, typed  # a module beside these tests

from mechanisms.measure.checks import select_heads, share
from mechanisms.measure.runs import task_run
from mechanisms.measure.suppression import answer_writes

IOI = {"n_prompts": 32, "templates": "train", "seed": 0}
SHARE = {"heads": [{"role": "s_suppression_heads"}], "score": "direct_effect", "min": 0.5}


@pytest.mark.parametrize("size", ["zoo-250k", "zoo-520k", "zoo-890k"])
def test_the_strongest_direct_effect_heads_are_s_suppressors_not_name_movers(zoo_model, size):
    run = task_run(zoo_model(size, 2048), "ioi", IOI)
    effects = run.head_scores("direct_effect")
    n_heads = effects.shape[1]
    strongest = [tuple(divmod(i, n_heads)) for i in effects.flatten().argsort()[:2].tolist()]
    suppressors, _ = select_heads(run, selector({"role": "s_suppression_heads"}))
    assert set(strongest) <= set(suppressors), (strongest, suppressors)
    movers = share(run, typed("share", {**SHARE, "heads": [{"role": "name_movers"}]}))  # the paper's rule
    assert movers.values["share"] < 0.01, movers.summary  # finds none, or heads that write ~nothing
    d_io, d_s = answer_writes(run)
    for head in strongest:
        assert d_s[head] < 0 and -d_s[head] > abs(d_io[head]), (head, d_io[head], d_s[head])
    result = share(run, typed("share", SHARE))
    assert result.holds and result.values["share"] > 0.9, result.summary


def test_the_heads_that_copy_names_raise_both_names(zoo_model):
    """Control: zoo-890k's layer-1 head with the best copy score writes IO and S up alike, so its
    s_suppression is 0 (and it writes nothing that separates them: no direct effect)."""
    run = task_run(zoo_model("zoo-890k", 2048), "ioi", IOI)
    d_io, d_s = answer_writes(run)
    assert run.head_scores("copy")[1, 0] > 0.5
    assert d_io[1, 0] > 0.5 and d_s[1, 0] > 0.5
    assert run.head_scores("s_suppression")[1, 0] == 0


def test_where_the_suppressors_look(zoo_model):
    """zoo-250k's L2H0 attends from END to S2 itself; zoo-890k's L2H1 and L3H1 attend to the
    token after S2 (the verb), where S2's identity has been carried one position on."""

    def end_attention(size, head, offset):
        run = task_run(zoo_model(size, 2048), "ioi", IOI)
        pos = run.data.positions
        rows, end = torch.arange(len(run.data)), torch.tensor(pos["end"])
        keys = torch.tensor(pos["s2"]) + offset
        return run.patterns()[head[0], rows, head[1], end, keys].mean().item()

    assert end_attention("zoo-250k", (2, 0), 0) > 0.9
    assert end_attention("zoo-890k", (2, 1), 1) > 0.9 and end_attention("zoo-890k", (3, 1), 1) > 0.9
    assert end_attention("zoo-890k", (2, 1), 0) < 0.05


def test_an_untrained_checkpoint_has_no_suppressor(zoo_model):
    run = task_run(zoo_model("zoo-890k", 0), "ioi", IOI)
    assert not select_heads(run, selector({"role": "s_suppression_heads"}))[0]
    assert not share(run, typed("share", SHARE)).holds
