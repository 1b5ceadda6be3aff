"""Cells a selective run (``-k``, ``-m``, ``--lf``) did not re-run, kept from the last results.

A run that measures a selection of the cells would otherwise replace a full report with a
partial one. Instead, each cell of the last complete ``results.json`` (not one an interrupt,
``-x`` or a crash cut short) in the report directory that this
run did not measure is kept when it is still valid: its spec file still loads with the same id,
version and digest (task, prompts, checks and thresholds) for its suite, the cell is in this
run's plan (same size, revision and suite), and the model's weights on disk still have the
digest the record names. Kept records say so (``carried``) and every report marks them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..record import CarriedFrom, CellRecord

if TYPE_CHECKING:
    from ..spec.loader import Spec

OUTSIDE = "not in this run's plan"


@dataclass
class Carried:
    """What the last run's results gave this one."""

    records: list[CellRecord] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # why -> how many cells were not kept
    source: str = ""
    unreadable: str = ""  # why the last results.json was refused whole (its first problem)

    def line(self) -> str:
        """The terminal's line; empty where nothing was kept or refused (cells of other
        selections, e.g. a run over other checkpoints, are not this run's to keep)."""
        if self.unreadable:
            return f"kept no cell of the last run: {self.unreadable}"
        refused = {why: n for why, n in self.dropped.items() if why != OUTSIDE}
        if not self.records and not refused:
            return ""
        why = "; ".join(f"{n} {reason}" for reason, n in sorted(refused.items()))
        kept = f"kept {len(self.records)} cell(s) of the last run in {self.source} (not re-run)"
        return kept + (f"; not kept: {why}" if why else "")


def _key(record: CellRecord) -> tuple:
    return (record.spec, record.suite, record.model, record.revision)


def carry(directory: str, measured: list[CellRecord], plan: list, when: str) -> Carried:
    """The last run's valid records for cells of ``plan`` (``Cell``s) not in ``measured``."""
    path = os.path.join(directory, "results.json")
    out = Carried(source=path)
    try:
        old = _read(path)
    except ValueError as exc:  # records_schema.RecordError: a tampered or broken file
        out.unreadable = str(exc).splitlines()[0]
        return out
    if old is None:
        return out
    done = {_key(r) for r in measured}
    planned = {(c.suite, c.size, c.revision): c for c in plan if not c.extra}
    specs: dict[str, Spec | None] = {}
    digests: dict[tuple, str | None] = {}
    for record in old:
        if _key(record) in done or record.extra_model:
            continue
        why = _invalid(record, planned, specs, digests)
        if why:
            out.dropped[why] = out.dropped.get(why, 0) + 1
            continue
        out.records.append(replace(record, carried=record.carried or CarriedFrom(when, record.nodeid)))
    return out


def _read(path: str) -> list[CellRecord] | None:
    """The last complete run's cells; None without one; ``RecordError`` for a broken file."""
    from ..records_schema import read_results

    if not os.path.lexists(path):
        return None
    results = read_results(path)
    if results.complete is not True:
        return None  # an interrupted run's cells are not kept: only a complete run's
    return results.cells


def _invalid(record: CellRecord, planned: dict, specs: dict, digests: dict) -> str:
    """Why a record may not stand for this run's cell (empty: it may)."""
    from ..spec.loader import SpecError, load_spec

    if record.outcome not in ("holds", "absent"):
        return "errored or unknown outcome"
    cell = planned.get((record.suite, record.model, record.revision))
    if cell is None:
        return OUTSIDE
    spec_path = str(record.spec_path or "")
    if spec_path not in specs:
        try:
            specs[spec_path] = load_spec(spec_path)
        except SpecError:
            specs[spec_path] = None
    spec = specs[spec_path]
    if spec is None:
        return "spec file missing or invalid"
    if (spec.id, spec.version, spec.digest(cell.suite)) != (
        record.spec,
        record.spec_version,
        record.spec_sha256,
    ):
        return "spec changed"
    if _weights(cell, digests) != record.weights_sha256:
        return "weights changed or missing"
    return ""


def _weights(cell, digests: dict) -> str | None:
    """The digest of the weights this cell would load now (None when they cannot be found
    without converting or downloading)."""
    key = (cell.model_id, cell.revision)
    if key not in digests:
        from ..models.hubcache import ModelUnavailable
        from ..models.loading import weights_digest
        from ..models.resolve import resolve

        digests[key] = None
        if not cell.model_id.startswith("package:") and not cell.model_id.endswith(".gguf"):
            try:
                found = resolve(cell.model_id, cell.revision)
            except (ModelUnavailable, OSError):
                found = None
            if found is not None and Path(found).is_dir():
                digests[key] = weights_digest(Path(found))
    return digests[key]
