"""Tooling that checks what users see, not part of a run: the headless-Chromium driver that
loads report.html, reports script errors and injected elements, and takes the screenshot
(``python -m mechanisms.report ... --screenshot``, the browser tests, CI)."""
