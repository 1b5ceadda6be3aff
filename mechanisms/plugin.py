"""The pytest plugin (entry point ``pytest11: mechanisms``).

Import-safe: loading it imports pytest, PyYAML and this package's spec and plan modules, never
torch, transformers, transformer_lens or xdist (``tests/unit/test_architecture.py``). Specs are
parsed during collection, torch and transformer_lens load when the first model is measured, and
in a project without spec files the plugin changes nothing: no items, no scheduler, no report.
Hooks follow the pytest reference (https://docs.pytest.org/en/stable/reference/reference.html).
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from . import items as _items
from .series import SERIES_KEY

GROUP = "mechanisms"
# On the controller: the cell records in report order, model@checkpoints that ran on several
# workers, where the reports went, how many cells were collected (to flag partial results), and
# whether spec files were collected at all (then results.json is rewritten).
RECORDS_KEY: pytest.StashKey[list[dict]] = pytest.StashKey()
SERIES_RECORDS_KEY: pytest.StashKey[list[dict]] = pytest.StashKey()  # stability, emergence
SPLIT_KEY: pytest.StashKey[dict] = pytest.StashKey()
REPORT_DIR_KEY: pytest.StashKey[str] = pytest.StashKey()
EXPECTED_KEY: pytest.StashKey[int] = pytest.StashKey()
USED_KEY: pytest.StashKey[bool] = pytest.StashKey()
SUMMARY_KEY: pytest.StashKey[str] = pytest.StashKey()  # the gate's Markdown summary
BASELINE_KEY: pytest.StashKey[str] = pytest.StashKey()  # what happened to --update-baseline
UPDATE_KEY: pytest.StashKey[list[str]] = pytest.StashKey()  # what --mech-update-expect did
SELECTIVE_KEY: pytest.StashKey[bool] = pytest.StashKey()  # -k/-m/--lf left spec cells out
CARRIED_KEY: pytest.StashKey[str] = pytest.StashKey()  # cells kept from the last results
LOCK_KEY: pytest.StashKey[str] = pytest.StashKey()  # the report folder's lock this run holds
WRITE_ERROR_KEY: pytest.StashKey[str] = pytest.StashKey()  # why the reports were not written
# pytest_runtest_logreport gets no config: the session's record list
_CURRENT: dict[str, list] = {"records": [], "series": [], "crashed": []}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "pytest-mechanisms: mechanism specs over models and checkpoints")
    group.addoption(
        "--suite",
        default="zoo",
        help="model suite: zoo (default, embedded), pythia, pythia-deduped, smollm2, gemma3",
    )
    group.addoption(
        "--model-sizes",
        default=None,
        metavar="all|none|LIST",
        help="sizes of the suite to test: 'all', 'none' (only --model / --baseline-model) or a "
        "comma list (default: the suite's default sizes)",
    )
    group.addoption(
        "--checkpoints",
        default="default",
        metavar="SELECTION",
        help="training checkpoints: final | default | all | step0,step512 | step256..step2048",
    )
    group.addoption(
        "--model",
        action="append",
        default=[],
        metavar="ID_OR_PATH[@REV]",
        help="an extra model (a hub id, a local HF directory or a .gguf file; repeatable): a "
        "candidate judged against --baseline-model or --baseline, else by the expectations of the "
        "suite size it has the parameter count of",
    )
    group.addoption(
        "--baseline-model",
        default=None,
        metavar="ID_OR_PATH[@REV]",
        help="the base that each --model is gated against, measured in this run",
    )
    group.addoption(
        "--baseline",
        default=None,
        metavar="FILE",
        help="a stored baseline (from --update-baseline) that each --model is gated against",
    )
    group.addoption(
        "--update-baseline",
        default=None,
        metavar="FILE",
        help="write the --baseline-model's measurements to FILE (small JSON to commit)",
    )
    group.addoption(
        "--mech-summary",
        default=None,
        metavar="FILE",
        help="write the gate's Markdown summary to FILE (default: $GITHUB_STEP_SUMMARY when set)",
    )
    group.addoption(
        "--mech-report",
        default=None,
        metavar="DIR",
        help="where results.json, matrix.md, report.html and report.md go (default: .mechanisms/ in "
        "the rootdir)",
    )
    group.addoption(
        "--mech-threads",
        type=int,
        default=None,
        metavar="N",
        help="torch threads per process (default: 1 per xdist worker, torch's default with -n 0)",
    )
    group.addoption("--mech-device", default="cpu", help="torch device for models (default: cpu)")
    group.addoption(
        "--mech-memory",
        type=_positive_gib,
        default=None,
        metavar="GIB",
        help="memory for a task's activations, per process: larger tasks run in micro-batches "
        "(default: half the memory available, on a GPU half its free memory)",
    )
    group.addoption(
        "--mech-wait",
        type=_wait_seconds,
        default=None,
        metavar="SECONDS",
        help="how long a series item (stability, emergence) waits for cells measured on other "
        "workers while no cell of the run finishes (default: 900)",
    )
    group.addoption(
        "--mech-update-expect",
        nargs="?",
        const="write",
        default=None,
        choices=("write", "diff"),
        help="after the run, rewrite each measured spec's expect for this suite from the measured "
        "onsets (comments and formatting kept); =diff only prints the change",
    )
    group.addoption(
        "--allow-download",
        action="store_true",
        help="let transformers fetch missing weights from the hub (off: fail fast, offline)",
    )
    parser.addini(
        _items.SPEC_FILES_INI,
        type="args",
        default=list(_items.DEFAULT_SPEC_FILES),
        help="glob patterns of mechanism spec files (default: *.mech.yaml *.mech.yml)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mechanisms: a mechanism-spec cell (added to every spec item)")
    workers = getattr(config, "workerinput", None)
    if workers is None:
        from .options import space_form_problem

        problem = space_form_problem(config.invocation_params.args, config.invocation_params.dir)
        if problem:
            raise pytest.UsageError(problem)
        _check_paths(config)
    threads = config.getoption("mech_threads") or (1 if workers else None)
    from .cellstore import WORKERINPUT_KEY, new_directory
    from .series import DEFAULT_WAIT

    config.stash[_items.OPTIONS_KEY] = {
        "cellstore": workers[WORKERINPUT_KEY] if workers else new_directory(),  # created on first use
        "wait": DEFAULT_WAIT if config.getoption("mech_wait") is None else config.getoption("mech_wait"),
        "threads": threads,
        "allow_download": config.getoption("allow_download"),
        "device": config.getoption("mech_device"),
        "memory": config.getoption("mech_memory"),
        "baseline": config.getoption("baseline"),
        "report_dir": report_directory(config),  # circuits are saved there, by the worker that finds them
    }
    config.stash[_items.PLAN_KEY] = plan = Plan(config)
    if workers is None and _plan_options_given(config):
        plan.cells  # noqa: B018  options given: a bad value is one usage error now, not one per spec file
        if plan.error:
            raise pytest.UsageError(str(plan.error))
    config.stash[RECORDS_KEY] = []
    config.stash[SERIES_RECORDS_KEY] = []
    _install_progress(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, on the controller: every worker shares the controller's cell store."""
    from .cellstore import WORKERINPUT_KEY

    node.workerinput[WORKERINPUT_KEY] = node.config.stash[_items.OPTIONS_KEY]["cellstore"]


def report_directory(config: pytest.Config) -> str:
    return config.getoption("mech_report") or os.path.join(str(config.rootpath), ".mechanisms")


def _install_progress(config: pytest.Config) -> None:
    """Lines where a run waits (a model converted, downloaded, slow to load); none under -q."""
    from . import progress

    verbose = config.getoption("verbose")
    capture = config.pluginmanager.getplugin("capturemanager")
    if verbose < 0 or capture is None:
        progress.install(None)
        return
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # xdist leaves a worker's stderr on the user's terminal
        write, prefix = progress.stderr_line, f"[{workerinput['workerid']}] "
    else:

        def write(text: str) -> None:
            reporter = config.pluginmanager.getplugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(text)  # on a line of its own

        prefix = ""
    progress.install(progress.Progress(write, capture.global_and_fixture_disabled, verbose, prefix))


def _dist_mode(config: pytest.Config) -> str | None:
    """xdist's ``--dist`` mode, or None where xdist is not loaded (``-p no:xdist``)."""
    return config.getoption("dist", default=None)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist, on the controller: keep each model@checkpoint on one worker (see scheduling.py).

    Only ``--dist load`` (the default with ``-n``) is taken over, and only once spec items are
    collected; any other ``--dist`` the user chose is left to xdist."""
    if _dist_mode(config) != "load":
        return None
    from .scheduling import make_scheduler

    plan = config.stash[_items.PLAN_KEY]
    return make_scheduler(config, log, _items.spec_globs(config), plan.costs, plan.gate_labels)


# The options the plan is built from, with their defaults (a run that sets none never builds it
# before collecting a spec: plain pytest runs never touch the zoo).
PLAN_OPTIONS: dict[str, Any] = {
    "suite": "zoo",
    "model_sizes": None,
    "checkpoints": "default",
    "model": [],
    "baseline_model": None,
    "baseline": None,
    "update_baseline": None,
}


def _plan_options_given(config: pytest.Config) -> bool:
    """Whether the command line sets an option of the plan: the user means to run specs."""
    return any(config.getoption(name) != default for name, default in PLAN_OPTIONS.items())


def _wait_seconds(text: str) -> float:
    """``--mech-wait``: a finite number of seconds > 0."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of seconds > 0")
    return value


def _positive_gib(text: str) -> float:
    """``--mech-memory``: a finite number of GiB > 0."""
    import argparse

    try:
        return _wait_seconds(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of GiB > 0") from None


def _check_paths(config: pytest.Config) -> None:
    """Every output path, before anything is measured: one line, exit 4 (not a traceback after
    the run). A file option needs an existing, writable folder and must not name a folder."""
    from .options import output_problem

    for option in ("update_baseline", "mech_summary"):
        value = config.getoption(option)
        problem = output_problem(value) if value else None
        if problem:
            raise pytest.UsageError(f"--{option.replace('_', '-')}={value}: {problem}")


class Plan:
    """The cells of this run, computed on first use (plain pytest runs never touch the zoo)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._cells: list | None = None
        self.error: Exception | None = None

    @property
    def cells(self) -> list:
        if self._cells is None:
            self._cells = self._build()
        return self._cells

    def _build(self) -> list:
        from .plan.cells import gate_cells, suite_cells

        opt = self.config.getoption
        try:
            _check_gate_options(opt)
            cells = suite_cells(opt("suite"), opt("model_sizes"), opt("checkpoints"))
            gated = bool(opt("baseline_model") or opt("baseline"))
            return cells + gate_cells(opt("suite"), opt("model"), opt("baseline_model"), gated)
        except (ValueError, KeyError, FileNotFoundError) as exc:
            self.error = exc
            return []

    def gate_labels(self) -> set[str]:
        """Labels of the cells a gate compares (base and candidates: one xdist work unit)."""
        return {cell.label for cell in self.cells if cell.role}

    def costs(self) -> dict:
        """Relative cost of one claim per cell label (parameters); unknown sizes are left out."""
        return {cell.label: float(cell.params) for cell in self.cells if cell.params}


def _check_gate_options(opt: Any) -> None:
    if opt("baseline_model") and opt("baseline"):
        raise ValueError("give --baseline-model (measured in this run) or --baseline FILE, not both")
    if opt("update_baseline") and not opt("baseline_model"):
        raise ValueError(
            "--update-baseline writes the --baseline-model's measurements: give --baseline-model"
        )
    if (opt("baseline_model") or opt("baseline")) and not opt("model") and not opt("update_baseline"):
        raise ValueError("a base without a candidate: give the model to gate with --model")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if _items.is_spec_file(file_path, parent.config):
        return _items.SpecFile.from_parent(parent, path=file_path)
    return None


def pytest_deselected(items: list[pytest.Item]) -> None:
    """-k, -m or --lf left spec cells out: the report keeps their last valid results."""
    for item in items:
        if isinstance(item, _items.SpecItem):
            item.config.stash[SELECTIVE_KEY] = True
            return


def _selective(config: pytest.Config) -> bool:
    """Whether this run may have left planned cells out (-k, -m, --lf; under xdist the
    controller collects nothing, so the options say it)."""
    option = config.option
    return bool(
        config.stash.get(SELECTIVE_KEY, False)
        or getattr(option, "keyword", "")
        or getattr(option, "markexpr", "")
        or getattr(option, "lf", False)
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order spec cells by model@checkpoint so each model is loaded once, even with -n 0; series
    items (stability, emergence) last, after every cell they read."""
    order = {id(item): i for i, item in enumerate(items)}

    def key(item):
        cell = getattr(item, "cell", None)
        if cell is not None:
            return (1, cell.group, cell.rank, order[id(item)])
        return (2, "", 0, order[id(item)]) if hasattr(item, "cells") else (0, "", 0, order[id(item)])

    items.sort(key=key)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "???" and report.failed:  # xdist: the worker died while running this item
        _CURRENT["crashed"].append(report.nodeid)
        return
    if report.when != "call":  # user_properties ride on setup/teardown reports too
        return
    properties = dict(report.user_properties) if report.user_properties else {}
    text = properties.get(_items.RECORD_KEY)
    if text is None:
        if SERIES_KEY in properties:
            _CURRENT["series"].append(dict(json.loads(str(properties[SERIES_KEY])), nodeid=report.nodeid))
        return
    record = json.loads(str(text))
    node = getattr(report, "node", None)  # the xdist worker, on the controller
    record = dict(
        record,
        nodeid=report.nodeid,
        test_outcome=report.outcome if not hasattr(report, "wasxfail") else "xfailed",
        worker=node.workerinput["workerid"] if node is not None else None,
    )
    _CURRENT["records"].append(record)


def pytest_sessionstart(session: pytest.Session) -> None:
    from .gate.bases import IN_RUN

    IN_RUN.clear()  # a base measured by an earlier session in this process is not this run's
    _CURRENT["records"] = session.config.stash[RECORDS_KEY]
    _CURRENT["series"] = session.config.stash[SERIES_RECORDS_KEY]
    _CURRENT["crashed"] = []
    config = session.config
    if hasattr(config, "workerinput"):
        return
    if config.getoption("mech_report"):
        _check_writable(config.getoption("mech_report"))
    if config.getoption("mech_report") or _plan_options_given(config):
        _lock(config)  # else when spec cells are collected (a plain pytest run never locks)
    if config.getoption("baseline"):
        _check_baseline(config)


def _lock(config: pytest.Config) -> None:
    """Hold the report folder's lock for this run (``report/lock.py``)."""
    from .report.lock import ReportLocked, acquire

    if LOCK_KEY in config.stash:
        return
    try:
        config.stash[LOCK_KEY] = acquire(report_directory(config))
    except (ReportLocked, OSError) as exc:
        raise pytest.UsageError(str(exc)) from None


def _check_baseline(config: pytest.Config) -> None:
    """A stored baseline made under other conditions stops the run, naming what changed."""
    from .gate.baseline import BaselineError, load, rerecord_hint, run_key_changes
    from .models.loading import library_versions
    from .plan.suites import get_suite

    path = config.getoption("baseline")
    try:
        document = load(path)
    except BaselineError as exc:
        raise pytest.UsageError(str(exc)) from None
    suite = config.getoption("suite")
    changes = run_key_changes(
        document, suite, get_suite(suite).prepend_bos, config.getoption("mech_device"), library_versions()
    )
    if changes:
        raise pytest.UsageError(
            f"--baseline={path} was measured under other conditions: {'; '.join(changes)}. {rerecord_hint(path)}"
        )


def _check_writable(directory: str) -> None:
    """An unwritable --mech-report fails before anything is measured, not after the run."""
    try:
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, ".write-test"), "w"):
            pass
        os.remove(os.path.join(directory, ".write-test"))
    except OSError as exc:
        raise pytest.UsageError(
            f"--mech-report={directory}: cannot write there ({exc.strerror or exc})"
        ) from None


def pytest_collection_finish(session: pytest.Session) -> None:
    """How many cells this run should record (without xdist; under xdist see the hook below)."""
    if not hasattr(session.config, "workerinput"):
        n_cells = sum(isinstance(item, _items.SpecItem) for item in session.items)
        session.config.stash[EXPECTED_KEY] = n_cells
        if n_cells or session.config.stash.get(_items.INVALID_KEY, []):
            session.config.stash[USED_KEY] = True
            if n_cells and not session.config.option.collectonly:
                _lock(session.config)  # before the first cell (under xdist: when reports are written)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    from .scheduling import cell_of

    config, globs = node.config, _items.spec_globs(node.config)
    config.stash[EXPECTED_KEY] = sum(cell_of(i, globs) is not None for i in ids)
    if any(_items.is_spec_nodeid(i, globs) for i in ids):
        config.stash[USED_KEY] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    from . import progress
    from .cellstore import CellStore

    progress.install(None)  # a pytester run in this process must not write through this config
    if not hasattr(config, "workerinput") and _items.OPTIONS_KEY in config.stash:
        CellStore(config.stash[_items.OPTIONS_KEY]["cellstore"]).remove()
    if LOCK_KEY in config.stash:
        from .report.lock import release

        release(config.stash[LOCK_KEY])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    records = _CURRENT["records"]
    used = bool(records) or config.stash.get(USED_KEY, False) or bool(config.getoption("mech_report"))
    if hasattr(config, "workerinput") or not used or config.option.collectonly:
        return  # --collect-only measures nothing: the last run's reports stay
    if exitstatus == pytest.ExitCode.USAGE_ERROR:
        return  # stopped before any cell (a bad option, a locked report folder)
    from .report.files import write_reports
    from .scheduling import split_groups

    split = split_groups(records)
    config.stash[SPLIT_KEY] = split
    if split and _dist_mode(config) == "load":  # our scheduler's job: a bug if split
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    crashed = exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
    lost = list(_CURRENT["crashed"])  # a worker died on these: its model state is suspect
    complete = not crashed and not lost and len(records) == config.stash.get(EXPECTED_KEY, len(records))
    directory = report_directory(config)
    run: dict = {"complete": complete, "command": ["pytest", *config.invocation_params.args]}
    if lost:
        run["worker_crashed_on"] = lost
    if _CURRENT["series"]:
        run["series"] = _CURRENT["series"]
    reported = records
    if _selective(config):
        from .report.carry import carry

        when = " ".join(["pytest", *config.invocation_params.args])
        carried = carry(directory, records, config.stash[_items.PLAN_KEY].cells, when)
        reported = records + carried.records
        config.stash[CARRIED_KEY] = carried.line()
    try:
        _lock(config)
        config.stash[REPORT_DIR_KEY] = write_reports(reported, directory, run)
    except (pytest.UsageError, OSError) as exc:  # the last report stays whole
        config.stash[WRITE_ERROR_KEY] = f"reports NOT written to {directory}: {exc}"
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if _finish_gate(config, records, complete):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if config.getoption("mech_update_expect"):
        config.stash[UPDATE_KEY] = _update_expectations(config, records, complete)


def _update_expectations(config: pytest.Config, records: list[dict], complete: bool) -> list[str]:
    """--mech-update-expect: rewrite (or, =diff, show) each measured spec's expect."""
    from .spec.update import update_from_records, update_lines

    if not complete:
        return ["expectations NOT updated: the run did not measure every collected cell"]
    write = config.getoption("mech_update_expect") == "write"
    return update_lines(update_from_records(records, config.getoption("suite"), write), write)


def _finish_gate(config: pytest.Config, records: list[dict], complete: bool) -> bool:
    """On the controller: the gate's summary, and the baseline file (never by a worker). True
    when a gate failed as a whole: its base holds none of the claims, so nothing was gated."""
    from .report.summary import gate_tables, gates

    nothing_gated = any(g["nothing_to_gate"] for g in gates(records))
    summary = gate_tables(records)
    config.stash[SUMMARY_KEY] = summary
    target = config.getoption("mech_summary") or os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and target:
        mode = "w" if config.getoption("mech_summary") else "a"  # GitHub's file collects every step
        try:
            with open(target, mode, encoding="utf-8") as fh:
                fh.write(summary + "\n")
        except OSError as exc:  # the baseline below is still written
            config.stash[WRITE_ERROR_KEY] = f"gate summary NOT written to {target}: {exc}"
    path = config.getoption("update_baseline")
    if path:
        from .atomic import replace
        from .gate.baseline import build

        base = [r for r in records if r.get("role") == "base"]
        if not complete or not base or any(r.get("outcome") == "error" for r in base):
            config.stash[BASELINE_KEY] = (
                f"baseline NOT written to {path}: the base's run was incomplete or failed"
            )
            return nothing_gated
        replace(path, json.dumps(build(base), indent=1, sort_keys=True, allow_nan=False) + "\n")
        config.stash[BASELINE_KEY] = f"baseline: {path} ({len(base)} claims of {base[0]['model']})"
    return nothing_gated


def _extra_model_lines(records: list[dict]) -> list[str]:
    """How each extra model without a base was judged (the expectations of which size)."""
    seen = {}
    for r in records:
        if r.get("extra_model") and not r.get("role"):
            seen[r["model"]] = r.get("derived_from")
    return [
        f"extra model {model}: judged by {size}'s expectations at its last checkpoint (same parameter count)"
        if size
        else f"extra model {model}: {_why_not_derived(model)}; measured and reported, "
        "not asserted (gate it with --baseline-model or --baseline)"
        for model, size in sorted(seen.items())
    ]


def _why_not_derived(model: str) -> str:
    from .plan.derive import is_counted

    if is_counted(model):
        return "no size of the suite has its parameter count"
    return "not a local model directory, so no suite size is derived from its parameter count"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    invalid = config.stash.get(_items.INVALID_KEY, [])
    if invalid and config.option.collectonly:
        terminalreporter.section("invalid mechanism specs")
        for message in invalid:
            terminalreporter.write_line(message, red=True)
    if not _CURRENT["records"]:
        return
    from .report.escape import terminal_text
    from .report.matrix import render_matrices

    terminalreporter.section("mechanism matrices")
    for line in render_matrices(_CURRENT["records"]):
        terminalreporter.write_line(line)
    if _CURRENT["series"]:
        from .report.series import render_series

        terminalreporter.write_line("")
        terminalreporter.write_line("across cells (stability over checkpoints, emergence across sizes):")
        for line in render_series(_CURRENT["series"]):
            terminalreporter.write_line(line)
    ours = _dist_mode(config) == "load"
    for group, workers in sorted(config.stash.get(SPLIT_KEY, {}).items()):
        terminalreporter.write_line(
            f"{'ERROR' if ours else 'warning'}: model {group} ran on several workers "
            f"({', '.join(workers)}) and was loaded by each"
            + (
                ""
                if ours
                else f" (--dist {config.getvalue('dist')}: use the default "
                "--dist load to keep each model on one worker)"
            ),
            red=ours,
            yellow=not ours,
        )
    for line in _extra_model_lines(_CURRENT["records"]):
        terminalreporter.write_line(terminal_text(line))
    if config.stash.get(SUMMARY_KEY, ""):
        from .report.summary import gate_tables

        terminalreporter.section("mechanism gate")
        for line in gate_tables(_CURRENT["records"], terminal_text).splitlines():
            terminalreporter.write_line(line)
    if config.stash.get(BASELINE_KEY, ""):
        terminalreporter.write_line(config.stash[BASELINE_KEY])
    if config.stash.get(UPDATE_KEY, []):
        terminalreporter.section("mechanism expectations")
        for line in config.stash[UPDATE_KEY]:
            terminalreporter.write_line(line)
    if config.stash.get(CARRIED_KEY, ""):
        terminalreporter.write_line(config.stash[CARRIED_KEY])
    if config.stash.get(WRITE_ERROR_KEY, ""):
        terminalreporter.write_line(config.stash[WRITE_ERROR_KEY], red=True)
    where = config.stash.get(REPORT_DIR_KEY, None)
    if where:
        terminalreporter.write_line(
            f"results: {where}/results.json  matrices: {where}/matrix.md  report: {where}/report.html"
        )
