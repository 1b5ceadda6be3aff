"""How much memory a task's activations may take, and so how many prompts one forward pass may
run.

One spec line (``n_prompts: 4096, span: 127``) must not exhaust a machine. A ``TaskRun`` keeps
its clean run's activations (logits, every head's pattern and ``z``, two residual streams) only
when their estimated size fits the budget; otherwise the reads that reduce over prompts (the
task metrics, the attention-pattern head scores) run in micro-batches sized from the budget,
and a read that needs every prompt's activations at once stops with a message naming the
estimate and the spec's ``n_prompts``. The budget is ``--mech-memory`` (GiB), by default half of
the memory available when the run starts (on a GPU, half of its free memory).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from typing import Any

GIB = 2**30
FLOAT_BYTES = 4
FALLBACK = 8 * GIB  # where the available memory cannot be read


class MemoryBudgetError(RuntimeError):
    """A read that needs more activations at once than the memory budget allows."""


@dataclass(frozen=True)
class Footprint:
    """Bytes per prompt of one forward pass's activations, for ``tokens`` positions."""

    cached: int  # everything the clean run keeps (logits, patterns, z, residual streams)
    patterns: int  # the attention patterns alone (``TaskRun.pattern_sum``'s buffer)
    logits: int  # the logits, their log-softmax (a metric's copy) and one block's activations

    @classmethod
    def of(cls, cfg: Any, tokens: int) -> Footprint:
        layers, heads, d_model = cfg.n_layers, cfg.n_heads, cfg.d_model
        d_head = getattr(cfg, "d_head", d_model // heads)
        d_mlp = getattr(cfg, "d_mlp", None) or 4 * d_model
        patterns = layers * heads * tokens * tokens * FLOAT_BYTES
        z = layers * tokens * heads * d_head * FLOAT_BYTES
        logits = tokens * cfg.d_vocab * FLOAT_BYTES
        # one block at a time: its MLP and residual activations, and the attention scores, mask,
        # softmax and pattern (four tokens x tokens tensors per head)
        transient = tokens * (d_mlp + 4 * d_model + 4 * heads * tokens) * FLOAT_BYTES
        cached = 2 * patterns + z + 2 * tokens * d_model * FLOAT_BYTES + 2 * logits + transient
        return cls(cached, patterns + transient, 2 * logits + transient)


def budget_bytes(given_gib: float | None, device: str = "cpu") -> int:
    """``--mech-memory`` in bytes, or half of what is available now."""
    if given_gib is not None:
        return int(given_gib * GIB)
    if device.startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(torch.device(device))
        return free // 2
    return _available_bytes() // 2


def _available_bytes() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return FALLBACK


def micro_batch(per_prompt: int, budget: int, n_prompts: int) -> int:
    """Prompts per forward pass: as many as fit in the budget, at least one."""
    return max(1, min(n_prompts, budget // max(per_prompt, 1)))


def gib(n_bytes: float) -> str:
    return f"{n_bytes / GIB:.2f} GiB"


def peak_memory(device: str) -> dict[str, float]:
    """The process's peak resident memory so far (MiB) and, on a GPU, the most torch allocated
    there since the last reset (``reset_peak``)."""
    peak = {"peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if device.startswith("cuda"):
        import torch

        peak["cuda_max_allocated_mib"] = round(
            torch.cuda.max_memory_allocated(torch.device(device)) / 2**20, 1
        )
    return peak


def reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(torch.device(device))
