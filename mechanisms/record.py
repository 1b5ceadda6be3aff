"""The records a run produces, as declared types: a cell's measured claim (``CellRecord``, with a
``CheckRecord`` per check), a gate's comparison (``GateVerdict``) and a claim across cells
(``SeriesRecord``).

Records cross process boundaries (xdist workers report to the controller as JSON) and are read
back from ``results.json`` files written by other runs and machines, so each type has exactly one
``to_json`` and one ``from_json``, here: nowhere else in the package reads a record by string key.
``from_json`` trusts its input's shape: files are checked first (``records_schema``), and a
``format: 1`` document (before these types: library versions flat in ``provenance``) is upgraded
on reading (``upgrade``).

The measured values of a check (``CheckRecord.values``) stay a mapping: each check kind measures
different things (a head table, a circuit's curve), and reports show them by name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

FORMAT = 2  # results.json's format: provenance.libraries nested (format 1: flat)
OUTCOMES = ("holds", "absent", "error")
PROVENANCE_KEYS = (
    "model_path",
    "weights_sha256",
    "tokenizer_sha256",
    "dtype",
    "device",
    "prepend_bos",
    "threads",
)


@dataclass
class Headline:
    """A check's one comparable number: its value, the threshold it is judged against and how."""

    name: str
    value: float | None
    threshold: float | None = None
    op: str = ">="

    @classmethod
    def from_json(cls, data: dict | None) -> Headline | None:
        return None if data is None else cls(data["name"], data["value"], data.get("threshold"), data["op"])


@dataclass
class CheckRecord:
    """One check of a claim on one cell: its verdict, a line saying why, what it measured."""

    check: str
    holds: bool
    summary: str
    values: dict[str, Any] = field(default_factory=dict)
    headline: Headline | None = None
    artifact: str | None = None  # a saved circuit, relative to the report folder
    has_artifact: bool = False  # an artifact was made (saved or not: its key is kept)

    def to_json(self) -> dict:
        out = {
            "check": self.check,
            "holds": self.holds,
            "summary": self.summary,
            "values": self.values,
            "headline": None if self.headline is None else asdict(self.headline),
        }
        if self.has_artifact:
            out["artifact"] = self.artifact
        return out

    @classmethod
    def from_json(cls, data: dict) -> CheckRecord:
        return cls(
            check=data["check"],
            holds=data["holds"],
            summary=data["summary"],
            values=data.get("values") or {},
            headline=Headline.from_json(data.get("headline")),
            artifact=data.get("artifact"),
            has_artifact="artifact" in data,
        )


@dataclass
class Provenance:
    """What produced a measurement: the weights and tokenizer (by digest), where they ran, and
    the versions of the libraries that measured them."""

    model_path: str | None = None
    weights_sha256: str | None = None
    tokenizer_sha256: str | None = None
    dtype: str = "float32"
    device: str = "cpu"
    prepend_bos: bool | None = None
    threads: int | None = None
    libraries: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> Provenance | None:
        if data is None:
            return None
        known = {k: data[k] for k in PROVENANCE_KEYS if k in data}
        return cls(**known, libraries=dict(data.get("libraries") or {}))


@dataclass
class GateRow:
    """One check of a gated claim: base and candidate headline values and the tolerance."""

    check: str
    name: str
    base: float | None
    candidate: float | None
    within: bool | None
    direction: str  # may_fall | may_rise
    amount: float
    relative: bool
    source: str | None = None  # where the tolerance came from
    overlap: float | None = None  # a circuit's edge Jaccard with the base's
    is_circuit: bool = False

    def to_json(self) -> dict:
        tolerance: dict[str, Any] = {
            "direction": self.direction,
            "amount": self.amount,
            "relative": self.relative,
        }
        if self.source is not None:
            tolerance["source"] = self.source
        out = {
            "check": self.check,
            "name": self.name,
            "base": self.base,
            "candidate": self.candidate,
            "within": self.within,
            "tolerance": tolerance,
        }
        if self.is_circuit:
            out["overlap"] = self.overlap
        return out

    @classmethod
    def from_json(cls, data: dict) -> GateRow:
        tolerance = data["tolerance"]
        return cls(
            check=data["check"],
            name=data["name"],
            base=data["base"],
            candidate=data["candidate"],
            within=data["within"],
            direction=tolerance["direction"],
            amount=tolerance["amount"],
            relative=tolerance["relative"],
            source=tolerance.get("source"),
            overlap=data.get("overlap"),
            is_circuit="overlap" in data,
        )


@dataclass
class BaselineRef:
    """The stored baseline a candidate was gated against, and its digest."""

    path: str
    sha256: str


@dataclass
class GateVerdict:
    """A candidate's comparison with its base (``gate/judge.py``)."""

    required: bool
    verdict: str  # pass | fail | not required
    reasons: list[str]
    checks: list[GateRow]
    base_outcome: str | None
    base: str | None = None
    base_revision: str | None = None
    baseline: BaselineRef | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "required": self.required,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "checks": [row.to_json() for row in self.checks],
            "base_outcome": self.base_outcome,
            "base": self.base,
            "base_revision": self.base_revision,
        }
        if self.baseline is not None:
            out["baseline"] = asdict(self.baseline)
        return out

    @classmethod
    def from_json(cls, data: dict | None) -> GateVerdict | None:
        if data is None:
            return None
        baseline = data.get("baseline")
        return cls(
            required=data["required"],
            verdict=data["verdict"],
            reasons=list(data["reasons"]),
            checks=[GateRow.from_json(row) for row in data["checks"]],
            base_outcome=data.get("base_outcome"),
            base=data.get("base"),
            base_revision=data.get("base_revision"),
            baseline=None if baseline is None else BaselineRef(baseline["path"], baseline["sha256"]),
        )


@dataclass
class CarriedFrom:
    """A cell a selective run did not re-run, kept from the run that measured it."""

    run: str  # that run's command
    measured_by: str | None = None  # its test id there


@dataclass
class Measurement:
    """What measuring a spec on a cell gives (``measure/evaluation.py``), before the run adds
    where it ran and how pytest judged it."""

    outcome: str
    holds: bool | None
    checks: list[CheckRecord]
    error: str | None = None
    seconds: float | None = None
    loaded_model: bool | None = None  # this cell booted the model (once per run and worker)
    memory: dict[str, float] = field(default_factory=dict)
    provenance: Provenance | None = None


@dataclass
class CircuitMembers:
    """What a circuit's stability and a gate's overlap read: its edges with their scores, its
    nodes, and the sum of |score| over the whole graph."""

    edges: dict[str, float]
    nodes: list[str]
    abs_score_total: float

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> CircuitMembers | None:
        if data is None:
            return None
        return cls(dict(data["edges"]), list(data["nodes"]), data["abs_score_total"])


@dataclass
class CellEntry:
    """A cell's verdicts and circuits as the run's cell store keeps them for series items."""

    step: int | None
    tokens: int | None
    holds: bool | None
    error: str | None
    checks: list[tuple[bool, CircuitMembers | None]]  # per check: holds, its circuit

    def to_json(self) -> dict:
        return {
            "step": self.step,
            "tokens": self.tokens,
            "holds": self.holds,
            "error": self.error,
            "checks": [{"holds": h, "circuit": None if c is None else c.to_json()} for h, c in self.checks],
        }

    @classmethod
    def from_json(cls, data: dict) -> CellEntry:
        checks = [(c["holds"], CircuitMembers.from_json(c.get("circuit"))) for c in data["checks"]]
        return cls(data["step"], data["tokens"], data["holds"], data["error"], checks)


@dataclass
class CellRecord:
    """One spec measured on one model@checkpoint: the claim, the cell, the verdict, the checks,
    and where the numbers came from."""

    spec: str
    suite: str
    model: str
    step: int | None
    spec_version: int
    claim: str
    outcome: str = "error"  # holds | absent | error
    checks: list[CheckRecord] = field(default_factory=list)
    holds: bool | None = None
    expected: bool | None = None  # what the spec (or the gate) asserts; None: reported only
    error: str | None = None
    spec_sha256: str | None = None
    spec_path: str | None = None
    task: str | None = None
    task_params: dict[str, Any] | None = None
    model_id: str | None = None
    revision: str | None = None
    tokens: int | None = None
    params: int | None = None
    extra_model: bool = False
    role: str | None = None  # a gate's base or candidate
    derived_from: str | None = None  # the suite size whose expectations an extra model takes
    group: str | None = None  # the scheduling unit (model@checkpoint)
    seconds: float | None = None
    loaded_model: bool | None = None
    memory: dict[str, float] = field(default_factory=dict)
    provenance: Provenance | None = None
    gate: GateVerdict | None = None
    circuit_edges: dict[str, list[str]] | None = None  # a gate base's circuits, by check index
    carried: CarriedFrom | None = None  # kept from the run that measured it (a selective re-run)
    nodeid: str | None = None
    test_outcome: str | None = None
    worker: str | None = None

    @property
    def key(self) -> tuple[str, str, str, int | None]:
        """The cell: one measurement per spec, suite, model and checkpoint in a results file."""
        return (self.spec, self.suite, self.model, self.step)

    def measured(self, m: Measurement) -> CellRecord:
        """This cell with what measuring it gave (every field of ``Measurement`` is one of ours)."""
        return replace(self, **{f.name: getattr(m, f.name) for f in fields(m)})

    def failed(self, error: str) -> None:
        self.holds, self.outcome, self.error = None, "error", error

    def failing_summaries(self) -> str:
        return "; ".join(c.summary for c in self.checks if not c.holds)

    @property
    def weights_sha256(self) -> str | None:
        return None if self.provenance is None else self.provenance.weights_sha256

    @property
    def tokenizer_sha256(self) -> str | None:
        return None if self.provenance is None else self.provenance.tokenizer_sha256

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECTIONS:
                if value is not None:
                    out[_SECTIONS[f.name]] = _section_json(f.name, value)
                continue
            if f.name == "checks":
                value = [c.to_json() for c in value]
            elif f.name == "provenance":
                value = None if value is None else value.to_json()
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: dict) -> CellRecord:
        plain = {f.name for f in fields(cls)} - set(_SECTIONS) - {"checks", "provenance"}
        record = cls(**{k: data[k] for k in plain if k in data})
        record.checks = [CheckRecord.from_json(c) for c in data.get("checks", [])]
        record.provenance = Provenance.from_json(data.get("provenance"))
        record.gate = GateVerdict.from_json(data.get("gate"))
        record.circuit_edges = data.get("circuit_edges")
        carried = data.get("carried")
        record.carried = None if carried is None else CarriedFrom(carried["run"], carried.get("measured_by"))
        return record


_SECTIONS = {"gate": "gate", "circuit_edges": "circuit_edges", "carried": "carried"}


def _section_json(name: str, value: Any) -> Any:
    if name == "gate":
        return value.to_json()
    if name == "carried":
        return asdict(value)
    return value


@dataclass
class SeriesRecord:
    """A claim across cells (a circuit's stability over checkpoints, emergence across sizes):
    its verdict, and the cells it read."""

    spec: str
    series: str
    suite: str
    label: str
    holds: bool
    summary: str
    spec_version: int | None = None
    expected: bool | None = None
    values: dict[str, Any] = field(default_factory=dict)
    kind: str | None = None
    claim: str | None = None
    rule: dict[str, Any] = field(default_factory=dict)  # the series claim's settings
    problem: str | None = None
    cells: list[str] = field(default_factory=list)
    measured_here: list[str] = field(default_factory=list)  # cells the series item measured itself
    nodeid: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.spec, self.series, self.suite, self.label)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SeriesRecord:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def upgrade(document: dict) -> dict:
    """A ``format: 1`` results document in today's format (its provenance's library versions
    moved under ``libraries``); a ``format: 2`` one unchanged."""
    if document.get("format") != 1:
        return document
    cells = []
    for cell in document.get("cells", []):
        provenance = cell.get("provenance")
        if isinstance(provenance, dict) and "libraries" not in provenance:
            known = {k: v for k, v in provenance.items() if k in PROVENANCE_KEYS}
            libraries = {k: v for k, v in provenance.items() if k not in PROVENANCE_KEYS}
            cell = {**cell, "provenance": {**known, "libraries": libraries}}
        cells.append(cell)
    return {**document, "format": FORMAT, "cells": cells}


@dataclass
class Source:
    """A results file merged into a report (``python -m mechanisms.report``)."""

    path: str
    command: list[str] = field(default_factory=list)
    complete: bool | None = None
    worker_crashed_on: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"path": self.path, "command": self.command, "complete": self.complete}
        if self.worker_crashed_on:
            out["worker_crashed_on"] = self.worker_crashed_on
        return out


@dataclass
class BaseClaim:
    """What a gate's candidate is compared with: its base's verdict and headlines for one
    claim, from this run (``of_record``) or from a stored baseline (``gate/baseline.py``)."""

    model: str
    revision: str | None
    outcome: str
    checks: list[CheckRecord]
    error: str | None = None
    tokenizer_sha256: str | None = None
    circuit_edges: dict[str, list[str]] = field(default_factory=dict)
    baseline: BaselineRef | None = None

    @classmethod
    def of_record(cls, record: CellRecord) -> BaseClaim:
        return cls(
            model=record.model,
            revision=record.revision,
            outcome=record.outcome,
            checks=record.checks,
            error=record.error,
            tokenizer_sha256=record.tokenizer_sha256,
            circuit_edges=record.circuit_edges or {},
        )


@dataclass
class Results:
    """What ``results.json`` holds: every cell's record, every series record, and the run (or,
    for a merged report, the files) they came from."""

    cells: list[CellRecord] = field(default_factory=list)
    series: list[SeriesRecord] = field(default_factory=list)
    complete: bool | None = None  # false after Ctrl-C, -x or a crash: some cells are missing
    command: list[str] = field(default_factory=list)
    worker_crashed_on: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def runs(self) -> list[Source]:
        """The runs behind these results: the merged files, or this run itself."""
        return self.sources or [Source("", self.command, self.complete, self.worker_crashed_on)]

    def to_json(self) -> dict:
        out: dict[str, Any] = {"format": FORMAT, "complete": self.complete}
        if self.command:
            out["command"] = self.command
        if self.worker_crashed_on:
            out["worker_crashed_on"] = self.worker_crashed_on
        if self.sources:
            out["sources"] = [s.to_json() for s in self.sources]
        if self.series:
            out["series"] = [s.to_json() for s in self.series]
        out["cells"] = [c.to_json() for c in self.cells]
        return out

    @classmethod
    def from_json(cls, data: dict) -> Results:
        """A checked document (``records_schema.read_results``), of either format."""
        data = upgrade(data)
        return cls(
            cells=[CellRecord.from_json(c) for c in data["cells"]],
            series=[SeriesRecord.from_json(s) for s in data.get("series", [])],
            complete=data.get("complete"),
            command=list(data.get("command", [])),
            worker_crashed_on=list(data.get("worker_crashed_on", [])),
            sources=[
                Source(
                    s["path"],
                    list(s.get("command", [])),
                    s.get("complete"),
                    list(s.get("worker_crashed_on", [])),
                )
                for s in data.get("sources", [])
            ],
        )
