"""The Hugging Face hub-cache layout, file digests and snapshot publishing: the low level that
model resolution (``resolve.py``) and the build tools (zoo training, random init) share.

``models--org--name/refs/<rev>`` holds a snapshot id; ``snapshots/<id>/`` holds config and
weights. Nothing here decides which cache to look in, and nothing touches the network.
"""

import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path


class ModelUnavailable(RuntimeError):
    """The weights are not on this machine (and downloading is off)."""


def hf_hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface"
    return Path(home) / "hub"


def find_in_hub_cache(model_id: str, revision: str | None, caches: list[Path]) -> Path | None:
    """The snapshot directory of ``model_id@revision`` in the first cache that has it."""
    repo_dir = "models--" + model_id.replace("/", "--")
    for cache in caches:
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


def publish_snapshot(staging: Path, repo: Path, refs: Iterable[str]) -> str:
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
