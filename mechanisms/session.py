"""One run of the plugin: its options, its plan, what it gathers, and what it writes at the end.

``plugin.py`` creates a ``MechanismSession`` in ``pytest_configure`` and registers it on pytest's
plugin manager, the pattern of xdist's ``DSession`` and syrupy's ``SnapshotSession``: the hooks
that need the run's state are methods here, so the state lives on this object (a ``RunState``)
and not in module globals or a dozen stash keys. The spec and series items read the plan and the
options from ``config.stash`` (``keys.py``). On an xdist worker the session only measures; the
controller gathers the records and writes the reports.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from . import items as _items
from .keys import OPTIONS_KEY, PLAN_KEY
from .plan.run_plan import RunPlan
from .record import CellRecord, Results, SeriesRecord
from .run_options import DEFAULT_WAIT, RunOptions
from .run_state import RunState
from .series import SERIES_KEY

NAME = "mechanisms-session"


class MechanismSession:
    def __init__(self, config: pytest.Config) -> None:
        from .cellstore import WORKERINPUT_KEY, new_directory

        self.config = config
        self.workerinput: dict | None = getattr(config, "workerinput", None)
        opt = config.getoption
        self.report_dir = opt("mech_report") or os.path.join(str(config.rootpath), ".mechanisms")
        self.options = RunOptions(
            threads=opt("mech_threads") or (1 if self.workerinput else None),
            device=opt("mech_device"),
            allow_download=opt("allow_download"),
            memory_gib=opt("mech_memory"),
            baseline=opt("baseline"),
            report_dir=self.report_dir,  # circuits are saved there, by the worker that finds them
            cellstore=self.workerinput[WORKERINPUT_KEY] if self.workerinput else new_directory(),
            wait=DEFAULT_WAIT if opt("mech_wait") is None else opt("mech_wait"),
        )
        self.plan = RunPlan(opt)
        self.state = RunState()
        config.stash[PLAN_KEY], config.stash[OPTIONS_KEY] = self.plan, self.options

    @property
    def controller(self) -> bool:
        return self.workerinput is None

    def check_options(self) -> None:
        """On the controller, before anything is collected: each bad option is one usage error
        (exit 4), not a traceback after the run or one error per spec file."""
        from .options import file_options_problem, space_form_problem

        invocation = self.config.invocation_params
        problem = space_form_problem(invocation.args, invocation.dir) or file_options_problem(
            self.config.getoption
        )
        if problem:
            raise pytest.UsageError(problem)
        if self.plan.options_given():
            self.plan.cells  # noqa: B018  built now: a bad value stops the run here
            if self.plan.error:
                raise pytest.UsageError(str(self.plan.error))

    # -- xdist, on the controller ------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Every worker shares the controller's cell store."""
        from .cellstore import WORKERINPUT_KEY

        node.workerinput[WORKERINPUT_KEY] = self.options.cellstore

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Keep each model@checkpoint on one worker (``scheduling.py``). Only ``--dist load``
        (the default with ``-n``) is taken over, and only once spec items are collected; any
        other ``--dist`` the user chose is left to xdist."""
        if self.dist != "load":
            return None
        from .scheduling import make_scheduler

        globs = _items.spec_globs(config)
        return make_scheduler(config, log, globs, self.plan.gate_labels)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        from .scheduling import cell_of

        globs = _items.spec_globs(self.config)
        self.state.expected_cells = sum(cell_of(i, globs) is not None for i in ids)
        if any(_items.is_spec_nodeid(i, globs) for i in ids):
            self.state.uses_specs = True

    @property
    def dist(self) -> str | None:
        """xdist's ``--dist`` mode, or None where xdist is not loaded (``-p no:xdist``)."""
        return self.config.getoption("dist", default=None)

    # -- the run -----------------------------------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.controller:
            return
        opt = self.config.getoption
        if opt("mech_report"):
            from .options import folder_problem

            problem = folder_problem(opt("mech_report"))
            if problem:
                raise pytest.UsageError(problem)
        if (opt("mech_report") or self.plan.options_given()) and not self.config.option.collectonly:
            self.lock()  # else when spec cells are collected (a plain pytest run never locks)
        if opt("baseline"):
            self._check_baseline(opt("baseline"))

    def lock(self) -> None:
        """Hold the report folder's lock for this run (``report/lock.py``)."""
        from .report.lock import ReportLocked, acquire

        if self.state.lock is None:
            try:
                self.state.lock = acquire(self.report_dir)
            except (ReportLocked, OSError) as exc:
                raise pytest.UsageError(str(exc)) from None

    def _check_baseline(self, path: str) -> None:
        """A stored baseline made under other conditions stops the run, naming what changed."""
        from .catalogue.suites import get_suite
        from .gate.baseline import BaselineError, load, rerecord_hint, run_key_changes
        from .models.loading import library_versions

        try:
            document = load(path)
        except BaselineError as exc:
            raise pytest.UsageError(str(exc)) from None
        suite = self.config.getoption("suite")
        changes = run_key_changes(
            document, suite, get_suite(suite).prepend_bos, self.options.device, library_versions()
        )
        if changes:
            raise pytest.UsageError(
                f"--baseline={path} was measured under other conditions: {'; '.join(changes)}. "
                + rerecord_hint(path)
            )

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """-k, -m or --lf left spec cells out: the report keeps their last valid results."""
        if any(isinstance(item, _items.SpecItem) for item in items):
            self.state.selective = True

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """How many cells this run should record (under xdist: the hook above)."""
        if not self.controller:
            return
        n_cells = sum(isinstance(item, _items.SpecItem) for item in session.items)
        self.state.expected_cells = n_cells
        if n_cells or self.config.stash.get(_items.INVALID_KEY, []):
            self.state.uses_specs = True
            if n_cells and not self.config.option.collectonly:
                self.lock()  # before the first cell (under xdist: when reports are written)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Each model@checkpoint's cells together (loaded once, even with -n 0), costliest
        first; series items (stability, emergence) last, after every cell they read."""
        if any(isinstance(item, _items.SpecItem) for item in items):
            from .scheduling import order_items

            order_items(items, self.plan.costs())

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "???" and report.failed:  # xdist: the worker died while running this item
            self.state.crashed_on.append(report.nodeid)
            return
        if report.when != "call":  # user_properties ride on setup/teardown reports too
            return
        properties = dict(report.user_properties) if report.user_properties else {}
        text = properties.get(_items.RECORD_KEY)
        if text is None:
            if SERIES_KEY in properties:
                series = SeriesRecord.from_json(json.loads(str(properties[SERIES_KEY])))
                series.nodeid = report.nodeid
                self.state.series.append(series)
            return
        node = getattr(report, "node", None)  # the xdist worker, on the controller
        record = CellRecord.from_json(json.loads(str(text)))
        record.nodeid = report.nodeid
        record.test_outcome = report.outcome if not hasattr(report, "wasxfail") else "xfailed"
        record.worker = node.workerinput["workerid"] if node is not None else None
        self.state.records.append(record)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state, config = self.state, self.config
        used = bool(state.records) or state.uses_specs or bool(config.getoption("mech_report"))
        if not self.controller or not used or config.option.collectonly:
            return  # --collect-only measures nothing: the last run's reports stay
        if exitstatus == pytest.ExitCode.USAGE_ERROR:
            return  # stopped before any cell (a bad option, a locked report folder)
        from .scheduling import split_groups

        state.split = split_groups(state.records)
        if state.split and self.dist == "load":  # our scheduler's job: a bug if split
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        complete = self._write_reports(exitstatus)
        if self._write_gate_files(complete) or state.write_errors:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # nothing gated, or a file not written
        if config.getoption("mech_update_expect"):
            state.update_lines = self._update_expectations(complete)

    def _write_reports(self, exitstatus: int) -> bool:
        """results.json and the views of it; returns whether the run measured every cell."""
        from .report.files import write_reports

        state = self.state
        crashed = exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        expected = len(state.records) if state.expected_cells is None else state.expected_cells
        complete = not crashed and not state.crashed_on and len(state.records) == expected
        command = ["pytest", *self.config.invocation_params.args]
        results = Results(
            cells=list(state.records),
            series=list(state.series),
            complete=complete,
            command=command,
            worker_crashed_on=list(state.crashed_on),  # a worker died on these: its model state is suspect
        )
        if self._selective():
            from .report.carry import carry

            carried = carry(self.report_dir, state.records, self.plan.cells, " ".join(command))
            results.cells += carried.records
            state.carried_line = carried.line()
        try:
            self.lock()
            state.report_dir = write_reports(results, self.report_dir)
        except (pytest.UsageError, OSError) as exc:  # the last report stays whole
            state.write_errors.append(f"reports NOT written to {self.report_dir}: {exc}")
        return complete

    def _selective(self) -> bool:
        """Whether this run may have left planned cells out (-k, -m, --lf; under xdist the
        controller collects nothing, so the options say it)."""
        option = self.config.option
        return bool(
            self.state.selective
            or getattr(option, "keyword", "")
            or getattr(option, "markexpr", "")
            or getattr(option, "lf", False)
        )

    def _write_gate_files(self, complete: bool) -> bool:
        """The gate's summary and baseline; True when a gate failed as a whole (its base holds
        none of the claims, so nothing was gated)."""
        from .report.gate_files import write_gate_files

        opt = self.config.getoption
        out = write_gate_files(
            self.state.records,
            complete,
            opt("mech_summary"),
            os.environ.get("GITHUB_STEP_SUMMARY"),
            opt("update_baseline"),
        )
        self.state.gate_summary, self.state.baseline_line = out.summary, out.baseline_line
        self.state.write_errors += out.errors
        return out.nothing_gated

    def _update_expectations(self, complete: bool) -> list[str]:
        """--mech-update-expect: rewrite (or, =diff, show) each measured spec's expect."""
        from .spec.update import update_from_records, update_lines

        if not complete:
            return ["expectations NOT updated: the run did not measure every collected cell"]
        write = self.config.getoption("mech_update_expect") == "write"
        return update_lines(
            update_from_records(self.state.records, self.config.getoption("suite"), write), write
        )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.controller:
            return
        invalid = self.config.stash.get(_items.INVALID_KEY, [])
        if invalid and self.config.option.collectonly:
            terminalreporter.section("invalid mechanism specs")
            for message in invalid:
                terminalreporter.write_line(message, red=True)
        if self.state.records:
            from .report.terminal import write_summary

            write_summary(terminalreporter, self.state, self.dist)

    def close(self) -> None:
        """At unconfigure: the cell store and the report folder's lock go."""
        if self.controller:
            from .cellstore import CellStore

            CellStore(self.options.cellstore).remove()
        if self.state.lock is not None:
            from .report.lock import release

            release(self.state.lock)
