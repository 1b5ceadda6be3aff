"""Fine-tunes of a zoo model, to prove the gate on real training rather than edited weights:

    python -m mechanisms.tools.zoo.finetune benign          # fixtures/finetunes/zoo-890k-benign
    python -m mechanisms.tools.zoo.finetune no-repeats      # fixtures/finetunes/zoo-890k-no-repeats

``benign`` trains zoo-890k's final checkpoint further on fresh data from its own corpus (a new
data seed, the same mix) at a low learning rate: it should keep every mechanism it had.
``no-repeats`` trains it on the same corpus without the repeated-span rows (the data that teaches
induction) at the zoo's peak learning rate: the induction claim is lost, claims the repeats do
not feed are kept. Each is written as a local Hugging Face directory (fp16 safetensors, config,
tokenizer): what a team's fine-tune looks like. Deterministic on the same CPU type, torch version
and thread count (one thread).
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

from .build import DEFAULT_OUT, load_recipe
from .corpus import Corpus
from .tokenizer import save_tokenizer
from .training import masked_loss, optimizer

FINETUNES_DIR = DEFAULT_OUT.parent / "finetunes"
VARIANTS = {
    # name: (data seed, share of repeated-span rows, learning rate, steps)
    "benign": (101, 0.5, 2e-4, 200),
    "no-repeats": (102, 0.0, 1.5e-3, 400),
}


def finetune(variant: str, size: str = "zoo-890k", out: Path | None = None, steps: int | None = None) -> Path:
    import torch
    from transformers import GPTNeoXForCausalLM

    from ...models.resolve import resolve

    recipe = load_recipe()
    seed, induction_share, lr, default_steps = VARIANTS[variant]
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    base = resolve(f"{recipe['organisation']}/{size}", "main")
    model = GPTNeoXForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    model.train()
    opt = optimizer(model, lr, recipe)
    corpus = Corpus(seed, induction_share=induction_share)
    for _ in range(steps or default_steps):
        tokens, mask = (torch.from_numpy(a) for a in corpus.batch(recipe["rows_per_step"]))
        loss = masked_loss(model, tokens, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe["grad_clip"])
        opt.step()
    out = out or FINETUNES_DIR / f"{size}-{variant}"
    half = copy.deepcopy(model).eval().to(torch.float16)
    half.config.dtype = "float32"  # load back in fp32
    half.save_pretrained(str(out), safe_serialization=True)
    save_tokenizer(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("--size", default="zoo-890k")
    parser.add_argument("--out", type=Path, help="default: fixtures/finetunes/<size>-<variant>")
    parser.add_argument("--steps", type=int, help="default: the variant's")
    args = parser.parse_args(argv)
    print(f"written: {finetune(args.variant, args.size, args.out, args.steps)}")


if __name__ == "__main__":
    main()
