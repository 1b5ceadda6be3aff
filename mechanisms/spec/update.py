"""Rewrite a spec's ``expect`` from what a run measured (``--mech-update-expect``), as syrupy's
``--snapshot-update`` rewrites snapshots: only the ``expect.<suite>`` entry of each spec changes,
in place, so the file's comments, key order and formatting elsewhere stay as they were.

Per size the run measured, the new onset is the measured one (the first checkpoint from which
the claim holds at every later checkpoint of the run), chosen among the onsets that agree with
the run as close as possible to the old one, so that checkpoints the run did not cover keep
their expectation where they can. Cells the spec marks ``unstable`` are left alone; a cell that
holds before its size's onset (a flip) is added to ``unstable`` and listed. Sizes the run did not
measure keep their onsets. The rewritten text is parsed again and must expect exactly what was
measured, or the file is left unchanged.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..catalogue.checkpoints import step_label
from ..catalogue.suites import get_suite
from ..record import CellRecord
from .loader import Expectation, Spec, SpecLoader, parse_spec

NEVER = None  # a size's onset when the claim is expected at no checkpoint


@dataclass(frozen=True)
class Measured:
    """One measured cell of a suite size: the verdict a run found there."""

    size: str
    step: int
    holds: bool


@dataclass
class Update:
    """What updating one spec's expectation for one suite does."""

    path: Path
    suite: str
    old_text: str
    new_text: str
    changes: list[str] = field(default_factory=list)  # "zoo-520k: 768 -> 1024"
    flips: list[str] = field(default_factory=list)  # cells added to unstable
    kept_unstable: list[str] = field(default_factory=list)  # measured cells the spec marks unstable
    error: str = ""  # why the file is left unchanged

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text and not self.error

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                f"{self.path} (before)",
                f"{self.path} (measured)",
            )
        )


def measured_onset(cells: dict[int, bool]) -> tuple[int | None, int | None]:
    """``(last absent step before the onset, onset)`` from ``{step: holds}``: the onset is the
    first step from which every later measured step holds (``NEVER`` if the last one is absent)."""
    onset: int | None = NEVER
    for step in sorted(cells, reverse=True):
        if not cells[step]:
            return step, onset
        onset = step
    return None, onset


def new_onset(old: int | None, cells: dict[int, bool], steps: tuple) -> int | None:
    """The onset closest to ``old`` that agrees with the measured ``cells`` (``steps``: the
    size's checkpoints, or empty for a model with only final weights)."""
    last_absent, onset = measured_onset(cells)
    if old is not NEVER and (onset is NEVER or old <= onset) and (last_absent is None or old > last_absent):
        return old
    if onset is NEVER:  # absent at the last measured step: later, uncovered steps may still hold
        later = [s for s in steps if last_absent is not None and s > last_absent]
        return min(later) if old is not NEVER and later else NEVER
    if old is NEVER or old > onset:
        return onset
    # old is at or before the last absent step: the earliest onset after it
    return min(s for s in (*steps, onset) if s > last_absent)


def _onsets(expectation: Expectation, sizes: dict) -> dict[str, int | None]:
    """Each size's onset under an expectation (``NEVER`` where it is not expected to hold)."""
    out: dict[str, int | None] = {}
    for name in sizes:
        if not expectation.holds:
            out[name] = NEVER
        elif isinstance(expectation.sizes, dict):
            out[name] = expectation.sizes.get(name, NEVER)
        elif expectation.sizes == "all" or name in expectation.sizes:
            out[name] = expectation.from_step
        else:
            out[name] = NEVER
    return out


def _render(onsets: dict[str, int | None], unstable: list[str], not_covered: tuple) -> str:
    """The ``expect.<suite>`` entry as one flow mapping."""
    parts = []
    held = {n: o for n, o in onsets.items() if o is not NEVER}
    if not held:
        parts.append("holds: false")
    elif len(held) == len(onsets) and len(set(held.values())) == 1:
        onset = next(iter(held.values()))
        parts.append(f"from_step: {onset}" if onset else "holds: true")
    else:
        parts.append("sizes: {" + ", ".join(f"{n}: {o}" for n, o in held.items()) + "}")
    if unstable:
        parts.append("unstable: [" + ", ".join(unstable) + "]")
    if not_covered:
        parts.append("not_covered: [" + ", ".join(not_covered) + "]")
    return "{" + ", ".join(parts) + "}"


def update_spec(spec: Spec, text: str, suite: str, measured: list[Measured]) -> Update:
    """The spec's text with ``expect.<suite>`` rewritten to agree with ``measured``."""
    catalogue = get_suite(suite).sizes
    expectation = spec.expect.get(suite, Expectation())
    onsets = _onsets(expectation, catalogue)
    unstable = list(expectation.unstable)
    update = Update(spec.path, suite, text, text)
    by_size: dict[str, dict[int, bool]] = {}
    for cell in measured:
        label = f"{cell.size}@{step_label(cell.step)}"
        if label in expectation.unstable:
            update.kept_unstable.append(label)
        elif expectation.expected(cell.size, cell.step) is not None:
            by_size.setdefault(cell.size, {})[cell.step] = cell.holds
    for size, cells in by_size.items():
        onset = new_onset(onsets[size], cells, tuple(catalogue[size].steps))
        flips = [s for s, holds in sorted(cells.items()) if holds and (onset is NEVER or s < onset)]
        update.flips += [f"{size}@{step_label(s)}" for s in flips]
        if onset != onsets[size]:
            update.changes.append(f"{size}: {_words(onsets[size])} -> {_words(onset)}")
            onsets[size] = onset
    if not update.changes and not update.flips:
        return update
    unstable += update.flips
    entry = _render(onsets, unstable, expectation.not_covered)
    update.new_text = _replace_entry(text, suite, entry)
    update.error = _disagreement(update.new_text, spec, suite, by_size)
    return update


def _words(onset: int | None) -> str:
    return "never" if onset is NEVER else f"step{onset}"


def _disagreement(text: str, spec: Spec, suite: str, by_size: dict) -> str:
    """Empty when the rewritten spec expects what was measured; else why not."""
    try:
        again = parse_spec(text, spec.path)
    except Exception as exc:  # a bug here must not write a broken spec
        return f"the rewritten spec does not load ({exc})"
    wrong = [
        f"{size}@{step_label(step)}"
        for size, cells in by_size.items()
        for step, holds in cells.items()
        if again.expected(suite, size, step) not in (holds, None)
    ]
    return f"the rewritten expectation still disagrees at {', '.join(wrong)}" if wrong else ""


def _replace_entry(text: str, suite: str, entry: str) -> str:
    """``text`` with the value of ``expect.<suite>`` replaced by ``entry`` (inserted if absent)."""
    root = yaml.compose(text, Loader=SpecLoader)
    assert root is not None  # the text parsed as a spec
    expect = next((v for k, v in root.value if k.value == "expect"), None)
    if expect is None:
        return text.rstrip("\n") + f"\nexpect:\n  {suite}: {entry}\n"
    for key, value in expect.value:
        if key.value == suite:
            return text[: value.start_mark.index] + entry + text[value.end_mark.index :]
    if expect.flow_style or not expect.value:
        pairs = [f"{k.value}: {text[v.start_mark.index : v.end_mark.index]}" for k, v in expect.value]
        new = "{" + ", ".join([*pairs, f"{suite}: {entry}"]) + "}"
        return text[: expect.start_mark.index] + new + text[expect.end_mark.index :]
    first = expect.value[0][0].start_mark
    line_start = first.index - first.column
    return text[:line_start] + " " * first.column + f"{suite}: {entry}\n" + text[line_start:]


def update_from_records(records: list[CellRecord], suite: str, write: bool) -> list[Update]:
    """Update every spec a run measured in ``suite`` (its suite sizes, not extra models; cells
    that errored measured nothing); write the files when ``write``. Records come from
    ``results.json`` or the run itself."""
    from ..atomic import replace
    from .loader import load_spec

    by_path: dict[str, list[Measured]] = {}
    for r in records:
        counted = r.suite == suite and not r.extra_model and r.outcome in ("holds", "absent")
        if counted and isinstance(r.step, int) and r.spec_path:
            by_path.setdefault(r.spec_path, []).append(Measured(r.model, r.step, r.outcome == "holds"))
    updates = []
    for path, measured in sorted(by_path.items()):
        spec = load_spec(path)
        text = Path(path).read_text(encoding="utf-8")
        update = update_spec(spec, text, suite, measured)
        if write and update.changed:
            replace(path, update.new_text)
        updates.append(update)
    return updates


def update_lines(updates: list[Update], write: bool) -> list[str]:
    """What the terminal says: each changed spec (with its diff when only showing it), the
    flips added to ``unstable`` and the unstable cells left alone."""
    lines = []
    for u in updates:
        if u.error:
            lines.append(f"{u.path}: expect.{u.suite} NOT updated: {u.error}")
        elif u.changed:
            verb = "updated" if write else "would update"
            lines.append(f"{u.path}: {verb} expect.{u.suite}: {'; '.join(u.changes) or 'no onset moved'}")
            if u.flips:
                lines.append(f"  added to unstable (hold before their size's onset): {', '.join(u.flips)}")
            if not write:
                lines += ["  " + line for line in u.diff().splitlines()]
        if u.kept_unstable:
            lines.append(f"{u.path}: left alone (marked unstable): {', '.join(u.kept_unstable)}")
    changed = sum(u.changed for u in updates)
    lines.append(
        f"{'updated' if write else 'would update'} {changed} of {len(updates)} spec(s) measured in this run"
        + ("" if write or not changed else " (run with --mech-update-expect to write)")
    )
    return lines
