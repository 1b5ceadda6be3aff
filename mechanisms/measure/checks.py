"""Check kinds: how one entry of a spec's ``checks`` list is measured and judged.

* ``behaviour``  the task metric against ``min`` or ``max``;
* ``heads``      at least ``at_least`` heads with score >= ``min`` (or playing a role, or fixed ids);
* ``ablation``   ablating the selected heads damages the metric by at least ``min_drop`` (a fraction
                 of its clean value; "damage" respects the metric's direction);
* ``path``       path patching each sender into the receivers' queries/keys/values damages the
                 metric by at least ``min_damage`` for at least ``at_least`` senders; damage is
                 the paper's noising metric negated, ``(clean - patched) / (clean - corrupted)``:
                 a fraction of the clean-corrupted gap, 1 = the patch alone erases it (or, with
                 ``normalise: clean``, of the clean value, for corruptions that keep the answer);
                 ``attention_shift`` also asks that the receivers' attention from END moves off
                 IO and onto S1 (the paper's S-inhibition confirmation), and ``screen`` first
                 keeps only senders whose path, patched from S2=IO prompts, erases more than
                 that fraction of their gap (the paper's candidates);
* ``circuit``    EAP-IG finds a circuit that recovers ``threshold`` of the metric (faithfulness)
                 within ``max_edges`` edges / ``max_nodes`` nodes, containing the selected heads
                 (``contains``); its edge and node counts are measured values (``circuits/``);
* ``share``      the selected heads carry at least ``min`` of a head score's total over all
                 heads (absolute values), or over the heads of a circuit (``in_circuit``), e.g.
                 the share of the circuit's direct effect that name movers carry (the paper's
                 Fig. 4B);
* ``greater_than_algorithm`` (``algorithms.py``) the paper's greater-than algorithm check on
                 the task's circuit (section 4.7).

Every rule they apply (metric direction, the smallest baseline a relative damage means anything
for, role thresholds) lives in ``registry``.

Each returns a ``CheckResult`` with the measured values that go into ``results.json`` and its
headline: the one value the check is judged on, with its threshold, which reports draw against
training tokens.
"""

from dataclasses import dataclass, field

import torch

from ..record import Headline
from ..spec import registry
from ..spec.settings import Ablation, Behaviour, Circuit, CircuitSearch, Heads, Path, Selector, Share
from .runs import TaskRun


@dataclass
class CheckResult:
    holds: bool
    summary: str
    values: dict = field(default_factory=dict)
    headline: Headline | None = None  # see ``headline()``
    artifact: dict | None = None  # a circuit: saved next to results.json (``evaluation.py``)


def headline(name: str, value: float | None, threshold: float | None, op: str = ">=") -> Headline:
    """The value a check is judged on and its rule (``value op threshold``); ``None`` when the
    check could not measure it (no heads matched, no behaviour to ablate) or has no threshold."""
    return Headline(name, value, threshold, op)


def head_name(layer: int, head: int) -> str:
    return f"L{int(layer)}H{int(head)}"


def parse_head(text: str) -> tuple[int, int]:
    layer, head = text[1:].split("H")
    return int(layer), int(head)


def _restrict(mask: torch.Tensor, layers: tuple[int, ...] | None) -> torch.Tensor:
    if layers is None:
        return mask
    beyond = [l for l in layers if l >= mask.shape[0]]
    if beyond:
        raise ValueError(
            f"layers {beyond} do not exist in a {mask.shape[0]}-layer model (layers 0-"
            f"{mask.shape[0] - 1}); deeper sizes have them: limit the spec's sizes with "
            "applies_to: [suite:size]"
        )
    keep = torch.zeros_like(mask)
    keep[list(layers)] = True
    return mask & keep


def selector_scores(sel: Selector) -> list[str]:
    """The head scores a selector reads: its ``score``, or every score of its ``role``'s rule."""
    if sel.role is not None:
        return [score for score, _, _ in registry.ROLES[sel.role].rule]
    return [sel.score] if sel.score is not None else []


def prompts_read(run: TaskRun, sel: Selector) -> dict[str, str]:
    """Which prompts each score of a selector was read on (``TaskRun.describe``), for the record."""
    return {name: run.score_source(name, sel.on).describe() for name in selector_scores(sel)}


def select_heads(run: TaskRun, sel: Selector) -> tuple[list, torch.Tensor | None]:
    """Heads chosen by a selector, strongest first, and the scores they were chosen by. With a
    role, ``min`` keeps the role's heads whose reported score (its rule's first) is >= min."""
    n_layers, n_heads = run.model.n_layers, run.model.n_heads
    if sel.ids is not None:
        heads = [parse_head(h) for h in sel.ids]
        bad = [head_name(*h) for h in heads if h[0] >= n_layers or h[1] >= n_heads]
        if bad:
            raise ValueError(f"heads {bad} do not exist in a {n_layers}-layer, {n_heads}-head model")
        if sel.score is None:
            return heads, None
        scores = run.head_scores(sel.score, sel.on).float()
        floor = float("-inf") if sel.min is None else sel.min
        return [h for h in heads if scores[h].item() >= floor], scores
    descending = True
    if sel.role is not None:
        from .roles import role_mask, role_strength

        mask = role_mask(run, sel.role, sel.on)
        scores, descending = role_strength(run, sel.role, sel.on)
        scores = scores.float()
        if sel.min is not None:  # the loader allows min only for roles whose heads are better high
            mask = mask & (scores >= sel.min)
    elif sel.score is not None:
        scores = run.head_scores(sel.score, sel.on).float()
        mask = torch.ones_like(scores, dtype=torch.bool) if sel.min is None else scores >= sel.min
    else:  # every head (in ``layers``, if given)
        scores = torch.zeros(n_layers, n_heads)
        mask = torch.ones_like(scores, dtype=torch.bool)
    mask = _restrict(mask, sel.layers)
    sign = 1.0 if descending else -1.0
    order = sorted(((sign * scores[l, h].item(), l, h) for l, h in mask.nonzero().tolist()), reverse=True)
    heads = [(l, h) for _, l, h in order][: sel.top]
    return heads, scores


def behaviour(run: TaskRun, s: Behaviour) -> CheckResult:
    logits = run.corrupted[0] if s.on == "corrupted" else None
    value = run.metric(s.metric, logits)
    op, threshold = (">=", s.min) if s.min is not None else ("<=", s.max)
    assert threshold is not None  # the loader asks for exactly one of min and max
    holds = value >= threshold if op == ">=" else value <= threshold
    return CheckResult(
        holds,
        f"{s.metric} = {value:.3f} (needs {op} {threshold})",
        {s.metric: value},
        headline(s.metric, value, threshold, op),
    )


def heads(run: TaskRun, s: Heads) -> CheckResult:
    need = s.at_least
    chosen, scores = select_heads(run, s)
    what = s.score or s.role or "ids"
    top = (
        {head_name(l, h): round(scores[l, h].item(), 4) for l, h in chosen[:8]} if scores is not None else {}
    )
    best = kth = None
    descending = True
    if scores is not None:  # the best heads among those the selector looks at (its layers only)
        looked_at = _restrict(torch.ones_like(scores, dtype=torch.bool), s.layers)
        if s.role is not None:
            descending = registry.role_higher_is_stronger(s.role)
        ranked = scores[looked_at].float().sort(descending=descending).values.tolist()
        best = round(ranked[0], 4) if ranked else None
        kth = round(ranked[need - 1], 4) if len(ranked) >= need else None
    summary = f"{len(chosen)} head(s) {what}{' >= ' + str(s.min) if s.min is not None else ''} (needs {need}); best {best}"
    name = f"best {what}" if need == 1 else f"#{need} {what}"  # with min: holds iff this >= min
    values = {"n_heads": len(chosen), "heads": top, "best_score": best}
    if selector_scores(s):
        values["prompts"] = prompts_read(run, s)
    return CheckResult(
        len(chosen) >= need,
        summary,
        values,
        headline(name, kth, s.min, ">=" if descending else "<="),
    )


def damage(metric: str, clean: float, ablated: float) -> float:
    if abs(clean) < 1e-9:
        return 0.0
    change = (ablated - clean) / abs(clean)
    return change if registry.METRICS[metric].lower_is_better else -change


def _meaningful(metric: str, clean: float) -> bool:
    """A relative drop only means something when the model shows the behaviour at all."""
    return registry.METRICS[metric].lower_is_better or clean >= registry.MIN_BASELINE


def ablation(run: TaskRun, s: Ablation) -> CheckResult:
    from .interventions import ablate_heads

    chosen, _ = select_heads(run, s.heads)
    metric, method = s.metric, s.method
    clean = run.metric(metric)
    if not chosen:
        return CheckResult(
            False,
            "no heads matched the selector: nothing to ablate",
            {"clean": clean, "n_heads": 0},
            headline("damage", None, s.min_drop),
        )
    if not _meaningful(metric, clean):
        return CheckResult(
            False,
            f"{metric} = {clean:.3f} on clean prompts: no behaviour for the heads to carry",
            {"clean": clean, "n_heads": len(chosen)},
            headline("damage", None, s.min_drop),
        )
    ablated = run.metric(metric, ablate_heads(run, chosen, method))
    drop = damage(metric, clean, ablated)
    summary = (
        f"{method}-ablating {len(chosen)} head(s) moves {metric} {clean:.3f} -> {ablated:.3f} "
        f"(damage {drop:.0%}, needs >= {s.min_drop:.0%})"
    )
    values = {"clean": clean, "ablated": ablated, "damage": drop, "heads": [head_name(*h) for h in chosen]}
    return CheckResult(drop >= s.min_drop, summary, values, headline("damage", drop, s.min_drop))


def _no_gap(metric: str, clean: float, corrupted: float) -> bool:
    """The corruption barely moves the metric: nothing for a path or a circuit to carry."""
    return damage(metric, clean, corrupted) * abs(clean) < registry.MIN_BASELINE


def path(run: TaskRun, s: Path) -> CheckResult:
    from .direct import noising_effect

    receivers, _ = select_heads(run, s.receivers)
    if not receivers:
        return CheckResult(
            False,
            "no receiver heads matched the selector",
            {"n_receivers": 0},
            headline("path damage", None, s.min_damage),
        )
    last = max(l for l, _ in receivers)
    senders, _ = select_heads(run, s.senders)
    senders = [h for h in senders if h[0] < last]  # each sender feeds the receivers above it
    metric, clean = s.metric, run.metric(s.metric)
    if not _meaningful(metric, clean):
        return CheckResult(
            False, f"{metric} = {clean:.3f} on clean prompts: no behaviour to route", {"clean": clean}
        )
    corrupted = run.metric(metric, run.corrupted[0])
    by_gap = s.normalise == "gap"
    if by_gap and _no_gap(metric, clean, corrupted):
        return CheckResult(
            False,
            f"{metric} = {clean:.3f} clean vs {corrupted:.3f} corrupted: no gap for a path to carry",
            {"clean": clean, "corrupted": corrupted},
            headline("path damage", None, s.min_damage),
        )
    screened: dict = {}
    if s.screen is not None:  # the paper's candidates first, then the spec's corruption confirms
        screened = _screen(run, senders, receivers, s)
        senders = [h for h in senders if screened[head_name(*h)] > s.screen]
    damages, shifts = {}, {}
    for sender in senders:
        downstream = [r for r in receivers if r[0] > sender[0]]
        patched, shift = _patched(run, sender, downstream, s)
        name = head_name(*sender)
        damages[name] = (
            -noising_effect(patched, clean, corrupted) if by_gap else damage(metric, clean, patched)
        )
        if shift is not None:
            shifts[name] = shift
    ranked = sorted(damages.items(), key=lambda kv: -kv[1])
    hits = {h: round(d, 4) for h, d in ranked if d >= s.min_damage and _shifted(shifts.get(h))}
    need = s.at_least
    qualifying = [d for h, d in ranked if _shifted(shifts.get(h))]  # best first
    kth = qualifying[need - 1] if len(qualifying) >= need else None
    summary = (
        f"{len(hits)} sender(s) with path damage >= {s.min_damage:.0%}"
        f"{' that move attention from IO to S1' if s.attention_shift else ''} into "
        f"{len(receivers)} receiver(s) (needs {need}); strongest {max(damages.values(), default=0):.0%}"
    )
    values = {
        "senders": hits,
        "receivers": [head_name(*h) for h in receivers],
        "clean": clean,
        "corrupted": corrupted,
    }
    if shifts:
        values["attention_shift"] = {h: shifts[h] for h in list(dict(ranked))[:8]}
    if s.screen is not None:
        values["candidates"] = len(senders)
        values["screen"] = dict(sorted(screened.items(), key=lambda kv: -kv[1])[:8])
        summary += f"; {len(senders)} of {len(screened)} sender(s) passed the S2=IO screen"
    name = "path damage" if need == 1 else f"#{need} path damage"  # holds iff this >= min_damage
    return CheckResult(len(hits) >= need, summary, values, headline(name, kth, s.min_damage))


def _screen(run: TaskRun, senders: list, receivers: list, s: Path) -> dict[str, float]:
    """The paper's S-inhibition candidate screen (section 4.5; its ``get_ioi_consistency.py``):
    each sender's path into the receivers patched from the S2=IO prompts, as the fraction of that
    set's clean-corrupted gap it erases (the noising effect negated; 0 for every sender where
    that set has no gap)."""
    from .inhibition import path_effects
    from .runs import task_run

    flipped = task_run(run.model, run.task_name, {**run.params, "corruption": "s2_io"})
    metric = s.metric
    if _no_gap(metric, flipped.metric(metric), flipped.metric(metric, flipped.corrupted[0])):
        return {head_name(*h): 0.0 for h in senders}
    effects = path_effects(flipped, senders, receivers, s.into, metric)
    return {head_name(*h): round(-effects.get(h, 0.0), 5) for h in senders}


def _patched(run: TaskRun, sender, downstream, s: Path) -> tuple[float, dict | None]:
    """The metric with the path patched and, for ``attention_shift``, how the receivers' mean
    attention from END to IO and to S1 moved (the paper's S-inhibition confirmation)."""
    from .inhibition import attention_shift
    from .interventions import path_patch

    into, metric = s.into, s.metric
    if not s.attention_shift:
        return path_patch(run, sender, downstream, into, metric), None
    return attention_shift(run, sender, downstream, into, metric)


def _shifted(shift: dict | None) -> bool:
    return shift is None or (shift["io"] < 0 and shift["s1"] > 0)


def share(run: TaskRun, s: Share) -> CheckResult:
    """The selected heads' (the union of every selector's) part of ``score``'s total, in absolute
    value, over every head or, with ``in_circuit``, over the heads of that circuit (selected heads
    outside it count for nothing, as in the paper's Fig. 4B-D)."""
    what = f"share of |{s.score}|"
    chosen = sorted({h for sel in s.heads for h in select_heads(run, sel)[0]})
    scores = run.head_scores(s.score).float().abs()
    pool = [(l, h) for l in range(scores.shape[0]) for h in range(scores.shape[1])]
    where, values = "all heads", {}
    if s.in_circuit is not None:
        found, why, measured = read_circuit(run, s.in_circuit)
        if found is None:
            return CheckResult(
                False, f"no circuit to count heads in: {why}", measured, headline(what, None, s.min)
            )
        pool = found.heads
        chosen = [h for h in chosen if h in set(pool)]
        where = f"the circuit's {len(pool)} heads"
        values = {"circuit_heads": [head_name(*h) for h in pool], "circuit_edges": found.n_edges}
    total = sum(scores[h].item() for h in pool)
    part = sum(scores[h].item() for h in chosen)
    fraction = part / total if total > 1e-9 else 0.0
    summary = f"{len(chosen)} head(s) carry {fraction:.0%} of |{s.score}| over {where} (needs >= {s.min:.0%})"
    if not chosen:
        named = ", ".join(sel.what for sel in s.heads)
        summary = f"no head is selected ({named}) over {where}; |{s.score}| totals {total:.3g}"
    values = {"share": fraction, "total": total, "heads": [head_name(*h) for h in chosen], **values}
    return CheckResult(
        bool(chosen) and fraction >= s.min,
        summary,
        values,
        headline(what, fraction if chosen else None, s.min),
    )


def _no_behaviour(run: TaskRun, s: CircuitSearch) -> tuple[str, dict]:
    """Why the model has no behaviour for a circuit to carry (empty if it has one: its metric
    below ``min_metric``, as faithfulness divides by it, or no clean-corrupted gap), and the
    metric on clean and corrupted prompts."""
    metric = s.metric
    clean, corrupted = run.metric(metric), run.metric(metric, run.corrupted[0])
    floor = s.min_metric
    measured = {"clean": clean, "corrupted": corrupted}
    if clean < floor or _no_gap(metric, clean, corrupted):
        return (
            f"{metric} = {clean:.3f} clean vs {corrupted:.3f} corrupted: no behaviour for a circuit to "
            f"carry (needs {metric} >= {floor})"
        ), measured
    return "", measured


def read_circuit(run: TaskRun, s: CircuitSearch):
    """The faithful circuit that circuit settings ``s`` ask for (the same one a ``circuit``
    check with those settings finds: it is cached on the run), or None and why there is none;
    and the metric's values behind that answer."""
    from .circuits.discovery import Settings, find_circuit

    why, measured = _no_behaviour(run, s)
    if why:
        return None, why, measured
    found = find_circuit(run, Settings.of(s))
    measured = {**measured, "faithful": found.faithful, "greedy_size": found.greedy_size}
    if not found.faithful:
        return (
            None,
            (
                f"no greedy circuit up to {found.greedy_size} edges recovers "
                f"{found.settings.threshold:.0%} of {s.metric}"
            ),
            measured,
        )
    return found, "", measured


def circuit(run: TaskRun, s: Circuit) -> CheckResult:
    """The smallest faithful circuit, judged on its size and the heads it contains. Its headline
    is the circuit's edge count against ``max_edges``; where the check fails for another reason
    (not faithful within the cap, too many nodes, missing heads) the headline has no value, so
    that a headline never passes a check that failed."""
    from .circuits.discovery import Settings, artifact, find_circuit

    metric, bound = s.metric, s.max_edges
    why, measured = _no_behaviour(run, s)
    if why:
        return CheckResult(False, why, measured, headline("circuit edges", None, bound, "<="))
    settings = Settings.of(s)
    found = find_circuit(run, settings)
    size_problem, other_problems = _circuit_problems(run, found, s)
    problems = [p for p in (size_problem, *other_problems) if p]
    nodes = found.nodes
    summary = (
        f"{found.n_edges} edges, {len(nodes)} nodes recover {found.faithfulness:.0%} of {metric} "
        f"({settings.measure}; needs >= {settings.threshold:.0%}"
        f"{f' within {bound} edges' if bound else ''})" + (f": {'; '.join(problems)}" if problems else "")
    )
    values = {
        "n_edges": found.n_edges,
        "n_nodes": len(nodes),
        "faithfulness": found.faithfulness,
        "faithful": found.faithful,
        "greedy_size": found.greedy_size,
        "full": found.full,
        "empty": found.empty,
        "cpr": found.cpr,
        "cmd": found.cmd,
        "heads": [head_name(*h) for h in found.heads],
    }
    holds = not problems
    return CheckResult(
        holds,
        summary,
        values,
        headline("circuit edges", None if other_problems else found.n_edges, bound, "<="),
        artifact(found),
    )


def _circuit_problems(run: TaskRun, found, s: Circuit) -> tuple[str, list[str]]:
    """Why the circuit fails the check: its size against ``max_edges`` (the headline's rule),
    and every other reason (the headline then has no value)."""
    bound, others = s.max_edges, []
    too_big = found.faithful and bound is not None and found.n_edges > bound
    if not found.faithful:
        others.append(f"no greedy circuit up to {found.greedy_size} edges is faithful enough")
    if s.max_nodes is not None and len(found.nodes) > s.max_nodes:
        others.append(f"more than {s.max_nodes} nodes")
    if s.contains is not None:
        wanted, _ = select_heads(run, s.contains)
        present = [h for h in wanted if h in set(found.heads)]
        need = len(wanted) if s.contains.at_least is None else s.contains.at_least
        if not wanted or len(present) < need:
            others.append(
                f"contains {len(present)} of the {len(wanted)} selected head(s) (needs {max(need, 1)}): "
                f"{', '.join(head_name(*h) for h in present) or 'none'}"
            )
    return (f"more than {bound} edges" if too_big else ""), others
