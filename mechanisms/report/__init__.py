"""Reports of a run: the pass/fail matrices and results.json (``matrix``)."""
