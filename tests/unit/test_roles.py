"""Role rules, absolute and relative to the model's own heads, on hand-set scores."""

from types import SimpleNamespace

import torch

from mechanisms.measure.roles import role_mask


def run_with(**scores):
    return SimpleNamespace(head_scores=lambda name, on=None: scores[name])


def test_relative_rules_resolve_on_this_models_heads():
    induction = torch.tensor([[0.0, 0.1], [0.2, 0.9]])  # mean 0.3
    successor = torch.tensor([[0.1, 0.2], [0.3, 0.6]])  # 0.33 x max = 0.198
    run = run_with(induction=induction, successor=successor)
    assert role_mask(run, "above_mean_induction_heads").tolist() == [[False, False], [False, True]]
    assert role_mask(run, "relative_successor_heads").tolist() == [[False, True], [True, True]]
    assert role_mask(run, "induction_heads").tolist() == [[False, False], [False, True]]  # absolute 0.4
    assert role_mask(run, "successor_heads").tolist() == [[False, False], [False, True]]  # absolute 0.5


def test_a_relative_rule_selects_nothing_when_every_score_is_zero():
    zeros = torch.zeros(2, 2)
    assert not role_mask(run_with(successor=zeros), "relative_successor_heads").any()
    assert not role_mask(run_with(induction=zeros), "above_mean_induction_heads").any()


def test_name_movers_need_both_conditions():
    copy = torch.tensor([[0.5, 0.5], [0.05, 0.0]])
    effect = torch.tensor([[-0.2, 0.1], [-0.3, 0.0]])
    run = run_with(copy=copy, direct_effect=effect, negative_copy=torch.tensor([[0.0, 0.0], [0.0, 0.4]]))
    assert role_mask(run, "name_movers").tolist() == [[True, False], [False, False]]
    assert not role_mask(run, "negative_name_movers").any()  # L1H1: effect 0 is not > 0


def test_noising_effect_is_the_papers_normalisation():
    from mechanisms.measure.direct import noising_effect

    assert noising_effect(patched=8.0, clean=8.0, corrupted=-8.0) == 0.0  # unharmed
    assert noising_effect(patched=-8.0, clean=8.0, corrupted=-8.0) == -1.0  # as bad as corrupted
    assert noising_effect(patched=4.0, clean=8.0, corrupted=0.0) == -0.5
    assert noising_effect(patched=1.0, clean=2.0, corrupted=2.0) == 0.0  # no gap: nothing to say


def test_s_inhibition_heads_need_the_screen_and_all_three_confirmations():
    """The paper's section 4.5: a candidate (S2=IO effect on the name movers' queries below
    -0.001) is confirmed only if the ABB->BAB patch lowers the logit difference and moves the name
    movers' attention off IO and onto S1. Each head below misses one condition; L0H0 meets all."""
    screen = torch.tensor([[-0.05, -0.0005, -0.05, -0.05, -0.05]])  # L0H1 is no candidate
    effect = torch.tensor([[-0.02, -0.02, 0.01, -0.02, -0.02]])  # L0H2 raises the logit difference
    io = torch.tensor([[-0.1, -0.1, -0.1, 0.02, -0.1]])  # L0H3 moves attention onto IO
    s1 = torch.tensor([[0.1, 0.1, 0.1, 0.1, -0.01]])  # L0H4 moves it off S1
    run = run_with(
        name_mover_query_effect=screen,
        abb_bab_query_effect=effect,
        name_mover_io_shift=io,
        name_mover_s1_shift=s1,
    )
    assert role_mask(run, "s_inhibition_heads").tolist() == [[True, False, False, False, False]]


def test_heads_feeding_s_inhibition_are_induction_or_duplicate_heads_with_an_effect():
    """Fig. 4D: an effect below -0.001 on the S-inhibition heads' values, and an induction (or
    duplicate-token) score above the mean over all heads."""
    value = torch.tensor([[-0.3, -0.3, -0.0005, 0.2]])
    induction = torch.tensor([[0.9, 0.0, 0.9, 0.9]])  # mean 0.675
    duplicate = torch.tensor([[0.0, 0.8, 0.0, 0.0]])  # mean 0.2
    run = run_with(s_inhibition_value_effect=value, induction=induction, duplicate_token=duplicate)
    assert role_mask(run, "induction_into_s_inhibition").tolist() == [[True, False, False, False]]
    assert role_mask(run, "duplicate_into_s_inhibition").tolist() == [[False, True, False, False]]


def test_pure_s_inhibition_heads_leave_out_copy_suppressors():
    from mechanisms.measure.inhibition import pure_s_inhibition_heads

    s2i = {
        "name_mover_query_effect": torch.tensor([[-0.05, -0.05]]),
        "abb_bab_query_effect": torch.tensor([[-0.02, -0.02]]),
        "name_mover_io_shift": torch.tensor([[-0.1, -0.1]]),
        "name_mover_s1_shift": torch.tensor([[0.1, 0.1]]),
    }
    suppressor = {"negative_copy": torch.tensor([[0.0, 0.5]]), "direct_effect": torch.tensor([[0.0, 0.2]])}
    run = run_with(**s2i, **suppressor)
    assert pure_s_inhibition_heads(run) == [(0, 0)]
