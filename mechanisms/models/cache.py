"""The per-worker model cache: each model@revision is booted once per process and kept while
items that need it run (items are ordered by model, so one or two entries usually suffice).

Entries are evicted least-recently-used when the count or the parameter memory bound is passed.
A model that failed to load is remembered too, so every later cell fails at once with the same
message instead of retrying the load.
"""

import gc
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ModelCache:
    def __init__(self, max_models: int = 2, max_bytes: int = 8 << 30):
        self.max_models, self.max_bytes = max_models, max_bytes
        self._models: OrderedDict = OrderedDict()
        self._failures: dict = {}
        self.loads = 0

    def get(self, key: Hashable, loader: Callable[[], Any]) -> Any:
        if key in self._failures:
            raise self._failures[key]
        if key in self._models:
            self._models.move_to_end(key)
            return self._models[key]
        try:
            model = loader()
        except Exception as exc:  # remembered: fail the model's other cells fast
            self._failures[key] = exc
            raise
        self.loads += 1
        self._models[key] = model
        self._evict(keep=key)
        return model

    def _evict(self, keep) -> None:
        def used() -> int:
            return sum(m.parameter_bytes() for m in self._models.values())

        while len(self._models) > 1 and (len(self._models) > self.max_models or used() > self.max_bytes):
            oldest = next(k for k in self._models if k != keep)
            del self._models[oldest]
            gc.collect()

    def clear(self) -> None:
        """Drop every model (and remembered failure): the next ``get`` boots afresh, e.g. on
        another device."""
        self._models.clear()
        self._failures.clear()
        gc.collect()

    def __len__(self):
        return len(self._models)


MODELS = ModelCache()
