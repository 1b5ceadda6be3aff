"""The gate's summary: one Markdown table per candidate (claim, base, candidate, change,
verdict), for a CI job summary (``$GITHUB_STEP_SUMMARY``), a pull-request comment or the terminal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from .escape import md_text
from .records import value_text

MARK = {"pass": "✅ pass", "fail": "❌ FAIL", "not required": "· not required", "error": "❌ ERROR"}


HEADER = ("claim", "base", "candidate", "change", "verdict")


def gates(records: list[dict]) -> list[dict]:
    """Per candidate: its base, one row per claim (``HEADER``'s cells; the verdict as pass, fail,
    not required or error), the tally, the reasons."""
    by_candidate: defaultdict[str, list[dict]] = defaultdict(list)
    for record in records:
        if record.get("gate") or record.get("role") == "candidate":
            by_candidate[record["model"]].append(record)
    out = []
    for model, rows in sorted(by_candidate.items()):
        failed = sum(1 for r in rows if _verdict(r) in ("fail", "error"))
        required = sum(1 for r in rows if (r.get("gate") or {}).get("required"))
        judged = [r["gate"] for r in rows if r.get("gate")]
        reasons = [(r["spec"], reason) for r in rows for reason in (r.get("gate") or {}).get("reasons", [])]
        reasons += [
            (r["spec"], f"could not compare: {r.get('error')}") for r in rows if r.get("outcome") == "error"
        ]
        out.append(
            {
                "candidate": model,
                "base": next((g["base"] for g in judged), "its base"),
                "baseline": _base_line(judged[0]) if judged else "",
                "rows": [_row(r) for r in sorted(rows, key=lambda r: r["spec"])],
                "tally": _tally(failed, required, len(judged)),
                "reasons": reasons,
                "nothing_to_gate": bool(judged) and not required,
            }
        )
    return out


def gate_tables(records: list[dict], escape: Callable[[object], str] = md_text) -> str:
    """Markdown for every candidate in ``records``; empty when the run gated nothing. Every
    piece of text from a record passes through ``escape`` (``md_text``; the terminal passes
    ``terminal_text``)."""
    parts = []
    for gate in gates(records):
        parts += [f"### Mechanism gate: {escape(gate['candidate'])} against {escape(gate['base'])}", ""]
        if gate.get("baseline"):
            parts += [escape(gate["baseline"]), ""]
        parts += ["| " + " | ".join(HEADER) + " |", "|---" * len(HEADER) + "|"]
        parts += ["| " + " | ".join([*map(escape, row[:-1]), MARK[row[-1]]]) + " |" for row in gate["rows"]]
        parts += ["", escape(gate["tally"])]
        if gate["reasons"]:
            parts += [""] + [f"- **{escape(spec)}**: {escape(reason)}" for spec, reason in gate["reasons"]]
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


def _base_line(gate: dict) -> str:
    """Which base the candidate was judged against: its id and revision and, for a stored
    baseline, the file and its sha256 (a changed baseline shows in a pull request's summary)."""
    line = f"base: {gate.get('base')} (revision {gate.get('base_revision') or 'none'})"
    stored = gate.get("baseline")
    return line + (
        f"; baseline {stored['path']}, sha256 {stored['sha256']}" if stored else "; measured in this run"
    )


def _verdict(record: dict) -> str:
    if record.get("outcome") == "error" or not record.get("gate"):
        return "error"
    return record["gate"]["verdict"]


def _row(record: dict) -> list[str]:
    gate = record.get("gate")
    if not gate:
        return [record["spec"], "", "error", "", "error"]
    row = _decisive(gate)
    symbol = {"holds": "✓", "absent": "✗"}
    base = f"{symbol.get(gate['base_outcome'], '?')} {_value(row, 'base')}"
    candidate = f"{symbol.get(record['outcome'], '?')} {_value(row, 'candidate')}"
    return [record["spec"], base, candidate, _change(row), gate["verdict"]]


def _decisive(gate: dict) -> dict:
    """The check to show: the first out of tolerance, else the first."""
    rows = gate["checks"]
    return next((r for r in rows if r["within"] is False), rows[0] if rows else {})


def _value(row: dict, side: str) -> str:
    if "name" not in row:
        return ""
    value = row.get(side)
    return f"{row['name']} " + ("n/a" if value is None else value_text(value))  # n/a: nothing measured


def _change(row: dict) -> str:
    shared = "" if row.get("overlap") is None else f"; {row['overlap']:.0%} of edges shared"
    return _headline_change(row) + shared


def _headline_change(row: dict) -> str:
    if row.get("base") is None or row.get("candidate") is None:
        return "no value to compare" if row else ""
    delta = row["candidate"] - row["base"]
    tolerance = row["tolerance"]
    if tolerance["relative"] and row["base"]:
        change = f"{delta / abs(row['base']):+.0%}"
        allowed = f"{tolerance['amount']:.0%}"
    else:
        change, allowed = f"{delta:+.3g}", f"{tolerance['amount']:g}"
    return f"{change} ({tolerance['direction'].replace('_', ' ')} {allowed})"
