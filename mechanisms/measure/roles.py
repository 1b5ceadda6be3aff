"""Head roles: the components the paper names, each a rule over head scores (``registry.ROLES``)
that gives a ``[layers, heads]`` boolean mask. Claims name roles rather than head ids because the
heads that implement a role change over training while the algorithm stays (paper section 5.1).
"""

import operator

from ..spec import registry

_COMPARE = {">=": operator.ge, ">": operator.gt}


def role_mask(run, role: str):
    """Heads that meet every condition of ``role``'s rule, as a boolean ``[layers, heads]`` tensor."""
    mask = None
    for score, op, threshold in registry.ROLES[role].rule:
        meets = _COMPARE[op](run.head_scores(score), threshold)
        mask = meets if mask is None else mask & meets
    return mask
