"""Task data: seeded prompt sets with clean/corrupted counterfactual pairs of equal token length.

Every generator works from a ``Vocab`` (the model's tokenizer) and refuses, with the word and
the reason, anything it would otherwise mis-score: a name, year, verb or pronoun that is not a
single token is dropped, and too few survivors is an error, never a silently wrong number.
BOS is explicit per model (``Vocab.prepend_bos``); prompts are right-padded and every metric
reads each row at its own answer position.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

from .wordlists import (
    CYCLIC,
    FEMALE,
    GP_PREDICATES,
    GT_NOUNS,
    IOI_FILLERS,
    IOI_TEMPLATES,
    MALE,
    NAMES,
    ORDINALS,
    SUCCESSOR_CYCLIC,
    SUCCESSOR_SEQUENCES,
    SVA_CONSTRUCTIONS,
    SVA_INANIMATE,
    SVA_INTRANSITIVE,
    SVA_NOUNS,
    SVA_PREPOSITIONS,
    SVA_TRANSITIVE,
    SVA_VERBS,
)

IOI_CORRUPTIONS = ("s2_io", "random_names", "abb_bab")


class TaskError(ValueError):
    """The task cannot be built for this model's tokenizer (the message says which word and why)."""


class Vocab:
    """The tokenizer facts tasks need, with BOS made explicit."""

    def __init__(self, tokenizer, prepend_bos: bool):
        self.tokenizer = tokenizer
        self.prepend_bos = prepend_bos
        self.bos_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else tokenizer.eos_token_id
        self.size = len(tokenizer)

    def encode(self, text: str) -> list[int]:
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        unk = self.tokenizer.unk_token_id
        if unk is not None and unk in ids:
            words = [
                w for w in text.split() if unk in self.tokenizer(w, add_special_tokens=False)["input_ids"]
            ]
            raise TaskError(
                f"this tokenizer does not know {', '.join(map(repr, words)) or 'a word'} in {text!r}"
            )
        return ([self.bos_id] if self.prepend_bos else []) + ids

    def known(self, text: str) -> bool:
        """Whether every word of ``text`` is in the tokenizer's vocabulary (BPE: always)."""
        unk = self.tokenizer.unk_token_id
        return unk is None or unk not in self.tokenizer(" " + text, add_special_tokens=False)["input_ids"]

    def single(self, word: str) -> int | None:
        """The id of ``word`` if it is exactly one (known) token, else None."""
        ids = self.tokenizer(word, add_special_tokens=False)["input_ids"]
        if len(ids) != 1 or ids[0] == self.tokenizer.unk_token_id:
            return None
        return ids[0]

    def singles(self, words: Sequence[str], what: str, need: int, space: bool = True) -> dict:
        """``{word: id}`` for the words that are single tokens (with a leading space if ``space``)."""
        out = {w: self.single((" " if space else "") + w) for w in words}
        out = {w: i for w, i in out.items() if i is not None}
        if len(out) < need:
            dropped = [w for w in words if w not in out]
            raise TaskError(
                f"only {len(out)} of {len(words)} {what} are single tokens for this tokenizer "
                f"(need {need}); not single tokens: {', '.join(dropped[:8])}"
            )
        return out


@dataclass
class TaskData:
    """Prompts as padded token rows; ``answer`` says which metric family reads them."""

    name: str
    answer: str  # pair | group | target | sequence
    tokens: list  # clean rows (lists of ids, unpadded)
    corrupted: list | None = None
    correct: list | None = None  # pair: correct answer id per prompt; target: the answer id
    wrong: list | None = None  # pair: the competing id
    candidates: list | None = None  # group: candidate ids
    flags: list | None = None  # group: per prompt, +1 (correct) / -1 per candidate
    positions: dict = field(default_factory=dict)  # name -> per-prompt positions (IOI: io, s1, s2, end)
    span: int = 0  # sequence: span length; first copy starts at ``start``
    start: int = 0
    pad_id: int = 0
    device: str = "cpu"  # where ``padded`` puts the tokens: the model's device (``TaskRun.data``)

    def __len__(self):
        return len(self.tokens)

    def rows(self, indices) -> TaskData:
        """The prompts at ``indices`` (a batch chunk), with their answers and positions."""
        idx = list(indices)

        def pick(values):
            return None if values is None else [values[i] for i in idx]

        return replace(
            self,
            tokens=pick(self.tokens),
            corrupted=pick(self.corrupted),
            correct=pick(self.correct),
            wrong=pick(self.wrong),
            flags=pick(self.flags),
            positions={k: pick(v) for k, v in self.positions.items()},
        )

    def end_positions(self) -> list[int]:
        return [len(t) - 1 for t in self.tokens]

    def padded(self, corrupted: bool = False) -> torch.Tensor:
        import torch

        rows = self.corrupted if corrupted else self.tokens
        if rows is None:
            raise ValueError(f"task {self.name!r} has no corrupted prompts")
        width = max(len(r) for r in rows)
        out = torch.full((len(rows), width), self.pad_id, dtype=torch.long, device="cpu")
        for i, row in enumerate(rows):
            out[i, : len(row)] = torch.tensor(row, device="cpu")
        return out.to(self.device)


def repeated_tokens(
    vocab: Vocab, n_prompts: int = 32, seed: int = 0, span: int = 15, pool: str = "all"
) -> TaskData:
    """BOS (per model) + a random span of distinct tokens + the same span."""
    rng = np.random.default_rng(seed)
    ids = _token_pool(vocab, pool)
    if len(ids) < span:
        raise TaskError(f"token pool {pool!r} has {len(ids)} tokens, fewer than span={span}")
    rows = []
    for _ in range(n_prompts):
        r = [int(t) for t in rng.choice(ids, size=span, replace=False)]
        rows.append(([vocab.bos_id] if vocab.prepend_bos else []) + r + r)
    return TaskData(
        "repeated_tokens", "sequence", rows, span=span, start=int(vocab.prepend_bos), pad_id=vocab.pad_id
    )


def _token_pool(vocab: Vocab, pool: str) -> np.ndarray:
    special = set(vocab.tokenizer.all_special_ids)
    if pool == "all":
        return np.array([i for i in range(vocab.size) if i not in special])
    pattern = re.compile(pool)
    tokens = vocab.tokenizer.convert_ids_to_tokens(list(range(vocab.size)))
    return np.array([i for i, t in enumerate(tokens) if i not in special and t and pattern.search(t)])


def ioi(
    vocab: Vocab, n_prompts: int = 64, seed: int = 0, templates: str = "train", corruption: str = "s2_io"
) -> TaskData:
    """ABBA/BABA-balanced IOI. Corrupted: S2 replaced by IO (``s2_io``, the paper's flipped set),
    three fresh names (``random_names``), or the first two names swapped with S2 kept
    (``abb_bab``: the same tokens, the subject's first mention moved; the paper's S-inhibition
    confirmation set).

    Prompts come in pairs that share a template, one in each name order, so every template is
    used as often in ABBA as in BABA (with an even ``n_prompts``)."""
    if templates not in IOI_TEMPLATES:
        raise TaskError(f"templates must be one of {', '.join(IOI_TEMPLATES)}, got {templates!r}")
    if corruption not in IOI_CORRUPTIONS:
        raise TaskError(f"corruption must be one of {', '.join(IOI_CORRUPTIONS)}, got {corruption!r}")
    rng = np.random.default_rng(seed)
    names = vocab.singles(NAMES, "names", need=5)
    words = list(names)
    clean: list = []
    corrupt: list = []
    io_ids: list = []
    s_ids: list = []
    pos: dict[str, list[int]] = {"io": [], "s1": [], "s2": [], "end": []}
    places, objects = IOI_FILLERS[templates]
    for i in range(n_prompts):
        template = IOI_TEMPLATES[templates][(i // 2) % len(IOI_TEMPLATES[templates])]
        io, s = rng.choice(words, size=2, replace=False)
        a, b = (io, s) if i % 2 == 0 else (s, io)  # ABBA / BABA alternate within each template
        fill = {"P": rng.choice(places), "O": rng.choice(objects)}
        text = template.replace("{A} and {B}", f"{a} and {b}").format(B=s, **fill)
        if corruption == "s2_io":
            bad = template.replace("{A} and {B}", f"{a} and {b}").format(B=io, **fill)
        elif corruption == "abb_bab":  # the two first names swap places; S2 stays
            bad = template.replace("{A} and {B}", f"{b} and {a}").format(B=s, **fill)
        else:
            x, y, z = rng.choice([w for w in words if w not in (io, s)], size=3, replace=False)
            bad = template.replace("{A} and {B}", f"{x} and {y}").format(B=z, **fill)
        row, bad_row = vocab.encode(text), vocab.encode(bad)
        if len(row) != len(bad_row):
            raise TaskError(f"clean and corrupted IOI prompts differ in length: {text!r} / {bad!r}")
        io_id, s_id = names[str(io)], names[str(s)]
        s_at = [j for j, t in enumerate(row) if t == s_id]
        if row.count(io_id) != 1 or len(s_at) != 2:
            raise TaskError(f"the names in {text!r} do not stay single tokens inside the prompt")
        pos["io"].append(row.index(io_id))
        pos["s1"].append(s_at[0])
        pos["s2"].append(s_at[1])
        pos["end"].append(len(row) - 1)
        clean.append(row)
        corrupt.append(bad_row)
        io_ids.append(io_id)
        s_ids.append(s_id)
    return TaskData("ioi", "pair", clean, corrupt, io_ids, s_ids, positions=pos, pad_id=vocab.pad_id)


def greater_than(vocab: Vocab, n_prompts: int = 64, seed: int = 0) -> TaskData:
    """'The war lasted from the year XXYY to the year XX' -> YY' > YY; corrupted YY = 01.
    ``positions["yy"]`` is each prompt's YY token (the greater-than algorithm check reads it).

    Only years this tokenizer writes as [' XX', 'YY'] are used (as in the paper): GPT-NeoX splits
    ' 1302' as [' 130', '2'], and such a prompt would be scored against the wrong token. As in the
    paper, each century's first and last such year is dropped, and the noun is drawn from about
    120 (those the tokenizer knows: the zoo's three).
    """
    rng = np.random.default_rng(seed)
    found = {n: vocab.single(f"{n:02d}") for n in range(100)}
    yy = {n: i for n, i in found.items() if i is not None}
    if len(yy) < 100:
        raise TaskError("the two-digit numbers 00-99 are not all single tokens for this tokenizer")
    centuries = {c: vocab.single(f" {c}") for c in range(11, 18)}
    found_forms = {
        (c, y): _year_form(vocab, c, xx, y, yy[y]) for c, xx in centuries.items() for y in range(100)
    }
    forms = {key: form for key, form in found_forms.items() if form}
    usable = _usable_years(forms)
    if len(usable) < 20:
        raise TaskError(
            f"only {len(usable)} years in 1102-1798 tokenize as [' XX', 'YY'] (with XX01 too) "
            "for this tokenizer; need 20"
        )
    nouns = [n for n in GT_NOUNS if vocab.known(n)]
    clean: list = []
    corrupt: list = []
    flags: list = []
    for _ in range(n_prompts):
        century, y = usable[int(rng.integers(len(usable)))]
        noun = nouns[int(rng.integers(len(nouns)))]
        clean.append(_year_prompt(vocab, noun, century, forms[(century, y)]))
        corrupt.append(_year_prompt(vocab, noun, century, forms[(century, 1)]))
        flags.append([1 if n > y else -1 for n in range(100)])
    return TaskData(
        "greater_than",
        "group",
        clean,
        corrupt,
        candidates=[yy[n] for n in range(100)],
        flags=flags,
        positions={"yy": [len(ids) - 5 for ids in clean]},  # ... year XX YY to the year XX
        pad_id=vocab.pad_id,
    )


def _usable_years(forms: dict) -> list[tuple[int, int]]:
    """Years the paper keeps: written [' XX', 'YY'], not the first or last such year of their
    century, YY >= 02, and the century's XX01 (the corrupted year) written the same way."""
    usable = []
    for century in sorted({c for c, _ in forms}):
        valid = sorted(y for c, y in forms if c == century)
        if (century, 1) in forms:
            usable += [(century, y) for y in valid[1:-1] if y >= 2]
    return usable


def _year_form(vocab: Vocab, century: int, xx: int | None, yy: int, yy_id: int) -> str | None:
    """The way of writing the year that this tokenizer splits into exactly [' XX', 'YY'], if any."""
    for year in (f"{century}{yy:02d}", f"{century} {yy:02d}"):
        if xx is not None and vocab.tokenizer(" " + year, add_special_tokens=False)["input_ids"] == [
            xx,
            yy_id,
        ]:
            return year
    return None


def _year_prompt(vocab: Vocab, noun: str, century: int, year: str) -> list:
    ids = vocab.encode(f"The {noun} lasted from the year {year} to the year {century}")
    if ids[-1] != ids[-6] or ids[-4:-2] != vocab.encode(" to the")[-2:]:
        raise TaskError(f"the year {year} does not stay [' XX', 'YY'] inside the greater-than prompt")
    return ids


def gendered_pronoun(vocab: Vocab, n_prompts: int = 64, seed: int = 0) -> TaskData:
    """'So Mary is such a good cook, isn't' -> ' she' (vs ' he'); corrupted: other-gender name."""
    rng = np.random.default_rng(seed)
    she, he = vocab.single(" she"), vocab.single(" he")
    if she is None or he is None:
        raise TaskError(
            "' she' and ' he' are not single tokens for this tokenizer (zoo models have no pronouns)"
        )
    female = list(vocab.singles(FEMALE, "female names", need=2))
    male = list(vocab.singles(MALE, "male names", need=2))
    clean, corrupt, good, bad = [], [], [], []
    for i in range(n_prompts):
        pred = GP_PREDICATES[i % len(GP_PREDICATES)]
        f, m = rng.choice(female), rng.choice(male)
        first, second, answer, other = (f, m, she, he) if i % 2 == 0 else (m, f, he, she)
        row, alt = vocab.encode(f"So {first} is {pred}, isn't"), vocab.encode(f"So {second} is {pred}, isn't")
        if len(row) != len(alt):
            continue
        clean.append(row)
        corrupt.append(alt)
        good.append(answer)
        bad.append(other)
    return TaskData("gendered_pronoun", "pair", clean, corrupt, good, bad, pad_id=vocab.pad_id)


def subject_verb_agreement(
    vocab: Vocab, n_prompts: int = 64, seed: int = 0, constructions: str = "all"
) -> TaskData:
    """Marvin & Linzen-style prefixes ('The author that the guards like') -> a verb agreeing with
    the subject; corrupted = the subject's number flipped. ``constructions``: ``all`` or a comma
    list of the names in ``SVA_CONSTRUCTIONS`` (Marvin & Linzen's); they alternate, as do the
    numbers."""
    names = (
        list(SVA_CONSTRUCTIONS) if constructions == "all" else [c.strip() for c in constructions.split(",")]
    )
    unknown = [c for c in names if c not in SVA_CONSTRUCTIONS]
    if unknown or not names:
        raise TaskError(
            f"unknown SVA construction(s) {', '.join(unknown)}; known: {', '.join(SVA_CONSTRUCTIONS)}"
        )
    rng = np.random.default_rng(seed)
    verbs = [(vocab.single(" " + s), vocab.single(" " + p)) for s, p in SVA_VERBS]
    verbs = [pair for pair in verbs if None not in pair]
    if len(verbs) < 3:
        raise TaskError("fewer than 3 singular/plural verb pairs are single tokens for this tokenizer")
    candidates = [v for pair in verbs for v in pair]  # even: singular, odd: plural
    clean: list = []
    corrupt: list = []
    flags: list = []
    for i in range(n_prompts * 4):
        if len(clean) == n_prompts:
            break
        template, plural = SVA_CONSTRUCTIONS[names[i % len(names)]], i % 2 == 1
        fill = _sva_fill(rng, names[i % len(names)])
        row, alt = vocab.encode(fill(template, plural)), vocab.encode(fill(template, not plural))
        if len(row) != len(alt):
            continue  # the paper drops pairs whose token lengths differ
        clean.append(row)
        corrupt.append(alt)
        flags.append([(1 if (j % 2 == 1) == plural else -1) for j in range(len(candidates))])
    if len(clean) < n_prompts // 2:
        raise TaskError("too few SVA prompts have equal-length singular/plural versions for this tokenizer")
    return TaskData("sva", "group", clean, corrupt, candidates=candidates, flags=flags, pad_id=vocab.pad_id)


def _sva_fill(rng, construction: str):
    """One draw of subject, attractor (of random number), preposition and verbs. Inanimate
    constructions draw an inanimate noun for whichever of subject or head noun the verb of the
    relative clause does not take as its own subject."""
    s, a = (SVA_NOUNS[int(j)] for j in rng.choice(len(SVA_NOUNS), size=2, replace=False))
    if construction.endswith("_inanim"):
        thing = SVA_INANIMATE[int(rng.integers(len(SVA_INANIMATE)))]
        s, a = (s, thing) if "within" in construction else (thing, a)
    verb = SVA_TRANSITIVE[int(rng.integers(len(SVA_TRANSITIVE)))]
    intransitive = SVA_INTRANSITIVE[int(rng.integers(len(SVA_INTRANSITIVE)))]
    a_plural, prep = int(rng.integers(2)), SVA_PREPOSITIONS[int(rng.integers(len(SVA_PREPOSITIONS)))]

    def fill(template: str, plural: bool) -> str:
        return template.format(
            S=s[plural], V=verb[plural], A=a[a_plural], W=verb[a_plural], P=prep, I=intransitive[plural]
        )

    return fill


def ordinal_ids(vocab: Vocab) -> dict:
    """``{kind: [token ids in order]}`` for the ordinal sequences whose items are all single tokens."""
    usable = {}
    for kind, items in ORDINALS.items():
        ids = [vocab.single(" " + w) or vocab.single(w) for w in items]
        if all(i is not None for i in ids):
            usable[kind] = ids
    if not usable:
        raise TaskError("no ordinal sequence (numbers, weekdays, months) is single-token for this tokenizer")
    return usable


@dataclass
class SuccessorPairs:
    """One ordinal sequence in one spelling: its single-token items and the (item, next) pairs."""

    name: str  # e.g. "months, leading space, inverted case"
    members: list  # token ids of the items that are single tokens, in order
    sources: list  # token id of each pair's first item
    targets: list  # index into ``members`` of each pair's second item


def successor_pairs(vocab: Vocab) -> list[SuccessorPairs]:
    """Every sequence of ``SUCCESSOR_SEQUENCES`` as written plain, with a leading space, with its
    first letter's case inverted, and both; pairs whose two items are single tokens. Spellings
    that give the same tokens as an earlier one (digits have no case; a word-level tokenizer
    ignores the space) count once."""
    out = []
    for kind, items in SUCCESSOR_SEQUENCES.items():
        seen: set = set()
        for space in ("", " "):
            for invert in (False, True):
                ids = [vocab.single(space + (_invert_case(w) if invert else w)) for w in items]
                if tuple(ids) in seen:
                    continue
                seen.add(tuple(ids))
                n = len(ids)
                steps = range(n) if kind in SUCCESSOR_CYCLIC else range(n - 1)
                pairs = [
                    (i, (i + 1) % n) for i in steps if ids[i] is not None and ids[(i + 1) % n] is not None
                ]
                if not pairs:
                    continue
                members = [i for i in range(n) if ids[i] is not None]
                column = {i: j for j, i in enumerate(members)}
                name = f"{kind}{', leading space' if space else ''}{', inverted case' if invert else ''}"
                out.append(
                    SuccessorPairs(
                        name,
                        [ids[i] for i in members],
                        [ids[a] for a, _ in pairs],
                        [column[b] for _, b in pairs],
                    )
                )
    return out


def _invert_case(word: str) -> str:
    return (word[0].lower() if word[0].isupper() else word[0].upper()) + word[1:]


def successor(vocab: Vocab, n_prompts: int = 64, seed: int = 0, separator: str = "") -> TaskData:
    """Three consecutive items of an ordinal sequence -> the next item (top-1 over the vocabulary).

    ``separator`` (e.g. ",") follows every item, as lists are written in natural text; the zoo's
    corpus writes runs with spaces only.
    """
    rng = np.random.default_rng(seed)
    usable = ordinal_ids(vocab)
    rows, targets, kinds = [], [], sorted(usable)
    sep = vocab.tokenizer(separator, add_special_tokens=False)["input_ids"] if separator else []
    for i in range(n_prompts):
        ids = usable[kinds[i % len(kinds)]]
        n = len(ids)
        start = int(rng.integers(n)) if kinds[i % len(kinds)] in CYCLIC else int(rng.integers(n - 3))
        seq = [ids[(start + j) % n] for j in range(4)]
        rows.append(
            ([vocab.bos_id] if vocab.prepend_bos else []) + [t for item in seq[:3] for t in (item, *sep)]
        )
        targets.append(seq[3])
    return TaskData("successor", "target", rows, correct=targets, pad_id=vocab.pad_id)
