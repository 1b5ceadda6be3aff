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

from ..atomic import replace
from . import html, markdown
from .curves import draw_all
from .drawings import circuit_svg
from .matrix import markdown as matrix_markdown
from .records import matrices, ordered
from .series import ordered as series_ordered

FORMAT = 1  # results.json's format


def write_reports(records: list[dict], directory: str, run: dict | None = None) -> str:
    """Write every report file of ``records`` into ``directory``; return the directory.

    ``run`` adds ``complete`` (false after Ctrl-C, ``-x`` or a crash: some cells are missing),
    the command line (or, for merged files, ``sources``) and the ``series`` records (stability,
    emergence); an empty run still writes, so an old run's file never passes for this one.
    """
    os.makedirs(os.path.join(directory, "curves"), exist_ok=True)
    run = dict(run or {})
    if run.get("series"):
        run["series"] = series_ordered(run["series"])
    document = {"format": FORMAT, **run, "cells": ordered(records)}
    replace(os.path.join(directory, "results.json"), json.dumps(document, indent=1, sort_keys=True))
    replace(os.path.join(directory, "matrix.md"), matrix_markdown(records, run.get("series", [])))
    figures = draw_all(matrices(records))
    images = {}
    for (spec, suite, index), svg in figures.items():
        name = f"curves/{_safe(spec)}-{_safe(suite)}-{index}.svg"
        replace(os.path.join(directory, name), svg)
        images[(spec, suite, index)] = name
    drawings = draw_circuits(records, directory, run)
    replace(os.path.join(directory, "report.html"), html.render(records, run, figures, drawings))
    replace(os.path.join(directory, "report.md"), markdown.render(records, images, run))
    return str(directory)


def draw_circuits(records: list[dict], directory: str, run: dict) -> dict[str, str]:
    """``{artifact path: svg}`` for every circuit artifact the records name, each also written
    into ``directory`` under the artifact's path with ``.svg`` for ``.json`` (beside the JSON in a
    run's own report). Artifacts are looked up in ``directory``, then next to each merged
    ``results.json``; a missing or unreadable one is simply not drawn."""
    roots = [directory] + [os.path.dirname(s["path"]) for s in run.get("sources", []) if s.get("path")]
    drawings = {}
    for record in records:
        for check in record.get("checks", []):
            relative = check.get("artifact")
            document = _artifact(roots, relative) if relative else None
            svg = circuit_svg(document) if document else None
            if svg is None:
                continue
            drawings[relative] = svg
            target = os.path.join(directory, os.path.splitext(relative)[0] + ".svg")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            replace(target, svg)
    return drawings


def _artifact(roots: list[str], relative: str) -> dict | None:
    for root in roots:
        try:
            with open(os.path.join(root, relative), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            continue
    return None


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
