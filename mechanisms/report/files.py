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
from dataclasses import replace

from ..atomic import replace as atomic_replace
from ..record import Results
from . import html, markdown
from .curves import draw_all
from .drawings import circuit_svg
from .matrix import markdown as matrix_markdown
from .records import matrices, ordered
from .series import ordered as series_ordered


def write_reports(results: Results, directory: str) -> str:
    """Write every report file of ``results`` into ``directory``; return the directory.

    ``results`` says whether the run was ``complete`` (false after Ctrl-C, ``-x`` or a crash:
    some cells are missing), its command line (or, for merged files, its ``sources``) and its
    ``series`` records (stability, emergence); an empty run still writes, so an old run's file
    never passes for this one.

    Every file is first written into a temporary folder inside ``directory`` and only then moved
    into place, so a failed write (a full disk) leaves the last report whole and no temporary
    file behind.
    """
    os.makedirs(directory, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".tmp-report-", dir=directory)
    try:
        written = _write_all(results, staging, directory)
        for relative in written:
            target = os.path.join(directory, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(os.path.join(staging, relative), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return str(directory)


def _write_all(results: Results, staging: str, directory: str) -> list[str]:
    """Write the report files into ``staging`` (artifacts are read from ``directory``); return
    their paths relative to it."""
    os.makedirs(os.path.join(staging, "curves"), exist_ok=True)
    results = replace(results, cells=ordered(results.cells), series=series_ordered(results.series))
    records = results.cells
    files = {
        "results.json": json.dumps(results.to_json(), indent=1, sort_keys=True, allow_nan=False),
        "matrix.md": matrix_markdown(records, results.series),
    }
    figures = draw_all(matrices(records))
    images = {}
    for (spec, suite, index), svg in figures.items():
        name = f"curves/{_safe(spec)}-{_safe(suite)}-{index}.svg"
        files[name] = svg
        images[(spec, suite, index)] = name
    drawings = draw_circuits(results, directory, files)
    files["report.html"] = html.render(results, figures, drawings)
    files["report.md"] = markdown.render(results, images)
    for relative, text in files.items():
        target = os.path.join(staging, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        atomic_replace(target, text)
    return list(files)


def draw_circuits(results: Results, directory: str, files: dict[str, str]) -> dict[str, str]:
    """``{artifact path: svg}`` for every circuit artifact the records name, each also added to
    ``files`` under the artifact's path with ``.svg`` for ``.json`` (beside the JSON in a run's
    own report). Artifacts are looked up in ``directory``, then next to each merged
    ``results.json``; a missing or unreadable one is simply not drawn, and a path that would
    leave its folder is never followed."""
    roots = [directory] + [os.path.dirname(s.path) for s in results.sources if s.path]
    drawings = {}
    for record in results.cells:
        for check in record.checks:
            relative = check.artifact
            if not relative:
                continue
            document = _artifact(roots, relative) if _inside(relative) else None
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
