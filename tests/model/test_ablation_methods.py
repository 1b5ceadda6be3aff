"""Ablation methods as defined in docs/specs.md: per-position means over real tokens, interchange
with the paired corrupted prompt, and resampling from another prompt of the same length."""

import torch

from mechanisms.measure.interventions import ablation_value, real_token_mask, resample_partners
from mechanisms.measure.runs import task_run

IOI = {"n_prompts": 32, "templates": "train", "seed": 0}


def test_mean_is_per_position_over_real_tokens_only(zoo_model):
    run = task_run(zoo_model("zoo-890k", 2048), "ioi", IOI)
    z, real = run.z(2)[:, :, 1], real_token_mask(run)
    assert not real.all()  # prompts of several lengths: right padding exists
    mean = ablation_value(run, 2, 1, "mean")
    last = int(real.sum(1).max()) - 1  # a position only the longest prompts reach
    reached = real[:, last]
    assert torch.allclose(mean[0, last], z[reached, last].mean(0), atol=1e-6)
    assert not torch.allclose(mean[0, last], z[:, last].mean(0), atol=1e-3)  # padding would pull it
    assert torch.allclose(mean[0, 3], mean[5, 3]) and not torch.allclose(mean[0, 3], mean[0, 4])


def test_interchange_is_the_paired_corrupted_prompt_and_resample_another_prompt(zoo_model):
    run = task_run(zoo_model("zoo-890k", 2048), "ioi", IOI)
    assert torch.equal(ablation_value(run, 2, 1, "interchange"), run.z(2, corrupted=True)[:, :, 1])
    partners = resample_partners(run)
    lengths = torch.tensor(run.data.end_positions())
    assert torch.equal(lengths[partners], lengths)  # positions line up
    assert (partners != torch.arange(len(partners))).all()  # nobody keeps their own prompt
    assert torch.equal(resample_partners(run), partners)  # seeded
    assert torch.equal(ablation_value(run, 2, 1, "resample"), run.z(2)[partners][:, :, 1])
