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

GROUP = "mechanisms"
# On the controller: the cell records in report order, model@checkpoints that ran on several
# workers, where the reports went, how many cells were collected (to flag partial results), and
# whether spec files were collected at all (then results.json is rewritten).
RECORDS_KEY: pytest.StashKey[list[dict]] = pytest.StashKey()
SPLIT_KEY: pytest.StashKey[dict] = pytest.StashKey()
REPORT_DIR_KEY: pytest.StashKey[str] = pytest.StashKey()
EXPECTED_KEY: pytest.StashKey[int] = pytest.StashKey()
USED_KEY: pytest.StashKey[bool] = pytest.StashKey()
# pytest_runtest_logreport gets no config: the session's record list
_CURRENT: dict[str, list[dict]] = {"records": []}


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
        metavar="all|LIST",
        help="sizes of the suite to test: 'all' or a comma list (default: the suite's default sizes)",
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
        help="an extra model, judged like --suite and expected to hold every claim: a hub id, "
        "a local HF directory, or a .gguf file (repeatable)",
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
    threads = config.getoption("mech_threads") or (1 if workers else None)
    config.stash[_items.OPTIONS_KEY] = {
        "threads": threads,
        "allow_download": config.getoption("allow_download"),
        "device": config.getoption("mech_device"),
    }
    config.stash[_items.PLAN_KEY] = Plan(config)
    config.stash[RECORDS_KEY] = []
    _install_progress(config)


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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist, on the controller: keep each model@checkpoint on one worker (see scheduling.py).

    Only ``--dist load`` (the default with ``-n``) is taken over, and only once spec items are
    collected; any other ``--dist`` the user chose is left to xdist."""
    if config.getvalue("dist") != "load":
        return None
    from .scheduling import make_scheduler

    plan = config.stash[_items.PLAN_KEY]
    return make_scheduler(config, log, _items.spec_globs(config), plan.costs)


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
        from .plan.cells import extra_cell, suite_cells

        opt = self.config.getoption
        try:
            cells = suite_cells(opt("suite"), opt("model_sizes"), opt("checkpoints"))
            return cells + [extra_cell(m, opt("suite")) for m in opt("model")]
        except (ValueError, KeyError, FileNotFoundError) as exc:
            self.error = exc
            return []

    def costs(self) -> dict:
        """Relative cost of one claim per cell label (parameters); unknown sizes are left out."""
        return {cell.label: float(cell.params) for cell in self.cells if cell.params}


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if _items.is_spec_file(file_path, parent.config):
        return _items.SpecFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order spec cells by model@checkpoint so each model is loaded once, even with -n 0."""
    order = {id(item): i for i, item in enumerate(items)}

    def key(item):
        cell = getattr(item, "cell", None)
        return (1, cell.group, order[id(item)]) if cell else (0, "", order[id(item)])

    items.sort(key=key)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":  # user_properties ride on setup/teardown reports too
        return
    text = dict(report.user_properties).get(_items.RECORD_KEY) if report.user_properties else None
    if text is None:
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
    _CURRENT["records"] = session.config.stash[RECORDS_KEY]
    if not hasattr(session.config, "workerinput") and session.config.getoption("mech_report"):
        _check_writable(session.config.getoption("mech_report"))


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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    from .scheduling import cell_of

    config, globs = node.config, _items.spec_globs(node.config)
    config.stash[EXPECTED_KEY] = sum(cell_of(i, globs) is not None for i in ids)
    if any(_items.is_spec_nodeid(i, globs) for i in ids):
        config.stash[USED_KEY] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    from . import progress

    progress.install(None)  # a pytester run in this process must not write through this config


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    records = _CURRENT["records"]
    used = bool(records) or config.stash.get(USED_KEY, False) or bool(config.getoption("mech_report"))
    if hasattr(config, "workerinput") or not used:
        return
    from .report.files import write_reports
    from .scheduling import split_groups

    split = split_groups(records)
    config.stash[SPLIT_KEY] = split
    if split and config.getvalue("dist") == "load":  # our scheduler's job: a bug if split
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    crashed = exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
    complete = not crashed and len(records) == config.stash.get(EXPECTED_KEY, len(records))
    directory = config.getoption("mech_report") or os.path.join(str(config.rootpath), ".mechanisms")
    run = {"complete": complete, "command": ["pytest", *config.invocation_params.args]}
    config.stash[REPORT_DIR_KEY] = write_reports(records, directory, run)


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
    from .report.matrix import render_matrices

    terminalreporter.section("mechanism matrices")
    for line in render_matrices(_CURRENT["records"]):
        terminalreporter.write_line(line)
    ours = config.getvalue("dist") == "load"
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
    where = config.stash.get(REPORT_DIR_KEY, None)
    if where:
        terminalreporter.write_line(
            f"results: {where}/results.json  matrices: {where}/matrix.md  report: {where}/report.html"
        )
