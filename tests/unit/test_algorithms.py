"""The greater-than algorithm check's three measures, on constructed answers (arXiv 2407.10827,
section 4.7; ``verify_greater_than.py``)."""

import torch

from mechanisms.measure.algorithms import attends_most, names_year, year_boost


def _later(years: list[int]) -> torch.Tensor:
    return torch.tensor([[n > y for n in range(100)] for y in years])


def test_year_boost_is_the_gap_between_later_and_other_years():
    later = _later([30, 70])
    logits = later.float() * 2.0 - 0.5  # +1.5 on later years, -0.5 on the others
    assert year_boost(logits, later) == 2.0


def test_year_boost_is_negative_for_an_mlp_that_favours_earlier_years():
    later = _later([10, 50, 90])
    assert year_boost(-later.float(), later) == -1.0


def test_year_boost_ignores_a_constant_and_the_order_of_years_within_a_group():
    later = _later([40])
    logits = torch.full((1, 100), 7.0)
    logits[0, 60] += 3.0  # one later year up: later years' mean rises by 3/59
    assert abs(year_boost(logits, later) - 3.0 / 59) < 1e-6


def test_attends_most_counts_rows_whose_maximum_is_at_the_key_ties_included():
    patterns = torch.tensor(
        [
            [0.1, 0.7, 0.2],  # max at key 1: yes
            [0.5, 0.0, 0.5],  # tie between keys 0 and 2, key 2 asked: yes
            [0.6, 0.3, 0.1],  # max at key 0, key 1 asked: no
            [0.2, 0.2, 0.6],  # max at key 2, key 0 asked: no
        ]
    )
    assert attends_most(patterns, torch.tensor([1, 2, 1, 0])) == 0.5


def test_names_year_accepts_yy_and_the_next_year_only():
    logits = torch.zeros(4, 100)
    for row, best in enumerate([32, 33, 34, 31]):
        logits[row, best] = 1.0
    assert names_year(logits, torch.tensor([32, 32, 32, 32])) == 0.5
