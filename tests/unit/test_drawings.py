"""Circuit drawings (no model): only the circuit is drawn, in rows by layer from input to logits,
each edge once, coloured by the input it reaches; the report writes and inlines them."""

import json
import xml.etree.ElementTree as ET

from mechanisms.record import CellRecord, Results
from mechanisms.report import html as report_html
from mechanisms.report.drawings import circuit_svg, layout, row_of, split_edge
from mechanisms.report.files import write_reports

SVG = "{http://www.w3.org/2000/svg}"


def artifact(parallel=True, edges=None):
    edges = edges or [
        ("input->a0.h1<v>", 2.0, True),
        ("a0.h1->a1.h0<q>", -0.5, True),
        ("a1.h0->logits", 3.0, True),
        ("input->m0", 0.01, False),  # scored, not in the circuit: not drawn
    ]
    return {
        "model": "zoo-250k",
        "revision": "step2048",
        "n_edges": 3,
        "nodes": ["input", "a0.h1", "a1.h0", "logits"],
        "faithfulness": 0.91,
        "graph": {"layers": 2, "heads": 2, "kv_heads": 2, "parallel_attn_mlp": parallel, "edges": 60},
        "edges": [{"edge": e, "score": s, "in_circuit": c} for e, s, c in edges],
    }


def test_edge_names_split_into_upstream_node_and_input():
    assert split_edge("a0.h3->a2.h1<k>") == ("a0.h3", "a2.h1", "k")
    assert split_edge("m1->logits") == ("m1", "logits", "")
    assert split_edge("input->a3.g1<v>") == ("input", "a3.g1", "v")  # a key/value group's input


def test_rows_run_from_input_to_logits_and_sequential_mlps_sit_above_their_heads():
    assert row_of("input", True, 4) == 0 and row_of("logits", True, 4) == 5
    assert row_of("a2.h7", True, 4) == row_of("m2", True, 4) == 3  # GPT-NeoX: parallel
    assert row_of("m2", False, 4) == 3.5  # reads layer 2's heads: drawn above them
    place = layout({"input", "a0.h1", "a0.h0", "m0", "logits"}, True, 1)
    assert place["logits"][1] < place["a0.h0"][1] < place["input"][1]  # SVG y grows downwards
    assert place["a0.h0"][0] < place["a0.h1"][0] < place["m0"][0]  # heads by index, MLP last


def test_the_drawing_has_the_circuit_edges_and_nodes_only():
    svg = circuit_svg(artifact())
    root = ET.fromstring(svg)  # well-formed XML
    paths = root.findall(f"{SVG}path")
    titles = sorted(p.find(f"{SVG}title").text for p in paths)
    assert titles == ["L0H1 -> L1H0<q>: -0.5", "L1H0 -> logits: +3", "input -> L0H1<v>: +2"]
    dashed = [p.find(f"{SVG}title").text for p in paths if p.get("stroke-dasharray")]
    assert dashed == ["L0H1 -> L1H0<q>: -0.5"]  # a negative score
    assert [p.get("stroke-width") for p in paths] == ["1.3", "3.5", "5.0"]  # weakest first, |score|
    nodes = sorted(g.find(f"{SVG}title").text for g in root.findall(f"{SVG}g"))
    assert nodes == ["L0H1", "L1H0", "input", "logits"]  # heads named as in the details
    assert "zoo-250k@step2048: 3 edges, 4 nodes, faithfulness 0.91" in svg
    assert svg == circuit_svg(artifact())  # the same artifact, the same bytes


def test_no_circuit_edge_no_drawing():
    assert circuit_svg(artifact(edges=[("input->m0", 1.0, False)])) is None


def test_reports_draw_each_saved_circuit_and_inline_it(tmp_path):
    (tmp_path / "circuits" / "c").mkdir(parents=True)
    (tmp_path / "circuits" / "c" / "zoo-250k@step2048.json").write_text(json.dumps(artifact()))
    check = {
        "check": "circuit[0]",
        "holds": True,
        "summary": "3 edges",
        "values": {},
        "headline": None,
        "artifact": "circuits/c/zoo-250k@step2048.json",
    }
    missing = {**check, "artifact": "circuits/c/gone.json"}  # a merged run without its files
    records = [
        {
            "spec": "c",
            "suite": "zoo",
            "model": "zoo-250k",
            "step": 2048,
            "tokens": 1,
            "params": 1,
            "outcome": "holds",
            "holds": True,
            "expected": True,
            "claim": "c",
            "spec_version": 1,
            "checks": [check, missing],
        },
    ]
    results = Results(cells=[CellRecord.from_json(r) for r in records], complete=True, command=["pytest"])
    write_reports(results, str(tmp_path))
    drawn = (tmp_path / "circuits" / "c" / "zoo-250k@step2048.svg").read_text()
    assert drawn == circuit_svg(artifact())
    page = (tmp_path / "report.html").read_text()
    cells = json.loads(page.split('<script type="application/json" id="cells">')[1].split("</script>")[0])
    (cell,) = cells.values()
    template = cell["checks"][0]["drawing"]  # the id of the <template> the panel clones
    assert f'<template id="{template}">{drawn}</template>' in page and "drawing" not in cell["checks"][1]
    assert report_html.render(results).count("<svg") == 0  # no drawings given, none inlined
