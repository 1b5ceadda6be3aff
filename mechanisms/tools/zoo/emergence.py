"""The zoo's emergence table, measured by the project's own specs.

``python -m mechanisms.tools.zoo.emergence`` runs the bundled specs on every zoo size and checkpoint
(``pytest -n 2 --model-sizes all --checkpoints all``) and writes ``docs/emergence.md``: for each
claim and size, the first checkpoint from which the claim holds at every later checkpoint.
``--from-results FILE`` rebuilds the table from an existing ``results.json`` instead. Everything
after the ``HAND_WRITTEN`` marker in the existing file (the explanations) is kept as it is.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from ...record import CellRecord, SeriesRecord
from ...records_schema import read_results
from ...report.records import emergence, matrices, tokens_text
from ...report.series import markdown_table

ROOT = Path(__file__).resolve().parents[3]  # the repository: mechanisms/tools/zoo/ is three below
HAND_WRITTEN = "<!-- written by hand below: regenerating the table keeps it -->"


def table(records: list[CellRecord]) -> str:
    mats = {spec: m for (spec, suite), m in matrices(records).items() if suite == "zoo"}
    params = {r.model: r.params or 0 for r in records if r.suite == "zoo"}
    sizes = sorted(params, key=lambda s: params[s])
    lines = ["| claim | " + " | ".join(sizes) + " |", "|---" * (len(sizes) + 1) + "|"]
    for spec, m in sorted(mats.items()):
        cells = []
        for size in sizes:
            if size not in m.rows:  # the spec has no cells there (applies_to names sizes)
                cells.append("n/a")
                continue
            onset = emergence(m, size)
            cells.append("never" if onset is None else f"{onset[0]} ({tokens_text(onset[1])})")
        lines.append(f"| {spec} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_specs(report_dir: str) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "mechanisms" / "specs"),
        "-n",
        "2",
        "-q",
        "--model-sizes=all",
        "--checkpoints=all",
        f"--mech-report={report_dir}",
        "-p",
        "no:randomly",
    ]
    subprocess.run(cmd, cwd=ROOT, check=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-results", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "emergence.md")
    args = parser.parse_args(argv)
    source = args.from_results
    if source is None:
        tmp = tempfile.mkdtemp()
        run_specs(tmp)
        source = Path(tmp) / "results.json"
    results = read_results(str(source))
    records = results.cells
    manifest = json.loads((ROOT / "fixtures" / "zoo" / "zoo.json").read_text())
    header = (
        "# Zoo emergence table\n\n"
        "First checkpoint (training step, and tokens seen) from which each bundled claim holds at every\n"
        "later checkpoint, measured by the specs in `mechanisms/specs/` on the shipped zoo\n"
        f"({manifest['tokens_per_step']} tokens per step). Regenerate with `python -m mechanisms.tools.zoo.emergence`.\n\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    old = args.out.read_text() if args.out.exists() else ""
    kept = old[old.index(HAND_WRITTEN) :] if HAND_WRITTEN in old else HAND_WRITTEN + "\n"
    generated = header + table(records) + "\n" + across(results.series)
    args.out.write_text(generated + "\n" + kept)
    print(generated)


def across(series: list[SeriesRecord]) -> str:
    """The claims over several cells (stability per size, emergence per suite), zoo only."""
    rows = markdown_table([r for r in series if r.suite == "zoo"])
    if not rows:
        return ""
    return (
        "\nClaims across cells (stability over checkpoints, emergence across sizes):\n\n"
        + "\n".join(rows)
        + "\n"
    )


if __name__ == "__main__":
    main()
