"""A check's artifact (a circuit) as a file of the report folder, written by the worker that
measured it: ``circuits/<spec>/<cell>[.<check>].json``. The measure stage hands the document
to the saver made here and keeps only the returned path (relative to the report folder)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..atomic import replace

if TYPE_CHECKING:
    from ..plan.cells import Cell


def artifact_saver(spec_id: str, cell: Cell, directory: str | None) -> Callable[[dict, int], str | None]:
    """Saves a check's artifact under ``directory``; writes nothing and returns None when the
    run keeps no files (``directory`` None)."""

    def save(document: dict, index: int) -> str | None:
        if not directory:
            return None
        relative = os.path.join("circuits", spec_id, f"{cell.label}{f'.{index}' if index else ''}.json")
        target = os.path.join(directory, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        record = {"spec": spec_id, "check": index, "model": cell.size, "revision": cell.revision, **document}
        replace(target, json.dumps(record, indent=1, sort_keys=True))
        return relative

    return save
