"""Bad and hostile spec files: every one is a ``SpecError`` naming file, line and field, found when
the spec loads, in bounded time and memory; nothing else escapes the loader."""

import math
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mechanisms.spec.loader import MAX_SPEC_BYTES, SpecError, load_spec, parse_spec

BUNDLED = sorted((Path(__file__).parents[2] / "mechanisms" / "specs").glob("*.mech.yaml"))
GOOD = """format: 1
id: canary
version: 1
claim: Induction heads exist.
task:
  name: repeated_tokens
  params: {span: 15, n_prompts: 8}
checks:
  - heads: {score: induction, min: 0.4}
  - behaviour: {metric: repeat_loss, max: 1.0}
expect:
  zoo: {sizes: {zoo-890k: 512}}
"""


def error_of(text: str, name: str = "x.mech.yaml") -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(text, name)
    return str(info.value)


def test_the_canary_is_valid():
    assert parse_spec(GOOD, "x.mech.yaml").id == "canary"


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "n_prompts: 8",
            "n_prompts: 0",
            "x.mech.yaml:7: task.params.n_prompts: must be between 1 and 4096, got 0",
        ),
        ("n_prompts: 8", "n_prompts: -3", "task.params.n_prompts: must be between 1 and 4096"),
        ("n_prompts: 8", "n_prompts: 1000000000", "task.params.n_prompts: must be between 1 and 4096"),
        ("span: 15", "span: 100000", "task.params.span: must be between 2 and 1024"),
        ("span: 15", "pool: '[unclosed'", "task.params.pool: not a valid regular expression"),
        ("min: 0.4}", "min: .nan}", "x.mech.yaml:9: checks[0].heads.min: must be a finite number, got nan"),
        ("max: 1.0}", "max: .inf}", "x.mech.yaml:10: checks[1].behaviour.max: must be a finite number"),
        (
            "zoo-890k: 512",
            "zoo-9000k: 512",
            "x.mech.yaml:12: expect.zoo.sizes.zoo-9000k: suite 'zoo' has no size 'zoo-9000k'",
        ),
        (
            "zoo-890k: 512",
            "zoo-890k: 500",
            "expect.zoo.sizes.zoo-890k: zoo-890k has no checkpoint step500; nearest: step512",
        ),
        (
            "{sizes: {zoo-890k: 512}}",
            "{sizes: all, unstable: [zoo-890k@step3]}",
            "expect.zoo.unstable[0]: zoo-890k@step3: zoo-890k has no checkpoint step3",
        ),
        (
            "{sizes: {zoo-890k: 512}}",
            "{sizes: all, unstable: [zoo-1m@step2]}",
            "expect.zoo.unstable[0]: zoo-1m@step2: suite 'zoo' has no size",
        ),
        ("id: canary", "id: " + "a" * 81, "x.mech.yaml:2: id: is 81 characters long; at most 80"),
        ("version: 1", "version: 1\nmarks: [skip]", "marks[0]: 'skip' is reserved"),
        ("version: 1", "version: 1\nmarks: [xfail]", "marks[0]: 'xfail' is reserved"),
        (
            "  - behaviour: {metric: repeat_loss, max: 1.0}",
            "  - path: {senders: {score: induction, top: 1}, receivers: {score: induction, top: 1}, metric: repeat_loss, min_damage: 0.1}",
            "checks[1].path: task 'repeated_tokens' has no corrupted prompts",
        ),
        (
            "  - behaviour: {metric: repeat_loss, max: 1.0}",
            "  - ablation: {heads: {score: induction, top: 1}, metric: repeat_loss, min_drop: 0.1, method: interchange}",
            "checks[1].ablation: task 'repeated_tokens' has no corrupted prompts",
        ),
    ],
)
def test_bad_values_are_caught_when_the_spec_loads(old, new, expected):
    assert old in GOOD
    assert expected in error_of(GOOD.replace(old, new, 1))


def test_unknown_sva_constructions_are_caught_when_the_spec_loads():
    text = GOOD.replace("repeated_tokens", "sva").replace(
        "{span: 15, n_prompts: 8}", "{constructions: 'simple,relative'}"
    )
    text = text.replace(
        "  - heads: {score: induction, min: 0.4}\n  - behaviour: {metric: repeat_loss, max: 1.0}",
        "  - behaviour: {metric: group_accuracy, min: 0.8}",
    )
    assert "task.params.constructions: unknown value 'relative'; known: all, simple" in error_of(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "(top level): a spec must be a YAML mapping"),
        ("- a\n- b\n", "(top level): a spec must be a YAML mapping"),
        ("just text", "(top level): a spec must be a YAML mapping"),
    ],
)
def test_files_that_are_not_mappings_are_errors(text, expected):
    assert expected in error_of(text)


def test_an_alias_bomb_is_refused_fast():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    start = time.perf_counter()
    message = error_of("\n".join(lines) + "\n")
    assert "too large: more than 20000 YAML nodes once aliases are expanded" in message
    assert time.perf_counter() - start < 2


def test_deep_nesting_is_refused():
    assert "(yaml)" in error_of("a: " + "[" * 5000 + "]" * 5000) or "nested deeper" in error_of(
        "a: " + "[" * 5000 + "]" * 5000
    )
    assert "nested deeper than 32 levels" in error_of("a: " + "[" * 40 + "]" * 40)


def test_files_that_are_not_utf8_or_too_large(tmp_path):
    bad = tmp_path / "bad.mech.yaml"
    bad.write_bytes(b"format: 1\nid: x\nclaim: caf\xe9\n")
    with pytest.raises(SpecError, match=r"bad.mech.yaml:3: \(file\): not UTF-8 text \(byte 0xe9"):
        load_spec(bad)
    big = tmp_path / "big.mech.yaml"
    big.write_text("# padding\n" * (MAX_SPEC_BYTES // 10 + 10))
    with pytest.raises(SpecError, match=r"big.mech.yaml:1: \(file\): larger than 256 KiB"):
        load_spec(big)


# --- mutated bundled specs -------------------------------------------------------------


def _mutations():
    junk = st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12),
        st.floats(allow_nan=True),
        st.sampled_from(["", "x" * 5000, "*alias", "&a [*a]", "{", "]", "- -", "\t", "é", "\x00"]),
        st.text(max_size=20),
    )
    return st.tuples(
        st.sampled_from(BUNDLED),
        st.integers(min_value=0, max_value=10_000),
        st.integers(min_value=0, max_value=10_000),
        junk,
        st.sampled_from(["replace_value", "insert", "truncate", "bytes"]),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_mutated_specs_fail_only_with_spec_errors(tmp_path_factory, mutation):
    source, pos, length, junk, how = mutation
    text = source.read_text()
    pos = pos % (len(text) + 1)
    if how == "replace_value":
        line_start = text.rfind("\n", 0, pos) + 1
        colon = text.find(":", line_start)
        end = text.find("\n", pos)
        if 0 <= colon < (end if end >= 0 else len(text)):
            text = text[: colon + 1] + f" {junk}" + text[(end if end >= 0 else len(text)) :]
        data = text.encode()
    elif how == "insert":
        data = (text[:pos] + str(junk) + text[pos:]).encode("utf-8", "surrogatepass")
    elif how == "truncate":
        data = text[:pos].encode()
    else:
        data = text.encode()[:pos] + bytes([0xFF, 0xFE, length % 256]) + text.encode()[pos:]
    path = tmp_path_factory.mktemp("m") / "mutated.mech.yaml"
    path.write_bytes(data)
    start = time.perf_counter()
    try:
        spec = load_spec(path)
    except SpecError as error:
        assert str(error).startswith(f"{path}:")
        assert error.line >= 1 and error.where
    else:
        assert spec.id and spec.checks and all(math.isfinite(len(c.fields)) for c in spec.checks)
    assert time.perf_counter() - start < 2


def test_applies_to_can_name_single_sizes():
    from mechanisms.plan.cells import suite_cells

    spec = parse_spec(GOOD.replace("expect:", "applies_to: [zoo:zoo-890k, pythia]\nexpect:"), "x.mech.yaml")
    cells = suite_cells("zoo", "all", "final")
    assert [c.size for c in cells if spec.applies(c)] == ["zoo-890k"]
    assert spec.applies_to == ("zoo", "pythia")
    assert "applies_to[0]: suite 'zoo' has no size 'zoo-9k'" in error_of(
        GOOD.replace("expect:", "applies_to: [zoo:zoo-9k]\nexpect:")
    )
