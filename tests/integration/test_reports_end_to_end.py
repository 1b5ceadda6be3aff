"""Reports of a real run: report.html agrees with results.json, shards of a run merge into the
whole run's report, conflicts are refused, progress lines appear where a run waits, and the page
works in headless Chromium (console clean, every claim's heatmap and curve drawn)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from mechanisms.report.html import strip_run_section

ROOT = Path(__file__).parents[2]
SPECS = ROOT / "mechanisms" / "specs"
CELLS = ["--model-sizes=zoo-250k,zoo-890k", "--checkpoints=step0,step512,final"]


def pytest_run(where: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=600,
    )


def report_cli(where: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mechanisms.report", *args],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """One project measured three times: whole (-n 2), and in two halves (-k); made once even
    when xdist workers share the session (the lock and the directory are common to them)."""
    shared = tmp_path_factory.getbasetemp().parent / "mechanisms-report-runs"
    with FileLock(str(shared) + ".lock"):
        if not (shared / "done").exists():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            for name in ("induction.mech.yaml", "greater_than.mech.yaml"):
                shutil.copy(SPECS / name, shared / name)
            (shared / "pytest.ini").write_text("[pytest]\nxfail_strict = true\n")
            logs = [
                pytest_run(shared, "-n", "2", *CELLS, "--mech-report=whole", "-v"),
                pytest_run(shared, *CELLS, "-k", "zoo-250k", "--mech-report=half1", "-q"),
                pytest_run(shared, *CELLS, "-k", "not zoo-250k", "--mech-report=half2", "-q"),
            ]
            for i, log in enumerate(logs):
                (shared / f"log{i}.txt").write_text(log.stdout + log.stderr)
                assert log.returncode == 0, log.stdout[-3000:] + log.stderr[-3000:]
            (shared / "done").touch()
    return shared


def cells(directory: Path) -> list[dict]:
    return json.loads((directory / "results.json").read_text())["cells"]


def test_every_headline_is_the_value_its_check_is_judged_on(runs):
    """The curves draw each check's headline against its threshold: where a threshold exists,
    the headline must decide the check exactly as the check did."""
    judged = 0
    for record in cells(runs / "whole"):
        for check in record["checks"]:
            line = check["headline"]
            if line["threshold"] is None or line["value"] is None:
                continue
            passes = (
                line["value"] >= line["threshold"]
                if line["op"] == ">="
                else line["value"] <= line["threshold"]
            )
            assert passes == check["holds"], (record["model"], record["step"], check)
            judged += 1
    assert judged >= 12


def test_report_html_shows_the_terminal_verdicts(runs):
    page = (runs / "whole" / "report.html").read_text()
    log = (runs / "log0.txt").read_text()
    for spec in ("induction-heads", "greater-than-behaviour"):
        assert f'data-spec="{spec}"' in page
    assert page.count('<figure class="curve">') == 3  # induction: heads + behaviour; greater-than: behaviour
    assert "zoo-890k  ✗   ✓    ✓   step 512 (1.05M tokens)" in log
    assert page.count('class="cell holds"') == sum(c["outcome"] == "holds" for c in cells(runs / "whole"))
    assert "report: whole/report.html" in log


def test_the_halves_of_a_run_merge_into_the_whole_runs_report(runs, tmp_path):
    done = report_cli(runs, "half1/results.json", "half2/results.json", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "12 cells from 2 file(s)" in done.stdout
    assert (tmp_path / "matrix.md").read_text() == (runs / "whole" / "matrix.md").read_text()

    def measured(directory):
        return sorted(
            json.dumps({k: c[k] for k in ("spec", "model", "step", "outcome", "checks")}, sort_keys=True)
            for c in cells(directory)
        )

    assert measured(tmp_path) == measured(runs / "whole")  # -n 2 and -n 0, split or not: same numbers

    # the page differs only in its run section (which commands made it) and each cell's timing
    def page(directory):
        text = strip_run_section((directory / "report.html").read_text())
        return [line for line in text.splitlines() if '"seconds"' not in line]

    merged_again = tmp_path / "again"
    assert report_cli(runs, "whole/results.json", "-o", str(merged_again)).returncode == 0
    assert strip_run_section((merged_again / "report.html").read_text()) == strip_run_section(
        (runs / "whole" / "report.html").read_text()
    )  # rebuilding a run's report gives its report
    assert len(page(tmp_path)) == len(page(runs / "whole"))


def test_merging_conflicting_measurements_is_refused(runs, tmp_path):
    document = json.loads((runs / "half1" / "results.json").read_text())
    document["cells"][0]["checks"][0]["values"]["best_score"] = -1.0
    (tmp_path / "edited.json").write_text(json.dumps(document))
    done = report_cli(runs, "half1/results.json", str(tmp_path / "edited.json"), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and not (tmp_path / "out" / "report.html").exists()
    assert "half1/results.json and" in done.stderr and "edited.json both hold" in done.stderr
    assert "measured differently: checks differ" in done.stderr


def test_progress_lines_name_loads_under_verbose_and_stay_quiet_under_q(runs):
    verbose = (runs / "log0.txt").read_text()
    assert "loaded pytest-mechanisms/zoo-890k@step512 (891,648 parameters) in " in verbose  # as the catalogue
    assert "[gw" in verbose  # from the worker that loaded it
    assert "loaded pytest-mechanisms" not in (runs / "log1.txt").read_text()  # -q


def chromium_or_skip():
    from mechanisms.testing.browser import BrowserMissing, find_chromium

    try:
        return find_chromium()
    except BrowserMissing as exc:
        pytest.skip(f"headless-browser check not run: {exc}")


def test_report_html_in_headless_chromium(runs, tmp_path):
    """The page as a reader sees it; its screenshot is kept in .mechanisms/browser-check/."""
    chromium_or_skip()
    from mechanisms.testing.browser import inspect_report

    shot = tmp_path / "report.png"
    seen = inspect_report(runs / "whole" / "report.html", shot)
    assert seen.problems == [] and seen.claims == 2
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    keep = ROOT / ".mechanisms" / "browser-check"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "report.png")
    shutil.copy(runs / "whole" / "report.html", keep / "report.html")


def test_the_browser_check_catches_a_broken_page(runs, tmp_path):
    """Negative control: a script error and a claim whose heatmap is gone are both reported."""
    chromium_or_skip()
    from mechanisms.testing.browser import inspect_report

    page = (runs / "whole" / "report.html").read_text()
    broken = page.replace('<table class="heatmap">', '<table class="gone">', 1)
    broken = broken.replace("</body>", "<script>undefinedFunction()</script></body>")
    (tmp_path / "broken.html").write_text(broken)
    seen = inspect_report(tmp_path / "broken.html")
    # the page's Content-Security-Policy refuses a script that is not its own, and says so
    assert any("Content Security Policy" in p for p in seen.problems), seen.problems
    assert any(p.endswith("no heatmap drawn") for p in seen.problems), seen.problems
    unguarded = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", broken)
    (tmp_path / "unguarded.html").write_text(unguarded)
    seen = inspect_report(tmp_path / "unguarded.html")
    assert any("undefinedFunction" in p for p in seen.problems), seen.problems


def test_hostile_strings_in_a_shard_stay_text_in_headless_chromium(tmp_path):
    """A results.json from elsewhere whose names, claim and summaries are markup and script:
    the page shows them as text (no console error, no element the page never draws, no handler
    run), with the details panel opened on a hostile cell."""
    chromium_or_skip()
    from mechanisms.testing.browser import inspect_report

    payloads = [
        "<img src=x onerror=window.__injected=1>",
        "</script><script>window.__injected=1</script>",
        '"><svg onload=window.__injected=1>',
    ]
    document = json.loads((ROOT / "fixtures" / "records" / "gate.results.json").read_text())
    for i, cell in enumerate(document["cells"]):
        payload = payloads[i % len(payloads)]
        cell.update(spec=f"{cell['spec']}{payload}", model=payload, claim=payload)
        for check in cell["checks"]:
            check.update(summary=payload, check=payload)
    shard = tmp_path / "shard.json"
    shard.write_text(json.dumps(document))
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "mechanisms.report", str(shard), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    seen = inspect_report(out / "report.html")
    assert seen.claims == len(document["cells"]) and seen.problems == [], seen.problems
