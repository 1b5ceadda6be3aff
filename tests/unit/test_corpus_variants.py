"""The corpus variants behind docs/emergence.md's "Would another corpus grow name movers?"."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mechanisms.tools.zoo import vocabulary as V
from mechanisms.tools.zoo.corpus import IOI_TEMPLATES, Corpus
from mechanisms.tools.zoo.variants import (
    VARIANTS,
    VariantCorpus,
    crowd_ioi,
    main,
    recall_doc,
    third_name_ioi,
)

seeds = st.integers(0, 2**31 - 1)
IDS = V.word_to_id()


def test_the_shipped_variant_is_the_shipped_corpus_row_for_row():
    ours, shipped = VariantCorpus(0, VARIANTS["shipped"]).batch(256), Corpus(0).batch(256)
    assert all((a == b).all() for a, b in zip(ours, shipped))


@pytest.mark.parametrize("name", sorted(set(VARIANTS) - {"shipped"}))
def test_every_other_variant_changes_the_stream(name):
    ours, shipped = VariantCorpus(0, VARIANTS[name]).batch(64), Corpus(0).batch(64)
    assert not all((a == b).all() for a, b in zip(ours, shipped))


def ioi_documents(make, seed):
    """One document per IOI template from the variant's ``make(rng, template)``, as words."""
    rng = np.random.default_rng(seed)
    for template in IOI_TEMPLATES:
        words = make(rng, template).split()
        assert all(w in IDS for w in words)
        yield words


@given(seeds)
def test_the_third_name_is_neither_io_nor_s_and_appears_once(seed):
    for words in ioi_documents(third_name_ioi, seed):
        io = words[-2]
        names = [w for w in words if w in V.NAMES]
        s = next(n for n in names if n != io and names.count(n) == 2)
        third = [n for n in names if n not in (io, s)]
        assert names.count(io) == 2 and len(third) == 1  # removing S leaves two candidates
        assert words.index(third[0]) < len(words) - 1 - words[::-1].index(s)  # before S2


@given(seeds)
def test_in_a_crowd_every_name_but_io_is_repeated(seed):
    for words in ioi_documents(crowd_ioi, seed):
        io, names = words[-2], [w for w in words[:-2] if w in V.NAMES]
        counts = {n: names.count(n) for n in names}
        assert counts.pop(io) == 1 and len(counts) in (2, 3) and set(counts.values()) == {2}


@given(seeds)
def test_recall_asks_for_the_name_told_at_that_place(seed):
    words = recall_doc(np.random.default_rng(seed)).split()
    assert all(w in IDS for w in words)
    place, name = words[-4], words[-2]
    told = {
        words[i + 2]: words[i + 4] for i in range(len(words) - 5) if words[i] == "at" and words[i + 3] == ","
    }
    assert told[place] == name and len(set(told.values())) == len(told)


def test_without_the_s2_target_only_s2_is_masked():
    corpus = VariantCorpus(0, VARIANTS["third-name-no-s2-target"])
    text = "When Mary and John went to the store , John gave a ring to Mary ."
    doc, mask = [0, *corpus.encode(text)], corpus.targets(text)
    assert len(mask) == len(doc) and mask.count(0) == 1
    assert doc[mask.index(0)] == IDS["John"] and doc[mask.index(0) + 1] == IDS["gave"]
    assert VariantCorpus(0, VARIANTS["third-name"]).targets(text) == [1] * len(doc)


def test_an_unknown_size_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["shipped", "--size", "zoo-9k", "--out", str(tmp_path)])
    assert "the recipe has zoo-40k, zoo-250k" in capsys.readouterr().err
