"""Library-wide knowledge (patterns/_knowledge.yaml): what explains each kind of symptom, and
which stack frames are a service's own code in each runtime.

It is data for the same reason patterns are: what usually causes a 5xx, or whether a frame under
`node_modules/` is the app's, is knowledge an SRE would review and extend, not code.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rca.errors import PatternError
from rca.library.re2check import compile_re2
from rca.resources import data_dir

FILE_NAME = "_knowledge.yaml"


@dataclass(frozen=True)
class RuntimeFrames:
    """How one runtime prints stacks: where the raising frame is, and which frames are not the app's."""

    raised_at: str  # "first" | "last"
    cause_order: str  # where a wrapped (inner) error is printed: "first" | "last"
    library_frames: tuple[str, ...]

    def is_library(self, frame: str) -> bool:
        """Whether a rendered frame (`file:line in function`) belongs to the runtime or a dependency."""
        return any(compile_re2(expr).search(frame) for expr in self.library_frames)

    def own_frame(self, frames: Sequence[str]) -> str | None:
        """The service's own frame nearest to where the exception was raised, if the stack has one."""
        ordered = list(frames) if self.raised_at == "first" else list(reversed(frames))
        return next((f for f in ordered if not self.is_library(f)), None)


@dataclass(frozen=True)
class Knowledge:
    """Symptom kinds (kind -> refs that can explain it) and per-runtime frame rules."""

    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    runtimes: Mapping[str, RuntimeFrames] = field(default_factory=dict)


def _parse(doc: Mapping[str, Any], path: Path) -> Knowledge:
    """Validate the shape of the knowledge file, naming the field that is wrong."""
    try:
        kinds = {
            str(k): tuple(str(r) for r in v.get("caused_by", ())) for k, v in doc.get("kinds", {}).items()
        }
        runtimes = {
            str(name): RuntimeFrames(str(v["raised_at"]), str(v["cause_order"]),
                                     tuple(str(x) for x in v.get("library_frames", ())))
            for name, v in doc.get("runtimes", {}).items()
        }
    except (AttributeError, KeyError, TypeError) as exc:
        raise PatternError(str(path), f"malformed knowledge file: {exc!r}") from exc
    for name, rt in runtimes.items():
        if {rt.raised_at, rt.cause_order} - {"first", "last"}:
            raise PatternError(str(path), "raised_at and cause_order take first or last", f"runtimes.{name}")
    return Knowledge(kinds, runtimes)


def load_knowledge(root: Path | None = None) -> Knowledge:
    """Read ``_knowledge.yaml`` from the built-in library (or ``root``); empty when absent."""
    return _load(str(root or data_dir("patterns")))


@functools.lru_cache(maxsize=4)
def _load(root: str) -> Knowledge:
    path = Path(root) / FILE_NAME
    if not path.is_file():
        return Knowledge()
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict):
        raise PatternError(str(path), "expected a mapping at the top level")
    return _parse(doc, path)
