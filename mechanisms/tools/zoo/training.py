"""Train one zoo size and write its checkpoints in Hugging Face hub-cache layout.

Layout (what ``huggingface_hub`` itself writes, so a zoo model resolves exactly like
``EleutherAI/pythia-70m@step1000``)::

    <hub>/models--<org>--<name>/refs/step<N>        -> snapshot id
    <hub>/models--<org>--<name>/refs/main           -> the final step's snapshot id
    <hub>/models--<org>--<name>/snapshots/<id>/{config.json, model.safetensors, tokenizer.json, ...}

Weights are stored in fp16 (safetensors) and loaded back in fp32. A snapshot id is the sha1 of
the weights file, so identical weights always get the same id.
"""

import json
import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...models.hubcache import publish_snapshot
from .corpus import ROW_TOKENS, Corpus
from .tokenizer import save_tokenizer
from .vocabulary import VOCAB_SIZE

TOKENS_PER_ROW = ROW_TOKENS - 1


def model_config(size: dict, recipe: dict) -> Any:
    from transformers import GPTNeoXConfig

    d = size["d_model"]
    return GPTNeoXConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=d,
        num_hidden_layers=size["layers"],
        num_attention_heads=d // recipe["d_head"],
        intermediate_size=4 * d,
        max_position_embeddings=256,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25},
        use_parallel_residual=True,
        tie_word_embeddings=False,
        attention_bias=True,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=1,
        architectures=["GPTNeoXForCausalLM"],
    )


def learning_rate(step: int, peak: float, recipe: dict) -> float:
    """Linear warmup, then cosine decay to ``min_lr_ratio`` of the peak (Pythia's schedule)."""
    warm, total, floor = recipe["warmup_steps"], recipe["steps"], recipe["min_lr_ratio"]
    if step < warm:
        return peak * (step + 1) / warm
    progress = (step - warm) / max(1, total - warm)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def optimizer(model: Any, peak_lr: float, recipe: dict) -> Any:
    import torch

    decay = [p for p in model.parameters() if p.dim() >= 2]
    plain = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": recipe["weight_decay"]},
        {"params": plain, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=peak_lr, betas=tuple(recipe["betas"]), eps=1e-8)


def masked_loss(model: Any, tokens: Any, mask: Any) -> Any:
    import torch.nn.functional as F

    logits = model(tokens[:, :-1]).logits
    losses = F.cross_entropy(logits.transpose(1, 2), tokens[:, 1:], reduction="none")
    weights = mask[:, 1:].float()
    return (losses * weights).sum() / weights.sum()


def train(
    name: str,
    recipe: dict,
    hub: Path,
    steps: int | None = None,
    on_step: Callable[[int], object] | None = None,
    corpus: Corpus | None = None,
) -> list[dict]:
    """Train size ``name``; save every checkpoint in ``recipe`` (up to ``steps``) under ``hub``.
    ``corpus`` replaces the shipped one (seeded with the recipe's ``data_seed``) for experiments."""
    import torch
    from transformers import GPTNeoXForCausalLM

    torch.set_num_threads(recipe["threads"])
    torch.manual_seed(recipe["seed"])
    size = recipe["sizes"][name]
    model = GPTNeoXForCausalLM(model_config(size, recipe))
    opt = optimizer(model, size["lr"], recipe)
    if corpus is None:
        corpus = Corpus(recipe["data_seed"])
    steps = recipe["steps"] if steps is None else steps
    keep = {s for s in recipe["checkpoints"] if s <= steps}
    log = []
    repo = hub / f"models--{recipe['organisation']}--{name}"
    for step in range(steps + 1):
        if step in keep:
            save_checkpoint(model, repo, step, final=step == max(keep))
        if step == steps:
            break
        tokens, mask = (torch.from_numpy(a) for a in corpus.batch(recipe["rows_per_step"]))
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, size["lr"], recipe)
        loss = masked_loss(model, tokens, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe["grad_clip"])
        opt.step()
        log.append({"step": step + 1, "loss": round(loss.item(), 5)})
        if on_step:
            on_step(step + 1)
    return log


def save_checkpoint(model: Any, repo: Path, step: int, final: bool) -> str:
    """Write one fp16 snapshot and point ``refs/step<N>`` (and ``refs/main`` if final) at it."""
    import copy

    import torch

    staging = repo / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    half = copy.deepcopy(model).to(torch.float16)
    half.config.dtype = "float32"  # load back in fp32 unless asked otherwise
    half.save_pretrained(str(staging), safe_serialization=True)
    save_tokenizer(staging)
    return publish_snapshot(staging, repo, [f"step{step}"] + (["main"] if final else []))


def write_manifest(hub: Path, recipe: dict, train_seconds: dict) -> None:
    """``zoo.json``: sizes, parameter counts, checkpoints and tokens per step, for reports."""
    from transformers import GPTNeoXForCausalLM

    sizes = {}
    for name, size in recipe["sizes"].items():
        with __import__("torch").device("meta"):
            params = sum(p.numel() for p in GPTNeoXForCausalLM(model_config(size, recipe)).parameters())
        sizes[name] = {
            **size,
            "params": params,
            "model_id": f"{recipe['organisation']}/{name}",
            "train_seconds": train_seconds.get(name),
        }
    manifest = {
        "corpus_version": recipe["corpus_version"],
        "tokens_per_step": recipe["rows_per_step"] * TOKENS_PER_ROW,
        "checkpoints": recipe["checkpoints"],
        "sizes": sizes,
        "built": time.strftime("%Y-%m-%d"),
    }
    (hub.parent / "zoo.json").write_text(json.dumps(manifest, indent=2) + "\n")
