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


class WeightsError(ValueError):
    """A safetensors file whose header cannot be read."""


def tensor_shapes(directory: Path) -> dict[str, list[int]]:
    """Every tensor's shape in ``directory``'s safetensors files, from their headers only."""
    shapes: dict[str, list[int]] = {}
    for path in sorted(Path(directory).glob("*.safetensors")):
        with open(path, "rb") as fh:
            raw = fh.read(8)
            (length,) = struct.unpack("<Q", raw) if len(raw) == 8 else (MAX_HEADER + 1,)
            if length > MAX_HEADER:
                raise WeightsError(f"{path}: not a safetensors file (no header of a sane length)")
            try:
                header = json.loads(fh.read(length))
            except ValueError as exc:
                raise WeightsError(f"{path}: unreadable safetensors header ({exc})") from None
        if not isinstance(header, dict):
            raise WeightsError(f"{path}: unreadable safetensors header")
        for name, entry in header.items():
            shape = entry.get("shape") if isinstance(entry, dict) else None
            if name != "__metadata__" and isinstance(shape, list) and all(isinstance(n, int) for n in shape):
                shapes[name] = shape
    return shapes


def parameter_count(directory: Path) -> int | None:
    """Total parameters in ``directory``'s safetensors files; None if there are none."""
    if not Path(directory).is_dir():
        return None
    try:
        shapes = tensor_shapes(Path(directory))
    except (OSError, WeightsError):
        return None
    return sum(math.prod(shape) for shape in shapes.values()) if shapes else None


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
