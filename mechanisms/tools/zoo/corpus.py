"""A seeded synthetic corpus in which the paper's mechanisms are learnable on a CPU budget.

Two kinds of 33-token rows, as in the project's feasibility experiment for a trained zoo:

* induction rows: EOT + a random filler span of 8-16 tokens, repeated until the row is full;
  only an induction circuit predicts the repeats;
* mixed rows: whole documents (IOI, greater-than, successor, skip-chain), EOT-separated and never
  split across rows; the tail is padding whose loss is masked.

Every size sees the same rows in the same order (one ``numpy`` generator per ``data_seed``).
IOI documents are ABBA/BABA balanced, so only "the name that is not repeated" predicts the answer;
``HELD_OUT_IOI`` is never trained on and backs the generalisation claim.
"""

from dataclasses import dataclass

import numpy as np

from . import vocabulary as V

ROW_TOKENS = 33  # 32 inputs + the shifted target

IOI_TEMPLATES = (
    "When {A} and {B} went to the {P} , {B} gave a {O} to {A} .",
    "After {A} and {B} went to the {P} , {B} gave a {O} to {A} .",
    "While {A} and {B} were working at the {P} , {B} handed a {O} to {A} .",
    "Then , {A} and {B} had a long day at the {P} . {B} gave a {O} to {A} .",
    "When {A} and {B} were working at the {P} , {B} handed a {O} to {A} .",
    "After {A} and {B} had a long day at the {P} , {B} gave a {O} to {A} .",
)
HELD_OUT_IOI = "Afterwards {A} and {B} had a lot of fun at the {P} . {B} decided to give a {O} to {A} ."
GREATER_THAN_TEMPLATES = (
    "The war lasted from the year {C} {Y1} to the year {C} {Y2} .",
    "The deal ran from the year {C} {Y1} to the year {C} {Y2} .",
    "The reign of the king lasted from the year {C} {Y1} to the year {C} {Y2} .",
)
SUCCESSOR_SEQUENCES = {"numbers": V.NUMBERS, "weekdays": V.WEEKDAYS, "months": V.MONTHS}


@dataclass(frozen=True)
class IOISentence:
    """One IOI document; ``first`` says whether the IO name comes first (ABBA) or second (BABA)."""

    template: str
    io: str
    s: str
    place: str
    obj: str
    io_first: bool

    def text(self) -> str:
        a, b = (self.io, self.s) if self.io_first else (self.s, self.io)
        # Templates name the first-mentioned name A; the repeated name is always S.
        filled = self.template.replace("{A} and {B}", f"{a} and {b}")
        return filled.format(A=self.io, B=self.s, P=self.place, O=self.obj)


def ioi_sentence(rng: np.random.Generator, template: str) -> IOISentence:
    io, s = rng.choice(V.NAMES, size=2, replace=False)
    return IOISentence(
        template=template,
        io=str(io),
        s=str(s),
        place=str(rng.choice(V.PLACES)),
        obj=str(rng.choice(V.OBJECTS)),
        io_first=bool(rng.integers(2)),
    )


def greater_than_doc(rng: np.random.Generator) -> str:
    template = GREATER_THAN_TEMPLATES[rng.integers(len(GREATER_THAN_TEMPLATES))]
    y1 = int(rng.integers(2, 98))
    y2 = int(rng.integers(y1 + 1, 100))
    return template.format(C=int(rng.integers(11, 20)), Y1=f"{y1:02d}", Y2=f"{y2:02d}")


def successor_doc(rng: np.random.Generator) -> str:
    kind = ("numbers", "weekdays", "months")[rng.integers(3)]
    items = SUCCESSOR_SEQUENCES[kind]
    length = int(rng.integers(4, 13))
    if kind == "numbers":
        start = int(rng.integers(0, len(items) - length))
        return " ".join(items[start : start + length])
    start = int(rng.integers(len(items)))
    return " ".join(items[(start + i) % len(items)] for i in range(length))


def skip_chain_doc(rng: np.random.Generator, perm: np.ndarray) -> str:
    """Two interleaved chains ``x[t+1] = perm[x[t-1]]``: a one-layer payoff for previous-token heads."""
    length = int(rng.integers(10, 33))
    seq = list(rng.integers(0, len(V.FILLERS), size=2))
    while len(seq) < length:
        seq.append(int(perm[seq[-2]]))
    return " ".join(V.FILLERS[i] for i in seq)


class Corpus:
    """Deterministic stream of training rows; identical for every model size."""

    MIX: tuple[tuple[str, float], ...] = (
        ("ioi", 0.4),
        ("greater_than", 0.2),
        ("successor", 0.2),
        ("skip_chain", 0.2),
    )

    def __init__(self, seed: int, induction_share: float = 0.5):
        self.rng = np.random.default_rng(seed)
        self.perm = np.random.default_rng(seed + 1).permutation(len(V.FILLERS))
        self.induction_share = induction_share
        self.ids = V.word_to_id()
        self.filler_ids = np.array([self.ids[w] for w in V.FILLERS])

    def encode(self, text: str) -> list[int]:
        return [self.ids[w] for w in text.split()]

    def document(self) -> str:
        names = [name for name, _ in self.MIX]
        return self.make(names[self.rng.choice(len(names), p=[share for _, share in self.MIX])])

    def make(self, kind: str) -> str:
        """One document of ``kind`` (a name in ``MIX``)."""
        if kind == "ioi":
            template = IOI_TEMPLATES[self.rng.integers(len(IOI_TEMPLATES))]
            return ioi_sentence(self.rng, template).text()
        if kind == "greater_than":
            return greater_than_doc(self.rng)
        if kind == "successor":
            return successor_doc(self.rng)
        return skip_chain_doc(self.rng, self.perm)

    def induction_row(self) -> tuple[list[int], list[int]]:
        """EOT + a random span of 8-16 filler tokens, repeated back to back until the row is full.

        The span length varies, so no fixed relative offset predicts the repeats: only matching
        content (an induction circuit) does. With one fixed length, models learn "copy from 16
        back" instead. Gaps between copies (the feasibility recipe) slowed emergence in models
        below ~0.9M parameters past 1024 steps.
        """
        span = list(self.rng.choice(self.filler_ids, size=int(self.rng.integers(8, 17)), replace=False))
        row = [0]
        while len(row) < ROW_TOKENS:
            row += span
        return row[:ROW_TOKENS], [1] * ROW_TOKENS

    def mixed_row(self) -> tuple[list[int], list[int]]:
        row: list[int] = []
        mask: list[int] = []
        while True:
            text = self.document()
            doc = [0, *self.encode(text)]
            if len(row) + len(doc) > ROW_TOKENS:
                break
            row += doc
            mask += self.targets(text)
        padding = ROW_TOKENS - len(row)
        return row + [0] * padding, mask + [0] * padding

    def targets(self, text: str) -> list[int]:
        """The loss mask of one document with its leading EOT: every token is a target."""
        return [1] * (len(text.split()) + 1)

    def batch(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """``rows`` x 33 token ids and a loss mask (1 where the token is a real target)."""
        out = [
            self.induction_row() if self.rng.random() < self.induction_share else self.mixed_row()
            for _ in range(rows)
        ]
        tokens = np.array([r for r, _ in out], dtype=np.int64)
        mask = np.array([m for _, m in out], dtype=np.int64)
        return tokens, mask
