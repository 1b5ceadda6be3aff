"""Boot a model through TransformerBridge (transformer_lens 4.x) with the project's safe defaults.

This is the only module that imports transformer_lens. Defaults that matter for correct numbers
(measured against transformer-lens 4.3's TransformerBridge): raw HF weights (no compatibility mode), eager attention,
fp32 on CPU, ``eval()`` (``load_weights=False`` boots leave training mode on), one torch thread per
xdist worker, and tokenization only through the saved tokenizer with BOS made explicit.
"""

import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import progress
from .hubcache import file_digest
from .resolve import resolve

_CONFIGURED: dict[str, int | None] = {"threads": None}


def configure_torch(threads: int | None) -> None:
    """Pin torch's intra-op threads once per process (before the first model is loaded)."""
    import torch

    if threads and _CONFIGURED["threads"] != threads:
        torch.set_num_threads(threads)
        _CONFIGURED["threads"] = threads


def weights_digest(directory: Path) -> str:
    """sha256 over the weight files, so two revisions that serve the same weights are visible."""
    return file_digest(*sorted(directory.glob("*.safetensors")))[:16]


TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "merges.txt")  # the vocabulary itself


def tokenizer_digest(directory: Path) -> str:
    """sha256 over the tokenizer files: a gate compares a candidate with its base only if they
    tokenize the same way."""
    files = [directory / name for name in TOKENIZER_FILES if (directory / name).is_file()]
    return file_digest(*files)[:16] if files else ""


@dataclass
class LoadedModel:
    """A booted bridge plus what reports need to know about it."""

    bridge: Any  # transformer_lens.model_bridge.TransformerBridge (imported only when a model loads)
    model_id: str
    revision: str | None
    path: str
    weights_sha256: str
    prepend_bos: bool
    tokenizer_sha256: str = ""  # digests are taken once, at boot; every cell's record reads them
    runs: dict = field(default_factory=dict)  # (task, params) -> TaskRun, shared by all checks
    stacked_weights_cache: Any = None  # StackedWeights, filled on first use
    memory_budget: int | None = None  # bytes of activations a task may hold (measure/budget.py)

    @property
    def n_layers(self) -> int:
        return self.bridge.cfg.n_layers

    @property
    def n_heads(self) -> int:
        return self.bridge.cfg.n_heads

    def parameter_bytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self.bridge.parameters())


@dataclass
class StackedWeights:
    """Weight tensors read once per model. TransformerBridge stacks every layer's tensor anew on
    each access of ``W_V``, ``W_O`` ...: read per head, that was 250 s of SmolLM2's 270-head
    successor score; read once, it is under a second."""

    W_E: Any
    W_U: Any
    W_V: Any  # [layers, kv_heads, d_model, d_head]
    b_V: Any  # [layers, kv_heads, d_head] or None
    W_O: Any  # [layers, heads, d_head, d_model]
    ln_final_weight: Any  # [d_model] or None


def stacked_weights(model: Any) -> StackedWeights:
    """``model``'s weights (a ``LoadedModel``, or anything with a ``bridge``), cached on it."""
    cached = getattr(model, "stacked_weights_cache", None)
    if cached is None:
        bridge = model.bridge
        cached = StackedWeights(
            bridge.W_E,
            bridge.W_U,
            bridge.W_V,
            getattr(bridge, "b_V", None),
            bridge.W_O,
            getattr(getattr(bridge, "ln_final", None), "weight", None),
        )
        model.stacked_weights_cache = cached
    return cached


def quiet_offline_environment(allow_download: bool) -> None:
    """Set before transformers/huggingface_hub are imported (they read these once), and only
    when a model is measured, so unrelated pytest runs are left alone. Offline, a hub miss
    fails at once instead of after ~23 s of retries."""
    if not allow_download:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    for name, value in (
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TRANSFORMERS_VERBOSITY", "error"),
        ("TOKENIZERS_PARALLELISM", "false"),
    ):
        os.environ.setdefault(name, value)


def boot(
    model_id: str,
    revision: str | None,
    prepend_bos: bool,
    allow_download: bool = False,
    device: str = "cpu",
) -> LoadedModel:
    quiet_offline_environment(allow_download)
    path = resolve(model_id, revision, allow_download)
    import torch
    from transformer_lens.model_bridge import TransformerBridge

    name = f"{model_id}@{revision}" if revision else model_id
    start = time.perf_counter()
    if path is None:  # only with --allow-download
        with progress.waiting(f"downloading {name} from the hub"):
            bridge = TransformerBridge.boot_transformers(
                model_id, revision=revision, device=device, dtype=torch.float32
            )
        path = Path(str(getattr(bridge.original_model.config, "_name_or_path", model_id)))
    else:
        if Path(path).is_dir():
            from .shapes import check_config

            check_config(Path(path))  # before transformers builds what the config claims
        on_disk = _bytes_on_disk(path)
        if on_disk >= ANNOUNCE_BYTES:
            progress.say(f"loading {name} ({_size_text(on_disk)} on disk) ...")
        bridge = TransformerBridge.boot_transformers(str(path), device=device, dtype=torch.float32)
    progress.loaded(name, time.perf_counter() - start, f"{_parameters(bridge, Path(path)):,} parameters")
    bridge.eval()
    return LoadedModel(
        bridge=bridge,
        model_id=model_id,
        revision=revision,
        path=str(path),
        weights_sha256=weights_digest(Path(path)) if Path(path).is_dir() else "",
        tokenizer_sha256=tokenizer_digest(Path(path)) if Path(path).is_dir() else "",
        prepend_bos=prepend_bos,
    )


def _parameters(bridge: Any, path: Path) -> int:
    """The parameter count reports and the suite catalogue use: the weight files' tensors
    (a tied unembedding counted once); the bridge's own count where there are no such files."""
    from ..plan.derive import parameter_count

    return parameter_count(path) or sum(p.numel() for p in bridge.parameters())


ANNOUNCE_BYTES = 200 << 20  # a model this big on disk gets a line before its load starts


def _bytes_on_disk(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).glob("*.safetensors")) if Path(path).is_dir() else 0


def _size_text(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


@lru_cache(maxsize=1)
def library_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in ("pytest-mechanisms", "transformer-lens", "transformers", "torch"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out
