"""Command-line options whose values are paths: where they can be written (``output_problem``,
``file_options_problem``, ``folder_problem``: checked before anything is measured), and the one
way they can mislead pytest.

pytest picks the rootdir and reads ``pytest.ini`` (``testpaths``, ``addopts``) before it knows
any plugin's options, so in ``--model /tmp/ft`` it takes ``/tmp/ft`` for a test path: the ini
file is looked for above ``/tmp/ft``, not found, and the run collects whatever lies in the
current directory (once: the project's whole test suite instead of 11 spec cells). The ``=`` form
(``--model=/tmp/ft``) is one argument and safe. The plugin cannot redo pytest's ini search, so it
stops at once with a one-line message when a path option's value was given after a space, exists
outside the directory pytest runs in, and so may have moved the rootdir.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

PATH_OPTIONS = (
    "--mech-report",
    "--model",
    "--baseline-model",
    "--baseline",
    "--update-baseline",
    "--mech-summary",
)


def space_form_problem(args: list[str] | tuple[str, ...], invocation_dir: Path) -> str | None:
    """The message for the first path option given as ``--opt VALUE`` with a value that pytest
    may have read as a test path outside ``invocation_dir``; None when there is none."""
    here = invocation_dir.resolve()
    for option, value in itertools.pairwise(args):
        if option not in PATH_OPTIONS or value.startswith("-"):
            continue
        whole = invocation_dir / value
        path = (
            (whole if whole.exists() else invocation_dir / value.partition("@")[0]).resolve()
            if value
            else None
        )
        if path is None or not path.exists() or path == here or here in path.parents:
            continue
        return (
            f"{option} {value}: write {option}={value} (with a space pytest takes an existing path "
            "for a test path while it looks for pytest.ini, before plugin options exist, and "
            "would pick the wrong rootdir and tests)"
        )
    return None


def output_problem(path: str) -> str | None:
    """Why a file cannot be written at ``path`` (None: it can): checked before a run measures."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "is a folder; give a file name"
    if not os.path.isdir(folder):
        return f"its folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} is not writable"
    if os.path.lexists(path) and not os.path.isfile(path):
        return "exists and is not a regular file"
    return None


def file_options_problem(option: Callable[[str], Any]) -> str | None:
    """The first file option (``--update-baseline``, ``--mech-summary``) that cannot be written,
    as one line; ``option(name)`` reads an option's value."""
    for name in ("update_baseline", "mech_summary"):
        value = option(name)
        problem = output_problem(value) if value else None
        if problem:
            return f"--{name.replace('_', '-')}={value}: {problem}"
    return None


def folder_problem(directory: str) -> str | None:
    """Why the report folder ``directory`` cannot be written (created if missing); None: it can."""
    try:
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, ".write-test"), "w"):
            pass
        os.remove(os.path.join(directory, ".write-test"))
    except OSError as exc:
        return f"--mech-report={directory}: cannot write there ({exc.strerror or exc})"
    return None
