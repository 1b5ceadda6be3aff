"""Head scores: one number per attention head, as a ``[layers, heads]`` tensor.

Attention-pattern scores (previous-token, duplicate-token, induction) read the clean run of the
prompts their selector names (``on``; ``TaskRun.score_source``). Induction and duplicate-token
scores need repeated spans: the mean attention on one diagonal (``key = query - offset``) over the
second copy, as in the paper's ``get_induction_scores``. The previous-token score reads any
prompts: the mean attention from each token to the one before, over each prompt's own tokens. Weight-based scores read each head's OV
circuit, with GQA handled by mapping query head h to key/value head ``h // (heads / kv_heads)``:

* ``copy``: the residual stream after block 0 at each name position (IO, S1, S2), through the
  head's layer norm and OV circuit, unembedded with the final layer norm's weight folded into
  ``W_U`` but no normalisation (the paper's code, which loads models with ``fold_ln``); the score
  is the fraction of those whose name token is in the top 5 (Wang et al.; the paper's threshold
  is 10%). Where a block normalises its attention output (Gemma-3's ``ln1_post``), the head's
  output passes through that norm first, as in the model (``attention_out``). ``negative_copy``
  negates the OV output first; ``copy_final_ln`` applies the whole final layer norm instead
  (Wang et al.'s variant).
* ``successor``: each ordinal token's effective embedding ``MLP0(E)`` (the paper's code: no layer
  norm) through the head's OV circuit; the score is the fraction of (item, next) pairs, over nine
  sequences in four spellings, whose next item has the highest logit among the tokens of its
  sequence (Gould et al.).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from ..models.loading import stacked_weights
from .tasks import successor_pairs

if TYPE_CHECKING:
    from .runs import TaskRun


def _diagonal_score(run: TaskRun, offset_of) -> torch.Tensor:
    data = run.data
    if not data.span:
        raise ValueError(
            f"this score reads repeated spans, which task {run.task_name!r} does not have "
            "(read it on: {repeated_tokens: {...}})"
        )
    s, span = data.start, data.span
    queries = torch.arange(s + span, s + 2 * span)
    keys = queries - offset_of(span)
    keep = keys >= 0

    def diagonal_sum(patterns: torch.Tensor, _) -> torch.Tensor:  # [L, B, H, q, k] -> [L, H]
        return patterns[:, :, :, queries[keep], keys[keep]].float().sum(dim=(1, 3))

    return run.pattern_sum(diagonal_sum) / (len(data.tokens) * int(keep.sum()))


def induction_score(run: TaskRun) -> torch.Tensor:
    return _diagonal_score(run, lambda span: span - 1)


def duplicate_token_score(run: TaskRun) -> torch.Tensor:
    return _diagonal_score(run, lambda span: span)


def previous_token_score(run: TaskRun) -> torch.Tensor:
    """Mean attention from each token to the one before, over every prompt's own positions
    (padding excluded; the first token, and BOS where the model prepends one, ask nothing)."""
    data = run.data
    first = (data.start if data.span else int(run.vocab.prepend_bos)) + 1
    read_total = sum(max(0, len(row) - first) for row in data.tokens)  # positions first..len-1
    if not read_total:
        raise ValueError(f"task {run.task_name!r} prompts are too short for a previous-token score")

    def previous_sum(patterns: torch.Tensor, prompts) -> torch.Tensor:  # [L, B, H, q, k] -> [L, H]
        queries = torch.arange(1, patterns.shape[-1])
        lengths = torch.tensor([len(row) for row in prompts.tokens])
        read = (queries[None, :] >= first) & (queries[None, :] < lengths[:, None])  # [B, q]
        diagonal = patterns[:, :, :, queries, queries - 1].float()  # [L, B, H, q]
        return (diagonal * read[None, :, None, :]).sum(dim=(1, 3))

    return run.pattern_sum(previous_sum) / read_total


def ov_weights(model: Any, layer: int, head: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """``(W_V [d_model, d_head], b_V [d_head] or None, W_O [d_head, d_model])`` for one query head."""
    cfg, weights = model.bridge.cfg, stacked_weights(model)
    kv = getattr(cfg, "n_key_value_heads", None) or cfg.n_heads
    kv_head = head // (cfg.n_heads // kv)
    bias = None if weights.b_V is None else weights.b_V[layer, kv_head]
    return weights.W_V[layer, kv_head], bias, weights.W_O[layer, head]


def head_ov(model: Any, layer: int, head: int, resid: torch.Tensor, layer_norm: bool = True) -> torch.Tensor:
    """The head's output for residual vectors ``resid [n, d_model]``, read through its layer norm
    (unless ``layer_norm`` is False), as it reaches the residual stream (``attention_out``)."""
    w_v, b_v, w_o = ov_weights(model, layer, head)
    x = model.bridge.blocks[layer].ln1(resid[None])[0] if layer_norm else resid
    v = x @ w_v + (0 if b_v is None else b_v)
    return attention_out(model, layer, v @ w_o)


def attention_out(model: Any, layer: int, out: torch.Tensor) -> torch.Tensor:
    """A head's output ``[n, d_model]`` as the residual stream receives it: through the block's
    post-attention norm where it has one (Gemma-3's ``ln1_post``), else unchanged. The norm acts
    on the sum of the layer's heads in the model; on one head's output alone its RMS differs by
    a positive factor per vector, which changes no ranking (top-5, argmax), while its weight,
    which can silence dimensions, is applied as in the model."""
    post = _post_norm(model, layer)
    return out if post is None else post(out[None])[0]


def _post_norm(model: Any, layer: int) -> Any:
    """The block's post-attention norm (Gemma-3's ``ln1_post``), or None."""
    return getattr(model.bridge.blocks[layer], "ln1_post", None)


def _folded_unembedding(model: Any) -> torch.Tensor:
    """``diag(w_ln_final) W_U``: the unembedding of a model loaded with ``fold_ln`` (the paper's)."""
    weights = stacked_weights(model)
    return weights.W_U if weights.ln_final_weight is None else weights.ln_final_weight[:, None] * weights.W_U


def _copy_logits(
    model: Any, layer: int, head: int, vectors: torch.Tensor, variant: str, w_u: torch.Tensor
) -> torch.Tensor:
    """The head's OV output for ``vectors``, as logits over the vocabulary.

    ``folded`` (the paper's code): the final layer norm's weight folded into ``W_U``, no
    normalisation; computed as ``v (W_O diag(w) W_U)`` through the head's value where that is
    cheaper (SmolLM2: 2.4x fewer operations; not Gemma-3, whose heads are 256 wide and whose
    post-attention norm comes between ``W_O`` and ``W_U``). ``final_ln`` (Wang et al.): the final
    layer norm applied in full to the head's output."""
    if variant == "final_ln":
        return model.bridge.ln_final(head_ov(model, layer, head, vectors)[None])[0] @ w_u
    w_v, b_v, w_o = ov_weights(model, layer, head)
    value = model.bridge.blocks[layer].ln1(vectors[None])[0] @ w_v + (0 if b_v is None else b_v)
    n, (d_head, d_model) = len(vectors), w_o.shape
    if (
        _post_norm(model, layer) is None and d_head * (d_model + n) < n * d_model
    ):  # cheaper through the d_head-wide value
        return value @ (w_o @ w_u)
    return attention_out(model, layer, value @ w_o) @ w_u


def _copy_scores(run: TaskRun, variant: str = "folded") -> None:
    """Positive and negative copy scores in one pass (the unembedding is the expensive part)."""
    data = run.data
    resid = run.clean[1]["blocks.0.hook_resid_post"]
    rows = torch.arange(len(data))
    roles = (("io", data.correct), ("s1", data.wrong), ("s2", data.wrong))
    vectors = torch.cat([resid[rows, torch.tensor(data.positions[role])] for role, _ in roles])
    names = torch.cat([torch.tensor(answer) for _, answer in roles])
    shape = (run.model.n_layers, run.model.n_heads)
    positive, negative = torch.zeros(shape), torch.zeros(shape)
    with torch.inference_mode():
        w_u = stacked_weights(run.model).W_U if variant == "final_ln" else _folded_unembedding(run.model)
        for layer in range(shape[0]):
            for head in range(shape[1]):
                logits = _copy_logits(run.model, layer, head, vectors, variant, w_u)
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

    def margin_sum(p: torch.Tensor, prompts) -> torch.Tensor:  # [L, B, H, q, k] -> [L, H]
        pos, rows = prompts.positions, torch.arange(p.shape[1])
        end = torch.tensor(pos["end"])

        def to(role):
            return p[:, rows, :, end, torch.tensor(pos[role])]  # advanced indices first: [B, L, H]

        return (to("io") - torch.maximum(to("s1"), to("s2"))).sum(dim=0)

    return run.pattern_sum(margin_sum) / len(run.data.tokens)


def successor_score(run: TaskRun) -> torch.Tensor:
    """Fraction of (item, next item) pairs, over every sequence and spelling of ``successor_pairs``,
    for which the head's OV circuit ranks the next item first among that sequence's items.

    As the paper's code: the effective embedding is ``MLP0(W_E)`` (block 0's MLP on the raw token
    embeddings, no layer norm, no residual), read through ``W_V W_O`` without the head's layer
    norm, then ``W_U`` restricted to the sequence's tokens."""
    model, weights = run.model, stacked_weights(run.model)
    scores = torch.zeros(model.n_layers, model.n_heads)
    total = 0
    with torch.inference_mode():
        for seq in successor_pairs(run.vocab):
            effective = model.bridge.blocks[0].mlp(weights.W_E[torch.tensor(seq.sources)][None])[0]
            w_u, targets = weights.W_U[:, torch.tensor(seq.members)], torch.tensor(seq.targets)
            for layer in range(model.n_layers):
                for head in range(model.n_heads):
                    logits = head_ov(model, layer, head, effective, layer_norm=False) @ w_u
                    scores[layer, head] += (logits.argmax(-1) == targets).float().sum()
            total += len(targets)
    if not total:
        raise ValueError("no ordinal pair is two single tokens for this tokenizer: no successor score")
    return scores / total
