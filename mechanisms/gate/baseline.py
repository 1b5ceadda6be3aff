"""Stored baselines: a base model's measured claims as a small JSON file a team commits.

``--update-baseline FILE`` writes one from the run's ``--baseline-model`` (on the controller,
atomically; xdist workers never write it). ``--baseline FILE`` gates candidates against it. The
file keeps everything that changes the numbers: per claim the spec's version and a digest of its
task and checks (thresholds, parameters, the prompts' seed); for the base its weights and
tokenizer digests and BOS policy; the suite (whose thresholds apply), dtype, device and the
library versions. A run whose key differs stops with the list of what changed (the whole file) or
fails the claims whose spec changed, never comparing silently.

A baseline is input a pull request can change, so it is read as hostile: its shape is checked
(``records_schema``: types, finite numbers) and each stored verdict is re-derived from its stored
headline and the spec's threshold (``verdict_problems``, ``threshold_problems``); a claim without
checks or headlines, or whose verdict contradicts its values, is refused, never trusted.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from ..record import BaseClaim, BaselineRef, CellRecord, CheckRecord, Provenance
from ..records_schema import BASELINE, BASELINE_FORMAT, MAX_BASELINE_BYTES, RecordError, check, read_json
from ..spec import registry

FORMAT = BASELINE_FORMAT
KIND = "pytest-mechanisms baseline"
LIBRARIES = ("pytest-mechanisms", "torch", "transformers", "transformer-lens")


class BaselineError(ValueError):
    """A baseline that cannot be used for this run; the message says what changed."""


def claim_entry(record: CellRecord) -> dict:
    """One claim of the base, as the baseline keeps it (headlines and verdicts, not every value)."""
    return {
        "spec_version": record.spec_version,
        "spec_sha256": record.spec_sha256,
        "task_params": record.task_params,
        "outcome": record.outcome,
        "holds": record.holds,
        "error": record.error,
        "checks": [
            {k: v for k, v in c.to_json().items() if k in ("check", "holds", "summary", "headline")}
            for c in record.checks
        ],
        "circuit_edges": record.circuit_edges or {},  # a circuit check's edges, by check index
    }


def build(records: list[CellRecord]) -> dict:
    """The baseline document of the base's records (one per spec)."""
    first = records[0]
    provenance = first.provenance or Provenance()
    return {
        "format": FORMAT,
        "kind": KIND,
        "suite": first.suite,
        "base": {
            "model": first.model,
            "model_id": first.model_id,
            "revision": first.revision,
            "weights_sha256": provenance.weights_sha256,
            "tokenizer_sha256": provenance.tokenizer_sha256,
            "prepend_bos": provenance.prepend_bos,
        },
        "dtype": provenance.dtype,
        "device": provenance.device,
        "libraries": {name: provenance.libraries.get(name) for name in LIBRARIES},
        "claims": {r.spec: claim_entry(r) for r in sorted(records, key=lambda r: r.spec)},
    }


def base_claim(document: dict, spec_id: str, path: str) -> BaseClaim:
    """One claim of a loaded baseline (``load``), as the gate compares with it."""
    entry, base = document["claims"][spec_id], document["base"]
    return BaseClaim(
        model=base["model"],
        revision=base.get("revision"),
        outcome=entry["outcome"],
        checks=[CheckRecord.from_json({"values": {}, **c}) for c in entry["checks"]],
        error=entry.get("error"),
        tokenizer_sha256=base.get("tokenizer_sha256"),
        circuit_edges=entry.get("circuit_edges") or {},
        baseline=BaselineRef(path, document["sha256"]),
    )


@lru_cache(maxsize=4)
def load(path: str) -> dict:
    """The baseline at ``path``, checked whole; ``sha256`` added (the summary shows it, so a
    reviewer sees a changed baseline)."""
    try:
        document = read_json(path, "baseline", MAX_BASELINE_BYTES)
    except RecordError as exc:
        raise BaselineError(f"--baseline={exc}") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise BaselineError(
            f"--baseline={path}: not a pytest-mechanisms baseline (write one with --update-baseline)"
        )
    if document.get("format") != FORMAT:
        raise BaselineError(
            f"--baseline={path}: format {document.get('format')!r}; this version reads {FORMAT}"
        )
    try:
        check(document, BASELINE, path)
    except RecordError as exc:
        raise BaselineError(f"--baseline={exc}") from None
    problems = verdict_problems(document)
    if problems:
        raise BaselineError("\n".join(f"--baseline={path}: {p}" for p in problems))
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read(MAX_BASELINE_BYTES + 1)).hexdigest()
    return {**document, "sha256": digest}


def _rule(headline: dict) -> tuple[bool, bool] | None:
    """Whether the headline meets / misses its rule, each allowing for the rounding of stored
    values (head scores keep 4 decimals: a band of 1e-4); None without a value or threshold."""
    value, threshold = headline.get("value"), headline.get("threshold")
    if value is None or threshold is None:
        return None
    margin = 1e-4 * max(1.0, abs(threshold))
    above = value - threshold if headline["op"] == ">=" else threshold - value
    return above >= -margin, above < margin


def verdict_problems(document: dict) -> list[str]:
    """Stored verdicts that contradict the stored values: per claim, its outcome against its
    checks, and each check's verdict against its headline rule."""
    problems = []
    for spec_id, claim in sorted(document["claims"].items()):
        where, checks = f"claims.{spec_id}", claim["checks"]
        if claim["outcome"] == "error":
            continue
        if not checks:
            problems.append(f"{where}.checks: empty; a claim without checks cannot be compared")
            continue
        if claim.get("holds") is not None and claim["holds"] != (claim["outcome"] == "holds"):
            problems.append(f"{where}.holds: {claim['holds']}, but the outcome is {claim['outcome']}")
        if (claim["outcome"] == "holds") != all(c["holds"] for c in checks):
            problems.append(f"{where}.outcome: {claim['outcome']}, but its checks say otherwise")
        for i, c in enumerate(checks):
            if c["headline"] is None:
                problems.append(f"{where}.checks[{i}].headline: missing; the gate compares headlines")
                continue
            rule = _rule(c["headline"])
            if rule is None:
                continue
            meets = rule[0]
            line = c["headline"]
            said = f"{line['value']:.6g} {line['op']} {line['threshold']:.6g}"
            if c["holds"] and not meets:
                problems.append(f"{where}.checks[{i}]: stored as holding, but {said} is false")
    return problems


def spec_problems(entry: dict, checks: list) -> list[str]:
    """A stored claim checked against this run's spec (``checks``: its ``(kind, settings)`` for
    the suite): a failed measurement cannot be a base; each headline must be judged against the
    spec's threshold; where the spec makes the headline rule the whole verdict
    (``registry.headline_decides``), the stored verdict must be that rule."""
    if entry["outcome"] == "error":
        return [
            f"outcome: error (the base's measurement failed: {entry.get('error')}); nothing to compare with"
        ]
    if len(entry["checks"]) != len(checks):
        return [f"checks: {len(entry['checks'])} stored, the spec has {len(checks)}"]
    problems = []
    for i, ((kind, settings), stored) in enumerate(zip(checks, entry["checks"], strict=True)):
        line = stored["headline"]
        given = [(n, getattr(settings, n)) for n in registry.headline_threshold(kind)]
        names = [(n, v) for n, v in given if v is not None]
        if line is None or not names or line.get("threshold") is None:
            continue
        name, threshold = names[0]
        if float(line["threshold"]) != float(threshold):
            problems.append(
                f"checks[{i}].headline.threshold: {line['threshold']}, but the spec's {name} is {threshold}"
            )
            continue
        rule = _rule(line)
        if (
            rule is not None
            and registry.headline_decides(kind, settings)
            and not stored["holds"]
            and not rule[1]
        ):
            problems.append(
                f"checks[{i}]: stored as not holding, but {line['value']:.6g} {line['op']} "
                f"{line['threshold']:.6g} is true"
            )
    return problems


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
        old, new = document.get("libraries", {}).get(name), libraries.get(name)
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
