"""Speed benchmarks (pytest-benchmark), kept out of the test suite: speed targets live here.

    pytest benchmarks --benchmark-only            # compare runs with --benchmark-autosave / --benchmark-compare

Targets on a 2-core CPU: booting a zoo checkpoint < 0.5 s; one shared IOI forward pass (64
prompts) < 50 ms for zoo-890k; a cell whose model is missing fails in < 2 s.
"""

import pytest

from mechanisms.loading import boot
from mechanisms.runs import TaskRun

SIZES = ["zoo-40k", "zoo-890k"]


@pytest.mark.parametrize("size", SIZES)
def test_boot_zoo_checkpoint(benchmark, size):
    benchmark.pedantic(lambda: boot(f"pytest-mechanisms/{size}", "step1024", True), rounds=5, iterations=1)


@pytest.mark.parametrize("size", SIZES)
def test_shared_ioi_forward(benchmark, size):
    model = boot(f"pytest-mechanisms/{size}", "step2048", True)
    params = {"n_prompts": 64, "seed": 0, "templates": "train", "corruption": "s2_io"}

    def forward():
        return TaskRun(model, "ioi", params).clean

    benchmark.pedantic(forward, rounds=5, iterations=1)
