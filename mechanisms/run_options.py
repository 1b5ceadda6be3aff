"""The settings one run measures under, as one typed object (``RunOptions``).

The plugin builds it once from the command line (``session.py``); the spec items, the series
items and ``api.measure_spec`` hand it to the measure stage. A frozen dataclass rather than a
dict, so a misspelt setting is a type error and every reader sees the same defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_WAIT = 900.0  # seconds a series item waits for its cells while no cell of the run finishes


@dataclass(frozen=True)
class RunOptions:
    threads: int | None = None  # torch threads (1 per xdist worker; None: torch's default)
    device: str = "cpu"
    allow_download: bool = False  # off: missing hub weights fail fast
    memory_gib: float | None = None  # --mech-memory; None: half the memory available
    baseline: str | None = None  # --baseline FILE that candidates are gated against
    report_dir: str | None = None  # where circuits are saved (None: the run keeps no files)
    cellstore: str = ""  # the run's cell store (shared with the series items on every worker)
    wait: float = DEFAULT_WAIT  # --mech-wait
