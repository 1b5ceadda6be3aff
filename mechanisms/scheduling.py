"""xdist scheduling that keeps every model@checkpoint on one worker, biggest models first.

Loading a checkpoint costs far more than measuring one claim on it, so all the cells of one
model@checkpoint must run on the worker that loaded it. xdist's ``loadgroup`` does this by
rewriting node ids with an ``@group`` suffix, which pytest 9.2 silently ignores
(pytest-xdist#1386) and which changes the ids users see. This scheduler is xdist's
``LoadScopeScheduling`` with one override, ``_split_scope`` (the method xdist's own
``loadfile`` and ``loadgroup`` override): it reads the cell from the node id itself
(``path::spec-id[size@step]``: the cell label is the bracket), so one model@checkpoint is one
work unit and node ids stay exactly those of ``-n 0``. A gate's base and candidates are one
unit (the base first). Every other item, series items included, is a unit of its own.

The order of the units is xdist's: by size (``--loadscope-reorder``, its default), ties in
collection order, or collection order (``--no-loadscope-reorder``). ``order_items`` sorts the
collection so that both give the costliest models first (parameters x claims) and the series
items (stability, emergence) last: a series item waits for the cells it reads, so it must never
sit on a worker ahead of a cell. A worker holds its last item until it is told to finish, and
xdist tells each worker as it runs dry; a series item waiting for a cell held that way would
wait for that worker's next item, which xdist's own start-up rule (every worker starts with two
units where there are enough) and its shutdown of a worker with nothing left to give resolve.

It only takes over ``--dist load`` (xdist's default with ``-n``), and only once the collection
shows spec items: a run without specs is scheduled by xdist's own ``LoadScheduling``, unchanged.
xdist asks for its scheduler (``pytest_xdist_make_scheduler``) before any worker has collected,
and has no public way to change it afterwards, so ``DeferredScheduling`` feeds both candidates
the nodes and collections until collection completes and then keeps one. xdist is imported here
only, and only when xdist asks for a scheduler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .items import is_spec_nodeid
from .record import CellRecord

GATE_UNIT = "cell:gate"


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


def scope_of(nodeid: str, spec_globs: tuple[str, ...], gated: set[str]) -> str:
    """The work unit of an item: its model@checkpoint (a gate's cells: one unit), else itself."""
    cell = cell_of(nodeid, spec_globs)
    if cell is None:
        return nodeid
    return GATE_UNIT if cell in gated else f"cell:{cell}"


def order_items(items: list, costs: dict[str, float]) -> None:
    """Sort the collection in place: other tests first, then the spec cells, each
    model@checkpoint's together (a gate's base before its candidates), costliest first (cost:
    parameters x claims; an unknown size counts as the largest), then the series items
    (``costs``: one claim's cost per cell label, ``RunPlan.costs``)."""
    position = {id(item): i for i, item in enumerate(items)}
    largest = max(costs.values(), default=1.0)
    cost: dict[str, float] = {}
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None:
            cost[cell.group] = cost.get(cell.group, 0.0) + costs.get(cell.label, largest)

    def key(item: Any) -> tuple:
        cell = getattr(item, "cell", None)
        if cell is not None:
            return (1, -cost[cell.group], cell.group, cell.rank, position[id(item)])
        return (2 if hasattr(item, "cells") else 0, 0.0, "", 0, position[id(item)])

    items.sort(key=key)


def make_scheduler(
    config: Any,
    log: Any,
    spec_globs: tuple[str, ...],
    gate_labels: Callable[[], set[str]] = set,
) -> DeferredScheduling:
    """The scheduler for a ``--dist load`` run: xdist's, until the collection shows spec items.
    ``gate_labels`` are the cells of a gate (a base and its candidates), which form one unit."""
    from xdist.scheduler import LoadScheduling, LoadScopeScheduling

    gated = gate_labels()

    class CellScheduling(LoadScopeScheduling):
        """One work unit per model@checkpoint; every other item a unit of its own."""

        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid, spec_globs, gated)

    return DeferredScheduling(LoadScheduling(config, log), CellScheduling(config, log), spec_globs)


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
