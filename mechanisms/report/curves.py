"""Each check's headline value against training tokens, one line per model size (the paper's
Figs. 1-3 style): log-scaled token axis, the check's threshold drawn, each size's emergence step
marked. Drawn with matplotlib (imported here only: the plugin stays import-safe) and kept as SVG
text, which ``report.html`` inlines and ``report.md`` links as files.

The output is byte-for-byte reproducible (fixed SVG ids, no date), so two reports of the same
records are the same file.
"""

from __future__ import annotations

import io
from typing import Any

from ..record import CellRecord, Headline
from .records import Matrix, emergence, tokens_text

STYLE: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: smaller files, selectable labels
    "svg.hashsalt": "pytest-mechanisms",  # stable element ids
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def headline_of(record: CellRecord | None, index: int) -> Headline | None:
    """The ``index``-th check's headline of a cell (None: no such cell, check or value)."""
    if record is None or index >= len(record.checks):
        return None
    return record.checks[index].headline


def shown_headline(record: CellRecord | None) -> Headline | None:
    """The value a matrix cell shows beside its verdict: the first check's headline where the
    claim holds, the first failing check's where it does not (so a ✗ never shows a value that
    passes its own threshold)."""
    if record is None:
        return None
    failing = next((i for i, c in enumerate(record.checks) if not c.holds), 0)
    return headline_of(record, failing)


def series(m: Matrix, index: int) -> dict[str, list[tuple[int, float]]]:
    """``{model: [(tokens, value), ...]}`` for cells on a training axis with a measured value."""
    out: dict[str, list[tuple[int, float]]] = {}
    for model in m.rows:
        points = []
        for step in m.steps:
            record = m.cells.get((model, step))
            line = headline_of(record, index)
            if record and line and line.value is not None and record.tokens is not None:
                points.append((record.tokens, float(line.value)))
        if points:
            out[model] = points
    return out


def check_indices(m: Matrix) -> list[int]:
    """The checks of a claim that have a curve to draw: some size with values at two or more
    checkpoints (a single point is no curve; such runs also skip importing matplotlib)."""
    n_checks = max((len(r.checks) for r in m.cells.values()), default=0)
    return [i for i in range(n_checks) if any(len(points) >= 2 for points in series(m, i).values())]


def _headline_meta(m: Matrix, index: int) -> tuple[Headline | None, str]:
    """The check's headline (its name, threshold and rule) and the check's label."""
    for record in m.cells.values():
        line = headline_of(record, index)
        if line:
            return line, record.checks[index].check
    return None, ""


def draw_all(mats: dict[tuple[str, str], Matrix]) -> dict[tuple, str]:
    """``{(spec, suite, check index): svg}`` for every claim's drawable checks."""
    return {(*key, i): curve_svg(m, i) for key, m in mats.items() for i in check_indices(m)}


def curve_svg(m: Matrix, index: int) -> str:
    """One check's curve as SVG text."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(5.2, 3.1))
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.91)  # fixed: one draw, not two
        try:
            _draw(ax, m, index)
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline-ready: no XML prolog or doctype


def token_ticks(low: int, high: int, zero: bool) -> list[float]:
    """Ticks at 1, 2 and 5 x 10^k tokens within the data, and at the last checkpoint's tokens (so
    the axis is labelled up to where the data end), without two ticks closer than 1.3x."""
    ticks = [m * 10.0**k for k in range(20) for m in (1, 2, 5) if low <= m * 10.0**k < high / 1.3]
    return ([0.0] if zero else []) + ticks + [float(high)]


def _draw(ax: Any, m: Matrix, index: int) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator

    data = series(m, index)
    meta, label = _headline_meta(m, index)
    rows = m.rows  # a size keeps its colour in every plot, even where others have no values
    palette = plt.get_cmap("viridis")([0.85 * i / max(len(rows) - 1, 1) for i in range(len(rows))])
    colour_of = dict(zip(rows, palette))
    positive = [r.tokens for r in m.cells.values() if r.tokens is not None and r.tokens > 0]
    for model, points in data.items():
        colour = colour_of[model]
        xs, ys = zip(*points)
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.4, color=colour, label=model)
        onset = emergence(m, model)
        if onset is not None and onset[1] is not None:
            y = dict(points).get(onset[1])
            ax.axvline(onset[1], color=colour, linestyle=":", linewidth=1)
            if y is not None:
                ax.plot([onset[1]], [y], marker="*", markersize=10, color=colour, linestyle="none")
    if meta is not None and meta.threshold is not None:
        ax.axhline(meta.threshold, color="#c62828", linestyle="--", linewidth=1)
        ax.annotate(
            f"needs {meta.op} {meta.threshold:g}",
            xy=(1, meta.threshold),
            xycoords=("axes fraction", "data"),
            ha="right",
            va="bottom",
            color="#c62828",
        )
    if positive:  # 0 tokens (step 0) sits on the linear part of the axis
        ax.set_xscale("symlog", linthresh=min(positive), linscale=0.4)
        start = -0.3 * min(positive) if any(r.tokens == 0 for r in m.cells.values()) else min(positive) / 1.3
        ax.xaxis.set_major_locator(FixedLocator(token_ticks(min(positive), max(positive), start <= 0)))
        ax.set_xlim(start, max(positive) * 1.15)  # the same axis for every check of the claim
    ax.set_xlabel("training tokens (log; ★ and dotted line: emerges)")
    ax.set_ylabel("value" if meta is None else meta.name)
    ax.set_title(label, fontsize=8, loc="left")
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.legend(fontsize=7, frameon=False, loc="best")
    ax.xaxis.set_major_formatter(lambda x, _: tokens_text(int(x)).removesuffix(" tokens") if x > 0 else "0")
