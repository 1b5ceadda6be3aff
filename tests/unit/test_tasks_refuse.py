"""Generators refuse what they would mis-score: multi-token names, pronouns, years."""

import pytest

from mechanisms.tasks import TaskError, Vocab, gendered_pronoun, ioi, subject_verb_agreement


class CharTokenizer:
    """A tokenizer whose every word is several tokens (one per character)."""

    bos_token_id, eos_token_id, pad_token_id, unk_token_id = 0, 0, 0, 1
    all_special_ids = [0, 1]

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [2 + ord(c) % 200 for c in text]}

    def __len__(self):
        return 202


def test_ioi_refuses_multi_token_names():
    with pytest.raises(TaskError, match="names are single tokens"):
        ioi(Vocab(CharTokenizer(), prepend_bos=False))


def test_zoo_has_no_pronouns_and_says_so(zoo_vocab):
    with pytest.raises(TaskError, match="' she' and ' he' are not single tokens"):
        gendered_pronoun(zoo_vocab)


def test_sva_refuses_without_verbs(zoo_vocab):
    with pytest.raises(TaskError, match="verb pairs"):
        subject_verb_agreement(zoo_vocab)
