"""Random-initialised models with a real suite's architecture and tokenizer.

No Pythia weights can be fetched here, but Pythia's shape and tokenizer can be reproduced
exactly: the GPT-NeoX-20B tokenizer ships in ``fixtures/tokenizers/gpt-neox-20b`` and the
shapes below give Pythia's published parameter counts to the parameter (a test checks). A
random-init snapshot written in hub-cache layout under ``refs/stepN`` is loaded by the plugin
exactly as ``EleutherAI/pythia-70m@stepN`` would be, which gives two things:

* a negative control at real size: every claim must fail on it, whatever the checkpoint;
* real timings: a forward pass costs the same for random and trained weights.

    python -m mechanisms.tools.random_init pythia-160m --cache /tmp/hub --steps 0 143000
    HF_HUB_CACHE=/tmp/hub pytest --suite pythia --model-sizes pythia-160m --checkpoints step0,step143000
"""

import argparse
import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..catalogue.fixtures import neox_tokenizer_dir
from ..catalogue.suites import PYTHIA_SHAPES
from ..models.hubcache import publish_snapshot

NEOX_TOKENIZER = neox_tokenizer_dir()
PYTHIA_VOCAB = {"6.9b": 50_432, "12b": 50_688}  # embedding rows, padded past the tokenizer's 50,277


def pythia_config(size: str) -> dict:
    """The ``config.json`` fields of ``EleutherAI/pythia-<size>`` (``size`` like ``70m``)."""
    size = size.removeprefix("pythia-").removesuffix("-deduped")
    d_model, n_layers, n_heads = PYTHIA_SHAPES[size]
    return {
        "architectures": ["GPTNeoXForCausalLM"],
        "model_type": "gpt_neox",
        "vocab_size": PYTHIA_VOCAB.get(size, 50_304),
        "hidden_size": d_model,
        "num_hidden_layers": n_layers,
        "num_attention_heads": n_heads,
        "intermediate_size": 4 * d_model,
        "rotary_pct": 0.25,
        "rotary_emb_base": 10000,
        "max_position_embeddings": 2048,
        "use_parallel_residual": True,
        "tie_word_embeddings": False,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-5,
        "initializer_range": 0.02,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "attention_bias": True,
    }


def parameter_count(config: dict) -> int:
    """Parameters of a GPT-NeoX model with this config, computed from the shapes alone."""
    d, layers, vocab, mlp = (
        config["hidden_size"],
        config["num_hidden_layers"],
        config["vocab_size"],
        config["intermediate_size"],
    )
    per_layer = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * mlp + mlp) + (mlp * d + d)
    return 2 * vocab * d + 2 * d + layers * per_layer


def write_random_like(
    config: Any, tokenizer_dir: Path, out: Path, seed: int = 0, edit: Callable[[Any], None] | None = None
) -> Path:
    """Save a seeded random-init model with ``config`` (a transformers config) into ``out``,
    with the tokenizer files of ``tokenizer_dir`` beside it: a same-architecture negative control.
    ``edit`` may set weights before saving (a model whose mechanism is known by construction)."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
    if edit is not None:
        with torch.no_grad():
            edit(model)
    model.save_pretrained(out, safe_serialization=True)
    for f in Path(tokenizer_dir).iterdir():
        if f.name.startswith(("tokenizer", "special_tokens_map")):
            shutil.copy(f, Path(out) / f.name)
    return Path(out)


def write_random_pythia(size: str, cache: Path, steps: Iterable[int] = (0,), seed: int = 0) -> Path:
    """Write a seeded random-init ``EleutherAI/pythia-<size>`` snapshot and point ``refs/stepN`` at it."""
    from transformers import GPTNeoXConfig

    name = size if size.startswith("pythia-") else f"pythia-{size}"
    repo = Path(cache) / f"models--EleutherAI--{name}"
    staging = write_random_like(
        GPTNeoXConfig(**pythia_config(name)), NEOX_TOKENIZER, repo / "snapshots" / "staging", seed
    )
    return repo / "snapshots" / publish_snapshot(staging, repo, [f"step{step}" for step in steps])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", help="a Pythia size: 14m, 70m, pythia-160m, ...")
    parser.add_argument(
        "--cache", required=True, type=Path, help="hub cache to write into (use as HF_HUB_CACHE)"
    )
    parser.add_argument("--steps", nargs="+", type=int, default=[0], help="revisions stepN to point at it")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    snapshot = write_random_pythia(args.size, args.cache, args.steps, args.seed)
    print(json.dumps({"snapshot": str(snapshot), "steps": args.steps}))


if __name__ == "__main__":
    main()
