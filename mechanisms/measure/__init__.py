"""Measurement: task data (``tasks``, ``wordlists``), the shared forward pass per task (``runs``),
``metrics``, head scores (``heads``), ``roles``, ``interventions``, the check kinds (``checks``)
and one spec on one cell (``evaluation``)."""
