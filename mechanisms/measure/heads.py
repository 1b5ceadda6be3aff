"""Head scores: one number per attention head, as a ``[layers, heads]`` tensor.

Attention-pattern scores (previous-token, duplicate-token, induction) read the clean run of the
``repeated_tokens`` task: the mean attention on one diagonal (``key = query - offset``) over the
second copy, as in the paper's ``get_induction_scores``. Weight-based scores read each head's OV
circuit, with GQA handled by mapping query head h to key/value head ``h // (heads / kv_heads)``:

* ``copy``: the residual stream after block 0 at each name position (IO, S1, S2), through the
  head's layer norm and OV circuit, unembedded with the final layer norm's weight folded into
  ``W_U`` but no normalisation (the paper's code, which loads models with ``fold_ln``); the score
  is the fraction of those whose name token is in the top 5 (Wang et al.; the paper's threshold
  is 10%). ``negative_copy`` negates the OV output first; ``copy_final_ln`` applies the whole
  final layer norm instead (Wang et al.'s variant).
* ``successor``: each ordinal token's effective embedding ``E + MLP0(LN(E))`` through the head's
  OV circuit; the score is the fraction whose successor has the highest logit among the tokens of
  its sequence (Gould et al.). The paper applies MLP0 without its layer norm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from .tasks import CYCLIC, ordinal_ids

if TYPE_CHECKING:
    from .runs import TaskRun


def _diagonal_score(run: TaskRun, offset_of) -> torch.Tensor:
    data = run.data
    patterns = run.patterns()  # [L, B, H, q, k]
    s, span = data.start, data.span
    queries = torch.arange(s + span, s + 2 * span)
    keys = queries - offset_of(span)
    keep = keys >= 0
    return patterns[:, :, :, queries[keep], keys[keep]].mean(dim=(1, 3))


def induction_score(run: TaskRun) -> torch.Tensor:
    return _diagonal_score(run, lambda span: span - 1)


def duplicate_token_score(run: TaskRun) -> torch.Tensor:
    return _diagonal_score(run, lambda span: span)


def previous_token_score(run: TaskRun) -> torch.Tensor:
    patterns = run.patterns()
    s = run.data.start
    queries = torch.arange(s + 1, patterns.shape[-1])
    return patterns[:, :, :, queries, queries - 1].mean(dim=(1, 3))


def ov_weights(bridge: Any, layer: int, head: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """``(W_V [d_model, d_head], b_V [d_head] or None, W_O [d_head, d_model])`` for one query head."""
    cfg = bridge.cfg
    kv = getattr(cfg, "n_key_value_heads", None) or cfg.n_heads
    kv_head = head // (cfg.n_heads // kv)
    b_v = getattr(bridge, "b_V", None)
    bias = None if b_v is None else b_v[layer, kv_head]
    return bridge.W_V[layer, kv_head], bias, bridge.W_O[layer, head]


def head_ov(bridge: Any, layer: int, head: int, resid: torch.Tensor) -> torch.Tensor:
    """The head's output for residual vectors ``resid [n, d_model]``, read through its layer norm."""
    w_v, b_v, w_o = ov_weights(bridge, layer, head)
    x = bridge.blocks[layer].ln1(resid[None])[0]
    v = x @ w_v + (0 if b_v is None else b_v)
    return v @ w_o


def _unembed_for(bridge: Any, variant: str):
    """How a head's OV output becomes logits for the copy score.

    ``folded`` (the paper's code): the final layer norm's weight folded into ``W_U``, no
    normalisation; ``final_ln`` (Wang et al.): the final layer norm applied in full."""
    if variant == "final_ln":
        return lambda out: bridge.ln_final(out[None])[0] @ bridge.W_U
    weight = getattr(bridge.ln_final, "weight", None)
    w_u = bridge.W_U if weight is None else weight[:, None] * bridge.W_U
    return lambda out: out @ w_u


def _copy_scores(run: TaskRun, variant: str = "folded") -> None:
    """Positive and negative copy scores in one pass (the unembedding is the expensive part)."""
    bridge, data = run.model.bridge, run.data
    resid = run.clean[1]["blocks.0.hook_resid_post"]
    rows = torch.arange(len(data))
    roles = (("io", data.correct), ("s1", data.wrong), ("s2", data.wrong))
    vectors = torch.cat([resid[rows, torch.tensor(data.positions[role])] for role, _ in roles])
    names = torch.cat([torch.tensor(answer) for _, answer in roles])
    shape = (run.model.n_layers, run.model.n_heads)
    positive, negative = torch.zeros(shape), torch.zeros(shape)
    unembed = _unembed_for(bridge, variant)
    with torch.inference_mode():
        for layer in range(shape[0]):
            for head in range(shape[1]):
                logits = unembed(head_ov(bridge, layer, head, vectors))
                positive[layer, head] = _in_top5(logits, names)
                negative[layer, head] = _in_top5(-logits, names)
    suffix = "" if variant == "folded" else f"_{variant}"
    run.scores["copy" + suffix], run.scores["negative_copy" + suffix] = positive, negative


def _in_top5(logits, names) -> float:
    return (logits.topk(5, dim=-1).indices == names[:, None]).any(-1).float().mean()


def copy_score(run: TaskRun) -> torch.Tensor:
    _copy_scores(run)
    return run.scores["copy"]


def negative_copy_score(run: TaskRun) -> torch.Tensor:
    _copy_scores(run)
    return run.scores["negative_copy"]


def copy_score_final_ln(run: TaskRun) -> torch.Tensor:
    _copy_scores(run, "final_ln")
    return run.scores["copy_final_ln"]


def end_to_io_attention(run: TaskRun) -> torch.Tensor:
    """Mean over prompts of attention(END -> IO) minus the larger of attention(END -> S1 / S2)."""
    p, pos = run.patterns(), run.data.positions
    rows = torch.arange(p.shape[1])
    end = torch.tensor(pos["end"])

    def to(role):
        return p[:, rows, :, end, torch.tensor(pos[role])]  # advanced indices first: [B, L, H]

    return (to("io") - torch.maximum(to("s1"), to("s2"))).mean(dim=0)


def successor_score(run: TaskRun) -> torch.Tensor:
    bridge, vocab = run.model.bridge, run.vocab
    sequences = [(kind, torch.tensor(ids)) for kind, ids in ordinal_ids(vocab).items()]
    scores = torch.zeros(run.model.n_layers, run.model.n_heads)
    with torch.inference_mode():
        for kind, ids in sequences:
            emb = bridge.W_E[ids]
            block0 = bridge.blocks[0]
            effective = emb + block0.mlp(block0.ln2(emb[None]))[0]
            n = len(ids) if kind in CYCLIC else len(ids) - 1
            targets = torch.arange(1, n + 1) % len(ids)
            for layer in range(run.model.n_layers):
                for head in range(run.model.n_heads):
                    logits = head_ov(bridge, layer, head, effective[:n]) @ bridge.W_U[:, ids]
                    scores[layer, head] += (logits.argmax(-1) == targets).float().sum()
        total = sum(len(ids) if kind in CYCLIC else len(ids) - 1 for kind, ids in sequences)
    return scores / total
