"""mkdocs hook: show the docstrings' reStructuredText roles (``:class:`X```) as plain code.

The docstrings are written for Python's help() and IDEs, where ``:class:`X``` reads fine;
in the API reference the role prefix is noise, so ``:class:<code>X</code>`` becomes ``<code>X</code>``.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|exc|mod|data|obj|const):(<code>)")


def on_page_content(html: str, **_: Any) -> str:
    return _ROLE.sub(r"\1", html)
