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
