"""The shape of what a run writes and another run reads back: ``results.json`` (cells and series
items) and stored baselines. Every read checks it (``python -m mechanisms.report``'s merge, a
selective run keeping the last run's cells, ``--baseline``), because these files come from other
machines, other CI jobs and pull requests: a shard or a baseline is input, as hostile as a spec.

A problem is one line naming the file and the field, ``FILE: cells[12].checks[0].values.best:
not a finite number (NaN)``, and the file is refused whole (a report never shows half of a
tampered file). Reading is bounded too: only regular files (a FIFO would block, ``/dev/zero``
never ends), at most ``max_bytes``, JSON's ``NaN``/``Infinity`` (which Python's ``json`` accepts)
refused where they stand.

The checks are small shape functions (``Shape``): a type, a choice, an object with required and
optional keys, a list; every value anywhere, known key or not, must be finite. Artifact paths
must be relative and stay inside their folder.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from .record import Results

MAX_RESULTS_BYTES = 256 * 2**20
MAX_BASELINE_BYTES = 16 * 2**20
MAX_PROBLEMS = 20
RESULTS_FORMATS = (1, 2)  # results.json's formats this version reads (``record.FORMAT`` writes)
BASELINE_FORMAT = 1
OUTCOMES = ("holds", "absent", "error")

Shape = Callable[[Any, str, list], None]  # (value, where, problems): appends "where: what"


class RecordError(ValueError):
    """A results.json or baseline that cannot be used; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        super().__init__("\n".join(shown + ([f"... and {more} more problems"] if more else [])))
        self.problems = problems


class _NonFinite:
    def __init__(self, name: str) -> None:
        self.name = name


def read_json(path: str, what: str, max_bytes: int) -> Any:
    """The JSON document at ``path``: a regular file of at most ``max_bytes``; ``NaN`` and
    ``Infinity`` are kept as markers that ``check`` reports with their place."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO's open must not block
    except OSError as exc:
        raise RecordError([f"{path}: cannot read this {what} ({exc.strerror or exc})"]) from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            raise RecordError([f"{path}: not a regular file; a {what} is a JSON file"])
        if mode.st_size > max_bytes:
            raise RecordError([f"{path}: {mode.st_size} bytes, more than a {what} may be ({max_bytes})"])
        data = fh.read(max_bytes + 1)
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_NonFinite)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RecordError([f"{path}: not a {what}: not JSON ({exc})"]) from None


def check(document: Any, shape: Shape, path: str) -> None:
    """Raise ``RecordError`` naming ``path`` and each field where ``document`` is not ``shape``."""
    problems: list[str] = []
    shape(document, "", problems)
    if problems:
        raise RecordError([f"{path}: {p.lstrip('.').removeprefix(': ')}" for p in problems])


def finite_everywhere(value: Any, where: str, problems: list) -> None:
    """Any JSON value whose numbers are all finite."""
    if isinstance(value, _NonFinite) or (isinstance(value, float) and not math.isfinite(value)):
        problems.append(f"{where}: not a finite number ({getattr(value, 'name', value)})")
    elif isinstance(value, dict):
        for key, item in value.items():
            finite_everywhere(item, f"{where}.{key}", problems)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            finite_everywhere(item, f"{where}[{i}]", problems)


def _kind(value: Any) -> str:
    if isinstance(value, _NonFinite):
        return f"not a finite number ({value.name})"
    if value is None:
        return "null"
    return {**_WORDS, int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


_WORDS = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    dict: "an object",
    list: "a list",
}


def typed(*types: type, nullable: bool = False) -> Shape:
    """One of ``types`` (``float`` admits ints; ``int`` never admits booleans), finite."""

    def shape(value: Any, where: str, problems: list) -> None:
        if value is None and nullable:
            return
        ok = any(
            isinstance(value, t) and not (t in (int, float) and isinstance(value, bool))
            for t in ((*types, int) if float in types else types)
        )
        if not ok:
            names = " or ".join(_WORDS[t] for t in types)
            problems.append(f"{where}: {_kind(value)}, expected {names}{' or null' if nullable else ''}")
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{where}: not a finite number ({value})")
        elif isinstance(value, (dict, list)):
            finite_everywhere(value, where, problems)

    return shape


def choice(*values: Any) -> Shape:
    def shape(value: Any, where: str, problems: list) -> None:
        plain = not isinstance(value, (dict, list, _NonFinite))
        if (
            not plain
            or value not in values
            or (isinstance(value, bool) and not any(v is value for v in values))
        ):
            problems.append(f"{where}: {_shown(value)}, expected one of {', '.join(map(repr, values))}")

    return shape


def list_of(item: Shape) -> Shape:
    def shape(value: Any, where: str, problems: list) -> None:
        if not isinstance(value, list):
            problems.append(f"{where}: {_kind(value)}, expected a list")
            return
        for i, x in enumerate(value):
            item(x, f"{where}[{i}]", problems)

    return shape


def obj(
    required: dict[str, Shape], optional: dict[str, Shape] | None = None, nullable: bool = False
) -> Shape:
    """An object with ``required`` keys, and ``optional`` ones checked where present; other keys
    may hold any finite JSON (records gain fields; readers use only the checked ones)."""

    def shape(value: Any, where: str, problems: list) -> None:
        if value is None and nullable:
            return
        if not isinstance(value, dict):
            problems.append(f"{where}: {_kind(value)}, expected an object")
            return
        for key, field in required.items():
            if key not in value:
                problems.append(f"{where}.{key}: missing")
            else:
                field(value[key], f"{where}.{key}", problems)
        for key, item in value.items():
            if key not in required:
                known = (optional or {}).get(key, finite_everywhere)
                known(item, f"{where}.{key}", problems)

    return shape


def map_of(item: Shape) -> Shape:
    def shape(value: Any, where: str, problems: list) -> None:
        if not isinstance(value, dict):
            problems.append(f"{where}: {_kind(value)}, expected an object")
            return
        for key, x in value.items():
            item(x, f"{where}.{key}", problems)

    return shape


def relative_file(value: Any, where: str, problems: list) -> None:
    """A path inside its folder: relative, no ``..``, no backslash or drive, a ``.json`` file."""
    if value is None:
        return
    if not isinstance(value, str):
        problems.append(f"{where}: {_kind(value)}, expected a relative path")
        return
    parts = PurePosixPath(value).parts
    if (
        not parts
        or value.startswith(("/", "~"))
        or "\\" in value
        or ":" in value
        or "\x00" in value
        or any(p in ("..", ".") for p in parts)
        or not value.endswith(".json")
    ):
        problems.append(f"{where}: {_shown(value)} is not a relative .json path inside the report folder")


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, _NonFinite) else value.name
    return text if len(text) <= 60 else text[:57] + "..."


STR, INT, BOOL, NUMBER = typed(str), typed(int), typed(bool), typed(float)
OPT_STR, OPT_INT, OPT_BOOL, OPT_NUMBER = (typed(t, nullable=True) for t in (str, int, bool, float))

HEADLINE = obj(
    {"name": STR, "value": OPT_NUMBER, "threshold": OPT_NUMBER, "op": choice(">=", "<=")}, nullable=True
)
CHECK = obj(
    {"check": STR, "holds": BOOL, "summary": STR},
    {"values": obj({}), "headline": HEADLINE, "artifact": relative_file},
)
GATE_ROW = obj(
    {
        "check": STR,
        "name": STR,
        "base": OPT_NUMBER,
        "candidate": OPT_NUMBER,
        "within": OPT_BOOL,
        "tolerance": obj(
            {"direction": choice("may_fall", "may_rise"), "amount": NUMBER, "relative": BOOL},
            {"source": STR},
        ),
    },
    {"overlap": OPT_NUMBER},
)
GATE = obj(
    {
        "required": BOOL,
        "verdict": choice("pass", "fail", "not required"),
        "reasons": list_of(STR),
        "checks": list_of(GATE_ROW),
        "base": OPT_STR,
        "base_outcome": OPT_STR,
    },
    {
        "base_revision": OPT_STR,
        "baseline": obj({"path": STR, "sha256": STR}),
    },
)


def _cell_shape(value: Any, where: str, problems: list) -> None:
    before = len(problems)
    CELL(value, where, problems)
    if len(problems) == before:  # the verdict agrees with itself
        outcome, holds = value["outcome"], value.get("holds")
        if outcome != "error" and holds is not None and holds != (outcome == "holds"):
            problems.append(f"{where}.holds: {holds}, but the outcome is {outcome}")
        if outcome == "holds" and not all(c["holds"] for c in value["checks"]):
            problems.append(f"{where}.outcome: holds, but a check does not")
        if outcome == "absent" and value["checks"] and all(c["holds"] for c in value["checks"]):
            problems.append(f"{where}.outcome: absent, but every check holds")


CELL = obj(
    {
        "spec": STR,
        "suite": STR,
        "model": STR,
        "step": OPT_INT,
        "spec_version": INT,
        "claim": STR,
        "outcome": choice(*OUTCOMES),
        "checks": list_of(CHECK),
    },
    {
        "holds": OPT_BOOL,
        "expected": OPT_BOOL,
        "error": OPT_STR,
        "tokens": OPT_INT,
        "params": OPT_INT,
        "revision": OPT_STR,
        "spec_sha256": STR,
        "seconds": NUMBER,
        "gate": GATE,
        "role": choice("base", "candidate", None),
        "model_id": STR,
        "provenance": obj({}, {"libraries": map_of(OPT_STR)}),
        "carried": obj({"run": STR}, {"measured_by": OPT_STR}),
        "circuit_edges": map_of(list_of(STR)),
        "spec_path": OPT_STR,
        "task": OPT_STR,
        "task_params": obj({}, nullable=True),
        "extra_model": BOOL,
        "derived_from": OPT_STR,
        "group": OPT_STR,
        "loaded_model": OPT_BOOL,
        "memory": map_of(NUMBER),
        "nodeid": OPT_STR,
        "test_outcome": OPT_STR,
        "worker": OPT_STR,
    },
)
SERIES = obj(
    {"spec": STR, "series": STR, "suite": STR, "label": STR, "holds": BOOL, "summary": STR},
    {
        "spec_version": OPT_INT,
        "expected": OPT_BOOL,
        "values": obj({}),
        "kind": OPT_STR,
        "claim": OPT_STR,
        "rule": obj({}),
        "problem": OPT_STR,
        "cells": list_of(STR),
        "measured_here": list_of(STR),
        "nodeid": OPT_STR,
    },
)
SOURCE = obj(
    {"path": STR}, {"command": list_of(STR), "complete": OPT_BOOL, "worker_crashed_on": list_of(STR)}
)
RESULTS = obj(
    {"format": choice(*RESULTS_FORMATS), "cells": list_of(_cell_shape)},
    {
        "complete": OPT_BOOL,
        "command": list_of(STR),
        "series": list_of(SERIES),
        "sources": list_of(SOURCE),
        "worker_crashed_on": list_of(STR),
    },
)

BASE_CLAIM = obj(
    {
        "spec_version": INT,
        "spec_sha256": STR,
        "outcome": choice(*OUTCOMES),
        "checks": list_of(obj({"check": STR, "holds": BOOL, "summary": STR, "headline": HEADLINE})),
    },
    {"holds": OPT_BOOL, "error": OPT_STR, "circuit_edges": map_of(list_of(STR))},
)
BASELINE = obj(
    {
        "format": choice(BASELINE_FORMAT),
        "kind": STR,
        "suite": STR,
        "base": obj(
            {"model": STR},
            {
                "model_id": OPT_STR,
                "revision": OPT_STR,
                "weights_sha256": OPT_STR,
                "tokenizer_sha256": OPT_STR,
                "prepend_bos": OPT_BOOL,
            },
        ),
        "claims": map_of(BASE_CLAIM),
    },
    {"dtype": OPT_STR, "device": OPT_STR, "libraries": map_of(OPT_STR)},
)


def read_results(path: str) -> Results:
    """A ``results.json``, checked whole, as records (either format: ``record.upgrade``)."""
    document = read_json(path, "results.json", MAX_RESULTS_BYTES)
    check(document, RESULTS, path)
    return Results.from_json(document)
