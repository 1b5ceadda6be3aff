"""Measurement: task data (``tasks``, ``wordlists``), the shared forward pass per task (``runs``),
``metrics``, head scores (``heads``), ``roles``, ``interventions``, the check kinds (``checks``),
one spec on one cell (``evaluation``), circuits (``circuits/``) and the definitions of claims
over a series of cells (``series``: Jaccard, EWMA, onsets)."""
