"""Lines on the terminal where a run waits: a model converted, downloaded or loaded slowly.

Measuring happens inside tests, whose output pytest captures, and under xdist in worker processes
whose stdout is the controller's channel. The plugin therefore installs a ``Progress`` that writes
past the capture (``capturemanager.global_and_fixture_disabled``, as pytest's live logging does):
in the main process through the terminal reporter, in a worker to its stderr, which xdist leaves
on the user's terminal. Nothing is written under ``-q``; without the plugin (library use) lines
go nowhere.

Zoo cells load in well under a second each, so a load gets its line only when it took
``SLOW_LOAD_S`` or more (``-v``: every load); conversions and downloads always get one, before
and after, and a conversion shows transformers' own progress bar.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

SLOW_LOAD_S = 2.0


class Progress:
    def __init__(
        self,
        write: Callable[[str], None],
        uncaptured: Callable[[], contextlib.AbstractContextManager],
        verbose: int,
        prefix: str = "",
    ):
        self.write, self.uncaptured, self.verbose, self.prefix = write, uncaptured, verbose, prefix

    def line(self, text: str) -> None:
        with self.uncaptured():
            self.write(self.prefix + text)


_CURRENT: Progress | None = None


def install(progress: Progress | None) -> None:
    global _CURRENT
    _CURRENT = progress


def say(text: str) -> None:
    if _CURRENT is not None:
        _CURRENT.line(text)


@contextlib.contextmanager
def waiting(what: str, announce: bool = True) -> Iterator[None]:
    """``what``: a line before (when ``announce``) and one after with the time it took."""
    if announce:
        say(f"{what} ...")
    start = time.perf_counter()
    yield
    say(f"{what}: done in {time.perf_counter() - start:.1f} s")


@contextlib.contextmanager
def visible() -> Iterator[bool]:
    """Let a library's own progress bar (transformers, tqdm) reach the terminal; yields whether
    it may draw one (False under ``-q`` or without the plugin)."""
    if _CURRENT is None:
        yield False
        return
    with _CURRENT.uncaptured():
        yield True


def loaded(what: str, seconds: float, size: str) -> None:
    """After a model load: a line if it was slow or the run is verbose."""
    if _CURRENT is not None and (seconds >= SLOW_LOAD_S or _CURRENT.verbose > 0):
        say(f"loaded {what} ({size}) in {seconds:.1f} s")


def stderr_line(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
