"""The cells of one run, from its command-line options, computed on first use.

A project without spec files never builds it, so a plain pytest run never touches the zoo. The
plugin builds it at configure time only when a plan option is on the command line, so that a
bad value is one usage error rather than one collection error per spec file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cells import Cell, gate_cells, suite_cells

# The options the plan is built from, with their defaults: a run that sets none of them is not
# known to measure anything until a spec file is collected.
PLAN_OPTIONS: dict[str, Any] = {
    "suite": "zoo",
    "model_sizes": None,
    "checkpoints": "default",
    "model": [],
    "baseline_model": None,
    "baseline": None,
    "update_baseline": None,
}


class RunPlan:
    """``option(name)`` reads a command-line option (``pytest.Config.getoption``)."""

    def __init__(self, option: Callable[[str], Any]) -> None:
        self.option = option
        self._cells: list[Cell] | None = None
        self.error: Exception | None = None

    def options_given(self) -> bool:
        """Whether the command line sets an option of the plan: the user means to run specs."""
        return any(self.option(name) != default for name, default in PLAN_OPTIONS.items())

    @property
    def cells(self) -> list[Cell]:
        if self._cells is None:
            self._cells = self._build()
        return self._cells

    def _build(self) -> list[Cell]:
        opt = self.option
        try:
            check_gate_options(opt)
            cells = suite_cells(opt("suite"), opt("model_sizes"), opt("checkpoints"))
            gated = bool(opt("baseline_model") or opt("baseline"))
            return cells + gate_cells(opt("suite"), opt("model"), opt("baseline_model"), gated)
        except (ValueError, KeyError, FileNotFoundError) as exc:
            self.error = exc
            return []

    def gate_labels(self) -> set[str]:
        """Labels of the cells a gate compares (base and candidates: one xdist work unit)."""
        return {cell.label for cell in self.cells if cell.role}

    def costs(self) -> dict[str, float]:
        """Relative cost of one claim per cell label (parameters); unknown sizes are left out."""
        return {cell.label: float(cell.params) for cell in self.cells if cell.params}


def check_gate_options(opt: Callable[[str], Any]) -> None:
    """The gate options that only make sense together (a ValueError naming the fix)."""
    if opt("baseline_model") and opt("baseline"):
        raise ValueError("give --baseline-model (measured in this run) or --baseline FILE, not both")
    if opt("update_baseline") and not opt("baseline_model"):
        raise ValueError(
            "--update-baseline writes the --baseline-model's measurements: give --baseline-model"
        )
    if (opt("baseline_model") or opt("baseline")) and not opt("model") and not opt("update_baseline"):
        raise ValueError("a base without a candidate: give the model to gate with --model")
