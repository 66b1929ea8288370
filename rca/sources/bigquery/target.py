"""Parse ``--log-analytics`` and ``--bigquery`` targets (pure, no network)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rca.errors import UsageError

# A project id (optionally domain-scoped, ``example.com:proj``), a dataset id, a table id.
_PROJECT = r"(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{3,61}[a-z0-9]"
_DATASET = r"[A-Za-z_][A-Za-z0-9_]{0,1023}"
_TABLE = r"[A-Za-z0-9_][A-Za-z0-9_$-]{0,1023}"
_DOTTED = re.compile(rf"^(?P<project>{_PROJECT})[.:](?P<dataset>{_DATASET})(?:\.(?P<table>{_TABLE}))?$")
_BUCKET = re.compile(
    rf"^(?:projects/)?(?P<project>{_PROJECT})/(?:locations/)?(?P<location>[a-z0-9-]+)/"
    r"(?:buckets/)?(?P<bucket>[A-Za-z0-9_-]{1,100})(?:/(?:views/)?(?P<view>[A-Za-z0-9_-]{1,100}))?$"
)

ALL_LOGS = "_AllLogs"


@dataclass(frozen=True)
class Target:
    """Where the logs are: a Log Analytics view or a sink dataset (optionally one table of it).

    ``kind`` is ``log-analytics`` or ``sink``. For a ``PROJECT/LOCATION/BUCKET`` target ``dataset``
    is empty until resolved to the bucket's linked dataset (``bucket`` and ``location`` are set).
    """

    kind: str
    project: str
    dataset: str
    table: str | None = None
    location: str | None = None
    bucket: str | None = None

    @property
    def needs_link(self) -> bool:
        """True for a log bucket given by path, not yet resolved to its linked dataset."""
        return not self.dataset

    def describe(self) -> str:
        """The target as the user would write it."""
        if self.needs_link:
            return f"{self.project}/{self.location}/{self.bucket}"
        tail = f".{self.table}" if self.table else ""
        return f"{self.project}.{self.dataset}{tail}"


def parse_log_analytics(text: str) -> Target:
    """``PROJECT.LINKED_DATASET[.VIEW]`` or ``PROJECT/LOCATION/BUCKET[/VIEW]`` (view default ``_AllLogs``)."""
    raw = text.strip().strip("`")
    m = _BUCKET.match(raw)
    if m and "/" in raw:
        return Target(
            "log-analytics",
            m["project"],
            "",
            m["view"] or ALL_LOGS,
            location=m["location"],
            bucket=m["bucket"],
        )
    m = _DOTTED.match(raw)
    if not m:
        raise UsageError(
            f"--log-analytics {text!r}: expected PROJECT.LINKED_DATASET (the BigQuery dataset linked to a "
            "log bucket, e.g. my-proj.my_logs) or PROJECT/LOCATION/BUCKET (e.g. my-proj/global/_Default)"
        )
    return Target("log-analytics", m["project"], m["dataset"], m["table"] or ALL_LOGS)


def parse_bigquery(text: str) -> Target:
    """``PROJECT.DATASET`` (every log table of a sink dataset) or ``PROJECT.DATASET.TABLE``."""
    raw = text.strip().strip("`")
    m = _DOTTED.match(raw)
    if not m:
        raise UsageError(
            f"--bigquery {text!r}: expected PROJECT.DATASET or PROJECT.DATASET.TABLE "
            "(a log sink's dataset, e.g. my-proj.run_logs)"
        )
    return Target("sink", m["project"], m["dataset"], m["table"])


def linked_dataset_id(resource: str) -> str:
    """``bigquery.googleapis.com/projects/P/datasets/D`` (a link's ``bigqueryDataset.datasetId``) -> ``D``."""
    m = re.search(r"/datasets/([A-Za-z0-9_]+)$", resource.strip())
    if not m:
        raise UsageError(f"cannot read a dataset id from the link's dataset {resource!r}")
    return m.group(1)
