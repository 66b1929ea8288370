"""What `rca` commands share: the error guard that maps RcaError to its exit code, and the pause
of the cyclic collector that `rca analyze` runs under."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from rca.errors import RcaError

F = TypeVar("F", bound=Callable[..., Any])
INTERNAL_ERROR = 70


def guard(func: F) -> F:
    """Run a command; turn RcaError into its exit code and anything else into a short bug report."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            return func(*args, **kwargs)
        except RcaError as exc:
            if debug:
                raise
            click.echo(f"rca: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("rca: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if debug:
                raise
            click.echo(
                f"rca: internal error: {type(exc).__name__}: {exc} (re-run with --debug for the "
                "traceback and please report it)",
                err=True,
            )
            sys.exit(INTERNAL_ERROR)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def collector_paused(func: F) -> F:
    """Run a command with Python's cyclic garbage collector paused, and restore it after.

    An analysis builds no reference cycles in bulk, but a storm's hits are hundreds of thousands of
    live tuples, and the collector's passes over them (828 collections, 0.3 CPU-s at 1M entries)
    freed nothing. Restored afterwards for in-process callers (tests, click's runner)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]
