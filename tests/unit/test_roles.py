"""Role rules, absolute and relative to the model's own heads, on hand-set scores."""

from types import SimpleNamespace

import torch

from mechanisms.measure.roles import role_mask


def run_with(**scores):
    return SimpleNamespace(head_scores=lambda name: scores[name])


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
