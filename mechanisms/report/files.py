"""Everything a run leaves in its report directory, each file replaced atomically (a reader never
sees half a file):

* ``results.json``  every cell's record (and every series item's, under ``series``): the input
  of every other file and of ``python -m mechanisms.report``;
* ``matrix.md``     the terminal's matrices in Markdown;
* ``report.html``   the self-contained page (``html.py``);
* ``report.md`` and ``curves/*.svg``  the same content for a pull request (``markdown.py``);
* ``circuits/<spec>/<cell>.svg``  each circuit a check saved (``.json`` beside it), drawn
  (``drawings.py``) and also inlined into ``report.html``'s cell details.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from ..atomic import replace
from ..records_schema import RESULTS_FORMAT
from . import html, markdown
from .curves import draw_all
from .drawings import circuit_svg
from .matrix import markdown as matrix_markdown
from .records import matrices, ordered
from .series import ordered as series_ordered

FORMAT = RESULTS_FORMAT


def write_reports(records: list[dict], directory: str, run: dict | None = None) -> str:
    """Write every report file of ``records`` into ``directory``; return the directory.

    ``run`` adds ``complete`` (false after Ctrl-C, ``-x`` or a crash: some cells are missing),
    the command line (or, for merged files, ``sources``) and the ``series`` records (stability,
    emergence); an empty run still writes, so an old run's file never passes for this one.

    Every file is first written into a temporary folder inside ``directory`` and only then moved
    into place, so a failed write (a full disk) leaves the last report whole and no temporary
    file behind.
    """
    os.makedirs(directory, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".tmp-report-", dir=directory)
    try:
        written = _write_all(records, staging, directory, run)
        for relative in written:
            target = os.path.join(directory, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(os.path.join(staging, relative), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return str(directory)


def _write_all(records: list[dict], staging: str, directory: str, run: dict | None) -> list[str]:
    """Write the report files into ``staging`` (artifacts are read from ``directory``); return
    their paths relative to it."""
    os.makedirs(os.path.join(staging, "curves"), exist_ok=True)
    run = dict(run or {})
    if run.get("series"):
        run["series"] = series_ordered(run["series"])
    document = {"format": FORMAT, **run, "cells": ordered(records)}
    files = {
        "results.json": json.dumps(document, indent=1, sort_keys=True, allow_nan=False),
        "matrix.md": matrix_markdown(records, run.get("series", [])),
    }
    figures = draw_all(matrices(records))
    images = {}
    for (spec, suite, index), svg in figures.items():
        name = f"curves/{_safe(spec)}-{_safe(suite)}-{index}.svg"
        files[name] = svg
        images[(spec, suite, index)] = name
    drawings = draw_circuits(records, directory, run, files)
    files["report.html"] = html.render(records, run, figures, drawings)
    files["report.md"] = markdown.render(records, images, run)
    for relative, text in files.items():
        target = os.path.join(staging, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        replace(target, text)
    return list(files)


def draw_circuits(records: list[dict], directory: str, run: dict, files: dict[str, str]) -> dict[str, str]:
    """``{artifact path: svg}`` for every circuit artifact the records name, each also added to
    ``files`` under the artifact's path with ``.svg`` for ``.json`` (beside the JSON in a run's
    own report). Artifacts are looked up in ``directory``, then next to each merged
    ``results.json``; a missing or unreadable one is simply not drawn, and a path that would
    leave its folder is never followed."""
    roots = [directory] + [os.path.dirname(s["path"]) for s in run.get("sources", []) if s.get("path")]
    drawings = {}
    for record in records:
        for check in record.get("checks", []):
            relative = check.get("artifact")
            document = _artifact(roots, relative) if relative and _inside(relative) else None
            svg = circuit_svg(document) if document else None
            if svg is None:
                continue
            drawings[relative] = svg
            files[os.path.splitext(relative)[0] + ".svg"] = svg
    return drawings


def _artifact(roots: list[str], relative: str) -> dict | None:
    for root in roots:
        try:
            with open(os.path.join(root, relative), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            continue
    return None


def _inside(relative: str) -> bool:
    """A path that stays inside the folder it is joined to (``records_schema`` refuses others
    on reading; this keeps the writer safe whatever it is given)."""
    return not os.path.isabs(relative) and ".." not in relative.replace("\\", "/").split("/")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
