"""Stored baselines: a base model's measured claims as a small JSON file a team commits.

``--update-baseline FILE`` writes one from the run's ``--baseline-model`` (on the controller,
atomically; xdist workers never write it). ``--baseline FILE`` gates candidates against it. The
file keeps everything that changes the numbers: per claim the spec's version and a digest of its
task and checks (thresholds, parameters, the prompts' seed); for the base its weights and
tokenizer digests and BOS policy; the suite (whose thresholds apply), dtype, device and the
library versions. A run whose key differs stops with the list of what changed (the whole file) or
fails the claims whose spec changed, never comparing silently.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

FORMAT = 1
KIND = "pytest-mechanisms baseline"
LIBRARIES = ("pytest-mechanisms", "torch", "transformers", "transformer-lens")


class BaselineError(ValueError):
    """A baseline that cannot be used for this run; the message says what changed."""


def claim_entry(record: dict) -> dict:
    """One claim of the base, as the baseline keeps it (headlines and verdicts, not every value)."""
    return {
        "spec_version": record["spec_version"],
        "spec_sha256": record["spec_sha256"],
        "task_params": record.get("task_params"),
        "outcome": record["outcome"],
        "holds": record.get("holds"),
        "error": record.get("error"),
        "checks": [
            {k: c.get(k) for k in ("check", "holds", "summary", "headline")} for c in record.get("checks", [])
        ],
        "circuit_edges": record.get("circuit_edges", {}),  # a circuit check's edges, by check index
    }


def build(records: list[dict]) -> dict:
    """The baseline document of the base's records (one per spec)."""
    first = records[0]
    provenance = first.get("provenance", {})
    return {
        "format": FORMAT,
        "kind": KIND,
        "suite": first["suite"],
        "base": {
            "model": first["model"],
            "model_id": first["model_id"],
            "revision": first.get("revision"),
            "weights_sha256": provenance.get("weights_sha256"),
            "tokenizer_sha256": provenance.get("tokenizer_sha256"),
            "prepend_bos": provenance.get("prepend_bos"),
        },
        "dtype": provenance.get("dtype", "float32"),
        "device": provenance.get("device", "cpu"),
        "libraries": {name: provenance.get(name) for name in LIBRARIES},
        "claims": {r["spec"]: claim_entry(r) for r in sorted(records, key=lambda r: r["spec"])},
    }


@lru_cache(maxsize=4)
def load(path: str) -> dict:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BaselineError(f"--baseline={path}: cannot read it ({exc})") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise BaselineError(
            f"--baseline={path}: not a pytest-mechanisms baseline (write one with --update-baseline)"
        )
    if document.get("format") != FORMAT:
        raise BaselineError(
            f"--baseline={path}: format {document.get('format')!r}; this version reads {FORMAT}"
        )
    return document


def run_key_changes(document: dict, suite: str, prepend_bos: bool, device: str, libraries: dict) -> list[str]:
    """What differs between the baseline's run and this one, for the whole file."""
    changes = []
    if document["suite"] != suite:
        changes.append(f"suite {document['suite']} -> {suite} (its thresholds apply)")
    if document["base"].get("prepend_bos") != prepend_bos:
        changes.append(f"BOS policy {document['base'].get('prepend_bos')} -> {prepend_bos}")
    if document.get("device") != device:
        changes.append(f"device {document.get('device')} -> {device}")
    for name in LIBRARIES:
        old, new = document["libraries"].get(name), libraries.get(name)
        if old != new:
            changes.append(f"{name} {old} -> {new}")
    return changes


def claim_key_changes(entry: dict | None, spec, suite: str) -> list[str]:
    """What differs for one claim between the baseline and this run's spec."""
    if entry is None:
        return [f"spec {spec.id!r} is not in the baseline"]
    changes = []
    if entry["spec_version"] != spec.version:
        changes.append(f"spec version {entry['spec_version']} -> {spec.version}")
    if entry["spec_sha256"] != spec.digest(suite):
        changes.append("the spec's task, parameters or checks (thresholds, prompts' seed)")
    return changes


def rerecord_hint(path: str) -> str:
    return f"re-measure the base and write the baseline again: --baseline-model=... --update-baseline={path}"
