"""Speed benchmarks (pytest-benchmark), kept out of the test suite: speed targets live here.

    pytest benchmarks --benchmark-only            # compare runs with --benchmark-autosave / --benchmark-compare

Targets on a 2-core CPU: booting a zoo checkpoint < 0.5 s; one shared IOI forward pass (64
prompts) < 50 ms for zoo-890k; a cell whose model is missing fails in < 2 s. Real-size timings use
random-init Pythia snapshots (``mechanisms.tools.random_init``): a forward pass costs the same for random
and trained weights.
"""

import pytest

from mechanisms.measure.runs import TaskRun
from mechanisms.models.loading import boot

SIZES = ["zoo-40k", "zoo-890k"]
PYTHIA_SIZES = ["70m", "160m"]
IOI = {"n_prompts": 64, "seed": 0, "templates": "train", "corruption": "s2_io"}


@pytest.fixture(scope="module")
def pythia_hub(tmp_path_factory):
    from mechanisms.tools.random_init import write_random_pythia

    hub = tmp_path_factory.mktemp("hub")
    for size in PYTHIA_SIZES:
        write_random_pythia(size, hub, steps=(0,))
    return hub


@pytest.mark.parametrize("size", SIZES)
def test_boot_zoo_checkpoint(benchmark, size):
    benchmark.pedantic(lambda: boot(f"pytest-mechanisms/{size}", "step1024", True), rounds=5, iterations=1)


@pytest.mark.parametrize("size", SIZES)
def test_shared_ioi_forward(benchmark, size):
    model = boot(f"pytest-mechanisms/{size}", "step2048", True)

    def forward():
        return TaskRun(model, "ioi", IOI).clean

    benchmark.pedantic(forward, rounds=5, iterations=1)


@pytest.mark.parametrize("size", PYTHIA_SIZES)
def test_pythia_boot_and_ioi_forward(benchmark, pythia_hub, monkeypatch, size):
    """Boot + one shared IOI forward (64 prompts, with cached patterns and z) at Pythia's real shape."""
    monkeypatch.setenv("HF_HUB_CACHE", str(pythia_hub))

    def cell():
        return TaskRun(boot(f"EleutherAI/pythia-{size}", "step0", False), "ioi", IOI).clean

    benchmark.pedantic(cell, rounds=3, iterations=1)
