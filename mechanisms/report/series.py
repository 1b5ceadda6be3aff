"""Series claims in words and tables: a circuit's stability per size, a claim's onsets per size.

The terminal, ``matrix.md``, ``report.md`` and ``report.html`` all print these lines and
tables, so they agree with the verdict in ``results.json``.
"""

from __future__ import annotations

from ..record import SeriesRecord
from ..spec import registry
from .escape import md_text, terminal_text
from .records import column_label, tokens_text


def _rule_text(record: SeriesRecord) -> str:
    kind = str(record.kind)
    entry = registry.SERIES_KINDS.get(kind)
    defaults = registry.load(entry.settings).defaults() if entry else {}
    rule = {**defaults, **record.rule}  # an older record may lack them
    if kind == "stability":
        what = f"{'weighted ' if rule['weighted'] else ''}{rule['of']} Jaccard"
        against = "the last checkpoint" if rule["compare"] == "final" else "the next checkpoint"
        smooth = f", EWMA {rule['ewma']:g}" if rule.get("ewma") else ""
        return f"{what} with {against}{smooth} >= {rule['min']:g} from step {rule['from_step']}"
    within = rule["within"]
    return f"onsets within a factor {within:g} in tokens" + (
        f" (required: {', '.join(rule['sizes'])})" if rule.get("sizes") else ""
    )


def series_summary(record: SeriesRecord) -> str:
    """One line: the measured values against the rule, and the problem if any."""
    values, rule = record.values, _rule_text(record)
    if record.kind == "stability":
        pairs = values.get("pairs", [])
        shown = ", ".join(
            f"{column_label(p['from'])}->{column_label(p['to'])} {p['value']:.2f}" for p in pairs
        )
        text = f"lowest {values['lowest']:.2f} ({shown})" if pairs else "no pair of checkpoints"
    else:
        onsets = ", ".join(f"{size} {_onset(o)}" for size, o in values.get("onsets", {}).items())
        ratio = values.get("ratio")
        text = (f"latest/earliest onset {ratio:.2f}x; " if ratio is not None else "") + f"onsets: {onsets}"
    problem = f"; {record.problem}" if record.problem else ""
    return f"{text} [{rule}]{problem}"


def _onset(onset: dict | None) -> str:
    if onset is None:
        return "never"
    tokens = tokens_text(onset.get("tokens"))
    return f"step {column_label(onset['step'])}" + (f" ({tokens})" if tokens else "")


def symbol(record: SeriesRecord) -> str:
    mark = "✓" if record.holds else "✗"
    expected = record.expected
    return mark + ("!" if expected is not None and expected != record.holds else "")


def ordered(series: list[SeriesRecord]) -> list[SeriesRecord]:
    return sorted(series, key=lambda r: r.key)


def render_series(series: list[SeriesRecord]) -> list[str]:
    """Terminal lines, one per series item."""
    lines = []
    for r in ordered(series):
        lines.append(
            terminal_text(f"{symbol(r)} {r.series}[{r.label}] ({r.spec} v{r.spec_version}): {r.summary}")
        )
    return lines


def markdown_table(series: list[SeriesRecord]) -> list[str]:
    if not series:
        return []
    lines = ["| claim | over | holds | measured |", "|---|---|---|---|"]
    for r in ordered(series):
        claim, over, measured = (md_text(x) for x in (f"{r.series} ({r.spec})", r.label, r.summary))
        lines.append(f"| {claim} | {over} | {symbol(r)} | {measured} |")
    return lines
