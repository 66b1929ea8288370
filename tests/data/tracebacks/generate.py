"""Regenerate the Cloud Run NDJSON fixtures from the stderr transcripts beside this file.

Run: /work/venv/bin/python tests/data/tracebacks/generate.py

Cloud Run turns every stderr line into one LogEntry (textPayload, DEFAULT severity, the same
instanceId, timestamps microseconds apart); this script does the same to each transcript and
interleaves the streams by time, as concurrent instances are in a real export.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent
BASE = datetime(2025, 9, 15, 15, 15, 38, 412000, tzinfo=timezone.utc)
SERVICE = "netra-backend-staging"
REVISION = "netra-backend-staging-00691-xl2"


def _entry(text: str, at: datetime, instance: str, stream: str, number: int) -> dict[str, object]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "insertId": f"{instance[-6:]}{number:06d}",
        "textPayload": text,
        "resource": {
            "type": "cloud_run_revision",
            "labels": {
                "service_name": SERVICE,
                "revision_name": REVISION,
                "location": "us-central1",
                "configuration_name": SERVICE,
                "project_id": "netra-staging",
            },
        },
        "timestamp": stamp,
        "labels": {"instanceId": instance},
        "logName": f"projects/netra-staging/logs/run.googleapis.com%2F{stream}",
        "receiveTimestamp": (at + timedelta(milliseconds=180)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def _stream(transcript: str, instance: str, offset_us: int, keep_blank: bool) -> list[dict[str, object]]:
    lines = (HERE / transcript).read_text(encoding="utf-8").splitlines()
    out = []
    for number, text in enumerate(lines):
        if text.strip() or keep_blank:
            at = BASE + timedelta(microseconds=offset_us + 40 * number)
            out.append(_entry(text, at, instance, "stderr", number))
    return out


def _write(name: str, entries: list[dict[str, object]]) -> None:
    entries.sort(key=lambda e: (str(e["timestamp"]), str(e["insertId"])))
    with (HERE / name).open("w", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(json.dumps(entry, sort_keys=True) + "\n")


def _embedded() -> dict[str, object]:
    """A python-json-logger record on stdout: message and exc_info in one jsonPayload."""
    entry = _entry("", BASE + timedelta(seconds=3), "0069c7a9b1c2d3e4f5a6b7c8d9e0f1a2b3c4", "stdout", 999)
    del entry["textPayload"]
    entry["severity"] = "ERROR"
    entry["jsonPayload"] = {
        "message": "Cloud SQL connector refresh failed",
        "logger": "netra_backend.app.db.cloudsql",
        "exc_info": (HERE / "embedded_exc_info.txt").read_text(encoding="utf-8").rstrip("\n"),
    }
    return entry


def main() -> None:
    """Write every fixture."""
    a, b = "0069c7a9b1c2d3e4f5a6b7c8d9e0f1a2b3c4", "0069c7a9ffe0d1c2b3a4958677685940312a"
    for name, blank in (("cloud_run_startup.ndjson", False), ("cloud_run_startup_blank_lines.ndjson", True)):
        _write(
            name, [*_stream("asyncpg_startup.txt", a, 0, blank), *_stream("asgi_too_many.txt", b, 13, blank)]
        )
    _write("consecutive.ndjson", [*_stream("consecutive.txt", a, 0, False), _embedded()])
    _write("exception_group.ndjson", _stream("exception_group.txt", b, 0, False))
    _write("pydantic_settings.ndjson", _stream("pydantic_settings.txt", a, 0, False))
    _write(
        "runtimes.ndjson",
        _stream("node_unhandled.txt", "00aa01", 0, False)
        + _stream("node_logged.txt", "00aa02", 7, False)
        + _stream("go_panic.txt", "00aa03", 15, False)
        + _stream("java_main.txt", "00aa04", 21, False)
        + _stream("dotnet_unhandled.txt", "00aa05", 29, False),
    )


if __name__ == "__main__":
    main()
