"""xdist scheduling that keeps every model@checkpoint on one worker, biggest models first.

Loading a checkpoint costs far more than measuring one claim on it, so all the cells of one
model@checkpoint must run on the worker that loaded it. xdist's ``loadgroup`` does this by
rewriting node ids with an ``@group`` suffix, which pytest 9.2 silently ignores
(pytest-xdist#1386) and which changes the ids users see. This scheduler reads the cell from the
node id itself instead (``path::spec-id[size@step]``: the cell label is the bracket) and hands
xdist one work unit per cell, ordered by cost (parameters x claims) so the largest models start
first and ``-n 8`` workers finish together, and the spec's series items (``name[size]``,
``name[suite]``) as one last unit. Node ids stay exactly those of ``-n 0``.

It only takes over ``--dist load`` (xdist's default with ``-n``), and only once the collection
shows spec items: a run without specs is scheduled by xdist's own ``LoadScheduling``, unchanged.
xdist is imported here only, and only when xdist asks for a scheduler.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .items import is_spec_nodeid
from .record import CellRecord

# Series items (stability, emergence) read cells measured elsewhere: they form one unit, handed
# out last (cost -1), and once it is handed out every worker is told to finish, so a worker that
# holds its last cell (xdist runs an item only once it knows the next one) runs it while the
# series item waits for its result (series.py).
SERIES_UNIT = "series"


def label_of(nodeid: str, spec_globs: tuple[str, ...]) -> str | None:
    """The bracketed label of a spec file's item (a cell's ``size@step``, a series item's size
    or suite), or None for any other item."""
    _, sep, name = nodeid.partition("::")
    if not sep or not name.endswith("]") or "[" not in name or not is_spec_nodeid(nodeid, spec_globs):
        return None
    return name[name.index("[") + 1 : -1]


def cell_of(nodeid: str, spec_globs: tuple[str, ...]) -> str | None:
    """The cell label (``size@step``) of a spec cell's node id, or None for any other item."""
    label = label_of(nodeid, spec_globs)
    return label if label is not None and "@" in label else None


def make_scheduler(
    config: Any,
    log: Any,
    spec_globs: tuple[str, ...],
    costs: Callable[[], dict[str, float]],
    gate_labels: Callable[[], set[str]] = set,
) -> DeferredScheduling:
    """The scheduler for a ``--dist load`` run: xdist's, until the collection shows spec items.

    ``costs`` maps cell labels to the relative cost of one claim there (parameter count); it is
    called only if spec items are scheduled. ``gate_labels`` are the cells of a gate (a base and
    its candidates), which form one unit: the base is measured first, on the worker that then
    compares each candidate with it.
    """
    from xdist.scheduler import LoadScheduling, LoadScopeScheduling

    gated = gate_labels()

    class CellScheduling(LoadScopeScheduling):
        """One work unit per model@checkpoint (other items: one unit each), costliest first."""

        collection: list[str] | None

        def _split_scope(self, nodeid: str) -> str:
            cell = cell_of(nodeid, spec_globs)
            if cell is None:
                return SERIES_UNIT if label_of(nodeid, spec_globs) is not None else nodeid
            return "cell:gate" if cell in gated else f"cell:{cell}"

        def _reschedule(self, node: Any) -> None:
            super()._reschedule(node)
            if not self.workqueue:  # nothing left to hand out: every worker runs what it holds
                for other in self.nodes:
                    if not other.shutting_down:
                        other.shutdown()

        def schedule(self) -> None:
            if self.collection is None and self.collection_is_completed:
                if not self._check_nodes_have_same_collection():
                    self.log("**Different tests collected, aborting run**")
                    return
                collection = list(next(iter(self.registered_collections.values())))
                self.collection = collection
                self.workqueue.update(units_by_cost(collection, self._split_scope, costs()))
                super().schedule()  # collection is set: one unit per worker, idle workers stop
                # A second unit where the first is short, as xdist does: a worker holds its last
                # item until it knows the next one or is shut down, so two one-item units on two
                # workers would each wait forever.
                for node in self.nodes:
                    self._reschedule(node)
                return
            super().schedule()

    return DeferredScheduling(LoadScheduling(config, log), CellScheduling(config, log), spec_globs)


def units_by_cost(
    collection: list[str], scope_of: Callable[[str], str], costs: dict[str, float]
) -> OrderedDict:
    """Work units ``{scope: {nodeid: False}}``, costliest first (stable for equal costs)."""
    units: dict[str, dict[str, bool]] = {}
    for nodeid in collection:
        units.setdefault(scope_of(nodeid), {})[nodeid] = False

    def cost(scope: str) -> float:
        if scope == SERIES_UNIT:
            return -1.0  # after everything: it reads the cells
        if not scope.startswith("cell:"):
            return 0.0
        return costs.get(scope[len("cell:") :], max(costs.values(), default=1.0)) * len(units[scope])

    return OrderedDict((scope, units[scope]) for scope in sorted(units, key=cost, reverse=True))


class DeferredScheduling:
    """Feeds both candidate schedulers until collection is complete, then keeps one.

    Before ``schedule()`` xdist only registers nodes and collections, which both candidates
    record without side effects; after the choice every attribute is the chosen scheduler's,
    and ``__class__`` reports its class, so ``-v``'s "scheduling tests via ..." line of a run
    without specs is the same as without this plugin.
    """

    def __init__(self, plain: Any, cells: Any, spec_globs: tuple[str, ...]) -> None:
        self._candidates, self._chosen, self._spec_globs = (plain, cells), None, spec_globs

    def _active(self) -> Any:
        return self._chosen if self._chosen is not None else self._candidates[0]

    @property  # type: ignore[misc]
    def __class__(self):
        return type(self._chosen) if self._chosen is not None else DeferredScheduling

    def add_node(self, node: Any) -> None:
        for sched in self._targets():
            sched.add_node(node)

    def remove_node(self, node: Any) -> str | None:
        results = [sched.remove_node(node) for sched in self._targets()]
        return results[0]

    def add_node_collection(self, node: Any, collection: list[str]) -> None:
        for sched in self._targets():
            sched.add_node_collection(node, collection)
        if self._chosen is None and self._candidates[0].collection_is_completed:
            has_cells = any(cell_of(n, self._spec_globs) for n in collection)
            self._chosen = self._candidates[1] if has_cells else self._candidates[0]

    def _targets(self) -> tuple:
        return (self._chosen,) if self._chosen is not None else self._candidates

    def __getattr__(self, name: str) -> Any:
        return getattr(self._active(), name)


# --- the self-check ------------------------------------------------------------------
# Grouping once stopped without a word (xdist's loadgroup under pytest 9.2, pytest-xdist#1386)
# and every model loaded on every worker: a run twice as slow that nobody noticed. So the
# controller checks the worker of every record and fails the run if a model@checkpoint ran on
# two workers under this scheduler (other --dist modes get a warning).


def split_groups(records: list[CellRecord]) -> dict:
    """``{model@checkpoint group: [workers]}`` for every group that ran on more than one worker."""
    workers: dict = {}
    for record in records:
        if record.worker is not None and record.group:
            workers.setdefault(record.group, set()).add(record.worker)
    return {group: sorted(ws) for group, ws in workers.items() if len(ws) > 1}
