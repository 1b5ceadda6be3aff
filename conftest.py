"""Repository-level conftest: the plugin itself is registered through the ``pytest11`` entry
point (``pip install -e .``); this file only makes the source tree importable without an install,
so ``pytest`` works in a fresh clone before ``pip install`` has run."""

import sys
from pathlib import Path

ROOT = Path(__file__).parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
