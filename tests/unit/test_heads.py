"""Pattern-based head scores on hand-set attention patterns whose answers are known."""

from types import SimpleNamespace

import pytest
import torch

from mechanisms.measure import heads
from mechanisms.record import CellRecord
from mechanisms.scheduling import split_groups


def fake_run(patterns, **data):
    rows = [[0] * patterns.shape[-1]] * patterns.shape[1]  # full-width prompts, no padding
    prompts = SimpleNamespace(tokens=rows, **data)
    return SimpleNamespace(
        task_name="repeated_tokens",
        patterns=lambda: patterns,
        pattern_sum=lambda reduce: reduce(patterns, prompts),  # one batch: TaskRun.pattern_sum
        data=prompts,
    )


def diagonal_patterns(span=5, start=1, offset=None, layer=1, head=0, layers=2, n_heads=2, batch=3):
    """Uniform causal attention everywhere, except one head that attends ``offset`` back."""
    T = start + 2 * span
    p = torch.tril(torch.ones(T, T))
    p = (p / p.sum(-1, keepdim=True)).expand(layers, batch, n_heads, T, T).clone()
    if offset is not None:
        special = torch.zeros(T, T)
        for q in range(T):
            special[q, max(q - offset, 0)] = 1.0
        p[layer, :, head] = special
    return p


@pytest.mark.parametrize(
    "score, offset",
    [
        (heads.induction_score, 4),
        (heads.duplicate_token_score, 5),
        (heads.previous_token_score, 1),
    ],
)
def test_pattern_scores_find_the_hand_set_head(score, offset):
    run = fake_run(diagonal_patterns(offset=offset), start=1, span=5)
    scores = score(run)
    assert scores.shape == (2, 2)
    assert scores[1, 0] == pytest.approx(1.0)
    assert scores.flatten().topk(2).values[1] < 0.5  # every other head is uniform


def test_induction_score_is_low_for_a_previous_token_head():
    run = fake_run(diagonal_patterns(offset=1), start=1, span=5)
    assert heads.induction_score(run)[1, 0] < 0.05


def test_end_to_io_attention():
    B, L, H, T = 2, 1, 2, 6
    p = torch.zeros(L, B, H, T, T)
    p[0, :, 0, 5, 1] = 0.9  # head 0: END -> IO
    p[0, :, 0, 5, 2] = 0.1
    p[0, :, 1, 5, 2] = 0.8  # head 1: END -> S1
    run = fake_run(p, positions={"io": [1, 1], "s1": [2, 2], "s2": [3, 3], "end": [5, 5]})
    scores = heads.end_to_io_attention(run)
    assert scores[0, 0] == pytest.approx(0.8) and scores[0, 1] == pytest.approx(-0.8)


def test_split_groups_flags_a_model_loaded_on_two_workers():
    records = [
        CellRecord("s", "zoo", "m", step, 1, "c", group=f"m:step{step}", worker=worker)
        for step, worker in ((1, "gw0"), (1, "gw1"), (2, "gw0"), (2, "gw0"))
    ]
    assert split_groups(records) == {"m:step1": ["gw0", "gw1"]}


def test_previous_token_score_reads_each_prompt_to_its_own_end():
    """On prompts of different lengths (right-padded), padding positions are not read: a head
    that attends to the previous token on real tokens and elsewhere on padding scores 1."""
    L, B, H, T = 1, 2, 2, 6
    p = torch.zeros(L, B, H, T, T)
    p[..., 0] = 1.0  # every head attends to position 0 ...
    for q in range(1, T):
        p[0, :, 1, q] = 0.0
        p[0, :, 1, q, q - 1] = 1.0  # ... but head 1 to the previous token
    p[0, 1, 1, 4:] = 0.0  # prompt 1 is 4 tokens long: at its padding head 1 looks at position 0
    p[0, 1, 1, 4:, 0] = 1.0
    prompts = SimpleNamespace(tokens=[[5] * 6, [5] * 4], span=0, start=0)
    run = SimpleNamespace(
        task_name="ioi",
        patterns=lambda: p,
        pattern_sum=lambda reduce: reduce(p, prompts),
        data=prompts,
        vocab=SimpleNamespace(prepend_bos=True),
    )
    scores = heads.previous_token_score(run)
    assert scores[0, 1].item() == pytest.approx(1.0)
    assert scores[0, 0].item() == pytest.approx(0.0)
    assert heads.previous_token_score(run).shape == (1, 2)
