"""Head roles: the components the paper names, each a rule over head scores (``registry.ROLES``)
that gives a ``[layers, heads]`` boolean mask. Claims name roles rather than head ids because the
heads that implement a role change over training while the algorithm stays (paper section 5.1).
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

from ..spec import registry

if TYPE_CHECKING:
    import torch

    from .runs import TaskRun

_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def role_mask(run: TaskRun, role: str, on: str | dict | None = None) -> torch.Tensor:
    """Heads that meet every condition of ``role``'s rule, as a boolean ``[layers, heads]`` tensor
    (its attention-pattern scores read on the prompts ``on`` names)."""
    rule = registry.ROLES[role].rule
    masks = [_condition(run.head_scores(score, on), op, threshold) for score, op, threshold in rule]
    mask = masks[0]
    for more in masks[1:]:
        mask = mask & more
    return mask


def _condition(scores: torch.Tensor, op: str, threshold: float | str) -> torch.Tensor:
    """``scores op threshold``; a threshold relative to all heads (``"mean"`` or ``"0.33*max"``)
    is resolved on this model, and then also needs a positive score (all-zero scores select none)."""
    if isinstance(threshold, (int, float)):
        return _COMPARE[op](scores, threshold)
    if threshold == "mean":
        value = scores.mean()
    else:
        factor, _, of = threshold.partition("*")
        assert of == "max", threshold
        value = float(factor) * scores.max()
    return _COMPARE[op](scores, value) & (scores > 0)


def role_strength(run: TaskRun, role: str, on: str | dict | None = None) -> tuple[torch.Tensor, bool]:
    """The score a role's heads are reported by (its rule's first), and whether higher is stronger."""
    score = registry.ROLES[role].rule[0][0]
    return run.head_scores(score, on), registry.role_higher_is_stronger(role)
