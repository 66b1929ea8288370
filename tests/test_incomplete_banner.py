"""Partial data is said loudly, at the top of every format, not near the end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rca import api
from rca.report.render import render

ROOT = Path(__file__).resolve().parent.parent
NETRA = ROOT / "examples" / "netra-backend-staging-2025-09-15.json"


@pytest.fixture(scope="module")
def cut_analysis(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The netra export cut off mid-array, as a download that broke."""
    text = NETRA.read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("cut") / "cut.json"
    path.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    return api.analyze([str(path)], since="1h", service="netra-backend-staging")


@pytest.mark.parametrize("fmt", ["markdown", "text", "html", "postmortem"])
def test_every_format_leads_with_the_incomplete_banner(cut_analysis: object, fmt: str) -> None:
    """The banner is within the first lines of the report, whatever the format."""
    text = render(cut_analysis.result, fmt, redact=True)  # type: ignore[attr-defined]
    head = "\n".join(text.splitlines()[:45])
    assert "INCOMPLETE DATA" in head


def test_json_says_complete_false_with_what_is_missing(cut_analysis: object) -> None:
    """The JSON carries complete: false and a reason for the gap."""
    report = json.loads(render(cut_analysis.result, "json", redact=True))  # type: ignore[attr-defined]
    assert (report["complete"], bool(report["missing"])) == (False, True)
