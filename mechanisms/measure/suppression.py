"""Which logit a head moves when it writes the IOI answer: IO up, or S down.

A head's direct effect (``direct.py``) says how much of ``logit(IO) - logit(S)`` it writes, not
which of the two logits moves. Wang et al.'s name movers raise IO: they attend to it and copy it
(a positive copy score). A head can write the same difference by lowering S instead, attending to
the subject (or to a token that carries it) and writing against it, as the copy-suppression heads
of McDougall et al. lower a token seen in context. The zoo's answer writers do the latter
(docs/emergence.md): their copy scores are near 0, so the paper's classification finds no name
movers there, and this score says what they are instead.

``s_suppression`` is direct logit attribution split in two. Each head's own output at the answer
position goes through the final norm with its scale held at the clean run's (the usual convention
of direct logit attribution, Wang et al.: a head is judged by what it writes, not by how its
removal would rescale every other head's writes), and is read along ``W_U[:, IO]`` and
``W_U[:, S]``, each relative to the mean over the vocabulary (a shift shared by every token
changes no probability): ``dIO`` and ``dS``, averaged over prompts. The score is the part of the
head's write that lowers S, ``-dS / (dIO - dS)`` clipped to [0, 1] (1: all of it, 0: none, or a
head whose write does not favour IO at all). Where a block normalises its attention output
(Gemma-3's ``ln1_post``) each head's output passes through that norm alone
(``heads.attention_out``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..models.loading import stacked_weights
from .heads import attention_out

if TYPE_CHECKING:
    from .runs import TaskRun


def answer_writes(run: TaskRun) -> tuple[torch.Tensor, torch.Tensor]:
    """``(dIO, dS)``, each ``[layers, heads]``: the mean change of the IO and the S logit (relative
    to the vocabulary's mean) that each head's direct output makes at the answer position."""
    data, model = run.data, run.model
    rows, end = torch.arange(len(data)), torch.tensor(data.end_positions())
    weights, shape = stacked_weights(model), (model.n_layers, model.n_heads)
    with torch.inference_mode():
        mean_token = weights.W_U.mean(dim=1)  # logits relative to the vocabulary's mean
        io_dir = weights.W_U[:, torch.tensor(data.correct)].T - mean_token  # [batch, d_model]
        s_dir = weights.W_U[:, torch.tensor(data.wrong)].T - mean_token
        resid = run.final_resid()[rows, end]  # [batch, d_model]
        outs = []
        for layer in range(model.n_layers):
            z = run.z(layer)[rows, end]  # [batch, heads, d_head]
            out = torch.einsum("bhd,hdm->hbm", z, weights.W_O[layer])  # [heads, batch, d_model]
            outs.append(attention_out(model, layer, out.reshape(-1, out.shape[-1])).reshape(out.shape))
        normed = frozen_final_norm(model.bridge.ln_final, resid, torch.cat(outs))
        d_io = (normed * io_dir).sum(-1).mean(-1).reshape(shape)
        d_s = (normed * s_dir).sum(-1).mean(-1).reshape(shape)
    return d_io, d_s


def frozen_final_norm(norm, resid: torch.Tensor, outs: torch.Tensor) -> torch.Tensor:
    """What ``outs [..., batch, d_model]`` add to the normalised final residual stream with the
    norm's scale held at its value for ``resid [batch, d_model]`` (the norm's linear part there).
    Raises if the norm is not ``weight * centre(x) / scale + bias`` (LayerNorm; RMSNorm without
    centring; Gemma's ``1 + weight``), which this reconstructs from the bridge's own settings."""
    rms = norm.uses_rms_norm

    def centre(x: torch.Tensor) -> torch.Tensor:
        return x if rms else x - x.mean(-1, keepdim=True)

    scale = (centre(resid).pow(2).mean(-1, keepdim=True) + getattr(norm.config, "eps", 1e-5)).sqrt()
    weight = (1.0 + norm.weight) if norm.uses_weight_offset else norm.weight
    bias = getattr(norm, "bias", None)
    rebuilt = centre(resid) / scale * weight + (0 if bias is None or rms else bias)
    if not torch.allclose(rebuilt, norm(resid), rtol=1e-4, atol=1e-4):
        raise RuntimeError("the final norm is not weight * centre(x) / scale + bias on this model")
    return centre(outs) / scale * weight


def s_suppression(run: TaskRun) -> torch.Tensor:
    """``[layers, heads]``: the part of each head's direct ``IO - S`` write made by lowering S."""
    d_io, d_s = answer_writes(run)
    write = d_io - d_s
    share = (-d_s / write.where(write > 0, torch.ones_like(write))).clamp(0.0, 1.0)
    return share.where(write > 0, torch.zeros_like(share))
