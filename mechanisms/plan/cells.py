"""Cells: one model at one training checkpoint, and the plan of cells a run covers.

The plan is the product of the chosen suite's sizes and checkpoints (``--model-sizes``,
``--checkpoints``) plus any extra ``--model`` (a fine-tune to gate), built deterministically so
every xdist worker collects the same items in the same order.
"""

import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..catalogue.checkpoints import SelectionError, select_steps, step_label
from ..catalogue.suites import FINAL, get_suite
from .derive import derived_size


@dataclass(frozen=True)
class Cell:
    suite: str
    size: str
    model_id: str
    step: int | None
    revision: str | None
    tokens: int | None
    params: int | None
    prepend_bos: bool
    extra: bool = False  # an extra --model, not a suite size
    role: str = ""  # "base" (--baseline-model) or "candidate" (--model judged against a base)
    rank: int = 0  # order within a gate: the base first, then each candidate
    derived_from: str | None = None  # extra model without a base: the suite size it has the shape of
    derived_step: int | None = None  # that size's last checkpoint, whose expectations it gets

    @property
    def label(self) -> str:
        return f"{self.size}@{step_label(self.step)}"

    @property
    def group(self) -> str:
        """The xdist group: all cells of one model@revision run on one worker (no '@' inside).
        A gate's base and candidates form one group, so the base is measured before the
        candidates that are compared with it, on the same worker."""
        return "gate" if self.role else f"{self.model_id}:{self.revision or 'main'}"


def suite_cells(suite_name: str, sizes_opt: str | None, checkpoints_opt: str) -> list[Cell]:
    suite = get_suite(suite_name)
    sizes = _sizes(suite, sizes_opt)
    cells = []
    for name in sizes:
        size = suite.size(name)
        steps = (
            [FINAL]
            if not size.steps
            else select_steps(checkpoints_opt, list(size.steps), list(suite.default_steps))
        )
        for step in steps:
            cells.append(
                Cell(
                    suite.name,
                    name,
                    size.model_id,
                    step,
                    size.revision(step),
                    size.tokens(step),
                    size.params,
                    suite.prepend_bos,
                )
            )
    return cells


def _sizes(suite, sizes_opt: str | None) -> list[str]:
    if sizes_opt in (None, "default"):
        return list(suite.default_sizes)
    if sizes_opt == "all":
        return list(suite.sizes)
    if sizes_opt == "none":  # only the extra models (a gate: --baseline-model and --model)
        return []
    sizes = [s.strip() for s in sizes_opt.split(",") if s.strip()]
    if not sizes:
        raise SelectionError(
            f"--model-sizes={sizes_opt!r} names no size; sizes: all, {', '.join(suite.sizes)}"
        )
    twice = sorted({s for s in sizes if sizes.count(s) > 1})
    if twice:
        raise SelectionError(f"--model-sizes names {', '.join(twice)} twice")
    unknown = [s for s in sizes if s not in suite.sizes]
    if unknown:
        raise SelectionError(
            f"suite {suite.name!r} has no size {', '.join(unknown)}; sizes: {', '.join(suite.sizes)}"
        )
    return sizes


def gate_cells(suite_name: str, models: list[str], base: str | None, gated: bool) -> list[Cell]:
    """``--baseline-model`` (the base) and each ``--model``: candidates when a base or a stored
    baseline is given, else extra rows judged by the size they derive from."""
    cells = [extra_cell(base, suite_name, role="base")] if base else []
    for rank, reference in enumerate(models, start=1):
        cells.append(extra_cell(reference, suite_name, role="candidate" if gated else "", rank=rank))
    identities = [
        (os.path.abspath(c.model_id) if _is_local(c.model_id) else c.model_id, c.revision) for c in cells
    ]
    twice = sorted({c.label for c, i in zip(cells, identities) if identities.count(i) > 1})
    if twice:
        raise SelectionError(f"--model/--baseline-model name {', '.join(twice)} twice (give distinct models)")
    return _distinct_names(cells)


def _distinct_names(cells: list[Cell]) -> list[Cell]:
    """Distinct models whose names (a path's last part) agree are named by as many trailing
    path parts as tell them apart, joined by ``~``: ``a~ft`` and ``b~ft`` for ``/a/ft``, ``/b/ft``."""
    out = list(cells)
    for depth in range(2, 64):
        labels = [c.label for c in out]
        clash = {label for label in labels if labels.count(label) > 1}
        if not clash:
            return out
        out = [
            replace(c, size=_tail(c.model_id, depth)) if c.label in clash and _is_local(c.model_id) else c
            for c in out
        ]
    return out


def _tail(model_id: str, depth: int) -> str:
    parts = [p for p in Path(os.path.abspath(model_id)).parts if p != os.sep]
    return "~".join(parts[-depth:])


def _is_local(model_id: str) -> bool:
    return model_id.endswith(".gguf") or model_id.startswith((".", "/", "~")) or Path(model_id).exists()


def extra_cell(reference: str, suite_name: str, role: str = "", rank: int = 0) -> Cell:
    """``ID_OR_PATH[@REV]`` as a cell judged like the chosen suite (its thresholds and BOS policy).
    A path that exists is a model as it stands, ``@`` and all; ``@REV`` is read off hub ids and
    references that are not on disk."""
    model_id, _, revision = ("", "", "") if Path(reference).exists() else reference.partition("@")
    model_id = model_id or reference
    local = _is_local(model_id)
    if local or "/" not in model_id:
        size = model_id.rstrip("/").split("/")[-1] or model_id
    else:
        size = model_id
    step = None
    if revision.startswith("step") and revision[4:].isdigit():
        step = int(revision[4:])
    suite = get_suite(suite_name)
    derived = None if role else derived_size(model_id, suite.sizes)
    derived_step = None
    if derived is not None and suite.size(derived).steps:
        derived_step = suite.size(derived).steps[-1]
    return Cell(
        suite_name,
        size,
        model_id,
        step,
        revision or None,
        None,
        None,
        suite.prepend_bos,
        extra=True,
        role=role,
        rank=rank,
        derived_from=derived,
        derived_step=derived_step,
    )
