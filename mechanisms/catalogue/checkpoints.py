"""Parse checkpoint selections (``--checkpoints``) into the steps a suite actually has.

Accepted forms, all in Pythia's ``stepN`` vocabulary (the ``step`` prefix is optional):

* ``final``                 the last checkpoint only
* ``default``               the suite's sparse default (always with the final checkpoint)
* ``all``                   every checkpoint
* ``step0,step384,1024``    a list
* ``step256..step768``      an inclusive range of the checkpoints that exist
* ``final`` / ``default`` may be mixed into a list: ``step0,final``
"""

import re

_STEP = re.compile(r"^(?:step)?(\d+)$")


def step_label(step: int | None) -> str:
    """``stepN``, or ``final`` for a model that has only its final weights (step None)."""
    return "final" if step is None else f"step{step}"


class SelectionError(ValueError):
    """A ``--checkpoints`` or ``--model-sizes`` value that names nothing the suite has."""


def parse_step(text: str) -> int:
    match = _STEP.match(text.strip())
    if not match:
        raise SelectionError(f"not a checkpoint: {text!r} (expected stepN or N)")
    return int(match.group(1))


def select_steps(selection: str, available: list[int], default: list[int]) -> list[int]:
    """Steps named by ``selection`` among ``available`` (sorted), or raise ``SelectionError``."""
    parts = [p.strip() for p in selection.split(",") if p.strip()]
    if not parts:
        raise SelectionError(f"--checkpoints={selection!r} names no checkpoint; try final, default or all")
    chosen: set[int] = set()
    for part in parts:
        chosen.update(_select_part(part, available, default))
    return sorted(chosen)


def _select_part(part: str, available: list[int], default: list[int]) -> list[int]:
    if part == "all":
        return list(available)
    if part == "final":
        return [max(available)]
    if part == "default":
        return sorted({s for s in default if s in available} | {max(available)})
    if ".." in part:
        lo, hi = (parse_step(x) for x in part.split("..", 1))
        picked = [s for s in available if lo <= s <= hi]
        if not picked:
            raise SelectionError(f"range {part!r} holds no checkpoint of this suite")
        return picked
    step = parse_step(part)
    if step not in available:
        near = min(available, key=lambda s: abs(s - step))
        raise SelectionError(f"step{step} is not a checkpoint of this suite (nearest: step{near})")
    return [step]
