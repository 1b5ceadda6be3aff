"""The run's summary on the terminal, after pytest's own: the pass/fail matrices, the series
verdicts, the gate's table, and what happened to each output file. Every line that carries data
passes through ``terminal_text`` (no control characters from a spec or a record)."""

from __future__ import annotations

from typing import Any

from ..record import CellRecord
from ..run_state import RunState
from .escape import terminal_text
from .matrix import render_matrices
from .series import render_series
from .summary import gate_tables


def write_summary(reporter: Any, state: RunState, dist: str | None) -> None:
    """``reporter``: pytest's terminal reporter; ``dist``: xdist's ``--dist`` mode (None without
    xdist), which says whether a model that ran on several workers is our bug or the user's choice."""
    reporter.section("mechanism matrices")
    for line in render_matrices(state.records):
        reporter.write_line(line)
    if state.series:
        reporter.write_line("")
        reporter.write_line("across cells (stability over checkpoints, emergence across sizes):")
        for line in render_series(state.series):
            reporter.write_line(line)
    ours = dist == "load"
    for group, workers in sorted(state.split.items()):
        advice = (
            "" if ours else f" (--dist {dist}: use the default --dist load to keep each model on one worker)"
        )
        reporter.write_line(
            f"{'ERROR' if ours else 'warning'}: model {group} ran on several workers "
            f"({', '.join(workers)}) and was loaded by each{advice}",
            red=ours,
            yellow=not ours,
        )
    for line in extra_model_lines(state.records):
        reporter.write_line(terminal_text(line))
    if state.gate_summary:
        reporter.section("mechanism gate")
        for line in gate_tables(state.records, terminal_text).splitlines():
            reporter.write_line(line)
    if state.baseline_line:
        reporter.write_line(state.baseline_line)
    if state.update_lines:
        reporter.section("mechanism expectations")
        for line in state.update_lines:
            reporter.write_line(line)
    if state.carried_line:
        reporter.write_line(state.carried_line)
    for line in state.write_errors:
        reporter.write_line(line, red=True)
    if state.report_dir:
        where = state.report_dir
        reporter.write_line(
            f"results: {where}/results.json  matrices: {where}/matrix.md  report: {where}/report.html"
        )


def extra_model_lines(records: list[CellRecord]) -> list[str]:
    """How each extra model without a base was judged (the expectations of which size)."""
    seen = {}
    for r in records:
        if r.extra_model and not r.role:
            seen[r.model] = r.derived_from
    return [
        f"extra model {model}: judged by {size}'s expectations at its last checkpoint (same parameter count)"
        if size
        else f"extra model {model}: {_why_not_derived(model)}; measured and reported, "
        "not asserted (gate it with --baseline-model or --baseline)"
        for model, size in sorted(seen.items())
    ]


def _why_not_derived(model: str) -> str:
    from ..plan.derive import is_counted

    if is_counted(model):
        return "no size of the suite has its parameter count"
    return "not a local model directory, so no suite size is derived from its parameter count"
