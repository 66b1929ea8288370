"""Filling the library's sentence and command templates from findings and context."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(template: str, fields: Mapping[str, Sequence[str]], context: Mapping[str, str | None]) -> str:
    """Replace ``{name}`` by the finding's first value of ``name``, else the context's value.

    A placeholder nothing fills stays visible as ``<name>`` so the reader knows what to supply,
    rather than the sentence silently losing a word.
    """

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        values = fields.get(name)
        if values:
            return str(values[0])
        value = context.get(name)
        return str(value) if value not in (None, "") else f"<{name}>"

    return _PLACEHOLDER.sub(one, template)
