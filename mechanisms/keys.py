"""Where the plugin keeps a run's state on ``config.stash``, shared by the item modules."""

from typing import Any

import pytest

PLAN_KEY: pytest.StashKey[Any] = pytest.StashKey()  # the run's cells (mechanisms.plugin.Plan)
# measuring options: threads, device, allow_download, report_dir, cellstore, wait
OPTIONS_KEY: pytest.StashKey[dict] = pytest.StashKey()
