"""Pass/fail matrices: for each claim, sizes x checkpoints, and when it emerges.

Cell symbols: ``✓`` the claim holds, ``✗`` it does not, ``E`` measuring failed (for example the
model is not on this machine), ``·`` not run. A trailing ``!`` marks a cell whose result
disagrees with the spec's expectation (those are the failing tests). The emergence point is the
first checkpoint from which the claim holds at every later checkpoint of the run, in steps and
in tokens.
"""

import json
import os
import tempfile
from collections import defaultdict
from typing import Any

from ..plan.checkpoints import step_label

EMERGES_NOTE = (
    "emerges: the first checkpoint of this run from which the claim holds at every later "
    "checkpoint of this run (checkpoints not selected are not looked at)"
)
SYMBOL = {"holds": "✓", "absent": "✗", "error": "E"}


def _step_key(step: int | None) -> float:
    return float("inf") if step is None else step


def _label(step: int | None) -> str:
    return step_label(step).removeprefix("step")  # matrix columns: 0 128 ... final


def matrices(records: list[dict]) -> dict:
    """``{(spec, suite): {"rows": [...], "steps": [...], "cells": {(model, step): record}}}``."""
    out: defaultdict[tuple, dict[str, Any]] = defaultdict(lambda: {"cells": {}, "params": {}})
    for r in records:
        m = out[(r["spec"], r["suite"])]
        m["cells"][(r["model"], r["step"])] = r
        m["params"][r["model"]] = r.get("params")
        m["claim"], m["version"] = r["claim"], r["spec_version"]
    for m in out.values():
        m["steps"] = sorted({s for _, s in m["cells"]}, key=_step_key)
        m["rows"] = sorted(m["params"], key=lambda s: (m["params"][s] is None, m["params"][s] or 0, s))
    return dict(out)


def emergence(m: dict, model: str) -> tuple[int | None, int | None] | None:
    """(step, tokens) from which the claim holds at every later checkpoint of this row, else None."""
    row = [(s, m["cells"].get((model, s))) for s in m["steps"]]
    row = [(s, r) for s, r in row if r is not None]
    first = None
    for step, record in row:
        if record.get("outcome") == "holds":
            first = first or (step, record.get("tokens"))
        else:
            first = None
    return first


def _cell_text(record: dict | None) -> str:
    if record is None:
        return "·"
    symbol = SYMBOL.get(str(record.get("outcome")), "?")
    disagree = (
        record.get("outcome") in ("holds", "absent")
        and record["expected"] is not None
        and record["holds"] != record["expected"]
    )
    return symbol + ("!" if disagree else "")


def _tokens(n: int | None) -> str:
    if n is None:
        return ""
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f" ({n / size:.3g}{unit} tokens)"
    return f" ({n} tokens)"


def render_matrix(key: tuple[str, str], m: dict) -> list[str]:
    spec, suite = key
    width = max(len(r) for r in m["rows"]) + 2
    cols = [_label(s) for s in m["steps"]]
    colw = [max(len(c), 2) + 1 for c in cols]
    lines = [
        f"{spec} v{m['version']} [{suite}]: {m['claim']}",
        "step".rjust(width) + "".join(c.rjust(w) for c, w in zip(cols, colw)) + "   emerges",
    ]
    for model in m["rows"]:
        cells = "".join(_cell_text(m["cells"].get((model, s))).rjust(w) for s, w in zip(m["steps"], colw))
        onset = emergence(m, model)
        when = "never" if onset is None else f"step {_label(onset[0])}{_tokens(onset[1])}"
        lines.append(model.rjust(width) + cells + "   " + when)
    return lines


def render_matrices(records: list[dict]) -> list[str]:
    lines = []
    for key, m in sorted(matrices(records).items()):
        lines += render_matrix(key, m) + [""]
    lines.append("✓ holds  ✗ absent  E error  · not run  ! disagrees with the spec's expectation")
    lines.append(EMERGES_NOTE)
    return lines


def markdown(records: list[dict]) -> str:
    parts = ["# Mechanism matrices", ""]
    for key, m in sorted(matrices(records).items()):
        spec, suite = key
        parts += [f"## {spec} v{m['version']} ({suite})", "", m["claim"], ""]
        parts.append("| model | " + " | ".join(_label(s) for s in m["steps"]) + " | emerges |")
        parts.append("|---" * (len(m["steps"]) + 2) + "|")
        for model in m["rows"]:
            onset = emergence(m, model)
            when = "never" if onset is None else f"step {_label(onset[0])}{_tokens(onset[1])}"
            cells = " | ".join(_cell_text(m["cells"].get((model, s))) for s in m["steps"])
            parts.append(f"| {model} | {cells} | {when} |")
        parts.append("")
    parts.append(EMERGES_NOTE[0].upper() + EMERGES_NOTE[1:] + ".")
    return "\n".join(parts)


def write_reports(records: list[dict], directory: str, run: dict | None = None) -> str:
    """results.json and matrix.md, each replaced atomically (a reader never sees half a file).

    ``run`` adds ``complete`` (false after Ctrl-C, ``-x`` or a crash: some cells are missing) and
    the command line; an empty run still writes, so an old run's file never passes for this one.
    """
    os.makedirs(directory, exist_ok=True)
    ordered = sorted(
        records, key=lambda r: (r["spec"], r["suite"], r.get("params") or 0, r["model"], _step_key(r["step"]))
    )
    document = {"format": 1, **(run or {}), "cells": ordered}
    _replace(os.path.join(directory, "results.json"), json.dumps(document, indent=1, sort_keys=True))
    _replace(os.path.join(directory, "matrix.md"), markdown(records))
    return str(directory)


def _replace(path: str, text: str) -> None:
    with tempfile.NamedTemporaryFile(
        "w", dir=os.path.dirname(path), prefix=".tmp-", delete=False, encoding="utf-8"
    ) as fh:
        fh.write(text)
    os.replace(fh.name, path)
