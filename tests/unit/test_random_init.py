"""Pythia's shapes, checked against its published parameter counts without building a model."""

import pytest

from mechanisms.catalogue.suites import PYTHIA_PARAMS
from mechanisms.tools.random_init import parameter_count, pythia_config


@pytest.mark.parametrize("size", list(PYTHIA_PARAMS))
def test_pythia_shapes_give_published_parameter_counts(size):
    assert parameter_count(pythia_config(size)) == PYTHIA_PARAMS[size]


def test_deduped_names_share_the_shape():
    assert pythia_config("pythia-410m-deduped") == pythia_config("410m")
