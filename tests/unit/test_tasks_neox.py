"""The task generators on the real GPT-NeoX-20B tokenizer that every Pythia model uses.

The tokenizer ships in ``fixtures/tokenizers/gpt-neox-20b`` (see its README for provenance);
the facts checked here are the ones the paper's data depends on.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mechanisms.measure import tasks
from mechanisms.tools.random_init import NEOX_TOKENIZER


@pytest.fixture(scope="module")
def neox():
    from transformers import AutoTokenizer

    return tasks.Vocab(AutoTokenizer.from_pretrained(NEOX_TOKENIZER), prepend_bos=False)


def words(vocab, row):
    return vocab.tokenizer.convert_ids_to_tokens(row)


def test_it_is_the_pythia_tokenizer(neox):
    assert len(neox.tokenizer) == 50_277 and neox.bos_id == 0
    assert (neox.single(" she"), neox.single(" he")) == (703, 344)  # the ids in the paper's GP data


def test_every_word_list_is_single_token(neox):
    from mechanisms.measure import wordlists as w

    for what, items in (("places", w.PLACES), ("objects", w.OBJECTS), ("names", w.NAMES[:30])):
        assert len(neox.singles(items, what, need=1)) == len(items)
    assert len(neox.singles(w.NAMES, "names", need=1)) >= 95  # the paper draws from 100
    assert all(neox.known(n) for n in w.GT_NOUNS + w.PAPER_PLACES + w.PAPER_OBJECTS)
    assert set(tasks.ordinal_ids(neox)) == {"numbers", "weekdays", "months"}


def test_ioi_positions_point_at_the_names(neox):
    data = tasks.ioi(neox, n_prompts=16, corruption="random_names")
    for i, row in enumerate(data.tokens):
        assert row[data.positions["io"][i]] == data.correct[i]
        assert row[data.positions["s1"][i]] == row[data.positions["s2"][i]] == data.wrong[i]
        assert len(row) == len(data.corrupted[i]) and data.positions["end"][i] == len(row) - 1
        assert words(neox, row)[-1] == "Ġto"


def test_greater_than_years_split_as_century_and_two_digits(neox):
    data = tasks.greater_than(neox, n_prompts=12)
    yy = set(data.candidates)
    for row, bad in zip(data.tokens, data.corrupted):
        century, two_digits = words(neox, row)[-6:-4]
        assert century.startswith("Ġ1") and row[-5] in yy and len(two_digits) == 2
        assert words(neox, bad)[-5] == "01" and words(neox, row)[-1] == century


@given(seed=st.integers(0, 2**16))
def test_greater_than_flags_match_the_year_written_in_the_prompt(neox, seed):
    data = tasks.greater_than(neox, n_prompts=4, seed=seed)
    for row, flags in zip(data.tokens, data.flags):
        yy = int(neox.tokenizer.decode(row[-5]))
        assert data.candidates[yy] == row[-5]
        assert [n for n in range(100) if flags[n] == 1] == list(range(yy + 1, 100))


def test_gendered_pronoun_sva_and_successor_build_in_full(neox):
    gp = tasks.gendered_pronoun(neox)
    assert len(gp) == 64 and set(gp.correct) == {703, 344}
    sva = tasks.subject_verb_agreement(neox)
    assert len(sva) == 64 and all(len(a) == len(b) for a, b in zip(sva.tokens, sva.corrupted))
    succ = tasks.successor(neox, separator=",")
    assert words(neox, succ.tokens[0])[1] == ","


def test_repeated_tokens_never_use_special_tokens(neox):
    data = tasks.repeated_tokens(neox, n_prompts=8)
    special = set(neox.tokenizer.all_special_ids)
    assert all(not special & set(row) for row in data.tokens)
    assert all(row[:15] == row[15:] for row in data.tokens)


def test_greater_than_keeps_the_papers_years(neox):
    """Years written [' XX', 'YY'], without each century's first and last such year, YY >= 02."""
    found = {}
    for c in range(11, 18):
        for y in range(100):
            form = tasks._year_form(neox, c, neox.single(f" {c}"), y, neox.single(f"{y:02d}"))
            if form:
                found[(c, y)] = form
    usable = tasks._usable_years(found)
    for century in range(11, 18):
        valid = sorted(y for c, y in found if c == century)
        kept = [y for c, y in usable if c == century]
        assert valid[0] not in kept and valid[-1] not in kept and all(y >= 2 for y in kept)


def test_every_sva_construction_builds(neox):
    from mechanisms.measure.wordlists import SVA_CONSTRUCTIONS

    for name in SVA_CONSTRUCTIONS:
        data = tasks.subject_verb_agreement(neox, n_prompts=8, constructions=name)
        assert len(data) >= 4, name
