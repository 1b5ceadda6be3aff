"""Direct effects: how much of a task's logit difference each head writes straight into the logits.

The paper classifies IOI heads by path patching from every head's output to the final residual
stream (section 4.6 of arXiv 2407.10827; Wang et al.'s "direct path to the logits"): the sender's
``z`` comes from the corrupted prompts (S2 replaced by IO), every other path is left clean, and the
effect is the paper's noising metric ``(LD_patched - LD_clean) / (LD_clean - LD_corrupted)``:
0 leaves the logit difference alone, -1 would erase the whole clean-corrupted gap.

Only the direct path moves, so the patched final residual stream is the clean one plus the
sender's change of output, ``(z_corrupted - z_clean) W_O``, at the answer position; the final layer
norm is recomputed on it. That is exact and needs no extra forward pass: one batched layer norm
for every head at once. (Deviation: the paper runs McDougall's ``path_patch``, which lets later
MLPs recompute; here the path is strictly head -> logits. ``tests/model`` pins the shortcut
against a hooked forward pass that freezes every other head and every MLP.)

The ratio means nothing without a gap: where ``LD_clean - LD_corrupted`` is below
``registry.MIN_BASELINE`` (untrained checkpoints, where it is 0.005 or even negative on the zoo)
every effect is 0, so no head is classified by noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..models.loading import stacked_weights
from ..spec import registry
from .interventions import final_resid_with

if TYPE_CHECKING:
    from .runs import TaskRun


def noising_effect(patched: float, clean: float, corrupted: float) -> float:
    """The paper's path-patching metric: 0 unharmed, -1 as bad as the corrupted prompts."""
    gap = clean - corrupted
    return 0.0 if abs(gap) < 1e-9 else (patched - clean) / gap


def _answer_directions(run: TaskRun) -> tuple[torch.Tensor, torch.Tensor]:
    """Per prompt, ``W_U[:, correct] - W_U[:, wrong]`` as ``[batch, d_model]``, and the bias gap."""
    bridge, data, w_u = run.model.bridge, run.data, stacked_weights(run.model).W_U
    correct, wrong = torch.tensor(data.correct), torch.tensor(data.wrong)
    directions = (w_u[:, correct] - w_u[:, wrong]).T
    b_u = getattr(bridge, "b_U", None)
    bias = torch.zeros(len(correct)) if b_u is None else b_u[correct] - b_u[wrong]
    return directions, bias


def logit_diff_from_resid(run: TaskRun, resid: torch.Tensor) -> torch.Tensor:
    """Mean logit difference for final residual streams ``[..., batch, d_model]`` at the answer."""
    directions, bias = _answer_directions(run)
    normed = run.model.bridge.ln_final(resid)
    return ((normed * directions).sum(-1) + bias).mean(-1)


def direct_effect(run: TaskRun) -> torch.Tensor:
    """``[layers, heads]``: each head's direct-path noising effect on the logit difference,
    always from the S2=IO prompts (the paper's flipped set), whatever the spec corrupts with."""
    if run.params.get("corruption", "s2_io") != "s2_io":
        from .runs import task_run

        return task_run(run.model, run.task_name, {**run.params, "corruption": "s2_io"}).head_scores(
            "direct_effect"
        )
    n_layers, n_heads = run.model.n_layers, run.model.n_heads
    clean = run.metric("logit_diff")
    corrupted = run.metric("logit_diff", run.corrupted[0])
    if clean - corrupted < registry.MIN_BASELINE:  # no gap for a head to carry: effects are noise
        return torch.zeros(n_layers, n_heads)
    if hasattr(run.model.bridge.blocks[0], "ln1_post"):  # Gemma: heads' outputs are normalised
        return _hooked_direct_effect(run, clean, corrupted)
    rows, end = torch.arange(len(run.data)), torch.tensor(run.data.end_positions())
    with torch.inference_mode():
        resid = run.final_resid()[rows, end]  # [batch, d_model]
        deltas = []
        for layer in range(n_layers):
            change = (run.z(layer, corrupted=True) - run.z(layer))[rows, end]  # [batch, heads, d_head]
            w_o = stacked_weights(run.model).W_O[layer]  # [heads, d_head, d_model]
            deltas.append(torch.einsum("bhd,hdm->hbm", change, w_o))
        patched = logit_diff_from_resid(run, resid + torch.cat(deltas))  # [layers * heads]
    effects = [noising_effect(p, clean, corrupted) for p in patched.tolist()]
    return torch.tensor(effects).reshape(n_layers, n_heads)


def _hooked_direct_effect(run: TaskRun, clean: float, corrupted: float) -> torch.Tensor:
    """The same path patching by forward passes, one per head: for blocks that normalise the
    attention output before adding it to the residual stream (Gemma's ``ln1_post``), a head's
    change is not a fixed vector in the residual stream. Every other head's ``z`` and every
    MLP's output stay at their clean values; the sender's block and the final norm recompute.
    Each pass stops at the final residual stream: Gemma's unembedding (262k tokens at every
    position) would cost more than the rest of the model."""
    bridge, n_layers, n_heads = run.model.bridge, run.model.n_layers, run.model.n_heads
    rows, end = torch.arange(len(run.data)), torch.tensor(run.data.end_positions())
    if not run.unembedding_is_linear:
        raise RuntimeError("the logits are not ln_final(resid) @ W_U for this model (softcapping?)")
    with torch.inference_mode():
        _, cache = bridge.run_with_cache(run.data.padded(), names_filter=lambda n: n.endswith("mlp.hook_out"))
    effects = torch.zeros(n_layers, n_heads)
    for layer in range(n_layers):
        for head in range(n_heads):
            hooks = _direct_path_hooks(run, (layer, head), cache)
            resid = final_resid_with(bridge, run.data.padded(), hooks, n_layers)[rows, end]
            patched = logit_diff_from_resid(run, resid).item()
            effects[layer, head] = noising_effect(patched, clean, corrupted)
    return effects


def _direct_path_hooks(run: TaskRun, sender: tuple[int, int], mlp_cache) -> dict:
    """Every head's ``z`` and MLP output at its clean value, except the sender's corrupted ``z``."""
    hooks = {}
    for layer in range(run.model.n_layers):

        def freeze_z(z, layer=layer):
            z = run.z(layer).clone()
            if layer == sender[0]:
                z[:, :, sender[1]] = run.z(layer, corrupted=True)[:, :, sender[1]]
            return z

        name = f"blocks.{layer}.mlp.hook_out"
        hooks[f"blocks.{layer}.attn.hook_z"] = freeze_z
        hooks[name] = lambda x, name=name: mlp_cache[name]
    return hooks
