"""One forward pass per model and task dataset, shared by every check that reads it.

A ``TaskRun`` builds the task's prompts for the model's tokenizer once, runs the clean prompts
once (logits, every head's attention pattern and output ``z``, and the residual stream after
block 0 and after the last block), and the corrupted prompts only if some check asks. Everything runs under
``torch.inference_mode()``: no check here needs gradients.

Memory is bounded by design (``budget.py``): when those activations for every prompt would not
fit the memory budget, the reads that average over prompts (``metric``, ``pattern_sum`` for the
attention-pattern head scores) run in micro-batches instead, with the same values, and a read
that needs every prompt's activations at once (``clean``) stops with ``MemoryBudgetError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..spec import registry
from .budget import Footprint, MemoryBudgetError, budget_bytes, gib, micro_batch
from .tasks import TaskData, Vocab

if TYPE_CHECKING:
    import torch

    from ..models.loading import LoadedModel

CACHED_HOOKS = ("attn.hook_pattern", "attn.hook_z")


def _wanted_for(n_layers: int):
    """Attention patterns and ``z`` of every layer, the residual stream after block 0 (copy scores)
    and the final residual stream (direct effects)."""
    final = f"blocks.{n_layers - 1}.hook_resid_post"

    def wanted(name: str) -> bool:
        return name.endswith(CACHED_HOOKS) or name in ("blocks.0.hook_resid_post", final)

    return wanted


class TaskRun:
    def __init__(self, model: LoadedModel, task: str, params: dict) -> None:
        self.model, self.task_name, self.params = model, task, params
        self.scores: dict = {}  # head-score name -> [layers, heads] tensor, shared across checks
        self.circuits: dict = {}  # circuits.discovery.Settings -> Circuit, shared across checks
        self.forwards = 0

    @cached_property
    def vocab(self) -> Vocab:
        return Vocab(self.model.bridge.tokenizer, self.model.prepend_bos)

    @cached_property
    def data(self) -> TaskData:
        from dataclasses import replace

        made = registry.TASKS[self.task_name].load()(self.vocab, **self.params)
        return replace(made, device=str(self.device))

    @cached_property
    def device(self) -> torch.device:
        """Where the model's weights are: tokens and every tensor a check makes go there."""
        return next(self.model.bridge.parameters()).device

    @cached_property
    def budget(self) -> int:
        """Bytes of activations this run may hold (``--mech-memory``; half the free memory)."""
        return self.model.memory_budget or budget_bytes(None, self.device.type)

    @cached_property
    def footprint(self) -> Footprint:
        width = max(len(row) for row in self.data.tokens)
        return Footprint.of(self.model.bridge.cfg, width)

    @property
    def fits(self) -> bool:
        """Whether every prompt's activations fit the budget at once (one forward pass)."""
        return self.footprint.cached * len(self.data) <= self.budget

    def chunks(self, per_prompt: int) -> Iterator[TaskData]:
        """The prompts in micro-batches of as many as ``per_prompt`` bytes each allow."""
        size = micro_batch(per_prompt, self.budget, len(self.data))
        for first in range(0, len(self.data), size):
            yield self.data.rows(range(first, min(first + size, len(self.data))))

    def _check_context(self, tokens: torch.Tensor) -> None:
        context = getattr(self.model.bridge.cfg, "n_ctx", None)
        if context and tokens.shape[1] > context:
            raise ValueError(
                f"task {self.task_name!r} prompts are {tokens.shape[1]} tokens long, longer than "
                f"the model's context of {context} (lower span or use shorter prompts)"
            )

    def _forward(self, corrupted: bool) -> tuple[torch.Tensor, Any]:
        import torch

        tokens = self.data.padded(corrupted=corrupted)
        self._check_context(tokens)
        if not self.fits:
            need = self.footprint.cached * len(self.data)
            raise MemoryBudgetError(
                f"a check needs every prompt's activations at once: {len(self.data)} prompts of task "
                f"{self.task_name!r} take about {gib(need)}, more than the memory budget of "
                f"{gib(self.budget)} (--mech-memory); lower the spec's n_prompts or raise --mech-memory"
            )
        with torch.inference_mode():
            logits, cache = self.model.bridge.run_with_cache(
                tokens, names_filter=_wanted_for(self.model.n_layers)
            )
        missing = [n for n in ("blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z") if n not in cache]
        if missing:
            raise RuntimeError(f"hooks were not cached (gated or renamed?): {missing}")
        self.forwards += 1
        return logits, cache

    @cached_property
    def clean(self) -> tuple[torch.Tensor, Any]:
        return self._forward(corrupted=False)

    @cached_property
    def corrupted(self) -> tuple[torch.Tensor, Any]:
        if self.data.corrupted is None:
            raise ValueError(f"task {self.task_name!r} has no corrupted prompts")
        return self._forward(corrupted=True)

    @property
    def logits(self) -> torch.Tensor:
        return self.clean[0]

    def patterns(self) -> torch.Tensor:
        """``[layers, batch, heads, q, k]`` attention patterns of the clean run."""
        import torch

        cache = self.clean[1]
        return torch.stack([cache[f"blocks.{l}.attn.hook_pattern"] for l in range(self.model.n_layers)])

    def _chunk_patterns(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[layers, batch, heads, q, k]`` patterns of ``tokens``, each layer's written by a hook
        straight into one buffer (no cache of every layer, then a stacked copy of it)."""
        import torch

        n_layers, n_heads = self.model.n_layers, self.model.n_heads
        width = tokens.shape[1]
        buffer = torch.empty(n_layers, tokens.shape[0], n_heads, width, width, device=tokens.device)
        filled = [False] * n_layers

        def keeper(layer: int):
            def keep(pattern, hook=None):
                buffer[layer] = pattern
                filled[layer] = True

            return keep

        hooks = [(f"blocks.{l}.attn.hook_pattern", keeper(l)) for l in range(n_layers)]
        self.model.bridge.run_with_hooks(tokens, fwd_hooks=hooks)
        if not all(filled):
            raise RuntimeError(
                f"attention-pattern hooks never fired in layers {[l for l, f in enumerate(filled) if not f]}"
            )
        return buffer

    def final_resid(self) -> torch.Tensor:
        """``[batch, pos, d_model]`` residual stream after the last block (before ``ln_final``)."""
        return self.clean[1][f"blocks.{self.model.n_layers - 1}.hook_resid_post"]

    def answer_logits_from(self, resid: torch.Tensor) -> torch.Tensor:
        """``[batch, vocab]`` logits at each prompt's answer position from a final residual stream
        ``[batch, pos, d_model]``: ``ln_final`` and the unembedding there only."""
        import torch

        from ..models.loading import stacked_weights

        rows, end = torch.arange(len(self.data)), torch.tensor(self.data.end_positions())
        with torch.inference_mode():
            logits = self.model.bridge.ln_final(resid[rows, end]) @ stacked_weights(self.model).W_U
            b_u = getattr(self.model.bridge, "b_U", None)
            return logits if b_u is None else logits + b_u

    def unembeds_at_answer(self, metric: str) -> bool:
        """Whether ``metric`` may be read from ``answer_logits_from``: it reads the answer position
        only (not a ``sequence`` metric such as the repeat loss), and the shortcut reproduces the
        model's logits there (a model that softcaps or rescales its logits after ``ln_final``
        would not)."""
        return registry.METRICS[metric].answer != "sequence" and self.unembedding_is_linear

    @cached_property
    def unembedding_is_linear(self) -> bool:
        """The model's logits are ``ln_final(resid) @ W_U + b_U``: ``answer_logits_from`` on the
        clean run's final residual stream reproduces its logits at the answer (no softcapping)."""
        from .metrics import answer_logits

        model_says = answer_logits(self.logits, self.data)
        error = (self.answer_logits_from(self.final_resid()) - model_says).abs().max()
        return bool(error <= 1e-3 * model_says.abs().max().clamp(min=1.0))

    def z(self, layer: int, corrupted: bool = False) -> torch.Tensor:
        return (self.corrupted if corrupted else self.clean)[1][f"blocks.{layer}.attn.hook_z"]

    def metric(self, name: str, logits: torch.Tensor | None = None) -> float:
        """A task metric of the clean run (or of ``logits``). Every metric is a mean over prompts,
        so where the clean run's activations exceed the budget it is the prompt-weighted mean of
        micro-batches."""
        measure = registry.METRICS[name].load()
        if logits is not None or self.fits or "clean" in self.__dict__:
            return measure(self.logits if logits is None else logits, self.data)
        import torch

        total = 0.0
        for chunk in self.chunks(self.footprint.logits):
            tokens = chunk.padded()
            self._check_context(tokens)
            with torch.inference_mode():
                total += measure(self.model.bridge(tokens), chunk) * len(chunk)
        self.forwards += 1
        return total / len(self.data)

    def pattern_sum(self, reduce: Callable[[torch.Tensor, TaskData], torch.Tensor]) -> torch.Tensor:
        """``reduce(patterns, prompts)`` summed over the prompts: ``patterns`` is ``[layers,
        batch, heads, q, k]``, of the whole clean run when it fits the budget, else of one
        micro-batch at a time (``reduce`` must add up over prompts: sums, not means)."""
        if self.fits or "clean" in self.__dict__:
            return reduce(self.patterns(), self.data)
        import torch

        total = None
        for chunk in self.chunks(self.footprint.patterns):
            tokens = chunk.padded()
            self._check_context(tokens)
            with torch.inference_mode():
                part = reduce(self._chunk_patterns(tokens), chunk)
            total = part if total is None else total + part
        self.forwards += 1
        assert total is not None
        return total

    def head_scores(self, name: str, on: str | dict | None = None) -> torch.Tensor:
        """``[layers, heads]`` scores, computed once per prompt set. An attention-pattern score
        is read on the prompts ``on`` names (``registry.default_on`` when None)."""
        source = self.score_source(name, on)
        if name not in source.scores:
            source.scores[name] = registry.HEAD_SCORES[name].load()(source)
        return source.scores[name]

    def score_source(self, name: str, on: str | dict | None = None) -> TaskRun:
        """The run whose prompts ``name`` is read on: this one, or a named prompt set's."""
        if not registry.HEAD_SCORES[name].portable:
            return self
        on = registry.default_on(name, self.task_name) if on is None else on
        if not isinstance(on, dict):  # "task" (the loader refuses anything else)
            return self
        ((task, given),) = on.items()
        defaults = {k: default for k, (_, default) in registry.TASKS[task].params.items()}
        return task_run(self.model, task, {**defaults, **given})

    def describe(self) -> str:
        """The prompts of this run, as a record states them: ``task(param=value, ...)``."""
        params = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.task_name}({params})"


def task_run(model: LoadedModel, task: str, params: dict) -> TaskRun:
    key = (task, tuple(sorted(params.items())))
    if key not in model.runs:
        model.runs[key] = TaskRun(model, task, params)
    return model.runs[key]
