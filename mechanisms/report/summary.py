"""The gate's summary: one Markdown table per candidate (claim, base, candidate, change,
verdict), for a CI job summary (``$GITHUB_STEP_SUMMARY``), a pull-request comment or the terminal.
"""

from __future__ import annotations

from collections import defaultdict

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
        reasons = [(r["spec"], reason) for r in rows for reason in (r.get("gate") or {}).get("reasons", [])]
        reasons += [
            (r["spec"], f"could not compare: {r.get('error')}") for r in rows if r.get("outcome") == "error"
        ]
        out.append(
            {
                "candidate": model,
                "base": next((r["gate"]["base"] for r in rows if r.get("gate")), "its base"),
                "rows": [_row(r) for r in sorted(rows, key=lambda r: r["spec"])],
                "tally": f"{failed} of {required} required claims failed."
                if failed
                else f"All {required} required claims kept.",
                "reasons": reasons,
            }
        )
    return out


def gate_tables(records: list[dict]) -> str:
    """Markdown for every candidate in ``records``; empty when the run gated nothing."""
    parts = []
    for gate in gates(records):
        parts += [f"### Mechanism gate: {gate['candidate']} against {gate['base']}", ""]
        parts += ["| " + " | ".join(HEADER) + " |", "|---" * len(HEADER) + "|"]
        parts += ["| " + " | ".join([*row[:-1], MARK[row[-1]]]) + " |" for row in gate["rows"]]
        parts += ["", gate["tally"]]
        if gate["reasons"]:
            parts += [""] + [f"- **{spec}**: {reason}" for spec, reason in gate["reasons"]]
        parts.append("")
    return "\n".join(parts)


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
    value = row.get(side)
    return "" if value is None else f"{row['name']} {value_text(value)}"


def _change(row: dict) -> str:
    shared = "" if row.get("overlap") is None else f"; {row['overlap']:.0%} of edges shared"
    return _headline_change(row) + shared


def _headline_change(row: dict) -> str:
    if row.get("base") is None or row.get("candidate") is None:
        return ""
    delta = row["candidate"] - row["base"]
    tolerance = row["tolerance"]
    if tolerance["relative"] and row["base"]:
        change = f"{delta / abs(row['base']):+.0%}"
        allowed = f"{tolerance['amount']:.0%}"
    else:
        change, allowed = f"{delta:+.3g}", f"{tolerance['amount']:g}"
    return f"{change} ({tolerance['direction'].replace('_', ' ')} {allowed})"
