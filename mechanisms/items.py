"""pytest collection nodes: a spec file yields one item per spec x model x checkpoint (and,
after them, the items of its ``across:`` claims, ``series.py``).

Node ids read ``mechanisms/specs/induction.mech.yaml::induction-heads[zoo-890k@step1024]``, so
``-k``, ``--lf``, ``-m`` and IDEs work, and they are the same with and without ``-n``
(``scheduling.py`` reads the cell from the id instead of rewriting it).

Outcomes follow the spec's expectation for the cell: a claim that holds where expected passes;
a claim that is absent where the spec says it should be absent is an ``xfail``; any
disagreement fails, so the bundled suite is green exactly when the zoo matches its emergence
table. A spec that does not parse becomes one failing item; the other specs still run.

A gate's cells differ: the base (``--baseline-model``) is the reference and never fails (absent
claims are xfails); a candidate (``--model`` with a base or ``--baseline``) fails where it lost a
claim its base held or moved a value past its tolerance (``gate/``), and a claim absent on the
base is an xfail (or a pass, if the candidate gained it).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .keys import BASES_KEY, OPTIONS_KEY, PLAN_KEY
from .series import series_items
from .spec.loader import Spec, SpecError, load_spec

if TYPE_CHECKING:
    from .plan.cells import Cell
    from .record import BaseClaim, CellRecord, CircuitMembers, Measurement

RECORD_KEY = "mechanisms.cell"  # the user_properties key that carries a cell's record
GATE_KEY = "mechanisms.gate"  # a candidate's comparison with its base (JSON, also in JUnit)
SPEC_FILES_INI = "mech_spec_files"  # glob patterns of spec file names, like python_files
DEFAULT_SPEC_FILES = ("*.mech.yaml", "*.mech.yml")


def spec_globs(config: pytest.Config) -> tuple[str, ...]:
    return tuple(config.getini(SPEC_FILES_INI)) or DEFAULT_SPEC_FILES


def is_spec_name(name: str, globs: tuple[str, ...]) -> bool:
    """Spec files are chosen by name, as pytest chooses test modules: no other YAML is read."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in globs)


def is_spec_file(path: Path, config: pytest.Config) -> bool:
    return is_spec_name(path.name, spec_globs(config))


def is_spec_nodeid(nodeid: str, globs: tuple[str, ...]) -> bool:
    return is_spec_name(nodeid.partition("::")[0].rsplit("/", 1)[-1], globs)


class ClaimMismatch(Exception):
    """The measured claim disagrees with what the spec expects for this cell."""


class GateFailure(Exception):
    """A candidate lost a claim its base held, or moved a value past its tolerance."""


# spec id -> the file that defined it first, this run; every invalid spec's message (--collect-only)
SEEN_KEY: pytest.StashKey[dict] = pytest.StashKey()
INVALID_KEY: pytest.StashKey[list[str]] = pytest.StashKey()


class SpecFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            spec = load_spec(self.path)
            self._claim_id(spec)
        except SpecError as error:
            self.config.stash.setdefault(INVALID_KEY, []).append(str(error))
            yield InvalidSpecItem.from_parent(self, name="<invalid spec>", error=error)
            return
        for mark in spec.marks:  # registered, so --strict-markers accepts them
            self.config.addinivalue_line("markers", f"{mark}: a mark set by mechanism specs")
        plan = self.config.stash[PLAN_KEY]
        cells = plan.cells  # built once per run; a bad option value becomes plan.error
        if plan.error:
            yield InvalidSpecItem.from_parent(self, name="<invalid options>", error=plan.error)
            return
        for cell in cells:
            if spec.applies(cell):
                yield SpecItem.from_parent(
                    self,
                    name=f"{spec.id}[{cell.label}]",
                    spec=spec,
                    cell=cell,
                    nodeid=_cell_nodeid(self, spec.id, cell.label),
                )
        yield from series_items(self, spec, cells, _cell_nodeid)

    def _claim_id(self, spec: Spec) -> None:
        seen = self.config.stash.setdefault(SEEN_KEY, {})
        first = seen.setdefault(spec.id, self.path)
        if first != self.path:
            raise SpecError(
                self.path,
                spec.id_line,
                "id",
                f"{spec.id!r} is already the id of {first}; "
                "spec ids name matrices and must be unique in a run",
            )


def _cell_nodeid(parent: pytest.Collector, spec_id: str, label: str) -> Any:
    """``path::spec-id[label]`` (or a series item's ``path::name[label]``) with the label as the
    id's parameters, as pytest parses it back.

    pytest >= 9.2 compares structured ids; an item named ``spec-id[label]`` without them never
    matches the ids ``--lf``/``--ff`` read back from the cache, which split off the brackets.
    """
    parent_id = getattr(parent, "id", None)
    if parent_id is not None and hasattr(parent_id, "with_params"):
        return parent_id.child(spec_id).with_params(label)
    return f"{parent.nodeid}::{spec_id}[{label}]"


class MeasurementError(RuntimeError):
    """The cell was measured but its values cannot be judged (NaN or infinity)."""


class InvalidSpecItem(pytest.Item):
    def __init__(self, *, error: Exception, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        return str(self.error)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, getattr(self.error, "line", 1) - 1, self.name


class SpecItem(pytest.Item):
    def __init__(self, *, spec: Spec, cell: Cell, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec, self.cell = spec, cell
        self.add_marker(pytest.mark.mechanisms)
        for mark in spec.marks:
            self.add_marker(getattr(pytest.mark, mark))

    def runtest(self) -> None:
        from .measure.evaluation import base_record

        record = base_record(self.spec, self.cell)
        circuits: dict[int, CircuitMembers] = {}  # the cell's circuits, for series items only
        try:
            base = self._base() if self.cell.role == "candidate" else None  # before measuring
            record = record.measured(self._measure(self.cell, circuits))
            if record.outcome == "error":  # non-finite values: an error, never a verdict
                raise MeasurementError(record.error)
            if self.cell.role == "base" and circuits:
                from .gate.bases import circuit_edges

                record.circuit_edges = circuit_edges(circuits)
            if base is not None:
                self._compare(base, record, circuits)
        except Exception as exc:
            record.failed(f"{type(exc).__name__}: {exc}")
            self._keep(record)
            raise
        finally:
            self._share(record, circuits)
        self._keep(record)
        self._judge(record)

    def _measure(self, cell: Cell, circuits: dict[int, CircuitMembers]) -> Measurement:
        """``cell`` measured under the run's options; its circuits saved in the report folder."""
        from .measure.evaluation import measure
        from .report.artifacts import artifact_saver

        options = self.config.stash[OPTIONS_KEY]
        saver = artifact_saver(self.spec.id, cell, options.report_dir)
        return measure(self.spec, cell, options, circuits, saver)

    def _share(self, record: CellRecord, circuits: dict[int, CircuitMembers]) -> None:
        """Leave the cell's verdicts and circuits for the spec's series items (``series.py``)."""
        if not self.spec.series or self.cell.extra:
            return
        from .cellstore import CellStore
        from .measure.evaluation import series_entry

        store = CellStore(self.config.stash[OPTIONS_KEY].cellstore)
        store.put(self.spec.id, self.cell.label, series_entry(record, circuits))

    def _base(self) -> BaseClaim:
        from .gate.bases import base_for

        bases = self.config.stash.setdefault(BASES_KEY, {})
        return base_for(
            self.spec, self.cell.suite, self.config.stash[OPTIONS_KEY].baseline, self._measure_base, bases
        )

    def _measure_base(self) -> CellRecord:
        """The base's cell of this spec, measured here because its own item did not run first
        (deselected by ``-k`` or ``--lf``)."""
        from .gate.bases import circuit_edges
        from .measure.evaluation import base_record

        base = next(c for c in self.config.stash[PLAN_KEY].cells if c.role == "base")
        circuits: dict[int, CircuitMembers] = {}
        record = base_record(self.spec, base).measured(self._measure(base, circuits))
        record.circuit_edges = circuit_edges(circuits)
        return record

    def _compare(self, base: BaseClaim, record: CellRecord, circuits: dict[int, CircuitMembers]) -> None:
        from .gate.bases import same_tokenizer
        from .gate.judge import judge

        same_tokenizer(base, record)
        checks = [(c.kind, c.settings(self.cell.suite)) for c in self.spec.checks]
        record.gate = judge(base, record, checks, circuits)
        record.expected = True if record.gate.required else None

    def _keep(self, record: CellRecord) -> None:
        """The record for the controller (JSON in JUnit too) and, for a gate's base, for the
        candidates measured after it on this worker."""
        if self.cell.role == "base":
            self.config.stash.setdefault(BASES_KEY, {})[self.spec.id] = record
        self.user_properties.append((RECORD_KEY, json.dumps(record.to_json(), sort_keys=True)))
        if record.gate is not None:
            self.user_properties.append((GATE_KEY, json.dumps(record.gate.to_json(), sort_keys=True)))

    def _judge(self, record: CellRecord) -> None:
        gate = record.gate
        if gate is not None:
            if gate.verdict == "fail":
                raise GateFailure(record)
            if not record.holds:
                pytest.xfail(
                    f"absent here and on the base: reported, not required: {record.failing_summaries()}"
                )
            return
        if record.expected is None:  # the base, unstable or not covered: reported, not asserted
            if not record.holds:
                pytest.xfail(f"absent at a cell the spec does not assert: {record.failing_summaries()}")
            return
        if record.holds == record.expected:
            if not record.holds:
                pytest.xfail(f"absent, as expected: {record.failing_summaries()}")
            return
        raise ClaimMismatch(record)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, pytest.xfail.Exception):
            return str(excinfo.value)  # never shown; pytest's traceback formatting cost 0.2 s a cell
        if isinstance(excinfo.value, GateFailure):
            return self._gate_failure(excinfo.value.args[0])
        from .gate.bases import GateError  # light: json and the gate's own modules

        if isinstance(excinfo.value, GateError):
            return (
                f"{self.spec.id} v{self.spec.version} @ {self.cell.label}: cannot be gated: {excinfo.value}"
            )
        if not isinstance(excinfo.value, ClaimMismatch):
            if self.config.getoption("tbstyle", "auto") == "long":
                return super().repr_failure(excinfo)
            return short_error(self, excinfo)
        r = excinfo.value.args[0]
        head = (
            "claim holds where the spec expects it absent (emerged earlier or in another size?)"
            if r.holds
            else "claim does not hold where the spec expects it"
        )
        if self.cell.derived_from:
            head += f" (this model has {self.cell.derived_from}'s parameter count: its expectations apply)"
        lines = [
            f"{self.spec.id} v{self.spec.version} @ {self.cell.label}: {head}",
            f"  claim: {self.spec.claim}",
        ]
        lines += [f"  [{'ok' if c.holds else 'FAIL'}] {c.check}: {c.summary}" for c in r.checks]
        return "\n".join(lines)

    def _gate_failure(self, record: CellRecord) -> str:
        gate = record.gate
        assert gate is not None
        lines = [
            f"{self.spec.id} v{self.spec.version} @ {self.cell.label}: the candidate lost what its base "
            f"({gate.base}) had",
            f"  claim: {self.spec.claim}",
        ]
        return "\n".join(lines + [f"  {reason}" for reason in gate.reasons])

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, f"{self.spec.id}[{self.cell.label}]"


def short_error(item: SpecItem, excinfo: pytest.ExceptionInfo[BaseException], max_lines: int = 10) -> str:
    """What failed while measuring a cell, in a few lines: the exception and where it was raised.

    pytest's default text for an exception inside a plugin item is hundreds of lines of pytest
    and pluggy frames per cell; the full traceback stays one ``--tb=long`` away.
    """
    message = str(excinfo.value).strip().splitlines() or [""]
    if len(message) > max_lines:
        message = message[:max_lines] + [f"... ({len(message) - max_lines} more lines)"]
    where = excinfo.traceback[-1] if excinfo.traceback else None
    lines = [
        f"{item.spec.id} v{item.spec.version} @ {item.cell.label}: measuring failed",
        f"  {type(excinfo.value).__name__}: {message[0]}",
        *(f"  {line}" for line in message[1:]),
    ]
    if where is not None:
        lines.append(f"  raised at {where.path}:{where.lineno + 1} in {where.name}")
    lines.append("  (--tb=long shows the full traceback)")
    return "\n".join(lines)
