"""The run plan: model suites and their checkpoints, the shipped data (``fixtures``), and the
cells (model x checkpoint) a run covers. Nothing here imports torch."""
