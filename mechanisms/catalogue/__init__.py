"""The catalogue every stage reads: which model suites exist, their sizes and training
checkpoints (``suites``, ``checkpoints``), and where the shipped zoo and tokenizer lie
(``fixtures``). Data about the world, not about a run: it sits below ``spec`` (which checks a
spec's sizes and steps against it) and ``plan`` (which turns a selection into cells).
Nothing here imports torch."""
