"""The paper's circuit-based algorithm checks: does the circuit found at a checkpoint still
compute the task the way the known algorithm does, whichever heads it is made of?

Greater-than (arXiv 2407.10827, section 4.7; its ``verify_greater_than.py``, after Hanna et al.
2023): in the task's circuit, take the MLPs with a circuit edge to the logits, and the heads with
a circuit edge into those MLPs. At the answer position (the last token, XX of the second year):

* each MLP's ``boost``: its output read through the unembedding (logit lens: ``W_U`` restricted to
  the 100 two-digit year tokens, no final layer norm, as the paper's code loads its models with
  ``fold_ln=False``), the mean logit of the years above YY minus the mean of the others, averaged
  over prompts. Positive: the MLP pushes the answer towards greater years;
* each head's ``yy_attention``: the fraction of prompts whose attention from the answer position
  is largest on the YY token (ties count, as in the paper's code);
* each head's ``yy_logits``: the fraction of prompts whose logit-lens argmax over the year
  tokens is YY or YY + 1 (reported, not judged).

Deviation, named in docs/specs.md: the paper's code reads the attention at key index -7, which
with its prompts is not the YY token; the paper's text intends YY, and that is what is read here.

The check holds when the circuit has MLPs into the logits, their mean boost is at least
``min_mlp_boost`` and (with ``min_yy_attention``) ``at_least`` heads feeding them attend to YY on at
least that fraction of prompts. Its headline is the mean boost.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import torch

from ..models.loading import stacked_weights
from .checks import CheckResult, head_name, headline, read_circuit

if TYPE_CHECKING:
    from ..spec.settings import GreaterThanAlgorithm
    from .circuits.discovery import Circuit
    from .runs import TaskRun


def greater_than_algorithm(run: TaskRun, s: GreaterThanAlgorithm) -> CheckResult:
    rule = headline("mean MLP boost", None, s.min_mlp_boost)
    found, why, measured = read_circuit(run, s.circuit)
    if found is None:
        return CheckResult(False, f"no circuit to read: {why}", measured, rule)
    mlps = logit_mlps(found)
    heads = heads_into(found, mlps)
    if not mlps:
        return CheckResult(
            False,
            "the circuit has no MLP with an edge to the logits",
            {**measured, "circuit_edges": found.n_edges},
            rule,
        )
    boosts = mlp_boosts(run, mlps)
    attention, lens = yy_attention(run, heads), yy_logits(run, heads)
    boost = sum(boosts.values()) / len(boosts)
    need, wanted = s.at_least, s.min_yy_attention
    attending = [h for h, a in attention.items() if wanted is not None and a >= wanted]
    problems = []
    if boost < s.min_mlp_boost:
        problems.append(f"mean boost {boost:.3f} < {s.min_mlp_boost}")
    if wanted is not None and len(attending) < need:
        problems.append(f"{len(attending)} head(s) attend to YY on >= {wanted:.0%} of prompts (needs {need})")
    summary = (
        f"{len(mlps)} MLP(s) into the logits raise later years by {boost:.3f} on average; "
        f"{len(heads)} head(s) feed them"
        + (f", {len(attending)} attending to YY" if wanted is not None else "")
        + (f": {'; '.join(problems)}" if problems else "")
    )
    values = {
        "mlp_boost": {f"m{l}": round(b, 4) for l, b in boosts.items()},
        "yy_attention": {head_name(*h): round(a, 4) for h, a in attention.items()},
        "yy_logits": {head_name(*h): round(a, 4) for h, a in lens.items()},
        "mean_boost": boost,
        "circuit_edges": found.n_edges,
    }
    headed = replace(rule, value=boost if wanted is None or len(attending) >= need else None)
    return CheckResult(not problems, summary, values, headed)


def logit_mlps(found: Circuit) -> list[int]:
    """Layers of the MLPs with a circuit edge to the logits."""
    graph = found.graph
    return [l for l in range(graph.n_layers) if bool(found.mask[graph.mlp(l), graph.logits])]


def heads_into(found: Circuit, layers: list[int]) -> list[tuple[int, int]]:
    """Heads with a circuit edge into any of the MLPs of ``layers``."""
    graph = found.graph
    into = [graph.mlp_in(l) for l in layers]
    senders = found.mask[:, into].any(1).nonzero()[:, 0].tolist()
    return [h for h in (graph.head_of(u) for u in senders) if h is not None]


def _answer_rows(run: TaskRun) -> tuple[torch.Tensor, torch.Tensor]:
    data = run.data
    return torch.arange(len(data)), torch.tensor(data.end_positions())


def _year_logits(run: TaskRun, outputs: torch.Tensor) -> torch.Tensor:
    """Logit lens over the 100 year tokens: ``[..., d_model] -> [..., 100]`` (no final norm)."""
    w_u = stacked_weights(run.model).W_U[:, torch.tensor(run.data.candidates)]
    return outputs.float() @ w_u.float()


def _years(run: TaskRun) -> torch.Tensor:
    """Each prompt's YY (the flags are -1 for the years 00..YY)."""
    return (torch.tensor(run.data.flags) < 0).sum(-1) - 1


def year_boost(logits: torch.Tensor, later: torch.Tensor) -> float:
    """Mean over prompts of (mean logit of the years flagged ``later``) - (mean of the others),
    for ``[batch, 100]`` year logits and flags."""
    above = (logits * later).sum(-1) / later.sum(-1).clamp(min=1)
    rest = (logits * ~later).sum(-1) / (~later).sum(-1).clamp(min=1)
    return (above - rest).mean().item()


def attends_most(patterns: torch.Tensor, keys: torch.Tensor) -> float:
    """The fraction of rows of ``[batch, keys]`` attention whose largest weight (ties count) is
    at each row's key ``keys[row]``."""
    rows = torch.arange(patterns.shape[0])
    return (patterns[rows, keys] == patterns.max(-1).values).float().mean().item()


def names_year(logits: torch.Tensor, years: torch.Tensor) -> float:
    """The fraction of prompts whose year-logit argmax is YY or YY + 1."""
    best = logits.argmax(-1)
    return ((best == years) | (best == years + 1)).float().mean().item()


def mlp_boosts(run: TaskRun, layers: list[int]) -> dict[int, float]:
    """Per MLP: ``year_boost`` of its output at the answer position, read by the logit lens."""
    names = [f"blocks.{l}.hook_mlp_out" for l in layers]
    with torch.inference_mode():
        _, cache = run.model.bridge.run_with_cache(run.data.padded(), names_filter=lambda n: n in names)
    rows, ends = _answer_rows(run)
    later = torch.tensor(run.data.flags) > 0
    return {
        layer: year_boost(_year_logits(run, cache[name][rows, ends]), later)
        for layer, name in zip(layers, names, strict=True)
    }


def yy_attention(run: TaskRun, heads: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """Per head: the fraction of prompts whose attention from the answer is largest on YY."""
    rows, ends = _answer_rows(run)
    yy = torch.tensor(run.data.positions["yy"])
    patterns = run.clean[1]
    return {
        (l, h): attends_most(patterns[f"blocks.{l}.attn.hook_pattern"][rows, h, ends], yy) for l, h in heads
    }


def yy_logits(run: TaskRun, heads: list[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """Per head: the fraction of prompts whose logit-lens argmax over years is YY or YY + 1."""
    rows, ends = _answer_rows(run)
    w_o, years = stacked_weights(run.model).W_O, _years(run)
    return {
        (l, h): names_year(_year_logits(run, run.z(l)[rows, ends, h] @ w_o[l, h]), years) for l, h in heads
    }
