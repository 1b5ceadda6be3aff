"""``python -m mechanisms.report results.json [...] -o DIR``: rebuild the reports of one or more
runs (shards of one run, runs on several machines, an old run) without measuring anything.

``--screenshot FILE.png`` then opens ``report.html`` in headless Chromium, saves a screenshot and
fails if the page logs a console error or a claim lacks its heatmap or curve (``browser.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .files import write_reports
from .merge import MergeError, merge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mechanisms.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", help="results.json files to merge")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="where the reports go")
    parser.add_argument("--screenshot", metavar="PNG", help="render report.html in headless Chromium")
    parser.add_argument("--width", type=int, default=1280, help="screenshot width in CSS pixels")
    parser.add_argument(
        "--height", type=int, default=None, help="screenshot height (default: the whole page)"
    )
    args = parser.parse_args(argv)
    try:
        results = merge(args.results)
    except MergeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        print(f"error: -o {args.output}: exists and is not a folder", file=sys.stderr)
        return 2
    try:
        where = write_reports(results, args.output)
    except OSError as exc:  # the last report in that folder stays whole
        print(f"error: -o {args.output}: reports not written ({exc})", file=sys.stderr)
        return 2
    print(
        f"{len(results.cells)} cells from {len(args.results)} file(s): {where}/report.html, {where}/report.md"
    )
    for source in results.sources:
        if source.complete is not True:
            print(f"warning: {source.path} is from an incomplete run (some cells did not run)")
    if args.screenshot:
        return _screenshot(Path(where) / "report.html", Path(args.screenshot), args.width, args.height)
    return 0


def _screenshot(page: Path, png: Path, width: int, height: int | None) -> int:
    from ..testing.browser import BrowserMissing, inspect_report

    try:
        seen = inspect_report(page, png, width=width, height=height)
    except BrowserMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"screenshot: {png} ({seen.claims} claims shown)")
    for problem in seen.problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if seen.problems else 0


if __name__ == "__main__":
    sys.exit(main())
