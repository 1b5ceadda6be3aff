"""Which suite size an extra model derives from, by its parameter count.

A fine-tune has exactly the parameters of the size it was tuned from, so a local model directory
whose safetensors hold as many parameters as one suite size is judged by that size's expectations
(at its last checkpoint) when no base is given. The count comes from the safetensors headers
(8 bytes of length, then JSON with each tensor's shape): no torch, no weights read.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

MAX_HEADER = 100 << 20


def parameter_count(directory: Path) -> int | None:
    """Total parameters in ``directory``'s safetensors files; None if there are none."""
    files = sorted(Path(directory).glob("*.safetensors")) if Path(directory).is_dir() else []
    if not files:
        return None
    total = 0
    for path in files:
        with open(path, "rb") as fh:
            (length,) = struct.unpack("<Q", fh.read(8))
            if length > MAX_HEADER:
                return None
            header = json.loads(fh.read(length))
        total += sum(math.prod(t["shape"]) for name, t in header.items() if name != "__metadata__")
    return total


def is_counted(model_id: str) -> bool:
    """Only a local model directory's parameters are counted (hub ids and GGUF files are not)."""
    return Path(model_id).expanduser().is_dir()


def derived_size(model_id: str, sizes: dict) -> str | None:
    """The one size of ``sizes`` (name -> Size) with the local model's parameter count."""
    if not is_counted(model_id):
        return None
    count = parameter_count(Path(model_id).expanduser())
    if count is None:
        return None
    matches = [name for name, size in sizes.items() if size.params == count]
    return matches[0] if len(matches) == 1 else None
