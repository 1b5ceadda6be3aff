"""Rebuild the zoo from ``recipe.yaml``:  ``python -m mechanisms.tools.zoo.build [--out fixtures/zoo]``.

Sizes train in separate processes (``parallel`` at once, ``threads`` torch threads each), so the
result is bitwise reproducible on the same CPU type, torch version and thread count. On a quiet
2-core machine the whole zoo takes about 10 minutes.
"""

import argparse
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import yaml

RECIPE = Path(__file__).with_name("recipe.yaml")
DEFAULT_OUT = (
    Path(__file__).resolve().parents[3] / "fixtures" / "zoo"
)  # mechanisms/tools/zoo/ is three below the repository


def load_recipe(path: Path = RECIPE) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def quiet_transformers() -> None:
    """No "Writing model shards" bar for each of a size's 17 checkpoints."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    from transformers.utils import logging

    logging.disable_progress_bar()


def _train_one(name: str, recipe: dict, hub: str, steps: int | None, progress) -> tuple[str, float]:
    quiet_transformers()
    from .training import train

    start = time.perf_counter()
    train(name, recipe, Path(hub), steps=steps, on_step=lambda s: progress.put((name, s)))
    return name, time.perf_counter() - start


def build(out: Path, recipe: dict, sizes: list[str] | None = None, steps: int | None = None) -> dict:
    from tqdm import tqdm

    from .training import write_manifest

    sizes = sizes or list(recipe["sizes"])
    hub = out / "hub"
    for name in sizes:
        shutil.rmtree(hub / f"models--{recipe['organisation']}--{name}", ignore_errors=True)
    total = (steps or recipe["steps"]) * len(sizes)
    ctx = get_context("spawn")
    seconds = {}
    with ctx.Manager() as manager, tqdm(total=total, unit="step", desc="zoo") as bar:
        progress = manager.Queue()
        with ProcessPoolExecutor(recipe["parallel"], mp_context=ctx) as pool:
            futures = [pool.submit(_train_one, n, recipe, str(hub), steps, progress) for n in sizes]
            pending = set(futures)
            while pending:
                while not progress.empty():
                    name, step = progress.get()
                    bar.update(1)
                    bar.set_postfix_str(f"{name}@{step}")
                pending = {f for f in pending if not f.done()}
                time.sleep(0.2)
            for f in as_completed(futures):
                name, secs = f.result()
                seconds[name] = round(secs, 1)
    write_manifest(hub, recipe, seconds)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=RECIPE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--sizes", nargs="*", help="only these sizes (default: all in the recipe)")
    parser.add_argument("--steps", type=int, help="stop early (for smoke tests)")
    args = parser.parse_args(argv)
    seconds = build(args.out, load_recipe(args.recipe), args.sizes, args.steps)
    print("trained:", ", ".join(f"{k} {v:.0f}s" for k, v in seconds.items()))
    print(f"zoo written to {args.out}")


if __name__ == "__main__":
    main()
