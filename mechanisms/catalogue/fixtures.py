"""Where the shipped data lives: the mini-Pythia zoo and the GPT-NeoX-20B tokenizer.

``fixtures/`` in the repository is the source; the wheel carries the same files as the package
``mechanisms._fixtures`` (``pyproject.toml`` maps it onto ``fixtures/``), so an installed plugin
runs the default suite from any directory. Both are found through ``importlib.resources``;
``$MECHANISMS_ZOO_DIR`` points the zoo elsewhere (a rebuilt zoo).
"""

import os
from importlib import resources
from pathlib import Path


def fixtures_dir() -> Path:
    try:
        return Path(str(resources.files("mechanisms._fixtures")))
    except ModuleNotFoundError:  # a source tree on sys.path without an install
        return Path(__file__).resolve().parents[2] / "fixtures"


def zoo_dir() -> Path:
    """The embedded zoo: ``$MECHANISMS_ZOO_DIR`` or the shipped ``fixtures/zoo``."""
    env = os.environ.get("MECHANISMS_ZOO_DIR")
    return Path(env) if env else fixtures_dir() / "zoo"


def neox_tokenizer_dir() -> Path:
    """EleutherAI's GPT-NeoX-20B tokenizer, the tokenizer of every Pythia model."""
    return fixtures_dir() / "tokenizers" / "gpt-neox-20b"
