"""GGUF files become ordinary local models: dequantised once to fp32 safetensors in a user cache.

transformers can read GGUF but takes 20-60 s to dequantise on every load, refuses
``save_pretrained`` on the result, and leaves ``config.architectures`` empty (TransformerBridge
then cannot pick an adapter, e.g. for ``gemma3_text``). We convert once, under a file lock so that
parallel xdist workers wait for one conversion instead of racing, and cache by the file's hash.
"""

import os
import shutil
import warnings
from pathlib import Path

from .. import progress
from .hubcache import file_digest


def cache_root() -> Path:
    base = (
        os.environ.get("MECHANISMS_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pytest-mechanisms"
    )
    return Path(base) / "converted"


def converted_gguf(path: Path) -> Path:
    """The fp32 safetensors directory for ``path``, converting it on first use."""
    from filelock import FileLock, Timeout

    target = cache_root() / f"{path.stem}-{file_digest(path)[:16]}"
    if (target / "config.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target) + ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        with progress.waiting(f"waiting for another process converting {path.name}"):
            lock.acquire()
    try:
        if not (target / "config.json").exists():  # another worker may have finished meanwhile
            size = f"{path.stat().st_size / (1 << 20):.0f} MiB"
            what = f"converting {path.name} ({size}) to fp32 safetensors, once"
            with progress.waiting(what), progress.visible() as bars:
                _convert(path, target, bars)
    finally:
        lock.release()
    return target


def _convert(path: Path, target: Path, bars: bool = False) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    with warnings.catch_warnings():  # huggingface_hub warns that its own env var overrides it
        warnings.simplefilter("ignore")
        (hf_logging.enable_progress_bar if bars else hf_logging.disable_progress_bar)()  # dequantising

    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    quantised = AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=torch.float32
    )
    config = quantised.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantised.state_dict(), strict=True)
    model.config.architectures = [type(model).__name__]
    model.save_pretrained(str(staging), safe_serialization=True)
    tokenizer.save_pretrained(str(staging))
    staging.rename(target)
