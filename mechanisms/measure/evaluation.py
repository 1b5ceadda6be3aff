"""Measure one spec on one cell: load (or reuse) the model, reuse the task's forward pass, run
every check, and return the measurement (``record.Measurement``) with its provenance.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..models.cache import MODELS
from ..models.loading import LoadedModel, boot, configure_torch, library_versions
from ..record import CellEntry, CellRecord, CheckRecord, CircuitMembers, Headline, Measurement, Provenance
from ..spec import registry
from .budget import budget_bytes, peak_memory, reset_peak
from .runs import task_run

if TYPE_CHECKING:
    from ..plan.cells import Cell
    from ..run_options import RunOptions
    from ..spec.loader import Spec


def load_cell_model(cell: Cell, options: RunOptions) -> LoadedModel:
    configure_torch(options.threads)
    model = MODELS.get(
        (cell.model_id, cell.revision),
        lambda: boot(
            cell.model_id,
            cell.revision,
            cell.prepend_bos,
            options.allow_download,
            options.device,
        ),
    )
    if model.memory_budget is None:
        model.memory_budget = budget_bytes(options.memory_gib, options.device)
    return model


SaveArtifact = Callable[[dict, int], "str | None"]  # (document, check index) -> its path, or None


def measure(
    spec: Spec,
    cell: Cell,
    options: RunOptions,
    circuits: dict[int, CircuitMembers] | None = None,
    save_artifact: SaveArtifact | None = None,
) -> Measurement:
    """Run every check of ``spec`` on ``cell``; the claim holds when all checks hold. A
    ``circuits`` dict receives each circuit check's members (by check index), for claims across
    cells. ``save_artifact`` writes a check's artifact (a circuit; the report stage's
    ``report/artifacts.py``) and the record keeps only its path."""
    start, loads = time.perf_counter(), MODELS.loads
    reset_peak(options.device)
    model = load_cell_model(cell, options)
    run = task_run(model, spec.task, spec.params_for(cell.suite))
    checks = []
    for check in spec.checks:
        result = _on_device(run, registry.CHECK_KINDS[check.kind].load(), check.settings(cell.suite))
        line = result.headline
        entry = CheckRecord(
            check=check.label(),
            holds=bool(result.holds),
            summary=result.summary,
            values=_plain(result.values),
            headline=None
            if line is None
            else Headline(line.name, _plain(line.value), line.threshold, line.op),
        )
        if result.artifact is not None:
            entry.has_artifact = True
            entry.artifact = save_artifact(_plain(result.artifact), check.index) if save_artifact else None
            if circuits is not None:
                circuits[check.index] = circuit_members(result.artifact)
        checks.append(entry)
    holds = all(c.holds for c in checks)
    broken = [f"checks[{i}].{where}" for i, c in enumerate(checks) for where in _non_finite(c)]
    verdict = Measurement(outcome="holds" if holds else "absent", holds=holds, checks=checks)
    if broken:  # a diverged model: never a pass, and results.json stays JSON
        shown = ", ".join(broken[:5]) + (f" and {len(broken) - 5} more" if len(broken) > 5 else "")
        verdict = Measurement(
            outcome="error",
            holds=None,
            checks=checks,
            error=f"non-finite values (NaN or infinity) measured, written as null: {shown}",
        )
    verdict.seconds = round(time.perf_counter() - start, 3)
    verdict.loaded_model = MODELS.loads > loads  # this cell booted the model (once per run and worker)
    verdict.memory = {**peak_memory(options.device), "budget_gib": round(run.budget / 2**30, 2)}
    verdict.provenance = Provenance(
        model_path=model.path,
        weights_sha256=model.weights_sha256,
        tokenizer_sha256=model.tokenizer_sha256,
        dtype="float32",
        device=options.device,
        prepend_bos=model.prepend_bos,
        threads=options.threads,
        libraries=dict(library_versions()),
    )
    return verdict


def _on_device(run: Any, check: Any, fields: dict) -> Any:
    """A check with torch's default device set to the model's (``--mech-device cuda``): the
    tensors it makes (indices, masks, accumulators) sit beside the activations they meet."""
    import torch

    if run.device.type == "cpu":
        return check(run, fields)
    with torch.device(run.device):
        return check(run, fields)


def circuit_members(document: dict) -> CircuitMembers:
    """What a circuit's stability reads: its edges with their scores, its nodes, and the sum of
    |score| over the graph (kept out of the record: results.json stays small)."""
    return CircuitMembers(
        edges={e["edge"]: e["score"] for e in document["edges"] if e["in_circuit"]},
        nodes=document["nodes"],
        abs_score_total=document["abs_score_total"],
    )


def series_entry(record: CellRecord, circuits: dict[int, CircuitMembers]) -> CellEntry:
    """The cell's entry for the run's cell store (``mechanisms.cellstore``): its verdicts and its
    circuits (by check index)."""
    return CellEntry(
        step=record.step,
        tokens=record.tokens,
        holds=record.holds,
        error=record.error,
        checks=[(c.holds, circuits.get(i)) for i, c in enumerate(record.checks)],
    )


def base_record(spec: Spec, cell: Cell) -> CellRecord:
    """The cell's record before it is measured: the claim and the cell."""
    return CellRecord(
        spec=spec.id,
        spec_version=spec.version,
        spec_sha256=spec.digest(cell.suite),
        spec_path=str(spec.path),
        claim=spec.claim,
        task=spec.task,
        task_params=spec.params_for(cell.suite),  # the prompts' seed and size among them
        suite=cell.suite,
        model=cell.size,
        model_id=cell.model_id,
        revision=cell.revision,
        step=cell.step,
        tokens=cell.tokens,
        params=cell.params,
        extra_model=cell.extra,
        role=cell.role or None,
        derived_from=cell.derived_from,
        expected=expected(spec, cell),
        group=cell.group,
    )


def expected(spec: Spec, cell: Cell) -> bool | None:
    """What the spec expects of a cell. A suite size: its own expectation. A gate's base: none (it
    is the reference); a candidate: decided by comparing with the base. Any other extra model:
    the expectation of the suite size it has the parameter count of, at that size's last
    checkpoint, or none (reported, not asserted) when no size matches."""
    if not cell.extra:
        return spec.expected(cell.suite, cell.size, cell.step)
    if cell.role or cell.derived_from is None:
        return None
    return spec.expected(cell.suite, cell.derived_from, cell.derived_step)


def _non_finite(value: Any, where: str = "") -> list[str]:
    """Where ``value`` (a check's result, its values and headline) holds NaN or an infinity;
    each is replaced by None in place."""
    if isinstance(value, CheckRecord):
        found = _non_finite(value.values, ".values")
        line = value.headline
        if line is not None and isinstance(line.value, float) and not math.isfinite(line.value):
            line.value = None
            found.append("headline.value")
        return found
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        here = f"{where}.{key}" if isinstance(value, dict) else f"{where}[{key}]"
        if isinstance(item, float) and not math.isfinite(item):
            value[key] = None
            found.append(here.lstrip("."))
        else:
            found += _non_finite(item, here)
    return found


def _plain(value: Any) -> Any:
    """Floats, ints, strings, lists and dicts only: records cross process boundaries (xdist)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6)
    return value
