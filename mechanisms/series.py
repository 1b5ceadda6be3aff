"""Test items for claims that span cells: ``<name>[size]`` (stability) and ``<name>[suite]``
(emergence), collected after a spec's cells from its ``across:`` list.

How a series item gets its cells' results, and why. Every cell is measured once per run, by its
own item, on the worker that loaded its model (``scheduling.py``); measuring a checkpoint again
inside a series item would double the cost of the most expensive measurement in the project
(a circuit). So each cell of a spec with series claims leaves its verdicts and circuits in the
run's cell store (``cellstore.py``), and the series item reads them:

* without xdist, series items run after every cell (``pytest_collection_modifyitems``), so the
  entries are there;
* under xdist, series items are the last work units (``scheduling.py``), so no series item sits
  on a worker ahead of a cell, and each cell still pending runs on its own worker while the
  series item waits for its entry (giving up, with the missing cells named, after
  ``--mech-wait`` seconds in which no cell of the run finished);
* cells of the series that this run did not select (``-k``, ``--lf``) are measured by the series
  item itself, once, and left in the store for the run's other series items.

A series item never loads a model whose cells were selected, whatever the scheduling order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .keys import OPTIONS_KEY
from .record import SeriesRecord

if TYPE_CHECKING:
    from .plan.cells import Cell
    from .record import CellEntry, CircuitMembers
    from .run_options import RunOptions
    from .spec.loader import SeriesClaim, Spec

SERIES_KEY = "mechanisms.series"  # the user_properties key that carries a series record


class SeriesMismatch(Exception):
    """The measured series claim disagrees with the spec's expectation."""


class SeriesIncomplete(Exception):
    """Cells the series needs failed or never reported."""


def series_items(parent: pytest.Collector, spec: Spec, cells: list[Cell], nodeid: Any) -> list[pytest.Item]:
    """One item per size (stability) or per suite (emergence) with something to compare in this
    run: two checkpoints of the size, two sizes of the suite."""
    suite_cells = [c for c in cells if spec.applies(c) and not c.extra]
    out: list[pytest.Item] = []
    for claim in spec.series:
        groups: dict[str, list] = {}
        for cell in suite_cells:
            key = cell.size if claim.kind == "stability" else cell.suite
            groups.setdefault(key, []).append(cell)
        for label, group in groups.items():
            if len({(c.size, c.step) for c in group}) < 2 or (
                claim.kind == "emergence" and len({c.size for c in group}) < 2
            ):
                continue  # one checkpoint, or one size: nothing to compare in this run
            out.append(
                SeriesItem.from_parent(
                    parent,
                    name=f"{claim.name}[{label}]",
                    spec=spec,
                    claim=claim,
                    label=label,
                    cells=group,
                    nodeid=nodeid(parent, claim.name, label),
                )
            )
    return out


class SeriesItem(pytest.Item):
    def __init__(
        self, *, spec: Spec, claim: SeriesClaim, label: str, cells: list[Cell], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.spec, self.claim, self.label, self.cells = spec, claim, label, cells
        self.suite = cells[0].suite
        self.add_marker(pytest.mark.mechanisms)
        for mark in spec.marks:
            self.add_marker(getattr(pytest.mark, mark))

    # --- running -------------------------------------------------------------------------

    def runtest(self) -> None:
        cells, reason = self._judged_cells()
        if reason:
            pytest.skip(reason)
        entries, measured_here = self._entries(cells)
        if self.claim.kind == "stability":
            result = self._stability(cells, entries)
        else:
            result = self._emergence(cells, entries)
        record = self._record(result, cells, measured_here)
        self.user_properties.append((SERIES_KEY, json.dumps(record.to_json(), sort_keys=True)))
        self._judge(record)

    def _judged_cells(self) -> tuple[list[Cell], str]:
        """The run's cells this claim is judged on (its ``checkpoints``, else all of the run's),
        or why it cannot be judged in this run."""
        cells = self.cells
        selection = self.claim.settings.checkpoints
        if selection:
            from .catalogue.checkpoints import select_steps
            from .catalogue.suites import get_suite

            suite = get_suite(self.suite)
            wanted = {
                size: set(select_steps(selection, list(suite.size(size).steps), list(suite.default_steps)))
                for size in dict.fromkeys(c.size for c in cells)
            }
            missing = sorted({s for size, steps in wanted.items() for s in steps} - {c.step for c in cells})
            if missing:
                return [], (
                    f"judged on the checkpoints {selection!r}; this run lacks "
                    f"{', '.join(f'step{s}' for s in missing[:6])}{' ...' if len(missing) > 6 else ''} "
                    "(--checkpoints)"
                )
            cells = [c for c in cells if c.step in wanted[c.size]]
        if self.claim.kind == "stability":
            start = self.claim.settings.from_step
            steps = [c.step for c in cells if c.step is not None and c.step >= start]
            if len(steps) < 2:
                return (
                    [],
                    f"stability needs two checkpoints from step {start}; this run has {len(steps)} (--checkpoints)",
                )
        return cells, ""

    def _entries(self, cells: list[Cell]) -> tuple[dict[str, CellEntry], list[str]]:
        from .cellstore import CellStore

        options = self.config.stash[OPTIONS_KEY]
        store = CellStore(options.cellstore)
        selected = {  # this spec's cell items in this run (SpecItems; they import this module)
            item.cell.label
            for item in self.session.items
            if getattr(item, "spec", None) is self.spec and hasattr(item, "cell")
        }
        entries, here = {}, []
        for cell in cells:
            if cell.label in selected:
                continue
            entry = store.get(self.spec.id, cell.label)
            if entry is None:
                entry = _measure_entry(self.spec, cell, options)
                store.put(self.spec.id, cell.label, entry)
                here.append(cell.label)
            entries[cell.label] = entry
        theirs = [c.label for c in cells if c.label in selected]
        patience = options.wait if hasattr(self.config, "workerinput") else 0.0
        found, missing = store.wait(self.spec.id, theirs, patience)
        if missing:
            raise SeriesIncomplete(
                f"no result from {', '.join(missing)} (measured by their own items; "
                + (
                    f"none of the run's cells finished for {patience:g} s: a crashed worker or a run "
                    "stopped early? --mech-wait sets the patience)"
                    if patience
                    else "they did not run before this item)"
                )
            )
        entries.update(found)
        failed = [f"{label}: {e.error}" for label, e in entries.items() if e.error]
        if failed:
            raise SeriesIncomplete("measuring failed at " + "; ".join(failed))
        return entries, here

    def _stability(self, cells: list[Cell], entries: dict[str, CellEntry]):
        from .measure.series import CircuitAt, StabilityRule, stability

        s = self.claim.settings  # typed, defaults filled (``spec/settings.py``)
        rule = StabilityRule(
            of=s.of, weighted=s.weighted, compare=s.compare, ewma=s.ewma, from_step=s.from_step, min=s.min
        )
        circuits = []
        for cell in cells:
            found = entries[cell.label].checks[s.check][1]
            circuits.append(
                CircuitAt(
                    cell.step or 0,
                    cell.tokens,
                    None if found is None else found.edges,
                    () if found is None else tuple(found.nodes),
                    0.0 if found is None else found.abs_score_total,
                )
            )
        return stability(circuits, rule)

    def _emergence(self, cells: list[Cell], entries: dict[str, CellEntry]):
        from .measure.series import emergence

        s = self.claim.settings
        check = s.check
        rows: dict[str, list] = {}
        for cell in cells:
            entry = entries[cell.label]
            holds = entry.holds if check is None else entry.checks[check][0]
            rows.setdefault(cell.size, []).append((cell.step or 0, cell.tokens, bool(holds)))
        required = [size for size in s.sizes or () if size in rows]
        return emergence(rows, s.within, required)

    # --- the record and the verdict --------------------------------------------------------

    def _record(self, result: Any, cells: list[Cell], measured_here: list[str]) -> SeriesRecord:
        from .report.series import series_summary

        values = {k: v for k, v in vars(result).items() if k not in ("holds", "problem")}
        record = SeriesRecord(
            spec=self.spec.id,
            spec_version=self.spec.version,
            claim=self.spec.claim,
            series=self.claim.name,
            kind=self.claim.kind,
            rule=self.claim.settings.rule(),
            suite=self.suite,
            label=self.label,
            holds=bool(result.holds) and not result.problem,
            expected=self.claim.expected(self.suite, self.label),
            problem=result.problem,
            values=json.loads(json.dumps(values)),  # plain JSON: tuples as lists, as read back
            cells=[c.label for c in cells],
            measured_here=measured_here,
            summary="",
        )
        record.summary = series_summary(record)
        return record

    def _judge(self, record: SeriesRecord) -> None:
        expected = record.expected
        if expected is None or record.holds == expected:
            if not record.holds:
                pytest.xfail(f"absent{'' if expected is None else ', as expected'}: {record.summary}")
            return
        raise SeriesMismatch(record)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, pytest.xfail.Exception):
            return str(excinfo.value)
        head = f"{self.spec.id} v{self.spec.version} {self.claim.name} [{self.label}]"
        if isinstance(excinfo.value, SeriesIncomplete):
            return f"{head}: cannot judge the series: {excinfo.value}"
        if not isinstance(excinfo.value, SeriesMismatch):
            return super().repr_failure(excinfo)
        r = excinfo.value.args[0]
        verdict = (
            "holds where the spec expects it absent" if r.holds else "does not hold where the spec expects it"
        )
        return f"{head}: {self.claim.kind} claim {verdict}\n  {r.summary}"

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.claim.line - 1, f"{self.claim.name}[{self.label}]"


def _measure_entry(spec: Spec, cell: Cell, options: RunOptions) -> CellEntry:
    """A cell this run did not select, measured here for the series (never stored elsewhere)."""
    from .measure.evaluation import base_record, measure, series_entry
    from .report.artifacts import artifact_saver

    circuits: dict[int, CircuitMembers] = {}
    record = base_record(spec, cell)
    try:
        record = record.measured(
            measure(spec, cell, options, circuits, artifact_saver(spec.id, cell, options.report_dir))
        )
    except Exception as exc:
        record.failed(f"{type(exc).__name__}: {exc}")
    return series_entry(record, circuits)
