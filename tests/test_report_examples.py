"""Every sample incident, rendered in every format, checked for what matters rather than byte for byte:
the verdict up front and the same in every format, the sections present, the length bounded, no entry
cited twice, short ids in prose, and a postmortem for each."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rca import api
from rca.report.render import FORMATS, build_context, render
from tests.suite import split

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "reports" / "examples" / "manifest.json").read_text(encoding="utf-8"))[
    "examples"
]
NAMES = [e["name"] for e in MANIFEST]
# The default suite checks one sample; the full suite (--run-slow) all of them.
CASES = split(NAMES, [n for n in NAMES if n.startswith("billing-api")])
MARKDOWN_MAX_LINES = 165  # "about 160" for netra, the longest sample
POSTMORTEM_SECTIONS = [
    "Summary",
    "Impact",
    "Root causes",
    "Trigger",
    "Detection",
    "Resolution and mitigation",
    "Action items",
    "Lessons learned",
    "Timeline",
    "Supporting information",
]
STATE_LABELS = {"down": "DOWN", "degraded": "DEGRADED", "recovered": "RECOVERED", "ok": "NO INCIDENT FOUND"}


class Reports(dict[str, dict[str, Any]]):
    """Each sample's reports by format, plus its context, analysed on first use and kept for the
    module, so the fast suite (one sample) analyses one sample and the full suite each once."""

    def __missing__(self, name: str) -> dict[str, Any]:
        e = next(e for e in MANIFEST if e["name"] == name)
        result = api.analyze([str(ROOT / e["file"])], since=e["since"], service=e["service"]).result
        self[name] = {fmt: render(result, fmt) for fmt in FORMATS} | {"ctx": build_context(result)}
        return self[name]


@pytest.fixture(scope="module")
def reports() -> Reports:
    """The samples' reports, analysed lazily (see Reports)."""
    return Reports()


def headings(markdown: str, level: int = 2) -> list[str]:
    """The ATX headings of one level, outside fenced blocks."""
    inside, found = False, []
    for line in markdown.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif not inside and line.startswith("#" * level + " "):
            found.append(line[level + 1 :].split(" (")[0])
    return found


@pytest.mark.parametrize("name", CASES)
def test_verdict_comes_first_and_agrees_in_every_format(name: str, reports: dict[str, Any]) -> None:
    """The JSON status's state, onset and recovery are what every other format says first."""
    r = reports[name]
    status = json.loads(r["json"])["status"]
    label = STATE_LABELS[status["state"]]
    clock = [t[11:19] for t in (status["onset"], status["recovered_at"]) if t]
    assert headings(r["markdown"])[0] == "Verdict"
    verdict_md = r["markdown"].split("## Verdict")[1].split("## ")[0]
    assert f"**State:** {label}" in verdict_md
    text_head = "\n".join(r["text"].splitlines()[:5])
    assert f"state: {label}" in text_head
    html_verdict = r["html"].split('<section id="verdict">')[1].split("</section>")[0]
    assert r["html"].index('<section id="verdict">') < r["html"].index('<section id="five-whys">')
    impact_pm = r["postmortem"].split("## Impact")[1].split("## ")[0]
    for part in (verdict_md, text_head, html_verdict, impact_pm):
        assert all(c in part for c in clock), (clock, part[:300])
    if status["trigger"]:
        trigger_pm = r["postmortem"].split("## Trigger")[1].split("## ")[0]
        for part in (verdict_md, text_head, html_verdict, trigger_pm):
            assert status["trigger"]["revision"] in part
    assert {"duration_s", "peak_error_rate"} <= set(status)


@pytest.mark.parametrize("name", CASES)
def test_markdown_is_bounded_and_cites_each_entry_once(name: str, reports: dict[str, Any]) -> None:
    """Markdown fits the line budget, shows at most six whys and two inline entries each, none twice."""
    md = reports[name]["markdown"]
    assert len(md.splitlines()) <= MARKDOWN_MAX_LINES
    whys = md.split("## Five whys")[1].split("\n## ")[0]
    assert 1 <= whys.count("\n### ") <= 6
    anchors = re.findall(r'<a id="(ev-\d+)"></a>', md)
    assert len(anchors) == len(set(anchors))
    for why in whys.split("\n### ")[1:]:
        assert why.count('<a id="ev-') <= 2


@pytest.mark.parametrize("name", CASES)
def test_prose_shortens_long_ids_and_times(name: str, reports: dict[str, Any]) -> None:
    """Outside code blocks and the identifier key no 64-hex digest; verdict times to the second."""
    md = reports[name]["markdown"]
    prose = re.sub(r"```.*?```", "", md, flags=re.S)
    prose = "\n".join(ln for ln in prose.splitlines() if not ln.startswith("Full identifiers:"))
    assert re.findall(r"[0-9a-f]{64}", prose) == []
    verdict = md.split("## Verdict")[1].split("## ")[0]
    assert re.findall(r"\d\d:\d\d:\d\d\.\d", verdict) == []


@pytest.mark.parametrize("name", CASES)
def test_html_keeps_evidence_collapsed(name: str, reports: dict[str, Any]) -> None:
    """The HTML report opens with every <details> closed: evidence, tables and commands on demand."""
    assert "<details open" not in reports[name]["html"]
    assert reports[name]["html"].count('<details class="ev" id="ev-') == len(reports[name]["ctx"]["evidence"])


@pytest.mark.parametrize("name", CASES)
def test_postmortem_has_the_sre_sections_and_marks_human_parts(name: str, reports: dict[str, Any]) -> None:
    """The postmortem has the Google SRE sections in order, and marks what only people can write."""
    pm = reports[name]["postmortem"]
    assert [h for h in headings(pm) if h in POSTMORTEM_SECTIONS] == POSTMORTEM_SECTIONS
    assert pm.count("✍ **For the team:**") >= 6
    assert "| action | type | owner | bug |" in pm


@pytest.mark.parametrize("name", CASES)
def test_remediation_names_each_command_once(name: str, reports: dict[str, Any]) -> None:
    """No remediation command appears twice in the context the reports read."""
    commands = [r["command"] for r in reports[name]["ctx"]["remediation"] if r["command"]]
    assert len(commands) == len(set(commands))


def test_committed_examples_exist_for_every_sample_and_format() -> None:
    """reports/examples holds each sample's report in every committed format (regenerate with the script)."""
    out = ROOT / "reports" / "examples"
    for name in NAMES:
        for ext in ("md", "html", "json", "postmortem.md"):
            assert (out / f"{name}.{ext}").is_file(), f"run: python scripts/render_examples.py ({name}.{ext})"


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_committed_json_example_is_current(name: str) -> None:
    """The committed JSON report of each sample is what rca writes today (the other formats are
    checked by structure above): a behaviour change must regenerate the examples it changes."""
    from scripts.render_examples import load_manifest, render_example

    example = next(e for e in load_manifest() if e.name == name)
    committed = (ROOT / "reports" / "examples" / f"{name}.json").read_text(encoding="utf-8")
    assert render_example(example)["json"] == committed, "run: python scripts/render_examples.py"
