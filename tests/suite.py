"""Shared by the suite: the fast/full split (``--run-slow``) and the CLI run in process.

A test parametrised over every sample or constructed incident keeps a few named cases in the fast
suite, so a default run still exercises the whole path, and marks the rest ``slow``: CI runs them
all (tests/conftest.py explains the marker).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SLOW = pytest.mark.slow


def split(names: Iterable[str], fast: Collection[str], **marks: Any) -> list[Any]:
    """``names`` as parameters: those in ``fast`` run by default, the others only with --run-slow.

    ``marks`` maps a name to extra marks (e.g. a strict xfail), kept in both suites. A name in
    ``fast`` that is not in ``names`` is an error, so the fast suite cannot silently shrink.
    """
    names = list(names)
    missing = set(fast) - set(names)
    if missing:
        raise ValueError(f"fast cases not in the corpus: {sorted(missing)}")
    params = []
    for name in names:
        extra = marks.get(name, ())
        extra = list(extra) if isinstance(extra, (list, tuple)) else [extra]
        params.append(pytest.param(name, marks=extra if name in fast else [*extra, SLOW], id=name))
    return params


@dataclass(frozen=True)
class Ran:
    """What a CLI run left behind, shaped like ``subprocess.CompletedProcess`` (text streams)."""

    returncode: int
    stdout: str
    stderr: str


def cli(*args: str, stdin: bytes | str | None = None, cwd: Path | None = None,
        env: Mapping[str, str] | None = None) -> Ran:
    """Run ``rca ARGS`` in process through click's CliRunner, as ``python -m rca`` would exit.

    An exception that escapes the CLI (a crash the user would see as a traceback) is written to
    ``stderr`` as the interpreter would print it, with exit code 1, so tests that assert "no
    traceback on stderr" keep their teeth without paying a process start per run.
    """
    from click.testing import CliRunner

    from rca.cli.main import main

    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args), input=stdin, env=dict(env or {}))
    finally:
        os.chdir(previous)
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        stderr += "".join(traceback.format_exception(*result.exc_info))
        code = 1
    return Ran(code, result.stdout, stderr)
