"""Filling the library's sentence and command templates from findings and context.

``{name}`` takes the finding's first value of ``name``, else the context's. Text inside
``[[ ... ]]`` is optional: it is dropped when a placeholder inside it has no value, so a
pattern whose phrasings capture different fields can still say "(at {ip})" when it knows.
``{{`` and ``}}`` stand for literal braces (curl's ``-w '%{{http_code}}'``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_BRACE_OR_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _value(name: str, fields: Mapping[str, Sequence[str]], context: Mapping[str, str | None]) -> str | None:
    values = fields.get(name)
    if values:
        return str(values[0])
    value = context.get(name)
    return str(value) if value not in (None, "") else None


def fill(template: str, fields: Mapping[str, Sequence[str]], context: Mapping[str, str | None]) -> str:
    """Fill placeholders; drop optional segments missing a value; show other gaps as ``<name>``.

    A required placeholder nothing fills stays visible as ``<name>`` so the reader knows what
    to supply, rather than the sentence silently losing a word.
    """

    def optional(m: re.Match[str]) -> str:
        inner = m.group(1)
        if all(_value(n, fields, context) is not None for n in _PLACEHOLDER.findall(inner)):
            return inner
        return ""

    def one(m: re.Match[str]) -> str:
        value = _value(m.group(1), fields, context)
        return value if value is not None else f"<{m.group(1)}>"

    def brace_or_one(m: re.Match[str]) -> str:
        return m.group(0)[0] if m.group(1) is None else one(m)

    return _BRACE_OR_PLACEHOLDER.sub(brace_or_one, _OPTIONAL.sub(optional, template))
