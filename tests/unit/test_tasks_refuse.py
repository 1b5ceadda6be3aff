"""Generators refuse what they would mis-score: multi-token names, pronouns, years."""

from typing import ClassVar

import pytest

from mechanisms.measure.tasks import TaskError, Vocab, gendered_pronoun, ioi, subject_verb_agreement


class CharTokenizer:
    """A tokenizer whose every word is several tokens (one per character)."""

    bos_token_id, eos_token_id, pad_token_id, unk_token_id = 0, 0, 0, 1
    all_special_ids: ClassVar[list[int]] = [0, 1]

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


def test_sva_names_unknown_constructions(zoo_vocab):
    with pytest.raises(TaskError, match=r"unknown SVA construction.*obj_rell.*known: simple"):
        subject_verb_agreement(zoo_vocab, constructions="simple, obj_rell")


class SplitYearsTokenizer(CharTokenizer):
    """Two-digit numbers are single tokens, but every four-digit year splits as [' XXY', 'Y']."""

    vocab: ClassVar[dict[str, int]] = {}  # shared: ids stay stable across instances

    def id(self, piece):
        return self.vocab.setdefault(piece, 2 + len(self.vocab))

    def __call__(self, text, add_special_tokens=False):
        out = []
        for i, word in enumerate(text.split(" ")):
            prefix = " " if i or text.startswith(" ") else ""
            if word.isdigit() and len(word) == 4:
                out += [self.id(prefix + word[:3]), self.id(word[3])]
            elif word:
                out.append(self.id(prefix + word))
        return {"input_ids": out}


def test_greater_than_refuses_years_split_the_wrong_way():
    from mechanisms.measure.tasks import greater_than

    with pytest.raises(TaskError, match=r"only 0 years in 1102-1798 tokenize as \[' XX', 'YY'\]"):
        greater_than(Vocab(SplitYearsTokenizer(), prepend_bos=False))


def test_task_tokens_go_to_the_models_device():
    """``--mech-device cuda`` once failed every cell: token ids stayed on the CPU. ``padded``
    puts them where ``TaskRun.data`` says the model is (the meta device stands in for a GPU)."""
    from mechanisms.measure.tasks import TaskData

    data = TaskData("t", "pair", [[1, 2, 3], [4, 5]], corrupted=[[1, 2, 9], [4, 6]], device="meta")
    assert data.padded().device.type == "meta" and data.padded(corrupted=True).shape == (2, 3)
    assert data.rows([1]).device == "meta"  # a batch chunk keeps it
