"""What each cell of a run measured, shared between processes, for the claims that span cells.

A series item (a circuit's stability over checkpoints, a claim's emergence across sizes) needs
results that other items measure, perhaps on other xdist workers. Items run in one process each
and report only to the controller, so each cell of a spec with series claims also leaves a small
entry here: one JSON file per spec and cell in a directory named by the controller for this run
(``pytest_configure``) and handed to every worker (``workerinput``). Files are written atomically,
so a reader sees a whole entry or none. The directory is created on first write and removed when
the controller ends the run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable

from .atomic import replace
from .record import CellEntry

WORKERINPUT_KEY = "mechanisms_cellstore"


def new_directory() -> str:
    """A fresh directory name for one run (created on first use)."""
    return os.path.join(tempfile.gettempdir(), f"mechanisms-cells-{os.getpid()}-{uuid.uuid4().hex[:8]}")


class CellStore:
    def __init__(self, directory: str) -> None:
        self.directory = directory

    def _path(self, spec_id: str, label: str) -> str:
        return os.path.join(self.directory, spec_id, f"{label}.json")

    def put(self, spec_id: str, label: str, entry: CellEntry) -> None:
        path = self._path(spec_id, label)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        replace(path, json.dumps(entry.to_json(), sort_keys=True))

    def get(self, spec_id: str, label: str) -> CellEntry | None:
        try:
            with open(self._path(spec_id, label), encoding="utf-8") as fh:
                return CellEntry.from_json(json.load(fh))
        except FileNotFoundError:
            return None

    def count(self) -> int:
        """Entries of every spec (progress of the run as a whole)."""
        if not os.path.isdir(self.directory):
            return 0
        return sum(len(files) for _, _, files in os.walk(self.directory))

    def wait(
        self,
        spec_id: str,
        labels: Iterable[str],
        patience: float,
        poll: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> tuple[dict[str, CellEntry], list[str]]:
        """Entries of ``labels``, waiting for those still being measured elsewhere. Gives up
        after ``patience`` seconds in which no cell of the run finished (a crashed worker, a run
        stopped by ``-x``); returns what it found and the labels still missing."""
        found: dict[str, CellEntry] = {}
        missing = list(labels)
        progress, last = self.count(), time.monotonic()
        while True:
            for label in list(missing):
                entry = self.get(spec_id, label)
                if entry is not None:
                    found[label] = entry
                    missing.remove(label)
            if not missing:
                return found, []
            now = self.count()
            if now != progress:
                progress, last = now, time.monotonic()
            elif time.monotonic() - last > patience:
                return found, missing
            sleep(poll)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
