"""Resolve a model reference (hub id + revision, local directory, GGUF file, packaged model)
to a local directory of safetensors weights, or fail fast with a message that says what to do.

Hub ids are looked up in hub-cache layout (``models--org--name/refs/<rev>``): first in the
embedded zoo, then in the user's Hugging Face cache. Nothing here touches the network: with
``--allow-download`` the loader lets ``TransformerBridge.boot_transformers`` fetch instead.
"""

import hashlib
import os
import shutil
from pathlib import Path

from .suites import zoo_dir


class ModelUnavailable(RuntimeError):
    """The weights are not on this machine (and downloading is off)."""


def hf_hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface"
    return Path(home) / "hub"


def hub_caches() -> list[Path]:
    return [zoo_dir() / "hub", hf_hub_cache()]


def find_in_hub_cache(model_id: str, revision: str | None, caches=None) -> Path | None:
    repo_dir = "models--" + model_id.replace("/", "--")
    for cache in caches or hub_caches():
        ref = cache / repo_dir / "refs" / (revision or "main")
        if ref.is_file():
            snapshot = cache / repo_dir / "snapshots" / ref.read_text().strip()
            if (snapshot / "config.json").exists():
                return snapshot
        if revision and (cache / repo_dir / "snapshots" / revision / "config.json").exists():
            return cache / repo_dir / "snapshots" / revision  # a commit hash
    return None


def file_digest(*paths: Path, algorithm: str = "sha256") -> str:
    """Hex digest over the files' bytes, read in 16 MiB blocks."""
    digest = hashlib.new(algorithm)
    for path in paths:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 24), b""):
                digest.update(block)
    return digest.hexdigest()


def publish_snapshot(staging: Path, repo: Path, refs) -> str:
    """Move a saved model directory into hub-cache layout under ``repo`` (``models--org--name``):
    the snapshot is named by the sha1 of its weights and each name in ``refs`` points at it."""
    snapshot = file_digest(*sorted(staging.glob("*.safetensors")), algorithm="sha1")
    target = repo / "snapshots" / snapshot
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(target)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    for ref in refs:
        (repo / "refs" / ref).write_text(snapshot)
    return snapshot


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
    found = find_in_hub_cache(model_id, revision)
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
