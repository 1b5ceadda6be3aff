"""One run at a time per report folder.

Two runs writing one ``.mechanisms/`` would each replace the other's ``results.json`` at the end,
and the first run's cells would be lost without a word. The controller takes ``.lock`` in the
report folder (created exclusively, holding its host and process id) before anything is
measured and removes it when the run ends; a second run stops at once with one line. A lock
left by a process that no longer runs on this host (a killed run) is taken over.
"""

from __future__ import annotations

import contextlib
import os
import socket

NAME = ".lock"


class ReportLocked(RuntimeError):
    """Another live run writes into this report folder."""


def acquire(directory: str) -> str:
    """Take the folder's lock; return its path. ``ReportLocked`` names the other run."""
    path = os.path.join(directory, NAME)
    os.makedirs(directory, exist_ok=True)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder is not None and _alive(*holder):
                raise ReportLocked(
                    f"another pytest run (pid {holder[1]} on {holder[0]}) is writing reports to "
                    f"{directory}; wait for it, or give this run its own --mech-report=DIR"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)  # a stale lock: its run is gone
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{socket.gethostname()} {os.getpid()}\n")
        return path
    raise ReportLocked(f"could not take the lock {path}")


def release(path: str) -> None:
    holder = _holder(path)
    if holder == (socket.gethostname(), os.getpid()):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _holder(path: str) -> tuple[str, int] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            host, pid = fh.read(200).split()
        return host, int(pid)
    except (OSError, ValueError):
        return None


def _alive(host: str, pid: int) -> bool:
    if host != socket.gethostname():
        return True  # another machine's run on a shared folder: assume it is alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
