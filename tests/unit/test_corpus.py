"""Corpus and task invariants, property-tested with hypothesis."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mechanisms.measure.tasks import TaskError, greater_than, ioi, repeated_tokens, successor
from mechanisms.tools.zoo import vocabulary as V
from mechanisms.tools.zoo.corpus import HELD_OUT_IOI, ROW_TOKENS, Corpus, ioi_sentence
from mechanisms.tools.zoo.corpus import IOI_TEMPLATES as TRAIN_TEMPLATES

seeds = st.integers(0, 2**31 - 1)


@given(seeds)
def test_ioi_documents_use_single_token_names_and_io_differs_from_s(seed):
    rng = np.random.default_rng(seed)
    ids = V.word_to_id()
    for template in TRAIN_TEMPLATES:
        sent = ioi_sentence(rng, template)
        assert sent.io != sent.s
        words = sent.text().split()
        assert all(w in ids for w in words)  # every word is one token of the closed vocabulary
        assert words.count(sent.s) == 2 and words.count(sent.io) == 2 and words[-2] == sent.io


def test_held_out_template_never_in_training_rows():
    corpus = Corpus(0)
    held_out_start = [V.word_to_id()[w] for w in HELD_OUT_IOI.split()[:1]]  # "Afterwards"
    tokens, _ = corpus.batch(512)
    assert held_out_start[0] not in set(tokens.ravel().tolist())


@given(seeds)
def test_rows_have_fixed_length_and_mask_only_padding(seed):
    tokens, mask = Corpus(seed).batch(16)
    assert tokens.shape == (16, ROW_TOKENS) and mask.shape == tokens.shape
    assert (tokens[mask == 0] == 0).all()  # masked positions are EOT padding
    assert (tokens[:, 0] == 0).all()  # every row starts with EOT, like the zoo's BOS


def test_same_seed_same_data():
    a, b = Corpus(7).batch(32), Corpus(7).batch(32)
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()


@given(seeds, st.sampled_from(["train", "held_out"]), st.sampled_from(["s2_io", "random_names"]))
def test_ioi_prompts_balanced_and_length_matched(zoo_vocab, seed, templates, corruption):
    data = ioi(zoo_vocab, n_prompts=16, seed=seed, templates=templates, corruption=corruption)
    assert all(len(c) == len(d) for c, d in zip(data.tokens, data.corrupted))
    assert all(io != s for io, s in zip(data.correct, data.wrong))
    abba = [io < s1 for io, s1 in zip(data.positions["io"], data.positions["s1"])]
    assert sum(abba) == len(data) // 2  # IO first in exactly half the prompts
    assert abba[0::2] == [True] * (len(data) // 2)  # and each template's pair has one of each order
    for row, io, s, pos in zip(data.tokens, data.correct, data.wrong, zip(*data.positions.values())):
        p_io, p_s1, p_s2, end = pos
        assert row[p_io] == io and row[p_s1] == s and row[p_s2] == s and end == len(row) - 1


def test_the_papers_templates_name_the_words_the_zoo_does_not_know(zoo_vocab):
    with pytest.raises(TaskError, match=r"does not know 'restaurant.*bone"):
        ioi(zoo_vocab, n_prompts=8, templates="paper")


@given(seeds)
def test_greater_than_prompts_length_matched_with_flags(zoo_vocab, seed):
    data = greater_than(zoo_vocab, n_prompts=8, seed=seed)
    assert all(len(c) == len(d) for c, d in zip(data.tokens, data.corrupted))
    assert all(len(f) == 100 and 0 < f.count(1) < 100 for f in data.flags)


def test_repeated_tokens_layout(zoo_vocab):
    data = repeated_tokens(zoo_vocab, n_prompts=4, span=15, pool=r"^w\d+$")
    for row in data.tokens:
        assert row[0] == zoo_vocab.bos_id and row[1:16] == row[16:31] and len(set(row[1:16])) == 15


def test_successor_targets_follow_their_prompts(zoo_vocab):
    data = successor(zoo_vocab, n_prompts=12)
    words = zoo_vocab.tokenizer.convert_ids_to_tokens
    for row, target in zip(data.tokens, data.correct):
        seq = words(row[1:]) + words([target])
        if seq[0].isdigit():
            assert [int(x) for x in seq] == list(range(int(seq[0]), int(seq[0]) + 4))


@given(seeds)
def test_abb_bab_swaps_the_first_two_names_and_keeps_the_answer(zoo_vocab, seed):
    clean = ioi(zoo_vocab, n_prompts=8, seed=seed)
    swapped = ioi(zoo_vocab, n_prompts=8, seed=seed, corruption="abb_bab")
    assert swapped.tokens == clean.tokens and swapped.correct == clean.correct
    for row, bad, io, s1 in zip(
        swapped.tokens, swapped.corrupted, swapped.positions["io"], swapped.positions["s1"]
    ):
        assert len(row) == len(bad) and bad[io] == row[s1] and bad[s1] == row[io]
        assert [t for j, t in enumerate(bad) if j not in (io, s1)] == [
            t for j, t in enumerate(row) if j not in (io, s1)
        ]
