"""Reports from records: matrices, emergence, report.html, report.md, merging (no model)."""

import base64
import hashlib
import json
import os

import pytest

from mechanisms.record import CellRecord, Results
from mechanisms.report import html as report_html
from mechanisms.report.curves import check_indices, curve_svg
from mechanisms.report.files import write_reports
from mechanisms.report.matrix import render_matrices
from mechanisms.report.merge import MergeError, merge
from mechanisms.report.records import cell_symbol, emergence, matrices


def record(model, step, outcome, expected=True, params=1, spec="s", value=None, threshold=0.5):
    checks = []
    if value is not None:
        line = {"name": "best induction", "value": value, "threshold": threshold, "op": ">="}
        checks = [
            {
                "check": "heads[0]",
                "holds": outcome == "holds",
                "summary": f"best {value}",
                "values": {"best_score": value},
                "headline": line,
            }
        ]
    return {
        "spec": spec,
        "suite": "zoo",
        "model": model,
        "step": step,
        "tokens": None if step is None else step * 2048,
        "params": params,
        "outcome": outcome,
        "holds": outcome == "holds",
        "expected": expected,
        "claim": "c",
        "spec_version": 1,
        "checks": checks,
    }


def cells(rows):
    """Records as the run holds them, from their JSON (as results.json holds them)."""
    return [CellRecord.from_json(r) for r in rows]


def page_of(rows, **run):
    return report_html.render(Results(cells=cells(rows), **run))


def run_records():
    """Two sizes x three checkpoints; the small one never gets there, the big one from step 8."""
    out = []
    for model, params, values in (("small", 1, (0.1, 0.2, 0.3)), ("big", 2, (0.1, 0.6, 0.9))):
        for step, value in zip((0, 8, 16), values):
            outcome = "holds" if value >= 0.5 else "absent"
            out.append(record(model, step, outcome, expected=outcome == "holds", params=params, value=value))
    return out


def test_emergence_is_the_first_step_from_which_it_always_holds():
    rows = [
        record("a", 0, "absent"),
        record("a", 1, "holds"),
        record("a", 2, "absent"),
        record("a", 4, "holds"),
        record("a", 8, "holds"),
    ]
    m = matrices(cells(rows))[("s", "zoo")]
    assert emergence(m, "a") == (4, 4 * 2048)


def test_matrix_symbols_and_disagreement_marker():
    rows = [
        record("small", 0, "absent", expected=False),
        record("small", 8, "holds", expected=False),
        record("big", 0, "error", params=2),
    ]
    text = "\n".join(render_matrices(cells(rows)))
    assert "✓!" in text and " E" in text and "·" in text
    assert text.index("small") < text.index("big")  # rows ordered by parameter count


def test_html_cells_carry_the_terminal_verdicts_and_values():
    rows = run_records() + [record("big", 24, "absent", expected=True, params=2, value=0.4)]
    page = page_of(rows)
    for r in cells(rows):
        assert cell_symbol(r) in page
    assert page.count('class="cell holds"') == 2  # big@8 and big@16
    assert page.count("cell absent disagrees") == 1  # big@24: expected to hold, absent
    assert "✓ 0.9" in page and "✗! 0.4" in page  # each cell shows its first check's value
    assert page.count('<figure class="curve">') == 1 and "needs &gt;= 0.5" in page


def test_curve_marks_threshold_and_emergence_and_is_reproducible():
    m = matrices(cells(run_records()))[("s", "zoo")]
    assert check_indices(m) == [0]
    svg = curve_svg(m, 0)
    assert svg.startswith("<svg") and "needs &gt;= 0.5" in svg and "small" in svg and "big" in svg
    assert curve_svg(m, 0) == svg  # no dates or random ids: the same records give the same file


def test_a_claim_without_two_checkpoints_says_so_instead_of_drawing():
    for rows in (
        [record("extra", None, "holds", value=0.9)],  # no training axis
        [record("big", 16, "holds", value=0.9), record("small", 8, "absent", value=0.2)],
    ):  # one point each
        page = page_of(rows)
        assert 'class="no-curve"' in page and "<figure" not in page


def test_text_from_specs_cannot_break_out_of_the_page():
    evil = "</script><script>alert(1)</script><b>"
    rows = [dict(r, claim=evil) for r in run_records()]
    rows[0]["checks"][0]["summary"] = evil
    page = page_of(rows)
    assert "<script>alert(1)" not in page and page.count("</script>") == 2  # the data and the code
    data = page.split('<script type="application/json" id="cells">')[1].split("</script>")[0]
    assert evil in json.dumps(json.loads(data))  # the JSON still round-trips


def test_a_shards_version_and_step_are_text_not_markup():
    """A results.json shard's spec_version once reached the claim's <h2> and the click panel
    unescaped, and a step the heatmap header and the emergence table (issue: script in report)."""
    evil = "<img src=x onerror=alert(1)>"
    rows = [dict(r, spec_version=evil) for r in run_records()]
    page = page_of(rows)
    assert evil not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    one = dict(record("zoo-9k", 1, "holds", value=0.9), step=evil, tokens=None)  # one cell: no sorting
    page = page_of([one])
    assert evil not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    script = page.split("<script>")[1]
    assert "innerHTML" not in script and "textContent = String(text)" in script  # the panel: text nodes


def test_the_page_allows_only_its_own_script():
    page = page_of(run_records())
    policy = page.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]
    digest = base64.b64encode(hashlib.sha256(report_html.SCRIPT.encode()).digest()).decode()
    assert f"script-src &#x27;sha256-{digest}&#x27;" in policy and "default-src &#x27;none&#x27;" in policy
    assert f"<script>{report_html.SCRIPT}</script>" in page  # the hash is of the script as inlined
    assert " onclick=" not in page and " onerror=" not in page


def test_write_reports_writes_every_file_readable_by_others(tmp_path):
    write_reports(Results(cells=cells(run_records()), complete=True, command=["pytest"]), str(tmp_path))
    names = {p.name for p in tmp_path.iterdir()}
    assert {"results.json", "matrix.md", "report.html", "report.md", "curves"} <= names
    assert (tmp_path / "curves" / "s-zoo-0.svg").is_file()
    assert "![s: curve](curves/s-zoo-0.svg)" in (tmp_path / "report.md").read_text()
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~mask


def _save(path, cells, complete=True):
    path.write_text(
        json.dumps({"format": 1, "complete": complete, "command": ["pytest", str(path)], "cells": cells})
    )
    return path


def test_merged_halves_give_the_whole_report(tmp_path):
    rows = run_records()
    a = _save(tmp_path / "a.json", [r for r in rows if r["model"] == "small"])
    b = _save(tmp_path / "b.json", [r for r in rows if r["model"] == "big"])
    merged = merge([a, b])
    assert merged.complete and [s.path for s in merged.sources] == [str(a), str(b)]
    whole = report_html.strip_run_section(page_of(rows))
    assert report_html.strip_run_section(report_html.render(merged)) == whole


def test_merge_keeps_identical_duplicates_and_refuses_conflicts(tmp_path):
    rows = run_records()
    a = _save(tmp_path / "a.json", rows)
    again = _save(tmp_path / "again.json", [dict(r, seconds=9.9, worker="gw3") for r in rows])
    assert len(merge([a, again]).cells) == len(rows)  # timings and workers may differ
    changed = json.loads(json.dumps(rows))
    changed[3]["checks"][0]["values"]["best_score"] = 0.11
    b = _save(tmp_path / "b.json", changed)
    with pytest.raises(
        MergeError, match=r"a\.json and .*b\.json both hold s \[zoo\] big@step0.*checks differ"
    ):
        merge([a, b])


def test_merge_refuses_two_versions_of_one_claim_and_non_results(tmp_path):
    rows = run_records()
    a = _save(tmp_path / "a.json", rows[:3])
    b = _save(tmp_path / "b.json", [dict(r, spec_version=2) for r in rows[3:]])
    with pytest.raises(MergeError, match=r"version 1 in .*a\.json and version 2 in .*b\.json"):
        merge([a, b])
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(MergeError, match=r"x\.json: a list, expected an object"):
        merge([tmp_path / "x.json"])


def test_an_incomplete_source_makes_the_merge_incomplete(tmp_path):
    rows = run_records()
    a = _save(tmp_path / "a.json", rows[:3])
    b = _save(tmp_path / "b.json", rows[3:], complete=False)
    merged = merge([a, b])
    assert not merged.complete and "INCOMPLETE" in report_html.render(merged)
