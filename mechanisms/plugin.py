"""The pytest plugin (entry point ``pytest11: mechanisms``): hooks that hand off.

Import-safe: loading it imports pytest, PyYAML and this package's spec and plan modules, never
torch, transformers, transformer_lens or xdist (``tests/unit/test_architecture.py``). Specs are
parsed during collection, torch and transformer_lens load when the first model is measured, and
in a project without spec files the plugin changes nothing: no items, no scheduler, no report.
A run's state and the hooks that read it live on one ``MechanismSession`` (``session.py``),
registered here at configure time; what stays here is stateless. Hooks follow the pytest
reference (https://docs.pytest.org/en/stable/reference/reference.html).
"""

from pathlib import Path

import pytest

from . import items as _items
from .command_line import add_options
from .session import NAME, MechanismSession


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mechanisms: a mechanism-spec cell (added to every spec item)")
    session = MechanismSession(config)
    if session.controller:
        session.check_options()
    config.pluginmanager.register(session, NAME)
    _install_progress(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    from . import progress

    progress.install(None)  # a pytester run in this process must not write through this config
    session = config.pluginmanager.get_plugin(NAME)
    if isinstance(session, MechanismSession):
        session.close()
        config.pluginmanager.unregister(session)


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


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if _items.is_spec_file(file_path, parent.config):
        return _items.SpecFile.from_parent(parent, path=file_path)
    return None
