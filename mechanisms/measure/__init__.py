"""Measurement: task data (``tasks``, ``wordlists``), the shared forward pass per task (``runs``),
``metrics``, head scores (``heads``; ``direct``: each head's direct path to the logits;
``suppression``: whether it writes the answer by raising IO or lowering S; ``inhibition``: the
paths into the name movers), ``roles``, ``interventions``, the check kinds (``checks``),
one spec on one cell (``evaluation``), circuits (``circuits/``) and the definitions of claims
over a series of cells (``series``: Jaccard, EWMA, onsets)."""
