"""Command line: ``python -m examples.generate [--out DIR]`` rewrites every sample export."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

if __package__ in (None, ""):  # run as a script: python examples/generate/__main__.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    __package__ = "examples.generate"  # noqa: A001

from examples.generate import billing, netra, orders, resizer, search  # noqa: E402
from examples.generate.common import write  # noqa: E402

GENERATORS: dict[str, Callable[[], str]] = {
    "netra-backend-staging-2025-09-15.json": netra.generate,
    "billing-api-2025-10-02.json": billing.generate,
    "image-resizer-2025-11-04.json": resizer.generate,
    "orders-worker-2025-08-21.log": orders.generate,
    "search-api-unknown-2025-07-30.json": search.generate,
}


def main(argv: list[str] | None = None) -> int:
    """Write every sample into ``--out`` (default: the examples/ folder beside this package)."""
    parser = argparse.ArgumentParser(description=__doc__)
    default = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=default, help="output directory (default: examples/)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name, build in GENERATORS.items():
        write(os.path.join(args.out, name), build())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
