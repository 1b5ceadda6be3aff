"""The gate's summary: one Markdown table per candidate (claim, base, candidate, change,
verdict), for a CI job summary (``$GITHUB_STEP_SUMMARY``), a pull-request comment or the terminal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ..record import CellRecord, GateRow, GateVerdict
from .escape import md_text
from .records import value_text

MARK = {"pass": "✅ pass", "fail": "❌ FAIL", "not required": "· not required", "error": "❌ ERROR"}


HEADER = ("claim", "base", "candidate", "change", "verdict")


@dataclass
class GateTable:
    """One candidate's gate: its base, one row per claim (``HEADER``'s cells; the verdict as
    pass, fail, not required or error), the tally and the reasons."""

    candidate: str
    base: str
    baseline: str  # which base: measured in this run, or a stored file and its sha256
    rows: list[list[str]]
    tally: str
    reasons: list[tuple[str, str]]  # (spec, why)
    nothing_to_gate: bool


def gates(records: list[CellRecord]) -> list[GateTable]:
    """Per candidate, its gate table."""
    by_candidate: defaultdict[str, list[CellRecord]] = defaultdict(list)
    for record in records:
        if record.gate is not None or record.role == "candidate":
            by_candidate[record.model].append(record)
    out = []
    for model, rows in sorted(by_candidate.items()):
        failed = sum(1 for r in rows if _verdict(r) in ("fail", "error"))
        judged = [r.gate for r in rows if r.gate is not None]
        required = sum(1 for g in judged if g.required)
        reasons = [(r.spec, reason) for r in rows if r.gate is not None for reason in r.gate.reasons]
        reasons += [(r.spec, f"could not compare: {r.error}") for r in rows if r.outcome == "error"]
        out.append(
            GateTable(
                candidate=model,
                base=next((str(g.base) for g in judged), "its base"),
                baseline=_base_line(judged[0]) if judged else "",
                rows=[_row(r) for r in sorted(rows, key=lambda r: r.spec)],
                tally=_tally(failed, required, len(judged)),
                reasons=reasons,
                nothing_to_gate=bool(judged) and not required,
            )
        )
    return out


def gate_tables(records: list[CellRecord], escape: Callable[[object], str] = md_text) -> str:
    """Markdown for every candidate in ``records``; empty when the run gated nothing. Every
    piece of text from a record passes through ``escape`` (``md_text``; the terminal passes
    ``terminal_text``)."""
    parts = []
    for gate in gates(records):
        parts += [f"### Mechanism gate: {escape(gate.candidate)} against {escape(gate.base)}", ""]
        if gate.baseline:
            parts += [escape(gate.baseline), ""]
        parts += ["| " + " | ".join(HEADER) + " |", "|---" * len(HEADER) + "|"]
        parts += ["| " + " | ".join([*map(escape, row[:-1]), MARK[row[-1]]]) + " |" for row in gate.rows]
        parts += ["", escape(gate.tally)]
        if gate.reasons:
            parts += [""] + [f"- **{escape(spec)}**: {escape(reason)}" for spec, reason in gate.reasons]
        parts.append("")
    return "\n".join(parts)


def _tally(failed: int, required: int, judged: int) -> str:
    if judged and not required:
        return f"FAILED: the base holds none of the {judged} claims: nothing to gate."
    return (
        f"{failed} of {required} required claims failed."
        if failed
        else f"All {required} required claims kept."
    )


def _base_line(gate: GateVerdict) -> str:
    """Which base the candidate was judged against: its id and revision and, for a stored
    baseline, the file and its sha256 (a changed baseline shows in a pull request's summary)."""
    line = f"base: {gate.base} (revision {gate.base_revision or 'none'})"
    stored = gate.baseline
    return line + (
        f"; baseline {stored.path}, sha256 {stored.sha256}" if stored else "; measured in this run"
    )


def _verdict(record: CellRecord) -> str:
    if record.outcome == "error" or record.gate is None:
        return "error"
    return record.gate.verdict


def _row(record: CellRecord) -> list[str]:
    gate = record.gate
    if gate is None:
        return [record.spec, "", "error", "", "error"]
    row = _decisive(gate)
    symbol = {"holds": "✓", "absent": "✗"}
    base = f"{symbol.get(str(gate.base_outcome), '?')} {_value(row, row.base if row else None)}"
    candidate = f"{symbol.get(record.outcome, '?')} {_value(row, row.candidate if row else None)}"
    return [record.spec, base, candidate, _change(row), gate.verdict]


def _decisive(gate: GateVerdict) -> GateRow | None:
    """The check to show: the first out of tolerance, else the first."""
    rows = gate.checks
    return next((r for r in rows if r.within is False), rows[0] if rows else None)


def _value(row: GateRow | None, value: float | None) -> str:
    if row is None:
        return ""
    return f"{row.name} " + ("n/a" if value is None else value_text(value))  # n/a: nothing measured


def _change(row: GateRow | None) -> str:
    if row is None:
        return ""
    shared = "" if row.overlap is None else f"; {row.overlap:.0%} of edges shared"
    return _headline_change(row) + shared


def _headline_change(row: GateRow) -> str:
    if row.base is None or row.candidate is None:
        return "no value to compare"
    delta = row.candidate - row.base
    if row.relative and row.base:
        change, allowed = f"{delta / abs(row.base):+.0%}", f"{row.amount:.0%}"
    else:
        change, allowed = f"{delta:+.3g}", f"{row.amount:g}"
    return f"{change} ({row.direction.replace('_', ' ')} {allowed})"
