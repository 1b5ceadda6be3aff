"""Repository-level conftest, kept empty on purpose.

The plugin is registered through its ``pytest11`` entry point, so it runs only once the package
is installed (``pip install -e .``, the README's first command); without the install ``pytest``
collects no spec. Project-wide test settings live in ``pytest.ini``, fixtures in
``tests/conftest.py``.
"""
