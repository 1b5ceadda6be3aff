"""Head roles: the components the paper names, each a rule over head scores that returns a
``[layers, heads]`` boolean mask. Claims name roles rather than head ids because the heads that
implement a role change over training while the algorithm stays (paper §5.1, claim 2).
"""


def induction_heads(run):
    return run.head_scores("induction") >= 0.4


def previous_token_heads(run):
    return run.head_scores("previous_token") >= 0.5


def name_movers(run):
    """Copy score > 10% and END attends to IO more than to S1 and S2 (the paper's filter)."""
    return (run.head_scores("copy") > 0.10) & (run.head_scores("end_to_io") > 0)


def negative_name_movers(run):
    return (run.head_scores("negative_copy") > 0.10) & (run.head_scores("end_to_io") > 0)


def successor_heads(run):
    return run.head_scores("successor") >= 0.5
