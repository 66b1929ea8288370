"""Reports: the shared context, each format's structure and escaping, redaction, determinism, examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from markdown_it import MarkdownIt

from rca.errors import UsageError
from rca.library.knowledge import load_knowledge
from rca.model import (
    Category,
    Finding,
    Hypothesis,
    Layer,
    Link,
    LoadStats,
    Remediation,
    Role,
    RootCause,
    Sample,
    Stats,
    Status,
    Window,
)
from rca.reasoning.analysis import Result, Signal, TimelinePoint
from rca.reasoning.deploys import Deploy, DeployInfo, RevisionStats
from rca.reasoning.verification import checks
from rca.report.render import (
    FORMATS,
    build_context,
    json_report,
    logs_explorer_url,
    md_block,
    md_code,
    md_inline,
    render,
)
from rca.timeutil import parse_rfc3339

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = (
    "```\n# not a heading | a | b |\n<script>alert(1)</script>\n"
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 [bold]markup[/bold] `tick`"
)
SECRET_DSN = "postgresql://app:hunter2-s3cret@10.107.1.3:5432/netra"
TRACEBACK = (
    'Traceback (most recent call last):\n  File "/app/db.py", line 9, in connect\n'
    "    await connected\nasyncio.exceptions.CancelledError"
)


def sample(n: int, message: str, ts: str = "2025-09-15T15:15:38.163074Z") -> Sample:
    """A cited entry with a deterministic insertId."""
    return Sample(
        n,
        ts,
        f"insert{n:04d}",
        "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
        "run.googleapis.com/stderr",
        "svc-00691-xl2",
        "inst-1",
        message,
    )


def finding(pid: str, role: Role, status: Status, samples: tuple[Sample, ...], **fields: str) -> Finding:
    """A finding with one value per extracted field, seen 7 times."""
    return Finding(
        pid,
        Category.NETWORK_CONNECTIVITY,
        Layer.DATABASE,
        role,
        f"title of {pid}",
        7,
        samples[0].timestamp,
        samples[-1].timestamp,
        samples,
        {k: (v,) for k, v in fields.items()},
        {k: {v: 7} for k, v in fields.items()},
        ("svc-00691-xl2",),
        ("inst-1",),
        tuple(s.event_id for s in samples),
        status=status,
    )


def make_result(message: str = HOSTILE, project: str | None = "netra-staging") -> Result:
    """A small hand-built result: a three-link chain, a pre-existing finding, a hypothesis and a signal."""
    s1 = sample(1, "ERROR:    Application startup failed. Exiting.", "2025-09-15T15:15:38.167211Z")
    s2 = sample(
        2, f"Database initialization timeout after 8.0s ({SECRET_DSN})", "2025-09-15T15:15:38.163074Z"
    )
    s3 = sample(3, TRACEBACK, "2025-09-15T15:15:38.100000Z")
    s4 = sample(4, message, "2025-09-15T15:15:39.000000Z")
    s5 = sample(5, "checkpoint complete", "2025-09-15T14:16:02.239561Z")
    findings = (
        finding("uvicorn-startup-failed", Role.SYMPTOM, Status.ACTIVE, (s1,)),
        finding(
            "app-db-init-timeout", Role.CAUSE, Status.ACTIVE, (s2, s4), timeout_s="8.0", host="10.107.1.3"
        ),
        finding("asyncpg-connect-cancelled", Role.CAUSE, Status.ACTIVE, (s3,)),
        finding("cloudsql-postgres-healthy", Role.CONTEXT, Status.PRE_EXISTING, (s5,)),
    )
    chain = (
        Link(
            1,
            "Application startup failed",
            "uvicorn-startup-failed",
            Category.STARTUP_TIMEOUT,
            0.95,
            (s1,),
            "title; exit",
            ("observed 7 time(s)",),
        ),
        Link(
            2,
            f"Database init timed out | {message}",
            "app-db-init-timeout",
            Category.NETWORK_CONNECTIVITY,
            0.8,
            (s2, s4),
            "timeout_s=8.0 in 7 of 7",
        ),
        Link(
            3,
            "The asyncpg connection to 10.107.1.3 was cancelled",
            "asyncpg-connect-cancelled",
            Category.NETWORK_CONNECTIVITY,
            0.78,
            (s3,),
            "asyncpg",
            ("rule: cloudsql-postgres-healthy present",),
        ),
    )
    return Result(
        service="netra-backend-staging",
        window=Window(parse_rfc3339("2025-09-15T14:15:41Z"), parse_rfc3339("2025-09-15T15:15:41Z")),
        stats=Stats(
            entries=3801,
            baseline_entries=0,
            events=0,
            matched=2990,
            matched_events=368,
            requests=274,
            server_errors=120,
            rate_limited=0,
            error_rate=0.438,
            error_entries=147,
            revisions=("svc-00691-xl2",),
            findings=4,
            deploys=1,
            recent=None,
            load=LoadStats(
                read=5636,
                skipped_lines=2,
                skipped_by_kind={"bad-json": 2},
                duplicates_dropped=3,
                truncated=True,
                sources=("export.json",),
            ),
        ),
        findings=findings,
        chain=chain,
        root_cause=RootCause(
            Category.NETWORK_CONNECTIVITY,
            "asyncpg-connect-cancelled",
            "The network path to 10.107.1.3 is at fault",
            0.78,
        ),
        hypotheses=(
            Hypothesis(
                Category.DATABASE_UNAVAILABLE,
                "postgres-down",
                "The database was down",
                0.05,
                f"Cloud SQL kept logging | {message}",
            ),
        ),
        remediation=(
            Remediation(
                "Check the VPC connector",
                f"gcloud compute networks vpc-access connectors describe c # {SECRET_DSN}",
                "asyncpg-connect-cancelled",
            ),
        ),
        deploys=DeployInfo(
            (Deploy("2025-09-15T15:01:02Z", "ReplaceService", "deploy@x.iam", "svc", False),),
            (RevisionStats("svc-00691-xl2", "2025-09-15T15:01:02Z", "2025-09-15T15:15:39Z", 100, 20, 10, 5),),
            {"connector": "staging-connector"},
        ),
        signals=(Signal("Weird <*> thing", 4, 0, "2025-09-15T15:00:00Z", 2.5, message, True),),
        context={"project": project, "location": "us-central1"} if project else {},
        verification=checks(load_knowledge().surface_of("cloud_run_revision"), "netra-backend-staging",
                            {"project": project, "location": "us-central1"} if project else {}),
        timeline=(
            TimelinePoint("2025-09-15T15:00:00Z", "http 5xx", 3),
            TimelinePoint("2025-09-15T15:00:00Z", "app-db-init-timeout", 2),
        ),
    )


def md_to_soup(text: str) -> BeautifulSoup:
    """Render Markdown the CommonMark way (with GFM tables) and parse the HTML."""
    return BeautifulSoup(MarkdownIt("commonmark").enable("table").render(text), "html5lib")


def first_text(soup: Tag, name: str) -> str:
    """The text of the first ``name`` element under ``soup`` (failing the test when there is none)."""
    found = soup.find(name)
    assert isinstance(found, Tag), f"no <{name}>"
    return found.get_text()


# ---------------------------------------------------------------- markdown


def test_markdown_leads_with_the_verdict_and_keeps_its_sections_in_order() -> None:
    """Markdown opens with the verdict, then the whys, and ends with the bounded evidence appendix."""
    text = render(make_result(), "markdown")
    headings = [h.get_text() for h in md_to_soup(text).find_all("h2")]
    expected = [
        "Verdict",
        "Five whys",
        "Contributing factors",
        "Ruled out",
        "Remediation",
        "Verification",
        "Timeline",
        "Findings",
        "Deploys and revisions",
        "Unexplained signals",
        "Coverage",
        "Appendix: evidence",
    ]
    assert expected == headings


def test_markdown_whys_show_two_entries_each_and_cite_none_twice() -> None:
    """Each why shows at most two log lines inline; no entry appears under two whys."""
    text = render(make_result(), "markdown")
    whys = text.split("## Five whys")[1].split("## Contributing factors")[0]
    assert whys.count("### ") == 3
    cited = re.findall(r'<a id="(ev-\d+)"></a>', whys)
    assert len(cited) == len(set(cited)) == 4


def test_markdown_states_impact_root_cause_and_consistency() -> None:
    """The verdict gives impact, root cause and confidence; a why gives its n-of-m values."""
    text = render(make_result(), "markdown")
    assert "120 of 274 requests failed (43.8%)" in text
    assert "The network path to 10.107.1.3 is at fault (category network-connectivity, confidence 78%" in text
    assert "`timeout_s=8.0 in 7 of 7`" in text
    assert "Present before the incident, so not its cause: `cloudsql-postgres-healthy`" in text
    assert "INCOMPLETE: the fetch stopped at its entry limit (truncated)" in text
    assert "bad-json: 2" in text


def test_markdown_remediation_and_verification_commands_are_bash_blocks() -> None:
    """Remediation and verification are each one pasteable bash block, every step commented."""
    soup = md_to_soup(render(make_result(), "markdown"))
    blocks = [c.get_text() for c in soup.find_all("code", class_="language-bash")]
    assert len(blocks) == 2
    assert "\ngcloud compute networks vpc-access connectors describe c" in blocks[0]
    assert "\nrca analyze --service netra-backend-staging --project netra-staging" in blocks[1]


def test_evidence_all_puts_every_cited_entry_in_full() -> None:
    """With evidence="all" the appendix holds every cited entry's whole message in a fenced block."""
    text = render(make_result(), "markdown", evidence="all")
    appendix = text.split("## Appendix: evidence")[1]
    assert TRACEBACK in appendix
    assert appendix.count("### ev-") == len(build_context(make_result())["evidence"])


def test_unknown_evidence_mode_is_a_usage_error() -> None:
    """An evidence mode other than brief or all is reported, not ignored."""
    with pytest.raises(UsageError, match="some"):
        render(make_result(), "markdown", evidence="some")


def test_markdown_neutralises_hostile_log_text() -> None:
    """Fences, headings, pipes and HTML in log text neither break the document nor become markup."""
    soup = md_to_soup(render(make_result(), "markdown"))
    assert soup.find_all("script") == []
    assert [
        h for h in soup.find_all(re.compile("^h[1-6]$")) if h.get_text().startswith("not a heading")
    ] == []
    for table in soup.find_all("table"):
        widths = {len(tr.find_all(["td", "th"])) for tr in table.find_all("tr")}
        assert len(widths) == 1
    assert "<script>alert(1)</script>" in soup.get_text()
    assert [h for h in soup.find_all("h2") if h.get_text() == "Coverage"][1:] == []


@pytest.mark.parametrize("text", ["plain", "a ` b", "``x``", "`start", "end`"])
def test_md_code_round_trips_through_commonmark(text: str) -> None:
    """A code span holds any backtick run and renders back to the original text."""
    soup = md_to_soup(md_code(text))
    assert text == first_text(soup, "code")


def test_md_block_outgrows_backtick_fences_inside() -> None:
    """A fenced block holding ``` lines keeps them as content instead of closing early."""
    body = "a\n```\n# b\n````\nc"
    soup = md_to_soup(md_block(body) + "\n\nafter")
    assert body + "\n" == first_text(soup, "code")


def test_md_inline_escapes_markup() -> None:
    """Inline text loses its Markdown meaning: emphasis, links, pipes and tags stay literal."""
    soup = md_to_soup("x " + md_inline("*a* [l](u) | <b>t</b> # _u_"))
    assert soup.get_text().strip() == "x *a* [l](u) | <b>t</b> # _u_"


# ---------------------------------------------------------------- html


def html_soup(result: Result | None = None) -> BeautifulSoup:
    """The HTML report of ``result`` (default: the hostile one) parsed by html5lib."""
    return BeautifulSoup(render(result or make_result(), "html"), "html5lib")


def test_html_is_self_contained() -> None:
    """No script, stylesheet link, external image or font: the file opens offline."""
    soup = html_soup()
    assert soup.find_all("script") == []
    assert soup.find_all("link") == []
    assert [t for t in soup.find_all(src=True)] == []
    style = first_text(soup, "style")
    assert "@import" not in style and "url(" not in style
    external = {str(a["href"]).split("/logs/")[0] for a in soup.find_all("a", href=re.compile("^https?:"))}
    assert {"https://console.cloud.google.com"} == external


def test_html_has_the_sections_chart_and_collapsible_evidence() -> None:
    """Verdict, chart, whys first; every cited entry in a closed <details> holding its full text."""
    soup = html_soup()
    ids = [s["id"] for s in soup.find_all("section")]
    assert ids[:3] == ["verdict", "timeline-chart", "five-whys"]
    assert {
        "root-cause",
        "hypotheses",
        "findings",
        "remediation",
        "verification",
        "coverage",
        "evidence",
    } <= set(ids)
    assert soup.find("svg", class_="timeline-chart") is not None
    assert len(soup.select("div.why")) == 3
    entries = [d for d in soup.find_all("details") if str(d.get("id", "")).startswith("ev-")]
    assert TRACEBACK in [first_text(d, "pre") for d in entries]
    assert [d for d in soup.find_all("details") if d.has_attr("open")] == []


def test_html_shows_script_from_logs_as_text() -> None:
    """A log line carrying <script>alert(1)</script> appears as text and creates no element."""
    soup = html_soup()
    assert soup.find_all("script") == []
    assert "<script>alert(1)</script>" in soup.get_text()


def test_html_links_cited_entries_to_logs_explorer() -> None:
    """Each cited entry links to Logs Explorer by insertId and timestamp when the project is known."""
    soup = html_soup()
    hrefs = {a["href"] for a in soup.find_all("a", href=True)}
    assert logs_explorer_url("netra-staging", "insert0002", "2025-09-15T15:15:38.163074Z") in hrefs


def test_html_without_project_has_no_console_links() -> None:
    """Without a project, no Logs Explorer link can be built and none is shown."""
    soup = html_soup(make_result(project=None))
    assert soup.find_all("a", href=re.compile("console.cloud.google.com")) == []


def test_logs_explorer_url_encodes_the_query() -> None:
    """The query (quotes, newline, ';' in an insertId) is percent-encoded; the project is a parameter."""
    url = logs_explorer_url("my-proj", "s=1;i=2", "2025-09-15T15:15:38Z")
    assert url == (
        "https://console.cloud.google.com/logs/query;query=insertId%3D%22s%3D1%3Bi%3D2%22%0A"
        "timestamp%3D%222025-09-15T15%3A15%3A38Z%22;cursorTimestamp=2025-09-15T15:15:38Z"
        "?project=my-proj"
    )


# ---------------------------------------------------------------- text and json


def test_text_puts_the_chain_first_and_has_no_codes_without_colour() -> None:
    """Plain text: chain, then root cause, hypotheses, remediation; no escape sequence anywhere."""
    text = render(make_result(), "text")
    assert "\x1b" not in text and "\x07" not in text
    order = [text.index(s) for s in ("Five whys", "Root cause:", "Ruled out", "Remediation", "Verify")]
    assert sorted(order) == order
    assert "[bold]markup[/bold]" in text


def test_text_in_colour_uses_ansi_but_strips_escapes_from_logs() -> None:
    """With colour, rich adds SGR codes, but the log's own escapes (OSC title, colour) are gone."""
    text = render(make_result(), "text", color=True)
    assert "\x1b[1m" in text
    assert "\x1b]0;" not in text and "\x07" not in text
    assert "\x1b[31mred" not in text


def test_json_is_the_contract_json() -> None:
    """JSON is result.to_json() plus the verdict's derived numbers: sorted, indented, ending in a newline."""
    result = make_result()
    text = render(result, "json", redact=False)
    assert text == json.dumps(json_report(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert json_report(result) == result.to_json()  # no verdict: nothing to add


# ---------------------------------------------------------------- cross-format


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_redacts_by_default(fmt: str) -> None:
    """A DSN password in log text and in a command is masked in every format unless redaction is off."""
    assert "hunter2-s3cret" not in render(make_result(), fmt)
    assert "postgresql://app:***@10.107.1.3" in render(make_result(), fmt)
    assert "hunter2-s3cret" in render(make_result(), fmt, redact=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic(fmt: str) -> None:
    """Rendering the same result twice gives identical bytes."""
    assert render(make_result(), fmt) == render(make_result(), fmt)


def test_context_strings_are_cleaned_of_control_characters() -> None:
    """Every string of the context is free of escape and control characters (newlines and tabs kept)."""

    def strings(v: object) -> list[str]:
        if isinstance(v, str):
            return [v]
        if isinstance(v, dict):
            return [s for x in v.values() for s in strings(x)]
        if isinstance(v, list):
            return [s for x in v for s in strings(x)]
        return []

    found = strings(build_context(make_result()))
    assert [s for s in found if re.search("[\x00-\x08\x0b-\x1f\x7f]", s)] == []


def test_unknown_format_is_a_usage_error() -> None:
    """An unknown format name is reported, not silently defaulted."""
    with pytest.raises(UsageError, match="pdf"):
        render(make_result(), "pdf")


# ---------------------------------------------------------------- user templates


def test_user_template_sees_the_shared_context(tmp_path: Path) -> None:
    """A user template renders the documented context, redacted, with the report filters available."""
    tpl = tmp_path / "mine.md.j2"
    tpl.write_text(
        "{{ service }} {{ chain | length }} {{ root_cause.confidence_pct }} "
        "{{ chain[1].evidence[0].message | md_code }}\n"
    )
    out = render(make_result(), "markdown", template=tpl)
    assert out.startswith("netra-backend-staging 3 78% `Database initialization timeout")
    assert "***@" in out


def test_user_template_runs_sandboxed(tmp_path: Path) -> None:
    """A template reaching for Python internals fails with a usage error naming the template."""
    tpl = tmp_path / "evil.j2"
    tpl.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(UsageError, match=r"evil\.j2"):
        render(make_result(), "markdown", template=tpl)


def test_user_html_template_is_autoescaped(tmp_path: Path) -> None:
    """A user template named *.html.j2 escapes log text like the built-in HTML report."""
    tpl = tmp_path / "mine.html.j2"
    tpl.write_text("<p>{{ chain[1].evidence[1].message }}</p>{{ chart_svg }}")
    soup = BeautifulSoup(render(make_result(), "html", template=tpl), "html5lib")
    assert soup.find_all("script") == []
    assert soup.find("svg") is not None


def test_user_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    """A broken template is a usage error with its path and line."""
    tpl = tmp_path / "broken.j2"
    tpl.write_text("ok\n{% for x in %}\n")
    with pytest.raises(UsageError, match=r"broken.j2: line 2"):
        render(make_result(), "text", template=tpl)


# ---------------------------------------------------------------- generated examples


def test_generated_examples_carry_the_do_not_edit_header() -> None:
    """Markdown and HTML examples say they are generated and by what."""
    for path in sorted((ROOT / "reports" / "examples").glob("*.md")) + sorted(
        (ROOT / "reports" / "examples").glob("*.html")
    ):
        assert (
            "generated by scripts/render_examples.py, do not edit" in path.read_text(encoding="utf-8")[:200]
        )


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_compiled_templates_are_cached_and_a_broken_cache_changes_nothing(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The built-in templates are compiled once into the cache directory, and the report is the
    one an uncached run gives: after the other escaping's report was cached in the same directory,
    with the cache warm, with damaged cache files, and with a cache directory that cannot be made."""
    from rca.report import render as render_module

    def fresh(cache: Path, f: str = fmt) -> str:
        monkeypatch.setenv("RCA_CACHE_DIR", str(cache))
        render_module._environment.cache_clear()
        return render(make_result(), f)

    try:
        (tmp_path / "file").write_text("a file where the cache directory should be")
        uncached = fresh(tmp_path / "file")
        fresh(tmp_path / "cache", "markdown" if fmt == "html" else "html")
        assert fresh(tmp_path / "cache") == uncached
        compiled = sorted((tmp_path / "cache" / "templates").rglob("*.cache"))
        assert compiled and fresh(tmp_path / "cache") == uncached
        for path in compiled:
            path.write_bytes(b"not a compiled template")
        assert fresh(tmp_path / "cache") == uncached
    finally:
        render_module._environment.cache_clear()


def test_html_lines_from_the_shared_macros_are_escaped_once() -> None:
    """The verdict's trigger, root cause and summary lines come from the text macros that every
    format shares: in HTML their apostrophes, ampersands and angle brackets read as written."""
    from dataclasses import replace

    said = "The service's identity can't read <secret> & so on"
    result = make_result()
    result = replace(result, root_cause=replace(result.root_cause, summary=said))
    soup = BeautifulSoup(render(result, "html"), "html.parser")
    root_row = next(th.parent for th in soup.find_all("th") if th.get_text() == "Root cause")
    assert root_row.get_text().startswith("Root cause" + said)
    assert "&#39;" not in soup.get_text() and "&amp;" not in soup.get_text()


def test_a_paste_that_states_no_levels_is_not_said_to_have_no_errors(tmp_path: Path) -> None:
    """Plain pasted lines carry no severity: "0 entries at ERROR or above" would read as "nothing
    errored" beside an x509 failure, so every format says the levels are unstated instead; an input
    whose entries do state levels keeps its count."""
    from click.testing import CliRunner

    from rca.cli.main import main

    paste = tmp_path / "paste.txt"
    paste.write_text("psql: server closed the connection unexpectedly\n"
                     "2019/03/01 10:00:00 couldn't connect to \"p:r:i\": x509: failed to load system roots "
                     "and no roots provided\n", encoding="utf-8")
    levelled = tmp_path / "levelled.txt"
    levelled.write_text("2019-03-01 10:00:00 ERROR x509: failed to load system roots and no roots provided\n",
                        encoding="utf-8")
    said = {}
    for name, path in (("paste", paste), ("levelled", levelled)):
        for fmt in ("text", "markdown", "postmortem", "html"):
            out = CliRunner().invoke(main, ["analyze", "--service", "db", "--input", str(path),
                                            "--format", fmt]).output
            said[name, fmt] = ("states a severity" in out,
                               bool(re.search(r"\b0 entries (?:were logged )?at ERROR", out)))
    assert set(said[k] for k in said if k[0] == "paste") == {(True, False)}
    assert set(said[k] for k in said if k[0] == "levelled") == {(False, False)}
