"""Merge ``results.json`` files into one set of records: shards of one run (``-k``, several
machines), or runs of different suites, or an old run rebuilt with today's report.

Two files may hold the same cell (spec, suite, model, checkpoint) only if they measured the same
thing: same spec version, verdict, checks and values, model revision and weights. Anything else
is a conflict and the merge stops naming both files, the cell and the fields that differ; a
report never silently mixes two measurements of one cell, nor two versions of one spec.
"""

from __future__ import annotations

from pathlib import Path

from ..record import CellRecord, Results, SeriesRecord, Source
from ..records_schema import RecordError, read_results

# The fields that make two records of one cell the same measurement (timings and workers differ
# between runs of the same thing and are not compared).
MEASURED = ("spec_version", "claim", "outcome", "holds", "expected", "checks", "error", "tokens", "revision")


class MergeError(ValueError):
    """Records that cannot be merged; the message names the files and fields."""


def load(path: str | Path) -> Results:
    """One results.json, checked whole (``records_schema``): a problem is one line naming the
    file and field, and no cell of a broken file is merged."""
    try:
        return read_results(str(path))
    except RecordError as exc:
        raise MergeError(str(exc)) from None


def merge(paths: list[str | Path]) -> Results:
    """The union of every file's cells and series records, with the files as its sources."""
    records: dict[tuple, CellRecord] = {}
    origin: dict[tuple, str] = {}
    versions: dict[tuple[str, str], tuple[tuple[int, str | None], str]] = {}
    sources, series = [], []
    for path in map(str, paths):
        document = load(path)
        series.append((path, document.series))
        sources.append(Source(path, document.command, document.complete, document.worker_crashed_on))
        for record in document.cells:
            _same_version(versions, record, path)
            key = record.key
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
    complete = all(s.complete is True for s in sources)
    return Results(
        cells=list(records.values()), series=_merge_series(series), complete=complete, sources=sources
    )


def _merge_series(files: list[tuple[str, list[SeriesRecord]]]) -> list[SeriesRecord]:
    """Series items (stability, emergence) of every file; one item twice must agree."""
    seen: dict[tuple, tuple[SeriesRecord, str]] = {}
    for path, records in files:
        for record in records:
            if record.key in seen:
                first, where = seen[record.key]
                if (first.holds, first.values) != (record.holds, record.values):
                    raise MergeError(
                        f"{where} and {path} both hold {record.series}[{record.label}], measured differently"
                    )
                continue
            seen[record.key] = (record, path)
    return [record for record, _ in seen.values()]


def _same_version(versions: dict, record: CellRecord, path: str) -> None:
    """One claim, one version and one digest of its task and checks (per suite: thresholds
    may differ by suite): a spec edited without a new version is still another claim."""
    ours = (record.spec_version, record.spec_sha256)
    (version, digest), first = versions.setdefault((record.spec, record.suite), (ours, path))
    if version != record.spec_version:
        raise MergeError(
            f"spec {record.spec!r} is version {version} in {first} and version "
            f"{record.spec_version} in {path}: one matrix cannot hold two versions of a claim"
        )
    if digest != record.spec_sha256:
        raise MergeError(
            f"spec {record.spec!r} v{version} [{record.suite}] was measured with different "
            f"tasks, checks or thresholds in {first} and {path} (spec_sha256 {digest} vs "
            f"{record.spec_sha256}): one matrix cannot hold two claims; give the edited spec "
            "a new version"
        )


def differences(a: CellRecord, b: CellRecord) -> list[str]:
    """The measured fields in which two records of one cell differ."""
    differ = [f for f in MEASURED if getattr(a, f) != getattr(b, f)]
    if a.weights_sha256 != b.weights_sha256:
        differ.append("provenance.weights_sha256")
    return differ
