"""A model directory's ``config.json`` checked against its weights before anything is built.

transformers builds the model the config describes and only then loads the weights into it: a
config claiming 10^6 layers allocated 6.2 GB over 294 s before failing. The safetensors headers
(8 bytes of length, then JSON with each tensor's shape) say what the weights hold without torch
or reading a weight, so the layer count, width and vocabulary the config claims are compared
with them first, and a mismatch is one line naming the file and the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..plan.derive import WeightsError, tensor_shapes

MAX_CONFIG = 1 << 20
LAYER_INDEX = re.compile(r"(?:^|\.)(?:layers|h|blocks)\.(\d+)\.")
EMBEDDINGS = ("embed_in.weight", "embed_tokens.weight", "wte.weight", "word_embeddings.weight")
LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers")
WIDTH_KEYS = ("hidden_size", "n_embd", "d_model")


class ModelShapeError(ValueError):
    """A model directory whose config does not describe its weights."""


def check_config(directory: Path) -> None:
    """Raise ``ModelShapeError`` where ``config.json`` claims another shape than the weights."""
    try:
        config_path, shapes = directory / "config.json", tensor_shapes(directory)
    except WeightsError as exc:
        raise ModelShapeError(str(exc)) from None
    if not config_path.is_file() or not shapes:
        return  # nothing to compare: transformers says what is missing
    if config_path.stat().st_size > MAX_CONFIG:
        raise ModelShapeError(f"{config_path}: {config_path.stat().st_size} bytes; not a model config")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelShapeError(f"{config_path}: not JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ModelShapeError(f"{config_path}: not a model config (not an object)")
    config = {**config, **(config.get("text_config") or {})}  # multimodal configs nest the LM's
    layers = {int(m.group(1)) for name in shapes for m in [LAYER_INDEX.search(name)] if m}
    if layers:
        _same(config, LAYER_KEYS, max(layers) + 1, config_path, "layers")
    embedding = next((shape for name, shape in shapes.items() if name.endswith(EMBEDDINGS)), None)
    if embedding is not None and len(embedding) == 2:
        _same(config, ("vocab_size",), embedding[0], config_path, "embedding rows", at_least=True)
        _same(config, WIDTH_KEYS, embedding[1], config_path, "embedding width")


def _same(
    config: dict, keys: tuple[str, ...], held: int, path: Path, what: str, at_least: bool = False
) -> None:
    key = next((k for k in keys if k in config), None)
    if key is None:
        return
    claimed = config[key]
    if not isinstance(claimed, int) or isinstance(claimed, bool):
        raise ModelShapeError(f"{path}: {key}: {claimed!r} is not an integer")
    if claimed != held and not (at_least and claimed <= held):
        raise ModelShapeError(
            f"{path}: {key} is {claimed}, but the weights hold {held} {what}: refusing to build a "
            "model its weights do not fit"
        )
