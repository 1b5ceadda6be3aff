"""The plugin's command-line options and its ini key, declared in one place with their value
types: a value of the wrong type is an argparse error (a usage error, exit 4) before pytest
collects anything. What the values mean for a run is read in ``session.py`` and ``plan/``.
"""

from __future__ import annotations

import argparse
import math

import pytest

from .items import DEFAULT_SPEC_FILES, SPEC_FILES_INI

GROUP = "mechanisms"


def add_options(parser: pytest.Parser) -> None:
    """Every option of the plugin, in one group of ``pytest --help``, and its ini key."""
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
        type=positive_gib,
        default=None,
        metavar="GIB",
        help="memory for a task's activations, per process: larger tasks run in micro-batches "
        "(default: half the memory available, on a GPU half its free memory)",
    )
    group.addoption(
        "--mech-wait",
        type=wait_seconds,
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
        SPEC_FILES_INI,
        type="args",
        default=list(DEFAULT_SPEC_FILES),
        help="glob patterns of mechanism spec files (default: *.mech.yaml *.mech.yml)",
    )


def wait_seconds(text: str) -> float:
    """``--mech-wait``: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of seconds > 0")
    return value


def positive_gib(text: str) -> float:
    """``--mech-memory``: a finite number of GiB > 0."""
    try:
        return wait_seconds(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of GiB > 0") from None
