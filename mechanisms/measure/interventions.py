"""Interventions on attention heads: ablation (zero, mean, interchange, resample) and path patching.

Every intervention checks that it did something: each hook must fire, and the tensor it returns
must differ from the one it received. A hook that never fired (gated, misspelled, renamed by a
transformer_lens upgrade) or a patch that changed nothing raises ``InterventionError`` instead
of returning the clean numbers as if the heads did not matter.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .runs import TaskRun


class InterventionError(RuntimeError):
    """An intervention that silently did nothing."""


class _Guard:
    """Counts, per hook name, how often it fired and whether it changed its activation."""

    def __init__(self) -> None:
        self.fired: defaultdict[str, int] = defaultdict(int)
        self.changed: defaultdict[str, bool] = defaultdict(bool)

    def wrap(self, name: str, edit: Callable[[torch.Tensor], torch.Tensor]) -> Callable:
        def hook(tensor, hook=None):
            self.fired[name] += 1  # before the edit: a recorder may end the pass (``_Stop``)
            new = edit(tensor.clone())
            self.changed[name] |= not torch.equal(new, tensor)
            return new

        return hook

    def verify(self, names: Iterable[str]) -> None:
        silent = [n for n in names if not self.fired[n]]
        if silent:
            raise InterventionError(f"hooks never fired: {silent}")
        unchanged = [n for n in names if not self.changed[n]]
        if unchanged:
            raise InterventionError(f"intervention left the activations unchanged at {unchanged}")


def _run_with(bridge, tokens, edits: dict, observe: dict | None = None, stop_at: str | None = None):
    """Logits with ``edits`` applied (each verified to fire and change something); activations
    named in ``observe`` are stored into it, unverified, as the run passes them. With ``stop_at``
    (a hook name), the pass ends there and returns that activation instead of the logits."""
    names = sorted(edits)
    missing = [
        n for n in [*names, *(observe or {}), *([stop_at] if stop_at else [])] if n not in bridge.hook_dict
    ]
    if missing:
        raise InterventionError(f"no such hook on this model: {missing}")
    guard, stopped = _Guard(), {}
    hooks = [(n, guard.wrap(n, edits[n])) for n in names]
    for name in observe or {}:

        def keep(x, hook=None, name=name):
            observe[name] = x.clone()
            return x

        hooks.append((name, keep))
    if stop_at:

        def stop(x, hook=None):
            stopped["activation"] = x.clone()
            raise _Stop

        hooks.append((stop_at, stop))
    with torch.inference_mode(), contextlib.suppress(_Stop):
        logits = bridge.run_with_hooks(tokens, fwd_hooks=hooks)
    guard.verify(names)
    if stop_at and "activation" not in stopped:
        raise InterventionError(f"hook never fired: {stop_at}")
    return stopped["activation"] if stop_at else logits


def by_layer(heads: list[tuple[int, int]]) -> dict:
    out = defaultdict(list)
    for layer, head in heads:
        out[int(layer)].append(int(head))
    return out


def ablation_value(run: TaskRun, layer: int, head: int, method: str) -> torch.Tensor:
    """What replaces head ``(layer, head)``'s ``z`` ``[batch, pos, d_head]``.

    * ``zero``: zeros;
    * ``mean``: per position, the mean over the prompts that have a real token there (padding
      and shorter prompts do not pull the mean; a position no prompt reaches keeps the clean value);
    * ``interchange``: the paired corrupted prompt's value (the counterfactual of the same prompt);
    * ``resample``: another prompt's value, drawn at random (seeded) among prompts of the same
      length so that positions line up; a prompt with no such partner keeps its own value.
    """
    z = run.z(layer)[:, :, head]
    if method == "zero":
        return torch.zeros_like(z)
    if method == "mean":
        real = real_token_mask(run)[:, :, None].to(z.dtype)  # [batch, pos, 1]
        count = real.sum(0)
        mean = (z * real).sum(0) / count.clamp(min=1)
        return torch.where(count > 0, mean, z)
    if method == "interchange":
        return run.z(layer, corrupted=True)[:, :, head]
    if method == "resample":
        return z[resample_partners(run)]
    raise ValueError(f"unknown ablation {method!r}")


def real_token_mask(run: TaskRun) -> torch.Tensor:
    """``[batch, pos]``: True where the prompt has a real token (right padding is False)."""
    ends = torch.tensor(run.data.end_positions())
    width = run.z(0).shape[1]
    return torch.arange(width)[None, :] <= ends[:, None]


def resample_partners(run: TaskRun, seed: int = 0) -> torch.Tensor:
    """For each prompt, the index of a different prompt of the same token length (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(run.data.end_positions())
    partners = torch.arange(len(lengths))
    for length in lengths.unique():
        group = (lengths == length).nonzero()[:, 0]
        if len(group) > 1:
            shuffled = group[torch.randperm(len(group), generator=generator)]
            partners[shuffled] = shuffled.roll(1)  # a cycle: nobody keeps their own prompt
    return partners


def ablate_heads(run: TaskRun, heads: list[tuple[int, int]], method: str = "mean") -> torch.Tensor:
    """Logits of the clean prompts with ``heads`` ([(layer, head)]) ablated."""
    edits = {}
    for layer, hs in by_layer(heads).items():
        values = {h: ablation_value(run, layer, h, method) for h in hs}

        def edit(z, values=values):
            for h, v in values.items():
                z[:, :, h] = v
            return z

        edits[f"blocks.{layer}.attn.hook_z"] = edit
    return _run_with(run.model.bridge, run.data.padded(), edits)


def path_patch(
    run: TaskRun,
    sender: tuple[int, int],
    receivers: list[tuple[int, int]],
    into: str,
    metric: str,
    observe: dict | None = None,
) -> float:
    """``metric`` when only the path sender -> receivers' ``into`` input carries the corrupted signal.

    1. Clean run with the sender's ``z`` from the corrupted run and every other head's ``z`` frozen
       at its clean value; record the receivers' ``q``/``k``/``v`` (the pass stops there).
    2. Clean run with only those receiver inputs replaced by the recorded ones: queries at the
       final (answer) position, keys and values at every position.
    MLPs are not frozen (as in McDougall's ``path_patch`` default), so paths through MLPs count.
    Hook names in ``observe`` (e.g. the receivers' attention patterns) are filled from step 2.
    Where the metric reads the answer position only, step 2 stops at the final residual stream and
    unembeds the answer positions alone (``TaskRun.answer_logits_from``): on Gemma-3 the 262k-token
    unembedding of every position was about 60% of a pass.
    """
    bridge, tokens = run.model.bridge, run.data.padded()
    rows, end = torch.arange(len(run.data)), torch.tensor(run.data.end_positions())
    s_layer, s_head = sender
    last = max(layer for layer, _ in receivers)  # step 1 stops once it has recorded this layer
    clean_z = [run.z(layer) for layer in range(last)]  # computed before any hook runs:
    sender_z = run.z(s_layer, corrupted=True)[:, :, s_head]  # a forward inside a hook recurses
    frozen = {}
    for layer in range(last):

        def freeze(z, layer=layer):
            z = clean_z[layer].clone()
            if layer == s_layer:
                z[:, :, s_head] = sender_z
            return z

        frozen[f"blocks.{layer}.attn.hook_z"] = freeze
    recorded = {}
    for layer in by_layer(receivers):
        name = f"blocks.{layer}.attn.hook_{into}"

        def record(x, name=name, stop=layer == last):
            recorded[name] = x.clone()
            if stop:
                raise _Stop
            return x

        frozen[name] = record
    _run_with_recording(bridge, tokens, frozen)
    edits = {}
    for layer, hs in by_layer(receivers).items():
        name = f"blocks.{layer}.attn.hook_{into}"

        def patch(x, name=name, hs=hs):
            grouped = into != "q" and x.shape[2] < run.model.n_heads  # GQA keys/values
            for h in hs:
                idx = h // (run.model.n_heads // x.shape[2]) if grouped else h
                if into == "q":  # the query that reads the answer position
                    x[rows, end, idx] = recorded[name][rows, end, idx]
                else:  # keys and values: every position the receiver can attend to
                    x[:, :, idx] = recorded[name][:, :, idx]
            return x

        edits[name] = patch
    if not run.unembeds_at_answer(metric):
        return run.metric(metric, _run_with(bridge, tokens, edits, observe))
    final = f"blocks.{run.model.n_layers - 1}.hook_resid_post"
    resid = _run_with(bridge, tokens, edits, observe, stop_at=final)
    return run.metric(metric, run.answer_logits_from(resid))


class _Stop(Exception):
    """Raised by the last hook to end a forward pass early."""


def final_resid_with(bridge, tokens, hooks: dict, n_layers: int) -> torch.Tensor:
    """The final residual stream (``[batch, pos, d_model]``) with ``hooks`` applied, where only
    some may change their activation (freezing a value at the clean run's is a no-op by design);
    each must still fire. The pass stops there: no unembedding."""
    missing = [n for n in hooks if n not in bridge.hook_dict]
    if missing:
        raise InterventionError(f"no such hook on this model: {missing}")
    guard, captured = _Guard(), {}
    wrapped = [(n, guard.wrap(n, fn)) for n, fn in sorted(hooks.items())]

    def stop(x, hook=None):
        captured["resid"] = x.clone()
        raise _Stop

    wrapped.append((f"blocks.{n_layers - 1}.hook_resid_post", stop))
    with torch.inference_mode(), contextlib.suppress(_Stop):
        bridge.run_with_hooks(tokens, fwd_hooks=wrapped)
    silent = [n for n in hooks if not guard.fired[n]]
    if silent or "resid" not in captured:
        raise InterventionError(f"hooks never fired: {silent or ['final residual stream']}")
    return captured["resid"]


def _run_with_recording(bridge, tokens, hooks: dict) -> None:
    """Step 1 of path patching, which its last recorder ends by raising ``_Stop`` (nothing above
    the receivers is needed): every hook must have fired by then."""
    guard = _Guard()
    wrapped = [(n, guard.wrap(n, fn)) for n, fn in sorted(hooks.items())]
    with torch.inference_mode(), contextlib.suppress(_Stop):
        bridge.run_with_hooks(tokens, fwd_hooks=wrapped)
    silent = [n for n in hooks if not guard.fired[n]]
    if silent:
        raise InterventionError(f"hooks never fired: {silent}")
