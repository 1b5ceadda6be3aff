"""The IOI heads the paper finds by path patching, upstream of the name movers (arXiv 2407.10827,
section 4.5 and Fig. 4C-D; its ``get_ioi_consistency.py`` and ``evaluate_s2i_candidates``).

Each score is one number per head, so roles (``registry.ROLES``) and ``share`` checks read them
like any other; heads that are no sender (at or above their receivers) score 0.

* ``name_mover_query_effect``: each head's path into the name movers' queries, patched from the
  prompts where S2 is replaced by IO, as the paper's noising effect (-1 erases the gap). Below
  -0.001 a head is an S-inhibition candidate.
* The candidates are confirmed with the ABB->BAB prompts (the same tokens, S1 moved): patching
  the candidate into the name movers' queries must lower the logit difference
  (``abb_bab_query_effect``, relative to the clean value), move their attention from END off IO
  (``name_mover_io_shift`` < 0) and onto S1 (``name_mover_s1_shift`` > 0). These three are measured
  on candidates only (0 elsewhere: a non-candidate fails the role anyway) and in the same pass.
* ``s_inhibition_value_effect``: each head's path into the values of the "pure" S-inhibition heads
  (the confirmed heads minus copy suppressors, here the negative name movers: the paper uses CSPA),
  patched from the S2=IO prompts. Fig. 4D is the part of it carried by induction and
  duplicate-token heads (score above the mean over all heads) whose effect is below -0.001.

Every score reads the S2=IO (or ABB->BAB) version of the spec's prompts, whatever the spec
corrupts with, as ``direct.direct_effect`` does; where that set's clean-corrupted gap is below
``registry.MIN_BASELINE`` every effect is 0 (nothing to carry; untrained checkpoints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..spec import registry
from .direct import noising_effect
from .interventions import by_layer, path_patch
from .runs import task_run

if TYPE_CHECKING:
    from .runs import TaskRun

CANDIDATE_CUTOFF = -0.001  # the paper's S2I and tertiary path-patching cutoff
_CONFIRMATION = ("abb_bab_query_effect", "name_mover_io_shift", "name_mover_s1_shift")


def _on(run: TaskRun, corruption: str) -> TaskRun:
    """The same prompts with ``corruption`` (the run itself if it already has it)."""
    if run.params.get("corruption", "s2_io") == corruption:
        return run
    return task_run(run.model, run.task_name, {**run.params, "corruption": corruption})


def _heads(mask: torch.Tensor) -> list[tuple[int, int]]:
    return [(l, h) for l, h in mask.nonzero().tolist()]


def _role(run: TaskRun, role: str) -> list[tuple[int, int]]:
    return _heads(registry.ROLES[role].load()(run, role))


def path_effects(
    run: TaskRun, senders: list, receivers: list, into: str = "q", metric: str = "logit_diff"
) -> dict[tuple[int, int], float]:
    """Each sender's path into the receivers above it (``into``: q, k or v), patched from this
    run's corrupted prompts, as the paper's noising effect of ``metric``."""
    clean, corrupted = run.metric(metric), run.metric(metric, run.corrupted[0])
    out = {}
    for sender in senders:
        downstream = [r for r in receivers if r[0] > sender[0]]
        if downstream:
            patched = path_patch(run, sender, downstream, into, metric)
            out[sender] = noising_effect(patched, clean, corrupted)
    return out


def attention_shift(run: TaskRun, sender, receivers: list, into: str, metric: str) -> tuple[float, dict]:
    """The metric with the sender's path into the receivers patched, and how the receivers' mean
    attention from END to IO and to S1 moved (the paper's S-inhibition confirmation)."""
    observe: dict = {f"blocks.{layer}.attn.hook_pattern": None for layer in by_layer(receivers)}
    patched = path_patch(run, sender, receivers, into, metric, observe)
    clean = run.patterns()
    rows, pos = torch.arange(len(run.data)), run.data.positions
    end = torch.tensor(pos["end"])
    moved = {}
    for role in ("io", "s1"):
        key = torch.tensor(pos[role])
        changes = [
            observe[f"blocks.{l}.attn.hook_pattern"][rows, h, end, key] - clean[l, rows, h, end, key]
            for l, h in receivers
        ]
        moved[role] = round(torch.stack(changes).mean().item(), 5)
    return patched, moved


def _grid(run: TaskRun, values: dict) -> torch.Tensor:
    scores = torch.zeros(run.model.n_layers, run.model.n_heads)
    for (layer, head), value in values.items():
        scores[layer, head] = value
    return scores


def _senders(run: TaskRun, receivers: list) -> list[tuple[int, int]]:
    top = max((r[0] for r in receivers), default=0)
    return [(l, h) for l in range(top) for h in range(run.model.n_heads)]


def name_mover_query_effect(run: TaskRun) -> torch.Tensor:
    flipped = _on(run, "s2_io")
    if flipped is not run:
        return flipped.head_scores("name_mover_query_effect")
    movers = _role(run, "name_movers")
    if not movers or not _gap(run):
        return _grid(run, {})
    return _grid(run, path_effects(run, _senders(run, movers), movers, "q"))


def _gap(run: TaskRun) -> bool:
    clean, corrupted = run.metric("logit_diff"), run.metric("logit_diff", run.corrupted[0])
    return clean - corrupted >= registry.MIN_BASELINE


def _confirmation(run: TaskRun) -> dict[str, torch.Tensor]:
    """The three ABB->BAB scores of every S-inhibition candidate (``run`` has the ABB->BAB
    prompts), from one patch each."""
    screen = run.head_scores("name_mover_query_effect")
    candidates = _heads(screen < CANDIDATE_CUTOFF)
    movers = _role(_on(run, "s2_io"), "name_movers") if candidates else []  # its copy scores are known
    effect, io, s1 = {}, {}, {}
    clean = run.metric("logit_diff")
    for sender in candidates:
        downstream = [r for r in movers if r[0] > sender[0]]
        patched, moved = attention_shift(run, sender, downstream, "q", "logit_diff")
        effect[sender] = (patched - clean) / abs(clean) if clean else 0.0
        io[sender], s1[sender] = moved["io"], moved["s1"]
    return {name: _grid(run, v) for name, v in zip(_CONFIRMATION, (effect, io, s1), strict=True)}


def _confirmed(run: TaskRun, name: str) -> torch.Tensor:
    """One of the confirmation scores, measured on the ABB->BAB prompts (all three at once)."""
    swapped = _on(run, "abb_bab")
    if swapped is not run:
        return swapped.head_scores(name)
    run.scores.update(_confirmation(run))
    return run.scores[name]


def abb_bab_query_effect(run: TaskRun) -> torch.Tensor:
    return _confirmed(run, "abb_bab_query_effect")


def name_mover_io_shift(run: TaskRun) -> torch.Tensor:
    return _confirmed(run, "name_mover_io_shift")


def name_mover_s1_shift(run: TaskRun) -> torch.Tensor:
    return _confirmed(run, "name_mover_s1_shift")


def pure_s_inhibition_heads(run: TaskRun) -> list[tuple[int, int]]:
    """The confirmed S-inhibition heads that are not copy suppressors (negative name movers)."""
    suppressors = set(_role(run, "negative_name_movers"))
    return [h for h in _role(run, "s_inhibition_heads") if h not in suppressors]


def s_inhibition_value_effect(run: TaskRun) -> torch.Tensor:
    flipped = _on(run, "s2_io")
    if flipped is not run:
        return flipped.head_scores("s_inhibition_value_effect")
    receivers = pure_s_inhibition_heads(run)
    if not receivers or not _gap(run):
        return _grid(run, {})
    return _grid(run, path_effects(run, _senders(run, receivers), receivers, "v"))
