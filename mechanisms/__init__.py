"""pytest-mechanisms: claims about the inner mechanisms of language models, as regression tests.

Importing this package is cheap on purpose: torch and transformer_lens load only when the first
model is needed (see ``mechanisms.loading``).
"""

__version__ = "0.1.0"
