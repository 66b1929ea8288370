"""One entry point for the CLI and notebooks: load, fetch, analyze, and the Analysis object.

The submodules do the work (loading.py: files, frames and Cloud Logging into a store;
analyzing.py: the analysis and pattern drafts; exploration.py: the Analysis value notebooks
explore); this package names what callers use.
"""

from rca.api.analyzing import analyze, suggest_patterns
from rca.api.bigquery import BigQueryOptions, BigQueryPlan, load_bigquery, plan_bigquery
from rca.api.loading import (
    Loaded,
    build_events,
    entries_frame,
    fetch_to_file,
    load,
    load_frame,
    load_live,
)

__all__ = [
    "BigQueryOptions",
    "BigQueryPlan",
    "Loaded",
    "analyze",
    "build_events",
    "entries_frame",
    "fetch_to_file",
    "load",
    "load_bigquery",
    "load_frame",
    "load_live",
    "plan_bigquery",
    "suggest_patterns",
]
