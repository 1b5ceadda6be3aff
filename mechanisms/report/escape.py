"""One escaping helper per output format, so that text from a record (a spec id, a claim, a
model name, a check's summary: anything a results shard or a baseline from elsewhere may hold)
is shown as text and never becomes markup.

* ``html_text``   HTML text and attribute values (``report.html``; SVG labels);
* ``md_text``     Markdown (``report.md``, ``matrix.md``, the gate's summary in a CI job summary):
  every character that can start markup is backslash-escaped, and a line break or a table's
  ``|`` can no longer end a row;
* ``terminal_text`` the terminal: control characters (escape sequences that move the cursor or
  clear the screen) are shown as ``\\xNN``.

Numbers are formatted by ``records.value_text`` and need no escaping.
"""

from __future__ import annotations

import html
import re

# CommonMark lets any ASCII punctuation be backslash-escaped; these can start markup (a tag needs
# "<", links and images "["; headings, lists and quotes only matter at a line start, which data
# never is) or end a table cell.
_MARKDOWN = re.compile(r"([\\`*_\[\]<|&~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def html_text(value: object) -> str:
    return html.escape(str(value), quote=True)


def md_text(value: object) -> str:
    """One line of Markdown text (a table cell, a heading, a list item)."""
    one_line = " ".join(str(value).splitlines())
    return _MARKDOWN.sub(r"\\\1", _CONTROL.sub(" ", one_line))


def terminal_text(value: object) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
