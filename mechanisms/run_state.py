"""What one run has gathered on the controller, as one typed object (``RunState``): the cell and
series records in report order and what the end of the run did with them. ``session.py`` fills
it from pytest's hooks; ``report/terminal.py`` prints it. It replaces a dozen stash keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from .record import CellRecord, SeriesRecord


@dataclass
class RunState:
    records: list[CellRecord] = field(default_factory=list)  # one per measured cell, in report order
    series: list[SeriesRecord] = field(default_factory=list)  # stability and emergence verdicts
    crashed_on: list[str] = field(default_factory=list)  # node ids an xdist worker died on
    expected_cells: int | None = None  # spec cells collected (None: not known yet)
    uses_specs: bool = False  # spec files were collected: results.json is rewritten
    selective: bool = False  # -k, -m or --lf left spec cells out
    split: dict[str, list[str]] = field(default_factory=dict)  # model@checkpoint -> workers
    report_dir: str | None = None  # where the reports went
    lock: str | None = None  # the report folder's lock this run holds
    gate_summary: str = ""  # the gate's Markdown summary
    baseline_line: str = ""  # what happened to --update-baseline
    update_lines: list[str] = field(default_factory=list)  # what --mech-update-expect did
    carried_line: str = ""  # cells kept from the last results
    write_errors: list[str] = field(default_factory=list)  # outputs NOT written, and why
