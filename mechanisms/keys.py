"""What the spec and series items read from the run (on ``config.stash``, set by ``session.py``):
its plan, the options it measures under, and the gate bases measured in this process."""

import pytest

from .plan.run_plan import RunPlan
from .record import CellRecord
from .run_options import RunOptions

PLAN_KEY: pytest.StashKey[RunPlan] = pytest.StashKey()
OPTIONS_KEY: pytest.StashKey[RunOptions] = pytest.StashKey()
# spec id -> the base's record, measured by this process (a worker measures a gate's base first)
BASES_KEY: pytest.StashKey[dict[str, CellRecord]] = pytest.StashKey()
