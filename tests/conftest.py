"""Shared fixtures. Tiers: ``unit`` (no model), ``model`` (boots zoo checkpoints, seconds),
``integration`` (pytester runs of the plugin, with ``-n 2``), ``examples`` (the docs' YAML)."""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
