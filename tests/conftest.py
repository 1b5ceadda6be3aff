"""Shared fixtures. Tiers: ``unit`` (no model), ``model`` (boots zoo checkpoints, seconds),
``integration`` (pytester runs of the plugin, with ``-n 2``), ``examples`` (the docs' YAML)."""

import os
import sys

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# One torch thread per xdist worker, as the plugin gives spec runs: `pytest tests -n 2` on two
# cores otherwise runs two threads per worker, and the pytester runs a test starts (which inherit
# this environment) more on top: oversubscribed, every model test slows down.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


@pytest.fixture(scope="session")
def zoo_tokenizer():
    from mechanisms.tools.zoo.tokenizer import build_tokenizer

    return build_tokenizer()


@pytest.fixture(scope="session")
def zoo_vocab(zoo_tokenizer):
    from mechanisms.measure.tasks import Vocab

    return Vocab(zoo_tokenizer, prepend_bos=True)


@pytest.fixture(scope="session")
def zoo_model():
    """A factory for booted zoo checkpoints, cached for the session: ``zoo_model("zoo-890k", 2048)``."""
    from mechanisms.models.loading import boot

    cache = {}

    def get(size, step):
        if (size, step) not in cache:
            cache[(size, step)] = boot(f"pytest-mechanisms/{size}", f"step{step}", prepend_bos=True)
        return cache[(size, step)]

    return get
