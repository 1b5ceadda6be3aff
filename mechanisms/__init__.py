"""pytest-mechanisms: claims about the inner mechanisms of language models, as regression tests.

A spec takes this path: ``spec`` (load and validate the YAML against the registry) -> ``plan``
(suites, checkpoints, the cells of this run) -> ``models`` (resolve and load a model@checkpoint
once per worker) -> ``measure`` (task data, one shared forward pass, metrics, head scores,
interventions, checks) -> ``report`` (matrices and results.json). ``plugin``, ``items`` and
``scheduling`` connect that path to pytest and xdist. ``tools`` holds build-time programs (zoo
training, random-init models) that the plugin never imports.

Importing this package is cheap on purpose: torch and transformer_lens load only when the first
model is needed (see ``mechanisms.models.loading``).
"""

__version__ = "0.1.0"

__all__ = ["measure_spec", "spec_from_text"]


def __getattr__(name: str):
    """``mechanisms.measure_spec`` and ``mechanisms.spec_from_text`` (``mechanisms.api``),
    imported on first use so that the plugin's import of this package stays cheap."""
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'mechanisms' has no attribute {name!r}")
