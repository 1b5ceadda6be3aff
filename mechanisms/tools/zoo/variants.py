"""Corpus variants: does the zoo's IOI algorithm depend on what it was trained on?

The shipped zoo solves IOI by suppressing the repeated name (S), not with the paper's name movers
(docs/emergence.md). Each variant here is the shipped corpus with changes aimed at making name
movers pay (``shipped`` has none: the zoo's own corpus, for sizes the zoo does not have), so a
model trained on it differs from the zoo only where the changes reach; the models behind
docs/emergence.md's table "Would another corpus grow name movers?" were trained with these.
Train one with the zoo's recipe (same seeds, steps and checkpoints) and test it like any model::

    python -m mechanisms.tools.zoo.variants third-name --size zoo-890k --out /tmp/variants
    HF_HUB_CACHE=/tmp/variants pytest --model-sizes none \\
        --model=pytest-mechanisms/third-name-zoo-890k@step2048 -k ioi

One size takes about 5 minutes on one core (6 layers: about 9). No model trained here is in
the zoo.
"""

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import vocabulary as V
from .corpus import IOI_TEMPLATES, Corpus, ioi_sentence


@dataclass(frozen=True)
class Variant:
    """Changes to the shipped corpus (all off: the shipped corpus itself)."""

    recall: bool = False  # 30% of mixed documents recall a name by place (from the other tasks)
    third_name_share: float = 0.0  # of IOI documents: an unrepeated third name before S2
    s2_target: bool = True  # False: S2's token is not a training target
    crowd_share: float = 0.0  # of IOI documents: 3-4 names, all but IO repeated


VARIANTS = {
    "shipped": Variant(),
    "recall": Variant(recall=True),
    "third-name": Variant(third_name_share=0.5),
    "third-name-recall": Variant(recall=True, third_name_share=0.5),
    "third-name-no-s2-target": Variant(third_name_share=0.5, s2_target=False),
    "crowd": Variant(crowd_share=0.5),
}
RECALL_MIX = (("ioi", 0.4), ("greater_than", 0.1), ("successor", 0.1), ("skip_chain", 0.1), ("recall", 0.3))


def recall_doc(rng: np.random.Generator) -> str:
    """``at the P1 , N1 . at the P2 , N2 . at the P2 : N2 .``: only copying the name found by its
    place predicts the last name, and no name is repeated before it."""
    k = int(rng.integers(2, 4))
    people = rng.choice(V.NAMES, size=k, replace=False)
    places = rng.choice(V.PLACES, size=k, replace=False)
    told = " ".join(f"at the {place} , {person} ." for place, person in zip(places, people))
    i = int(rng.integers(k))
    return f"{told} at the {places[i]} : {people[i]} ."


def third_name_ioi(rng: np.random.Generator, template: str) -> str:
    """An IOI document with ``C had a long day at the P2 .`` before S2: removing S from the names
    in context no longer leaves only IO."""
    sentence = ioi_sentence(rng, template)
    third = str(rng.choice([n for n in V.NAMES if n not in (sentence.io, sentence.s)]))
    place = str(rng.choice(V.PLACES))
    before, after = sentence.text().rsplit(f" {sentence.s} ", 1)
    comma = "" if before.endswith((" .", " ,")) else " ,"
    return f"{before}{comma} {third} had a long day at the {place} . {sentence.s} {after}"


def name_list(names: list[str]) -> str:
    """``A``, ``A and B``, ``A , B and C``."""
    return names[0] if len(names) == 1 else f"{' , '.join(names[:-1])} and {names[-1]}"


def crowd_ioi(rng: np.random.Generator, template: str) -> str:
    """An IOI document with 3 or 4 names, every one but IO repeated (``When A , B and C went to the
    P , C and B gave a O to A .``): suppressing the repeated names must split its attention
    between them, copying the one unrepeated name need not."""
    k = int(rng.integers(3, 5))
    io, *subjects = (str(n) for n in rng.choice(V.NAMES, size=k, replace=False))
    first = [str(n) for n in rng.permutation([io, *subjects])]
    again = [str(n) for n in rng.permutation(subjects)]
    place, obj = str(rng.choice(V.PLACES)), str(rng.choice(V.OBJECTS))
    filled = template.replace("{A} and {B}", name_list(first)).replace("{B} ", f"{name_list(again)} ")
    return filled.format(A=io, P=place, O=obj)


class VariantCorpus(Corpus):
    """The shipped corpus with ``variant``'s changes; same seed, same row format."""

    def __init__(self, seed: int, variant: Variant):
        super().__init__(seed)
        self.variant = variant
        self.MIX = RECALL_MIX if variant.recall else Corpus.MIX

    def make(self, kind: str) -> str:
        if kind == "recall":
            return recall_doc(self.rng)
        if kind != "ioi" or not (self.variant.third_name_share or self.variant.crowd_share):
            return super().make(kind)
        template = IOI_TEMPLATES[self.rng.integers(len(IOI_TEMPLATES))]
        if self.rng.random() < self.variant.third_name_share:
            return third_name_ioi(self.rng, template)
        if self.rng.random() < self.variant.crowd_share:
            return crowd_ioi(self.rng, template)
        return ioi_sentence(self.rng, template).text()

    def targets(self, text: str) -> list[int]:
        mask = super().targets(text)
        if self.variant.s2_target:
            return mask
        verb = next((i for i, w in enumerate(text.split()) if w in ("gave", "handed")), None)
        if verb is not None:  # an IOI document
            mask[verb] = 0  # mask[0] is the leading EOT, so mask[verb] is S2, the word before the verb
        return mask


def main(argv: list[str] | None = None) -> None:
    from .build import load_recipe, quiet_transformers
    from .training import train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("--size", default="zoo-890k", help="a zoo size of the recipe (default: zoo-890k)")
    parser.add_argument("--layers", type=int, help="a size that is not the zoo's: layers ...")
    parser.add_argument("--d-model", type=int, default=128, help="... width (default 128)")
    parser.add_argument("--lr", type=float, default=1.5e-3, help="... peak learning rate (default 1.5e-3)")
    parser.add_argument("--out", type=Path, required=True, help="hub-cache folder to write")
    parser.add_argument("--steps", type=int, help="stop early (for smoke tests)")
    args = parser.parse_args(argv)
    recipe = load_recipe()
    size = args.size if args.layers is None else f"L{args.layers}-d{args.d_model}"
    if args.layers is not None:
        recipe["sizes"][size] = {"layers": args.layers, "d_model": args.d_model, "lr": args.lr}
    elif size not in recipe["sizes"]:
        parser.error(f"--size {size}: the recipe has {', '.join(recipe['sizes'])}")
    name = f"{args.variant}-{size}"
    recipe["sizes"][name] = recipe["sizes"][size]
    start = time.perf_counter()
    corpus = VariantCorpus(recipe["data_seed"], VARIANTS[args.variant])
    quiet_transformers()

    def report(step: int) -> None:
        if step % 256 == 0:
            print(f"{name}: step {step} of {args.steps or recipe['steps']}", flush=True)

    log = train(name, recipe, args.out, steps=args.steps, on_step=report, corpus=corpus)
    model_id = f"{recipe['organisation']}/{name}"
    loss = f"final loss {log[-1]['loss']}, " if log else ""
    print(f"{model_id}: {loss}{time.perf_counter() - start:.0f} s")
    print(f"test it: HF_HUB_CACHE={args.out} pytest --model-sizes none --model={model_id}@step{len(log)}")


if __name__ == "__main__":
    main()
