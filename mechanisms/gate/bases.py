"""Where a candidate's base claim comes from: the base measured earlier in this run (on this
worker: the scheduler keeps a gate's cells together, base first), measured on demand when its
cell was deselected (``-k``, ``--lf``), or a stored baseline file."""

from __future__ import annotations

from collections.abc import Callable

from ..record import BaseClaim, CellRecord, CircuitMembers
from . import baseline


class GateError(Exception):
    """A candidate that cannot be compared with its base; the message says why and what to do."""


def base_for(
    spec,
    suite: str,
    baseline_path: str | None,
    measure_base: Callable[[], CellRecord] | None = None,
    in_run: dict[str, CellRecord] | None = None,
) -> BaseClaim:
    """The base's claim for ``spec`` (from its record or a stored baseline), or a ``GateError``.
    ``in_run`` holds the bases measured in this process (spec id -> record); ``measure_base``
    measures the base's cell of ``spec`` when it has not run here (and the result joins
    ``in_run``)."""
    if baseline_path:
        document = baseline.load(baseline_path)
        entry = document["claims"].get(spec.id)
        changes = baseline.claim_key_changes(entry, spec, suite)
        if changes:
            raise GateError(
                f"baseline {baseline_path} does not match this claim: {'; '.join(changes)}. "
                + baseline.rerecord_hint(baseline_path)
            )
        assert entry is not None  # claim_key_changes names a missing claim
        checks = [(c.kind, c.settings(suite)) for c in spec.checks]
        problems = baseline.spec_problems(entry, checks)
        if problems:
            raise GateError(
                f"baseline {baseline_path}: claims.{spec.id}: {'; '.join(problems)} (edited by hand?). "
                + baseline.rerecord_hint(baseline_path)
            )
        return baseline.base_claim(document, spec.id, baseline_path)
    in_run = {} if in_run is None else in_run
    record = in_run.get(spec.id)
    if record is None and measure_base is not None:
        record = in_run[spec.id] = measure_base()
    if record is None:
        raise GateError("this claim has no base in this run (no --baseline-model): nothing to compare with")
    if record.outcome == "error":
        raise GateError(f"the base's measurement failed ({record.error}): nothing to compare with")
    return BaseClaim.of_record(record)


def circuit_edges(circuits: dict[int, CircuitMembers]) -> dict[str, list[str]]:
    """A base's circuits as its record keeps them (check index -> edge names), so that a
    candidate, measured in the run or against a stored baseline, is compared edge by edge."""
    return {str(i): sorted(members.edges) for i, members in sorted(circuits.items())}


def same_tokenizer(base: BaseClaim, candidate: CellRecord) -> None:
    """Values of two models that tokenize differently are not comparable."""
    ours = candidate.tokenizer_sha256
    theirs = base.tokenizer_sha256
    if ours and theirs and ours != theirs:
        raise GateError(
            f"the candidate's tokenizer (sha256 {ours}) is not its base's ({theirs}): "
            "prompts differ, so their values cannot be compared"
        )
