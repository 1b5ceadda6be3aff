"""Memory by design: over its budget a task's metrics and attention-pattern scores run in
micro-batches with the values of one batch, a read that needs every prompt at once stops with a
message, and a config that claims another shape than its weights is refused before it is built."""

import json
import shutil

import pytest

from mechanisms.measure.budget import Footprint, MemoryBudgetError
from mechanisms.measure.runs import TaskRun
from mechanisms.models.shapes import ModelShapeError, check_config


def runs(model, task, params, per_chunk: int | None = 1):
    """The same prompts twice: one batch (a budget of 64 GiB), and micro-batches of ``per_chunk``
    prompts (a budget just over that many prompts' pattern footprint)."""
    whole, chunked = TaskRun(model, task, params), TaskRun(model, task, params)
    whole.__dict__["budget"] = 64 << 30
    footprint = chunked.footprint
    chunked.__dict__["budget"] = footprint.patterns * per_chunk + 1
    assert whole.fits and not chunked.fits
    return whole, chunked


def close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


@pytest.mark.parametrize(
    "task, params, metrics, scores",
    [
        (
            "repeated_tokens",
            {"n_prompts": 12, "span": 15, "seed": 0, "pool": r"^w\d+$"},
            ["repeat_loss", "loss_drop"],
            ["induction", "duplicate_token", "previous_token"],
        ),
        (
            "ioi",
            {"n_prompts": 10, "seed": 0, "templates": "train", "corruption": "s2_io"},
            ["logit_diff", "pair_accuracy"],
            ["previous_token", "end_to_io"],
        ),
        ("greater_than", {"n_prompts": 10, "seed": 0}, ["prob_diff", "group_accuracy"], ["previous_token"]),
    ],
)
def test_micro_batches_give_the_values_of_one_batch(zoo_model, task, params, metrics, scores):
    model = zoo_model("zoo-890k", 2048)
    whole, chunked = runs(model, task, params, per_chunk=3)
    assert len(list(chunked.chunks(chunked.footprint.patterns))) == -(-len(chunked.data) // 3)
    for name in metrics:
        assert close(whole.metric(name), chunked.metric(name)), name
    for name in scores:
        a, b = whole.head_scores(name, "task"), chunked.head_scores(name, "task")
        assert (a - b).abs().max().item() <= 1e-6, name
    assert "clean" not in chunked.__dict__  # no forward pass over every prompt at once


def test_a_read_of_every_prompt_at_once_stops_over_the_budget(zoo_model):
    model = zoo_model("zoo-890k", 2048)
    _, chunked = runs(model, "ioi", {"n_prompts": 10, "seed": 0, "templates": "train", "corruption": "s2_io"})
    with pytest.raises(MemoryBudgetError, match=r"10 prompts of task 'ioi' take about .* --mech-memory"):
        chunked.z(0)


def test_the_footprint_grows_with_prompts_length_squared():
    class Cfg:
        n_layers, n_heads, d_model, d_vocab, d_head, d_mlp = 6, 4, 128, 384, 32, 512

    short, long = Footprint.of(Cfg, 64), Footprint.of(Cfg, 256)
    assert long.patterns > 8 * short.patterns  # attention patterns are tokens x tokens (4x tokens here)
    assert short.cached > short.patterns and short.cached > short.logits


def zoo_snapshot(tmp_path):
    from mechanisms.models.resolve import resolve

    source = resolve("pytest-mechanisms/zoo-40k", "step2048", False)
    target = tmp_path / "model"
    shutil.copytree(source, target)
    return target


def test_a_config_claiming_other_shapes_than_its_weights_is_refused(tmp_path):
    model = zoo_snapshot(tmp_path)
    check_config(model)  # the real one passes
    config = json.loads((model / "config.json").read_text())
    for field, value, message in [
        ("num_hidden_layers", 1_000_000, r"num_hidden_layers is 1000000, but the weights hold 1 layers"),
        ("hidden_size", 4096, r"hidden_size is 4096, but the weights hold \d+ embedding width"),
        ("num_hidden_layers", "4", r"num_hidden_layers: '4' is not an integer"),
    ]:
        (model / "config.json").write_text(json.dumps({**config, field: value}))
        with pytest.raises(ModelShapeError, match=message) as caught:
            check_config(model)
        assert str(model / "config.json") in str(caught.value)


def test_boot_refuses_the_config_before_building_it(tmp_path):
    from mechanisms.models.loading import boot

    model = zoo_snapshot(tmp_path)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 10**6}))
    with pytest.raises(ModelShapeError, match="refusing to build"):
        boot(str(model), None, prepend_bos=True)
