"""The library from Python (a notebook, a script): measure one spec on one model, without pytest.

``measure_spec(spec, model, checkpoint)`` runs the same code path as a spec cell in a pytest run
(``measure.evaluation.measure``) and returns the same record that run writes to results.json,
including what the spec expects of the cell. ``spec_from_text`` loads a spec written inline,
with the same validation (and the same file:line errors, naming ``<string>``) as a spec file.
"""

from __future__ import annotations

from pathlib import Path

from .catalogue.suites import SUITE_NAMES, get_suite
from .plan.cells import Cell, extra_cell, suite_cells
from .record import CellRecord
from .spec.loader import Spec, load_spec, parse_spec


def spec_from_text(text: str, name: str = "<string>") -> Spec:
    """A spec from YAML text; ``name`` stands for the file in error messages and records."""
    return parse_spec(text, name)


def measure_spec(
    spec: Spec | str | Path,
    model: str,
    checkpoint: str | int | None = None,
    *,
    suite: str | None = None,
    threads: int | None = 1,
    device: str = "cpu",
    allow_download: bool = False,
    memory_gib: float | None = None,
) -> CellRecord:
    """Measure ``spec`` on ``model`` and return the cell's record (``record.CellRecord``:
    ``holds``, ``checks`` with every measured value, ``provenance``, ``expected``;
    ``.to_json()`` gives it as results.json holds it).

    ``model`` is a size of a suite (``"zoo-890k"``, ``"pythia-160m"``; the suite is found by the
    size's name, or given with ``suite``) or, like ``--model``, a hub id, a local Hugging Face
    directory or a ``.gguf`` file. ``checkpoint`` is a step (``512`` or ``"step512"``) or
    ``"final"`` (the default: the size's last checkpoint, or the model as it is).
    ``memory_gib`` is ``--mech-memory``: the activations a task may hold before it runs in
    micro-batches."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    cell = model_cell(model, checkpoint, suite)
    if not spec.applies(cell):
        raise ValueError(
            f"spec {spec.id!r} does not apply to {cell.suite}:{cell.size} (applies_to: "
            f"{', '.join(spec.applies_to)})"
        )
    from .measure.evaluation import base_record, measure
    from .run_options import RunOptions

    options = RunOptions(threads=threads, device=device, allow_download=allow_download, memory_gib=memory_gib)
    return base_record(spec, cell).measured(measure(spec, cell, options))


def model_cell(model: str, checkpoint: str | int | None = None, suite: str | None = None) -> Cell:
    """The cell of a suite size at a checkpoint, or of another model (judged as ``suite``)."""
    steps = (
        "final" if checkpoint is None else f"step{checkpoint}" if isinstance(checkpoint, int) else checkpoint
    )
    owner = suite or next((s for s in SUITE_NAMES if model in _sizes(s)), None)
    if owner is not None and model in _sizes(owner):
        return suite_cells(owner, model, steps)[0]
    if checkpoint is not None and "@" not in model:
        model = f"{model}@{steps}"
    return extra_cell(model, suite or "zoo")


def _sizes(suite: str) -> tuple:
    try:
        return tuple(get_suite(suite).sizes)
    except (KeyError, FileNotFoundError):
        return ()
