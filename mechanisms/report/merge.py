"""Merge ``results.json`` files into one set of records: shards of one run (``-k``, several
machines), or runs of different suites, or an old run rebuilt with today's report.

Two files may hold the same cell (spec, suite, model, checkpoint) only if they measured the same
thing: same spec version, verdict, checks and values, model revision and weights. Anything else
is a conflict and the merge stops naming both files, the cell and the fields that differ; a
report never silently mixes two measurements of one cell, nor two versions of one spec.
"""

from __future__ import annotations

from pathlib import Path

from ..records_schema import RecordError, read_results

# The fields that make two records of one cell the same measurement (timings and workers differ
# between runs of the same thing and are not compared).
MEASURED = ("spec_version", "claim", "outcome", "holds", "expected", "checks", "error", "tokens", "revision")


class MergeError(ValueError):
    """Records that cannot be merged; the message names the files and fields."""


def load(path: str | Path) -> dict:
    """One results.json, checked whole (``records_schema``): a problem is one line naming the
    file and field, and no cell of a broken file is merged."""
    try:
        return read_results(str(path))
    except RecordError as exc:
        raise MergeError(str(exc)) from None


def cell_key(record: dict) -> tuple:
    return (record["spec"], record["suite"], record["model"], record["step"])


def merge(paths: list[str | Path]) -> tuple[list[dict], dict]:
    """``(records, run)``: the union of every file's cells, and a ``run`` naming the sources."""
    records: dict[tuple, dict] = {}
    origin: dict[tuple, str] = {}
    versions: dict[str, tuple[int, str]] = {}
    sources, series = [], []
    for path in map(str, paths):
        document = load(path)
        series.append((path, document.get("series", [])))
        sources.append(
            {
                "path": path,
                "command": document.get("command", []),
                "complete": document.get("complete"),
                **(
                    {"worker_crashed_on": document["worker_crashed_on"]}
                    if "worker_crashed_on" in document
                    else {}
                ),
            }
        )
        for record in document["cells"]:
            _same_version(versions, record, path)
            key = cell_key(record)
            if key in records:
                differ = differences(records[key], record)
                if differ:
                    spec, suite, model, step = key
                    raise MergeError(
                        f"{origin[key]} and {path} both hold {spec} [{suite}] {model}@step{step}, "
                        f"measured differently: {', '.join(differ)} differ"
                    )
                continue
            records[key], origin[key] = record, path
    complete = all(s["complete"] is True for s in sources)
    run: dict = {"complete": complete, "sources": sources}
    merged = _merge_series(series)
    if merged:
        run["series"] = merged
    return list(records.values()), run


def _merge_series(files: list[tuple[str, list[dict]]]) -> list[dict]:
    """Series items (stability, emergence) of every file; one item twice must agree."""
    seen: dict[tuple, tuple[dict, str]] = {}
    for path, records in files:
        for record in records:
            key = (record["spec"], record["series"], record["suite"], record["label"])
            if key in seen:
                first, where = seen[key]
                if (first["holds"], first["values"]) != (record["holds"], record["values"]):
                    raise MergeError(f"{where} and {path} both hold {key[1]}[{key[3]}], measured differently")
                continue
            seen[key] = (record, path)
    return [record for record, _ in seen.values()]


def _same_version(versions: dict, record: dict, path: str) -> None:
    """One claim, one version and one digest of its task and checks (per suite: thresholds
    may differ by suite): a spec edited without a new version is still another claim."""
    ours = (record["spec_version"], record.get("spec_sha256"))
    (version, digest), first = versions.setdefault((record["spec"], record["suite"]), (ours, path))
    if version != record["spec_version"]:
        raise MergeError(
            f"spec {record['spec']!r} is version {version} in {first} and version "
            f"{record['spec_version']} in {path}: one matrix cannot hold two versions of a claim"
        )
    if digest != record.get("spec_sha256"):
        raise MergeError(
            f"spec {record['spec']!r} v{version} [{record['suite']}] was measured with different "
            f"tasks, checks or thresholds in {first} and {path} (spec_sha256 {digest} vs "
            f"{record.get('spec_sha256')}): one matrix cannot hold two claims; give the edited spec "
            "a new version"
        )


def differences(a: dict, b: dict) -> list[str]:
    """The measured fields in which two records of one cell differ."""
    differ = [f for f in MEASURED if a.get(f) != b.get(f)]
    digest_a = (a.get("provenance") or {}).get("weights_sha256")
    digest_b = (b.get("provenance") or {}).get("weights_sha256")
    if digest_a != digest_b:
        differ.append("provenance.weights_sha256")
    return differ
