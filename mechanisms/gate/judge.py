"""Judge a candidate's measured claim against its base's, claim by claim.

* The base held the claim: the candidate must hold it too, and every check's headline must stay
  within its tolerance of the base's (``tolerance.py``). Otherwise the claim fails, naming the
  base value, the candidate value and the tolerance.
* The base did not hold it: reported, not required (a candidate that gained it passes).
* The base's measurement failed, or is missing: the candidate cannot be judged (an error).

A circuit check also compares the circuits themselves: the edge Jaccard similarity between the
candidate's circuit and the base's is reported, and required to be at least ``base_overlap``
where the spec sets it (the same circuit may keep its size and faithfulness while being made
of other edges).
"""

from __future__ import annotations

from ..record import BaseClaim, CellRecord, CheckRecord, CircuitMembers, GateRow, GateVerdict
from .tolerance import Tolerance


def judge(
    base: BaseClaim, candidate: CellRecord, checks: list, circuits: dict[int, CircuitMembers] | None = None
) -> GateVerdict:
    """``checks``: the spec's ``(kind, settings)`` for this suite, in order; ``circuits``: the
    candidate's circuit members per check index (``evaluation.circuit_members``), compared with
    the base's ``circuit_edges``. Returns the record's gate verdict: required or not, pass /
    fail / not required, the reasons and per check the base and candidate values with the
    tolerance (and, for circuits, their overlap)."""
    required = base.outcome == "holds"
    rows, reasons = [], []
    for i, (kind, settings) in enumerate(checks):
        overlap: float | None = None
        if kind == "circuit":
            overlap, why = circuit_overlap(base, (circuits or {}).get(i), i)
            least = settings.base_overlap
            if required and least is not None and (overlap or 0.0) < least:
                reasons.append(
                    why
                    or f"check {i}: the circuit shares {overlap:.0%} of its edges with the base's "
                    f"(edge Jaccard; needs >= {least:.0%})"
                )
        tolerance = Tolerance.for_check(kind, settings)
        b = _headline(base.checks, i)
        c = _headline(candidate.checks, i)
        within = None if b is None or c is None else tolerance.within(b, c)
        ours = candidate.checks[i] if i < len(candidate.checks) else None
        label = ours.check if ours is not None else f"check {i}"
        name = ours.headline.name if ours is not None and ours.headline is not None else "value"
        rows.append(
            GateRow(
                check=label,
                name=name,
                base=b,
                candidate=c,
                within=within,
                direction=tolerance.direction,
                amount=tolerance.amount,
                relative=tolerance.relative,
                source=tolerance.source,
                overlap=overlap,
                is_circuit=kind == "circuit",
            )
        )
        if required and within is False and b is not None and c is not None:
            reasons.append(
                f"{label} {name}: base {b:.4g} -> candidate {c:.4g}; {tolerance.text()} ({_allowed(tolerance, b)})"
            )
    if required and candidate.outcome != "holds":
        failed = [f"{c.check}: {c.summary}" for c in candidate.checks if not c.holds]
        reasons.insert(
            0,
            "the claim held on the base and does not hold here: "
            + "; ".join(failed or [str(candidate.error)]),
        )
    verdict = "not required" if not required else ("fail" if reasons else "pass")
    return GateVerdict(
        required=required,
        verdict=verdict,
        reasons=reasons,
        checks=rows,
        base_outcome=base.outcome,
        base=base.model,
        base_revision=base.revision,
        baseline=base.baseline,
    )


def circuit_overlap(base: BaseClaim, members: CircuitMembers | None, index: int) -> tuple[float | None, str]:
    """Edge Jaccard between the base's circuit (its record's ``circuit_edges``) and the
    candidate's, or None and why there is nothing to compare."""
    base_edges = base.circuit_edges.get(str(index))
    if base_edges is None:
        return (
            None,
            f"check {index}: the base has no circuit to compare with (absent, or a baseline written before circuits were kept)",
        )
    if not members or not members.edges:
        return None, f"check {index}: the candidate has no circuit to compare with the base's"
    ours, theirs = set(members.edges), set(base_edges)
    return len(ours & theirs) / len(ours | theirs), ""


def _headline(checks: list[CheckRecord], index: int) -> float | None:
    if index >= len(checks) or checks[index].headline is None:
        return None
    value = checks[index].headline.value  # type: ignore[union-attr]
    return None if value is None else float(value)


def _allowed(tolerance: Tolerance, base: float) -> str:
    bound = (
        base - tolerance.allowed(base)
        if tolerance.direction == "may_fall"
        else base + tolerance.allowed(base)
    )
    return f"{'at least' if tolerance.direction == 'may_fall' else 'at most'} {bound:.4g}"
