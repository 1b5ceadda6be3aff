"""The declared records (``mechanisms/record.py``): one serialisation each, a round trip that
loses nothing, and results.json of the previous format read (upgraded) or refused in one line."""

import json
from pathlib import Path

import pytest

from mechanisms.record import FORMAT, CellRecord, Results, upgrade
from mechanisms.records_schema import RecordError, read_results

FIXTURE = Path(__file__).parents[2] / "fixtures" / "records" / "gate.results.json"  # format 1


def test_a_format_1_file_is_read_with_its_library_versions_moved():
    old = json.loads(FIXTURE.read_text())
    assert old["format"] == 1 and "torch" in old["cells"][0]["provenance"]
    results = read_results(str(FIXTURE))
    first = results.cells[0]
    assert first.provenance is not None
    assert first.provenance.libraries["torch"] == old["cells"][0]["provenance"]["torch"]
    assert first.weights_sha256 == old["cells"][0]["provenance"]["weights_sha256"]
    assert results.to_json()["format"] == FORMAT == 2
    assert "torch" not in results.to_json()["cells"][0]["provenance"]


def test_every_record_survives_its_round_trip():
    document = upgrade(json.loads(FIXTURE.read_text()))
    results = Results.from_json(document)
    again = Results.from_json(json.loads(json.dumps(results.to_json())))
    assert again == results
    for cell, record in zip(document["cells"], results.cells, strict=True):
        plain = record.to_json()
        assert {k: v for k, v in cell.items() if k != "error"} == {
            k: v for k, v in plain.items() if k in cell and k != "error"
        }
        assert CellRecord.from_json(plain) == record


def test_a_format_from_the_future_is_refused_in_one_line(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"format": 3, "cells": []}))
    with pytest.raises(RecordError) as caught:
        read_results(str(path))
    assert str(caught.value) == f"{path}: format: 3, expected one of 1, 2"
