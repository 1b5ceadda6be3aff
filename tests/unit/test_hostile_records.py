"""What a run reads back is hostile: real files (``fixtures/records``) mutated by Hypothesis.

Each mutation changes one value anywhere in a real ``results.json`` or baseline (a wrong type,
NaN or an infinity, a huge number, a missing key, a hostile string, a path that leaves its
folder). Whatever it is, the outcome is one of: lines naming the file and the field; or a
report with no markup from data and no file outside its folder; or, for a baseline, a verdict
that never lets a damaged candidate pass.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.gate import baseline
from mechanisms.gate.bases import GateError, base_for
from mechanisms.gate.judge import judge
from mechanisms.record import CellRecord, Results
from mechanisms.records_schema import RecordError, read_results
from mechanisms.report.escape import md_text, terminal_text
from mechanisms.report.files import write_reports
from mechanisms.report.matrix import render_matrices
from mechanisms.report.merge import MergeError, merge
from mechanisms.report.summary import gate_tables
from mechanisms.spec.loader import load_spec

ROOT = Path(__file__).parents[2]
RESULTS = ROOT / "fixtures" / "records" / "gate.results.json"
BASELINE = ROOT / "fixtures" / "records" / "zoo-890k.baseline.json"
SPECS = {s.id: s for s in map(load_spec, sorted((ROOT / "mechanisms" / "specs").glob("*.mech.yaml")))}

PAYLOAD = "<img src=x onerror=window.__injected=1>"
HOSTILE = [
    PAYLOAD,
    "</script><script>window.__injected=1</script>",
    "| a | b |",
    "`x` *y* [z](javascript:alert(1))",
    "\x1b[2J\x1b[31mred",
    "../../outside.json",
    "/tmp/outside.json",
    "",
    "a\nb",
]
VALUES = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 10**30, 1e308, -1e308, math.nan, math.inf, -math.inf, [], {}]),
    st.sampled_from(HOSTILE),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
)


def places(value, path=()):
    """Every place in a JSON document: the path of keys and indices to it."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from places(item, (*path, i))


@st.composite
def mutated(draw, document: dict):
    """A copy of ``document`` with one value replaced or one key removed, and where."""
    doc = copy.deepcopy(document)
    where = draw(st.sampled_from([p for p in places(doc) if p]))
    parent = doc
    for step in where[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.integers(0, 3)) == 0:
        del parent[where[-1]]
    else:
        parent[where[-1]] = draw(st.one_of(VALUES, plausible(parent[where[-1]])))
    return doc, where


def plausible(value) -> st.SearchStrategy:
    """A value of the same kind, as a careful tamperer would write: a flipped verdict, another
    outcome, a number moved a little or a lot."""
    if isinstance(value, bool):
        return st.just(not value)
    if isinstance(value, str):
        return st.sampled_from(["holds", "absent", "error", ">=", "<=", value + "x"])
    if isinstance(value, (int, float)):
        return st.sampled_from([value * 10, -value, value + 0.5, value - 0.5, 0, value * 1e300])
    return VALUES


def files_under(folder: str) -> set[str]:
    return {os.path.join(d, f) for d, _, names in os.walk(folder) for f in names}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def page_tags(text: str) -> Tags:
    parser = Tags()
    parser.feed(text)
    return parser


def genuine_tags() -> set[str]:
    """The elements the report of the real file draws: no other may come from data."""
    with tempfile.TemporaryDirectory() as out:
        write_reports(merge([RESULTS]), out)
        return page_tags(Path(out, "report.html").read_text()).tags


GENUINE_TAGS = genuine_tags()


def lines_name_the_file(message: str, name: str) -> bool:
    lines = message.splitlines()
    return 1 <= len(lines) <= 21 and all(line.startswith(name) or line.startswith("...") for line in lines)


@settings(max_examples=150)
@given(mutated(json.loads(RESULTS.read_text())))
def test_a_mutated_results_file_is_refused_by_field_or_reported_as_text(mutation):
    document, _ = mutation
    with tempfile.TemporaryDirectory() as root:
        source = Path(root, "shard", "results.json")
        source.parent.mkdir()
        source.write_text(json.dumps(document))  # NaN and Infinity written as JSON's extensions
        before = files_under(root)
        try:
            results = merge([source])
        except MergeError as exc:
            assert lines_name_the_file(str(exc), str(source)), str(exc)
            assert files_under(root) == before
            return
        out = Path(root, "out")
        write_reports(results, str(out))
        outside = {f for f in files_under(root) - before if not f.startswith(str(out) + os.sep)}
        assert not outside
        page = (out / "report.html").read_text()
        tags = page_tags(page)
        assert tags.tags <= GENUINE_TAGS and not tags.handlers
        assert PAYLOAD not in page and "<script>window" not in page
        written = json.loads((out / "results.json").read_text())  # JSON, no NaN
        assert written["cells"] == json.loads(json.dumps(written["cells"]))
        for name in ("report.md", "matrix.md"):
            markdown_is_text((out / name).read_text())
        assert not any("\x1b" in line for line in render_matrices(results.cells))


def pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def markdown_is_text(text: str) -> None:
    """No tag, no control character, and every table row has its header's columns."""
    assert not re.search(r"(?<!\\)<", text) and "\x1b" not in text  # any "<" is escaped
    columns = None
    for line in text.splitlines():
        if not line.startswith("|"):
            columns = None
        elif columns is None:
            columns = pipes(line)  # a table's header
        else:
            assert pipes(line) == columns, line


def string_places(document: dict) -> list[tuple]:
    def at(path):
        value = document
        for step in path:
            value = value[step]
        return value

    return [p for p in places(document) if p and isinstance(at(p), str)]


@pytest.mark.parametrize("payload", [PAYLOAD, "| a | b |", "\x1b[2Jx\ny"])
def test_every_string_of_a_results_file_is_text_in_every_view(payload):
    """Each string field of the real file in turn holds the payload: the HTML page draws only
    its own elements, Markdown tables keep their columns, the terminal gets no control code."""
    from mechanisms.report import html as report_html
    from mechanisms.report import markdown as report_markdown
    from mechanisms.report.matrix import markdown as matrix_markdown

    genuine = json.loads(RESULTS.read_text())
    for where in string_places(genuine):
        document = copy.deepcopy(genuine)
        parent = document
        for step in where[:-1]:
            parent = parent[step]
        parent[where[-1]] = payload
        try:
            results = read_results_text(document)
        except RecordError:
            continue  # a field whose strings are a closed set (outcome, op): refused by field
        records = results.cells
        page = page_tags(report_html.render(results))
        assert page.tags <= GENUINE_TAGS and not page.handlers, where
        markdown_is_text(report_markdown.render(results, {}))
        markdown_is_text(matrix_markdown(records))
        markdown_is_text(gate_tables(records))
        terminal = render_matrices(records) + gate_tables(records, terminal_text).splitlines()
        assert not any("\x1b" in line for line in terminal), where


def read_results_text(document: dict) -> Results:
    with tempfile.TemporaryDirectory() as root:
        path = Path(root, "results.json")
        path.write_text(json.dumps(document))
        return read_results(str(path))


def damaged(entry: dict) -> dict:
    """A candidate that lost the claim: every check fails, its headline far on the bad side."""
    checks = []
    for c in entry["checks"]:
        line = dict(c["headline"] or {"name": "value", "value": None, "threshold": None, "op": ">="})
        if line.get("value") is not None:
            line["value"] = line["value"] - 1e6 if line["op"] == ">=" else line["value"] + 1e6
        checks.append({**c, "holds": False, "summary": "damaged", "headline": line})
    return CellRecord.from_json(
        {"spec": "s", "suite": "zoo", "model": "m", "step": None, "spec_version": 1, "claim": "c"}
        | {"outcome": "absent", "holds": False, "checks": checks, "provenance": {}}
    )


def gate_verdicts(path: str) -> dict[str, str]:
    """Per claim the genuine base holds: the gate's verdict on a damaged candidate, or
    ``refused`` where the baseline cannot be used for it."""
    genuine = json.loads(BASELINE.read_text())["claims"]
    verdicts = {}
    for spec_id, entry in genuine.items():
        if entry["outcome"] != "holds":
            continue
        spec = SPECS[spec_id]
        try:
            base = base_for(spec, "zoo", path)
        except GateError:
            verdicts[spec_id] = "refused"
            continue
        checks = [(c.kind, c.settings("zoo")) for c in spec.checks]
        verdicts[spec_id] = judge(base, damaged(entry), checks).verdict
    return verdicts


def test_the_genuine_baseline_gates_a_damaged_candidate_to_fail():
    """The recorded baseline still matches the bundled specs (else re-record it: see
    fixtures/records/README.md), and every claim its base holds fails a damaged candidate."""
    baseline.load.cache_clear()
    verdicts = gate_verdicts(str(BASELINE))
    assert verdicts and set(verdicts.values()) == {"fail"}, verdicts


@settings(max_examples=300)
@given(mutated(json.loads(BASELINE.read_text())))
def test_a_mutated_baseline_never_lets_a_damaged_candidate_pass(mutation):
    document, _ = mutation
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, "base.json")
        Path(path).write_text(json.dumps(document))
        baseline.load.cache_clear()
        try:
            baseline.load(path)
        except baseline.BaselineError as exc:
            assert lines_name_the_file(str(exc), f"--baseline={path}"), str(exc)
            return
        assert set(gate_verdicts(path).values()) <= {"fail", "refused"}


PLAUSIBLE = {
    bool: lambda v: [not v],
    str: lambda v: ["holds", "absent", "error"] if v in ("holds", "absent", "error") else [v + "x"],
    int: lambda v: [v + 1, -v, 0],
    float: lambda v: [v * 10, -v, v + 0.5, v - 0.5, 1e308],
}


def test_no_single_plausible_edit_of_a_baseline_lets_a_damaged_candidate_pass(tmp_path):
    """Every place of the real baseline in turn, each edit a careful tamperer would make there
    (a flipped verdict, another outcome, a number moved a little or a lot, the key removed)."""
    genuine = json.loads(BASELINE.read_text())
    path = str(tmp_path / "base.json")
    tried = 0
    for where in [p for p in places(genuine) if p]:
        parent = genuine
        for step in where[:-1]:
            parent = parent[step]
        value = parent[where[-1]]
        edits = PLAUSIBLE.get(type(value), lambda v: [])(value) + (
            [DELETE] if isinstance(parent, dict) else []
        )
        for edit in edits:
            document = copy.deepcopy(genuine)
            target = document
            for step in where[:-1]:
                target = target[step]
            if edit is DELETE:
                del target[where[-1]]
            else:
                target[where[-1]] = edit
            Path(path).write_text(json.dumps(document))
            baseline.load.cache_clear()
            tried += 1
            try:
                baseline.load(path)
            except baseline.BaselineError:
                continue
            verdicts = gate_verdicts(path)
            assert set(verdicts.values()) <= {"fail", "refused"}, (where, edit, verdicts)
    assert tried > 300


DELETE = object()


@settings(max_examples=60)
@given(
    st.lists(
        st.one_of(st.sampled_from(HOSTILE[:5]), st.text(alphabet="<>|&`*_[]()=/'\"!#\n\x1b aZ", min_size=1)),
        min_size=4,
        max_size=4,
    )
)
def test_text_from_records_never_becomes_markup_in_any_view(texts):
    spec, model, claim, summary = texts
    results = merge([RESULTS])
    records = results.cells
    for record in records:
        record.spec, record.model, record.claim = spec, model, claim
        for check in record.checks:
            check.summary = check.check = summary
    with tempfile.TemporaryDirectory() as out:
        write_reports(results, out)
        tags = page_tags(Path(out, "report.html").read_text())
        assert tags.tags <= GENUINE_TAGS and not tags.handlers
    markdown_is_text(gate_tables(records))
    assert "\n" not in md_text(summary) and "\x1b" not in terminal_text(summary)


def test_one_line_per_problem_names_file_and_field(tmp_path):
    document = json.loads(RESULTS.read_text())
    document["cells"][2]["checks"][0]["values"]["best_score"] = math.nan
    document["cells"][4]["checks"][0]["artifact"] = "../../../etc/x.json"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document))
    with pytest.raises(RecordError) as caught:
        read_results(str(path))
    assert str(caught.value).splitlines() == [
        f"{path}: cells[2].checks[0].values.best_score: not a finite number (NaN)",
        f"{path}: cells[4].checks[0].artifact: '../../../etc/x.json' is not a relative .json path inside "
        "the report folder",
    ]
