"""Defaults that several entry points share (CLI, Python API, live fetch): one place for each, so
`rca analyze --help`, `rca.load()` and `fetch_window()` cannot drift apart. Light on purpose: the
CLI imports it before anything heavy."""

from __future__ import annotations

#: Entries a live fetch reads before it stops and reports the rest of the window as missing
#: (about 50 API calls; `--max-entries` / ``max_entries=`` change it).
MAX_ENTRIES = 50_000
