"""``--mech-update-expect``: onsets chosen from measured cells, and the spec text edited in place."""

import pytest

from mechanisms.record import CellRecord, CheckRecord, Headline
from mechanisms.report.curves import shown_headline, token_ticks
from mechanisms.report.drawings import display_name
from mechanisms.spec.loader import parse_spec
from mechanisms.spec.update import NEVER, Measured, new_onset, update_spec

STEPS = (0, 128, 256, 512, 768, 1024, 2048)


@pytest.mark.parametrize(
    ("old", "cells", "new"),
    [
        (512, {256: False, 512: True, 2048: True}, 512),  # agrees: unchanged
        (NEVER, {256: False, 512: True, 2048: True}, 512),
        (1024, {256: False, 512: True, 2048: True}, 512),
        (128, {256: False, 512: True, 2048: True}, 512),  # the earliest onset after 256
        (128, {256: False, 2048: True}, 512),  # 512-1024 not measured: as close to 128 as allowed
        (1024, {256: False, 2048: True}, 1024),  # 1024 agrees with both measured cells
        (512, {256: False, 2048: False}, NEVER),  # absent at the last checkpoint
        (512, {0: False, 256: False}, 512),  # agrees: later, unmeasured checkpoints keep holding
        (128, {0: False, 256: False}, 512),  # the earliest step after the last absent one
        (NEVER, {0: False, 256: False}, NEVER),
        (512, {0: True, 256: False, 512: True}, 512),  # 0 is a flip (added to unstable)
    ],
)
def test_new_onset_is_the_measured_one_closest_to_the_old(old, cells, new):
    assert new_onset(old, cells, STEPS) == new


SPEC = """# a comment that stays
format: 1
id: x
version: 1
claim: c
task: {name: ioi}
checks:
  - behaviour: {metric: logit_diff, min: 1}   # and this one
expect:
  pythia: {not_covered: [all]}  # kept
  zoo: {sizes: {zoo-890k: 512}, not_covered: [zoo-40k]}   # a trailing comment
"""


def measured(size, holds_from, steps=STEPS):
    return [Measured(size, s, holds_from is not None and s >= holds_from) for s in steps]


def test_only_the_suites_entry_changes_and_the_result_expects_what_was_measured():
    spec = parse_spec(SPEC, "x.mech.yaml")
    cells = measured("zoo-890k", 512) + measured("zoo-520k", 768) + measured("zoo-250k", None)
    update = update_spec(spec, SPEC, "zoo", cells)
    assert not update.error and update.changes == ["zoo-520k: never -> step768"]
    assert update.new_text == SPEC.replace(
        "{sizes: {zoo-890k: 512}, not_covered: [zoo-40k]}",
        "{sizes: {zoo-520k: 768, zoo-890k: 512}, not_covered: [zoo-40k]}",
    )
    again = parse_spec(update.new_text, "x.mech.yaml")
    assert update_spec(again, update.new_text, "zoo", cells).new_text == update.new_text  # idempotent


def test_flips_become_unstable_and_marked_unstable_cells_are_left_alone():
    text = SPEC.replace("not_covered: [zoo-40k]", "unstable: [zoo-890k@step128]")
    spec = parse_spec(text, "x.mech.yaml")
    cells = [*measured("zoo-890k", 512), Measured("zoo-250k", 0, True), Measured("zoo-250k", 2048, False)]
    cells[1] = Measured("zoo-890k", 128, True)  # marked unstable: left alone
    update = update_spec(spec, text, "zoo", cells)
    assert update.kept_unstable == ["zoo-890k@step128"] and update.flips == ["zoo-250k@step0"]
    assert "unstable: [zoo-890k@step128, zoo-250k@step0]" in update.new_text and not update.error


def test_a_suite_without_an_entry_gets_one_under_expect_or_a_new_expect():
    spec = parse_spec(SPEC, "x.mech.yaml")
    update = update_spec(spec, SPEC, "smollm2", [Measured("smollm2-135m", 0, False)])
    assert "  smollm2: {holds: false}\n  pythia:" in update.new_text and not update.error
    bare = SPEC[: SPEC.index("expect:")]
    update = update_spec(
        parse_spec(bare, "x.mech.yaml"), bare, "smollm2", [Measured("smollm2-135m", 0, False)]
    )
    assert update.new_text.endswith("expect:\n  smollm2: {holds: false}\n")


def test_a_cell_shows_the_failing_checks_value():
    record = CellRecord("s", "zoo", "m", 1, 1, "c")
    record.checks = [
        CheckRecord("a", True, "", headline=Headline("v", 1.53, 1)),
        CheckRecord("b", False, "", headline=Headline("v", 0.1, 0.5)),
    ]
    assert shown_headline(record).value == 0.1
    record.checks[1].holds = True
    assert shown_headline(record).value == 1.53


def test_the_token_axis_is_labelled_up_to_the_last_checkpoint():
    ticks = token_ticks(262144, 4194304, zero=True)
    assert ticks[0] == 0 and ticks[-1] == 4194304 and 2e6 in ticks and 5e6 not in ticks


def test_circuit_heads_are_named_as_in_the_details():
    assert [display_name(n) for n in ("a1.h0", "a12.h3<q>", "m1", "logits")] == [
        "L1H0",
        "L12H3<q>",
        "m1",
        "logits",
    ]
