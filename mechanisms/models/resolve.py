"""Resolve a model reference (hub id + revision, local directory, GGUF file, packaged model)
to a local directory of safetensors weights, or fail fast with a message that says what to do.

Hub ids are looked up in hub-cache layout: first in the embedded zoo, then in the user's
Hugging Face cache. Nothing here touches the network: with ``--allow-download`` the loader lets
``TransformerBridge.boot_transformers`` fetch instead.
"""

from pathlib import Path

from ..catalogue.fixtures import zoo_dir
from .hubcache import ModelUnavailable, find_in_hub_cache, hf_hub_cache

__all__ = ["ModelUnavailable", "hub_caches", "resolve"]


def hub_caches() -> list[Path]:
    return [zoo_dir() / "hub", hf_hub_cache()]


def resolve(model_id: str, revision: str | None = None, allow_download: bool = False) -> Path | None:
    """A local directory with config + weights, ``None`` if the hub may be asked, else raise."""
    if model_id.startswith("package:"):
        from .packaged import converted_package_model

        return converted_package_model(model_id.split(":", 1)[1])
    path = Path(model_id).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelUnavailable(f"GGUF file {path} does not exist")
        from .gguf import converted_gguf

        return converted_gguf(path)
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ModelUnavailable(f"{path} has no config.json: not a Hugging Face model directory")
        return path
    if path.is_absolute() or model_id.startswith("."):
        raise ModelUnavailable(f"local model path {path} does not exist")
    found = find_in_hub_cache(model_id, revision, hub_caches())
    if found is not None:
        return found
    if allow_download:
        return None
    rev = f" --revision {revision}" if revision else ""
    raise ModelUnavailable(
        f"{model_id}@{revision or 'main'} is not on this machine (looked in: "
        f"{', '.join(str(c) for c in hub_caches())}). The plugin runs offline by default. "
        f"Prefetch it with `hf download {model_id}{rev}` on a machine with network access "
        f"(into $HF_HOME, then copy the cache here), or run with --allow-download."
    )
