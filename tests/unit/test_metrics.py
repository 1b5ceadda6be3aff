"""Metrics on constructed logits whose answers are known in advance."""

import pytest
import torch

from mechanisms.measure import metrics
from mechanisms.measure.tasks import TaskData


def pair_task():
    return TaskData("ioi", "pair", tokens=[[5, 6, 7], [5, 6]], correct=[1, 2], wrong=[2, 1])


def test_logit_diff_reads_each_row_at_its_own_end():
    logits = torch.zeros(2, 3, 4)
    logits[0, 2, 1], logits[0, 2, 2] = 3.0, 1.0  # row 0 ends at position 2
    logits[1, 1, 2], logits[1, 1, 1] = 5.0, 0.0  # row 1 ends at position 1 (right padding)
    logits[1, 2, 1] = 100.0  # padding position: must be ignored
    assert metrics.logit_diff(logits, pair_task()) == pytest.approx((2.0 + 5.0) / 2)
    assert metrics.pair_accuracy(logits, pair_task()) == 1.0


def test_prob_diff_group_sum():
    task = TaskData("gt", "group", tokens=[[0, 0]], candidates=[0, 1, 2, 3], flags=[[-1, -1, 1, 1]])
    logits = torch.full((1, 2, 4), -1e9)
    logits[0, 1] = torch.log(torch.tensor([0.1, 0.1, 0.5, 0.3]))
    assert metrics.prob_diff(logits, task) == pytest.approx(0.6, abs=1e-5)
    assert metrics.group_accuracy(logits, task) == 1.0


def test_repeat_loss_is_zero_for_a_perfect_copier_and_high_for_uniform():
    span = 4
    row = [0, 10, 11, 12, 13, 10, 11, 12, 13]
    task = TaskData("rep", "sequence", tokens=[row], span=span, start=1)
    perfect = torch.full((1, len(row), 20), -1e4)
    for t in range(len(row) - 1):
        perfect[0, t, row[t + 1]] = 0.0
    assert metrics.repeat_loss(perfect, task) == pytest.approx(0.0, abs=1e-3)
    uniform = torch.zeros(1, len(row), 20)
    assert metrics.repeat_loss(uniform, task) == pytest.approx(torch.log(torch.tensor(20.0)).item(), rel=1e-5)
    assert metrics.loss_drop(uniform, task) == pytest.approx(0.0, abs=1e-6)


def test_top1_accuracy():
    task = TaskData("succ", "target", tokens=[[1, 2], [3]], correct=[4, 0])
    logits = torch.zeros(2, 2, 5)
    logits[0, 1, 4] = 1.0
    logits[1, 0, 3] = 1.0  # wrong
    assert metrics.top1_accuracy(logits, task) == 0.5
