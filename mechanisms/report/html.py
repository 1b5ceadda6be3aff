"""``report.html``: one self-contained page (inline CSS, SVG and script; no network) that opens
from disk.

Per claim: the sizes x checkpoints heatmap (verdict as colour, the first check's headline value
in each cell, hover for the checks, click for everything the cell recorded, a circuit drawn where
the cell found one), one curve per check
against training tokens, and the emergence table. Verdicts and onsets come from ``records``, the
same functions the terminal matrix uses, so the page and the terminal cannot disagree.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from ..record import CellRecord, Results, SeriesRecord
from .curves import draw_all, shown_headline
from .escape import html_text
from .records import (
    EMERGES_NOTE,
    LEGEND,
    Matrix,
    cell_symbol,
    column_label,
    disagrees,
    matrices,
    onset_rows,
    tokens_text,
    value_text,
)
from .series import ordered as series_ordered
from .series import symbol
from .summary import HEADER, gates

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 20px 80px;color:#1b1f24}
h1{font-size:22px;margin:20px 0 4px}h2{font-size:17px;margin:0}
.run{color:#57606a;font-size:12px}.run code{font-size:11px}
nav{columns:2;font-size:13px;margin:12px 0}nav a{text-decoration:none}
section.spec{border-top:1px solid #d0d7de;padding:16px 0}
.claim{margin:4px 0 10px;color:#333}
table{border-collapse:collapse;font-size:12px}
td,th{padding:3px 6px;text-align:center}th{font-weight:600;color:#57606a}
table.heatmap td.cell{min-width:46px;border:2px solid #fff;cursor:pointer;font-variant-numeric:tabular-nums}
td.holds{background:#a5d6a7}td.absent{background:#e0e0e0;color:#555}td.error{background:#ffcc80}
td.none{background:#fff;color:#bbb}td.disagrees{border:2px solid #c62828!important;font-weight:700}
td.cell:hover{outline:2px solid #1565c0}
.curves{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}.curves figure{margin:0}
.curves svg{width:520px;height:auto}
table.emergence td,table.emergence th{text-align:left;border-bottom:1px solid #eee}
.legend{font-size:12px;color:#57606a}
#details{position:fixed;right:16px;bottom:16px;width:440px;max-height:70vh;overflow:auto;background:#fff;
border:1px solid #8c959f;border-radius:6px;box-shadow:0 4px 16px #0003;padding:10px 14px;font-size:12px;display:none}
#details pre{white-space:pre-wrap;font-size:11px;background:#f6f8fa;padding:6px}
#details button{float:right}
.ok{color:#2e7d32}.fail{color:#c62828}
table.gate td,table.gate th{text-align:left;border-bottom:1px solid #eee}
section.series td:last-child { text-align: left; }
#details .drawing svg{max-width:100%;height:auto}
"""

SCRIPT = """
const cells = JSON.parse(document.getElementById('cells').textContent);
const box = document.getElementById('details');
function add(parent, tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (cls) node.className = cls;
  parent.appendChild(node);
  return node;
}
function show(id) {
  const r = cells[id]; if (!r) return;
  box.replaceChildren();
  add(box, 'button', 'close').addEventListener('click', () => { box.style.display = 'none'; });
  add(box, 'b', r.spec + ' v' + r.spec_version + ' @ ' + r.model + ' ' + r.step_label);
  add(box, 'p', 'verdict: ' + r.outcome + '; expected: ' + r.expected);
  for (const c of (r.checks || [])) {
    add(box, 'p', '[' + (c.holds ? 'ok' : 'FAIL') + '] ' + c.check + ': ' + c.summary, c.holds ? 'ok' : 'fail');
    const drawing = c.drawing && document.getElementById(c.drawing);  // our own SVG, in a <template>
    if (drawing) add(box, 'div', undefined, 'drawing').appendChild(drawing.content.cloneNode(true));
    add(box, 'pre', JSON.stringify(c.values, null, 1));
  }
  if (r.error) add(box, 'p', r.error, 'fail');
  add(box, 'p', 'provenance');
  add(box, 'pre', JSON.stringify(r.details, null, 1));
  box.style.display = 'block';
}
document.querySelectorAll('td.cell[data-cell]').forEach(td => td.addEventListener('click', () => show(td.dataset.cell)));
"""
# The page runs its one script (allowed by its hash) and nothing else: no inline event handler,
# no script from data, no network. Styles stay inline (matplotlib's SVG uses style attributes).
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()}'"
)


def render(results: Results, figures: dict | None = None, drawings: dict | None = None) -> str:
    """The whole page as one string; ``figures`` as ``curves.draw_all`` returns them (drawn here
    when not given); ``drawings`` (artifact path -> SVG, ``files.draw_circuits``) go into the
    details of the cells whose circuits they draw."""
    records = results.cells
    by_key = matrices(records)
    figures = draw_all(by_key) if figures is None else figures
    mats = sorted(by_key.items())
    cells: dict[str, dict] = {}
    sections = [_section(i, key, m, cells, figures, drawings or {}) for i, (key, m) in enumerate(mats)]
    nav = "".join(
        f'<li><a href="#{_anchor(i)}">{html_text(spec)}</a> [{html_text(suite)}] {_tally(m)}</li>'
        for i, ((spec, suite), m) in enumerate(mats)
    )
    data = json.dumps(cells, sort_keys=True).replace("<", "\\u003c")  # no tag can start inside
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{html_text(CSP)}">'
        "<title>Mechanism report</title>"
        f"<style>{CSS}</style></head><body>\n"
        f"<h1>Mechanism report</h1>\n{_run_section(results)}\n"
        f"{_gate_section(records)}<nav><ul>{nav}</ul></nav>\n<p class=legend>{html_text(LEGEND)}. "
        "Each cell shows the first check's value (where the claim is absent, the first failing check's); "
        f"{_carried_note(records)}hover for every check, click for its details.</p>\n"
        + "\n".join(sections)
        + _series_section(results.series)
        + _templates(drawings or {})
        + '\n<div id="details"></div>\n'
        f'<script type="application/json" id="cells">{data}</script>\n'
        f"<script>{SCRIPT}</script>\n</body></html>\n"
    )


def _gate_section(records: list[CellRecord]) -> str:
    """The gate's verdicts first, where the run gated candidates (the summary's table)."""
    parts = []
    for gate in gates(records):
        head = "".join(f"<th>{h}</th>" for h in HEADER)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html_text(c)}</td>" for c in row) + "</tr>" for row in gate.rows
        )
        reasons = "".join(f"<li><b>{html_text(s)}</b>: {html_text(r)}</li>" for s, r in gate.reasons)
        parts.append(
            f'<section class="gate"><h2>Gate: {html_text(gate.candidate)} against {html_text(gate.base)}</h2>'
            f'<p class="run">{html_text(gate.baseline)}</p>'
            f'<table class="gate"><tr>{head}</tr>{rows}</table><p>{html_text(gate.tally)}</p><ul>{reasons}</ul></section>'
        )
    return "\n".join(parts)


def _series_section(series: list[SeriesRecord]) -> str:
    """Stability and emergence items: one row each, with the measured values in words."""
    if not series:
        return ""
    rows = "".join(
        f"<tr><td>{html_text(r.series)}<br><small>{html_text(r.spec)}</small></td>"
        f"<td>{html_text(r.label)}</td><td class={'ok' if r.holds else 'fail'}>{symbol(r)}</td>"
        f"<td>{html_text(r.summary)}</td></tr>"
        for r in series_ordered(series)
    )
    return (
        '\n<section class="series" id="across"><h2>Across cells</h2>'
        "<p>Claims over a series of cells: a circuit's stability over checkpoints (one row per size), "
        "a claim's emergence across sizes (one row per suite).</p>"
        f"<table><tr><th>claim</th><th>over</th><th>holds</th><th>measured</th></tr>{rows}</table></section>"
    )


def _anchor(i: int) -> str:
    return f"claim-{i}"


def _carried_note(records: list[CellRecord]) -> str:
    n = sum(r.carried is not None for r in records)
    return f"↺ marks the {n} cell(s) not re-run, kept from the last run; " if n else ""


def _tally(m: Matrix) -> str:
    outcomes = [cell_symbol(r) for r in m.cells.values()]
    bad = sum(s.endswith("!") for s in outcomes)
    holds = sum(s.startswith("✓") for s in outcomes)
    return f"({holds}/{len(outcomes)} hold" + (f", <b class=fail>{bad} disagree</b>)" if bad else ")")


def _run_section(results: Results) -> str:
    """How the records were made: the command(s), and whether every collected cell ran."""
    records = results.cells
    lines = []
    for source in results.runs():
        command = " ".join(source.command)
        done = "complete" if source.complete is not False else "INCOMPLETE: some cells did not run"
        if source.worker_crashed_on:
            done += "; a worker crashed while running " + ", ".join(source.worker_crashed_on)
        where = f"{html_text(source.path)}: " if source.path else ""
        lines.append(f"{where}<code>{html_text(command)}</code> ({html_text(done)})")
    kept = sum(r.carried is not None for r in records)
    count = f"{len(records)} cells" + (f" ({kept} kept from the last run, not re-run)" if kept else "")
    return f'<section id="run" class="run">{count}. ' + "<br>".join(lines) + "</section>"


def _section(i: int, key: tuple[str, str], m: Matrix, cells: dict, drawn: dict, drawings: dict) -> str:
    spec, suite = key
    figures = (
        "".join(
            f'<figure class="curve">{svg}</figure>'
            for (s, u, _), svg in sorted(drawn.items())
            if (s, u) == key
        )
        or '<p class="no-curve">No curve: no size of this claim has values at two or more training checkpoints.</p>'
    )
    return (
        f'<section class="spec" id="{_anchor(i)}" data-spec="{html_text(spec)}">'
        f"<h2>{html_text(spec)} v{html_text(str(m.version))} [{html_text(suite)}]</h2>"
        f'<p class="claim">{html_text(m.claim)}</p>'
        f"{_heatmap(i, m, cells, drawings)}<div class=curves>{figures}</div>{_emergence_table(m)}</section>"
    )


def _heatmap(i: int, m: Matrix, cells: dict, drawings: dict) -> str:
    head = "".join(
        f'<th title="{html_text(tokens_text(_tokens_at(m, s)))}">{html_text(column_label(s))}</th>'
        for s in m.steps
    )
    rows = []
    for model in m.rows:
        tds = []
        for j, step in enumerate(m.steps):
            record = m.cells.get((model, step))
            if record is None:
                tds.append('<td class="cell none">·</td>')
                continue
            cell_id = f"{i}-{model}-{j}"
            cells[cell_id] = _details(record, drawings)
            tds.append(_cell(record, cell_id))
        rows.append(f"<tr><th>{html_text(model)}</th>{''.join(tds)}</tr>")
    return f'<table class="heatmap"><tr><th>step</th>{head}</tr>{"".join(rows)}</table>'


def _cell(record: CellRecord, cell_id: str) -> str:
    outcome = record.outcome
    classes = ["cell", outcome if outcome in ("holds", "absent", "error") else "none"]
    if disagrees(record):
        classes.append("disagrees")
    line = shown_headline(record)
    value = "" if line is None or line.value is None else f" {value_text(line.value)}"
    hover = "\n".join(
        f"[{'ok' if c.holds else 'FAIL'}] {c.check}: {c.summary}" for c in record.checks
    ) or str(record.error or "")
    carried = record.carried
    if carried:
        classes.append("carried")
        hover = f"not re-run: kept from {carried.run}\n{hover}"
    mark = '<sup class="carried">↺</sup>' if carried else ""
    return (
        f'<td class="{" ".join(classes)}" data-cell="{html_text(cell_id)}" '
        f'title="{html_text(hover)}">{cell_symbol(record)}{mark}{value}</td>'
    )


def _tokens_at(m: Matrix, step) -> int | None:
    return next((r.tokens for (_, s), r in m.cells.items() if s == step), None)


def _emergence_table(m: Matrix) -> str:
    rows = [
        f"<tr><td>{html_text(model)}</td><td>{html_text(str(step))}</td><td>{html_text(str(tokens))}</td></tr>"
        for model, step, tokens in onset_rows(m)
    ]
    return (
        '<table class="emergence"><tr><th>size</th><th>emerges at step</th><th>tokens</th></tr>'
        f"{''.join(rows)}</table><p class=legend>{html_text(EMERGES_NOTE)}</p>"
    )


DETAIL_FIELDS = (
    "model_id",
    "revision",
    "tokens",
    "params",
    "task",
    "task_params",
    "seconds",
    "nodeid",
    "carried",
)


def _details(record: CellRecord, drawings: dict) -> dict:
    """What the click panel shows (the page's JSON): verdict, checks with values (and a circuit
    check's drawing), provenance (weights digest, BOS, library versions), the task and its
    prompts' seed."""
    plain = record.to_json()
    details = {k: plain[k] for k in DETAIL_FIELDS if k in plain}
    if record.provenance is not None:
        provenance = record.provenance.to_json()
        details.update({k: v for k, v in provenance.items() if k != "libraries"}, **provenance["libraries"])
    names = _template_ids(drawings)
    checks = [
        {**c.to_json(), "drawing": names[c.artifact]} if c.artifact in names else c.to_json()
        for c in record.checks
    ]
    return {
        "spec": record.spec,
        "spec_version": record.spec_version,
        "model": record.model,
        "step_label": f"step {column_label(record.step)}",
        "outcome": record.outcome,
        "expected": record.expected,
        "checks": checks,
        "error": record.error,
        "details": details,
    }


def _template_ids(drawings: dict) -> dict[str, str]:
    """An element id per drawn artifact (the click panel clones the drawing from its template)."""
    return {path: f"drawing-{i}" for i, path in enumerate(sorted(drawings))}


def _templates(drawings: dict) -> str:
    """Each circuit drawing once, inert until the panel clones it (``drawings.circuit_svg``
    escapes every label it draws)."""
    ids = _template_ids(drawings)
    return "".join(f'\n<template id="{ids[path]}">{drawings[path]}</template>' for path in sorted(drawings))


def strip_run_section(page: str) -> str:
    """The page without its run section (which lists the commands): for comparing two reports."""
    return re.sub(r'<section id="run".*?</section>', "", page, flags=re.S)
