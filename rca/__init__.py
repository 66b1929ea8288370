"""rca: find why a Google Cloud service broke by mining its logs."""

from __future__ import annotations

__version__ = "0.1.0"
