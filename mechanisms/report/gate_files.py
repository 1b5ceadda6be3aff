"""A gate's outputs at the end of a run, written by the controller (never by a worker): its
Markdown summary (``--mech-summary``, or appended to ``$GITHUB_STEP_SUMMARY``) and, with
``--update-baseline``, the base's baseline file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..atomic import replace
from ..gate.baseline import build
from ..record import CellRecord
from .summary import gate_tables, gates


@dataclass
class GateFiles:
    summary: str = ""  # the gate's Markdown summary ("" when nothing was gated)
    baseline_line: str = ""  # what happened to --update-baseline
    errors: list[str] = field(default_factory=list)  # files NOT written, and why
    nothing_gated: bool = False  # a base held none of its claims: the gate fails as a whole


def write_gate_files(
    records: list[CellRecord],
    complete: bool,
    summary_path: str | None,
    step_summary: str | None,
    baseline_path: str | None,
) -> GateFiles:
    """``summary_path`` is written anew; ``step_summary`` (GitHub's job summary, which collects
    every step) is appended to. The baseline is written only from a complete run whose base
    measured every claim, and even when the summary could not be written."""
    out = GateFiles(
        summary=gate_tables(records), nothing_gated=any(g.nothing_to_gate for g in gates(records))
    )
    target = summary_path or step_summary
    if out.summary and target:
        try:
            with open(target, "w" if summary_path else "a", encoding="utf-8") as fh:
                fh.write(out.summary + "\n")
        except OSError as exc:
            out.errors.append(f"gate summary NOT written to {target}: {exc}")
    if baseline_path:
        out.baseline_line = _write_baseline(records, complete, baseline_path)
    return out


def _write_baseline(records: list[CellRecord], complete: bool, path: str) -> str:
    base = [r for r in records if r.role == "base"]
    if not complete or not base or any(r.outcome == "error" for r in base):
        return f"baseline NOT written to {path}: the base's run was incomplete or failed"
    replace(path, json.dumps(build(base), indent=1, sort_keys=True, allow_nan=False) + "\n")
    return f"baseline: {path} ({len(base)} claims of {base[0].model})"
