"""Reports: one template context built from an analysis `Result`, rendered in every format.

Every format (and a user's own ``--template``) sees the same context, built in rca/report/context.py
and documented in docs/reports.md; the wording lives in ``reports/*.j2`` so that changing it is a
data change.
Before rendering, every string of the context is cleaned of terminal escape sequences and
control characters (log text is attacker-controlled) and, unless ``redact=False``, of secrets.
Each output format then escapes for its own syntax: jinja2 autoescape for HTML, the ``md*``
filters for Markdown, rich markup escaping for the terminal.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from rca.errors import UsageError
from rca.model import Status
from rca.report import presentation
from rca.report.context import headline, logs_explorer_url, pct, raw_context
from rca.report.presentation import EVIDENCE_MODES, short_id, shorten
from rca.report.redact import redact_obj
from rca.resources import cache_dir, data_dir
from rca.timeutil import parse_rfc3339, rfc3339

if TYPE_CHECKING:
    from rca.reasoning.analysis import Result

FORMATS = ("markdown", "html", "text", "json", "postmortem")
TEMPLATES = {
    "markdown": "markdown.md.j2",
    "html": "html.html.j2",
    "text": "text.txt.j2",
    "postmortem": "postmortem.md.j2",
}
_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|.)?"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def render(
    result: Result,
    fmt: str,
    *,
    redact: bool = True,
    template: Path | None = None,
    color: bool = False,
    evidence: str = "brief",
) -> str:
    """Render ``result`` as ``fmt`` (one of FORMATS), redacting secrets unless told not to.

    With ``template``, that jinja2 file renders the shared context in a sandbox instead of the
    built-in template (``fmt`` then only decides whether the chart is drawn: it is, for html).
    ``evidence="all"`` puts every cited entry, in full, in the appendix instead of the first few.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if evidence not in EVIDENCE_MODES:
        raise UsageError(f"unknown evidence mode {evidence!r}; choose one of {', '.join(EVIDENCE_MODES)}")
    if fmt == "json" and template is None:
        data = json_report(result)
        return (
            json.dumps(redact_obj(data) if redact else data, indent=2, sort_keys=True, ensure_ascii=False)
            + "\n"
        )
    ctx = build_context(result, redact=redact, chart=fmt == "html" or template is not None, evidence=evidence)
    if template is not None:
        return _render_user(template, ctx)
    text = _environment(fmt == "html").get_template(TEMPLATES[fmt]).render(ctx)
    return _terminal(text, color) if fmt == "text" else text


def json_report(result: Result) -> dict[str, Any]:
    """``result.to_json()`` with the verdict's derived numbers (duration, peak error rate) in ``status``."""
    data = result.to_json()
    if data.get("status") is not None:
        series = [{"bucket": p.bucket, "series": p.series, "count": p.count} for p in result.timeline]
        shown = presentation.verdict(
            data["status"] | {"code": data["status"]["state"]}, data["window"], series
        )
        data["status"] = data["status"] | {
            "duration_s": shown["duration_s"],
            "peak_error_rate": shown["peak_error_rate"],
        }
    return data


# --------------------------------------------------------------------------- environments


def _filters(html: bool = False) -> dict[str, Callable[..., Any]]:
    return {
        "short": short_html if html else shorten,
        "short_id": short_id,
        "when": when,
        "stamp": stamp,
        "md": md_inline,
        "md_code": md_code,
        "md_block": md_block,
        "headline": headline,
        "pct": pct,
        "rich": rich_escape,
        "shell": shlex.quote,
    }


def _configure(env: jinja2.Environment, html: bool = False) -> jinja2.Environment:
    env.filters.update(_filters(html))
    return env


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """The built-in templates compiled, under ``<cache dir>/templates/<kind>/`` (keyed by each
    template's name and source, so an edited template is compiled afresh): compiling the text
    report's templates cost 0.04 s of every run. The code depends on the environment too (HTML's
    autoescaping is compiled in), so each environment has its own directory. A cache that cannot
    be read or written is only a slower run."""

    def __init__(self, kind: str) -> None:
        super().__init__(str(cache_dir() / "templates" / kind))

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            Path(self.directory).mkdir(mode=0o700, parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


@lru_cache(maxsize=2)
def _environment(html: bool) -> jinja2.Environment:
    """The built-in templates' environment; autoescape only for HTML."""
    return _configure(
        jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(data_dir("reports"))),
            bytecode_cache=_CompiledTemplates("html" if html else "plain"),
            undefined=jinja2.StrictUndefined,
            autoescape=html,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        ),
        html,
    )


def _autoescape_user(name: str | None) -> bool:
    base = (name or "").removesuffix(".j2").removesuffix(".jinja")
    return base.endswith((".html", ".htm", ".xml", ".svg"))


def _render_user(path: Path, ctx: Mapping[str, Any]) -> str:
    """Render a user's template in a sandbox: a template path is user input, so it gets no Python access."""
    env = _configure(
        SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(path.resolve().parent)),
            undefined=jinja2.StrictUndefined,
            autoescape=_autoescape_user,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    )
    try:
        return env.get_template(path.name).render(ctx)
    except jinja2.TemplateSyntaxError as exc:
        raise UsageError(f"--template {path}: line {exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateError as exc:  # includes the sandbox's SecurityError
        raise UsageError(f"--template {path}: {type(exc).__name__}: {exc}") from exc


def _terminal(markup: str, color: bool) -> str:
    """Turn the text template's rich markup into ANSI colour, or into plain text without any codes."""
    from rich.console import Console
    from rich.text import Text

    text = Text.from_markup(markup)
    if not color:
        return text.plain
    buf = io.StringIO()
    Console(
        file=buf,
        force_terminal=True,
        color_system="standard",
        width=120,
        soft_wrap=True,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    ).print(text, end="")
    return buf.getvalue()


# --------------------------------------------------------------------------- filters


@jinja2.pass_context
def when(ctx: Any, ts: str | None) -> str:
    """A time to the second for prose: ``14:38:35``, with the date when it is not the window's first day."""
    if not ts:
        return "?"
    day = str((ctx.get("window") or {}).get("start") or "")[:10]
    clock = ts[11:19] if len(ts) >= 19 else ts
    return clock if ts[:10] == day else f"{ts[:10]} {clock}"


def stamp(ts: str | None) -> str:
    """A full time to the second: ``2025-09-15 14:38:35 UTC``."""
    return f"{ts[:10]} {ts[11:19]} UTC" if ts and len(ts) >= 19 else (ts or "?")


def short_html(value: Any) -> Markup:
    """``shorten`` for HTML: each long id becomes ``<abbr title="full">prefix…</abbr>``, the rest escaped.

    A line the shared text macros built (`_macros.j2`) arrives escaped already, as Markup: it is
    unescaped first, or its apostrophes would show as ``&#39;``."""
    plain = value.unescape() if isinstance(value, Markup) else str(value)
    text, out, pos = presentation.shorten_times(plain), [], 0
    for m in presentation.LONG_ID.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append(
            Markup('<abbr title="{}">{}</abbr>').format(m.group(0), presentation.short_token(m.group(0)))
        )
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def md_inline(value: Any) -> str:
    """Markdown-escape ``value`` for inline use (paragraphs, headings, table cells): one line, no markup."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> str:
    """A one-line Markdown code span of ``value``, its delimiter longer than any backtick run inside."""
    text = " ".join(str(value).split())
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_block(value: Any, lang: str = "text") -> str:
    """A fenced Markdown code block holding ``value`` verbatim; its fence outgrows any backtick run inside."""
    text = str(value).rstrip("\n")
    runs = [len(r) for r in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def rich_escape(value: Any) -> str:
    """Escape ``value`` so that rich prints it literally (no markup from log text).

    Every ``[`` is escaped, not only those that close into a tag within ``value`` (rich's own
    `escape`): a line cut short (``... servlet [dispatcherS…``) would otherwise open a tag that
    the next line's ``]`` closes, and swallow the text between. Backslashes before a ``[`` are
    doubled so they stay text, and a trailing one cannot escape the template's next tag."""
    text = _BEFORE_BRACKET.sub(lambda m: m.group(1) * 2 + "\\[", str(value))
    return text + "\\" if text.endswith("\\") and not text.endswith("\\\\") else text


_BEFORE_BRACKET = re.compile(r"(\\*)\[")


def clean(text: str) -> str:
    """Drop terminal escape sequences, control and bidi-override characters; keep newlines and tabs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", _ESCAPES.sub("", text))


def _clean_obj(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {(clean(k) if isinstance(k, str) else k): _clean_obj(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_obj(v) for v in value]
    return value


# --------------------------------------------------------------------------- context


def build_context(
    result: Result, *, redact: bool = True, chart: bool = False, evidence: str = "brief"
) -> dict[str, Any]:
    """The template context (documented in docs/reports.md), cleaned and, by default, redacted."""
    ctx: dict[str, Any] = _clean_obj(raw_context(result, redact=redact, evidence=evidence))
    if redact:
        ctx = redact_obj(ctx)
    ctx["chart_svg"] = Markup(_chart(result)) if chart else Markup("")
    return ctx


def _chart(result: Result) -> str:
    """The timeline chart: the chain's findings first, earlier noise last, deploys and onset marked."""
    from rca.report.chart import timeline_svg

    on_chain = {link.pattern_id for link in result.chain if link.pattern_id}
    relevance = {
        f.pattern_id: 0 if f.pattern_id in on_chain else 2 if f.status is Status.PRE_EXISTING else 1
        for f in result.findings
    }
    points: Iterable[tuple[str, str, int]] = ((p.bucket, p.series, p.count) for p in result.timeline)
    deploys = [d.timestamp for d in result.deploys.deploys if d.timestamp and _inside(d.timestamp, result)]
    onset = result.verdict.onset if result.verdict else None
    return timeline_svg(
        list(points),
        rfc3339(result.window.start),
        rfc3339(result.window.end),
        relevance=relevance,
        deploys=deploys,
        onset=onset,
    )


def _inside(moment: str, result: Result) -> bool:
    start, end = result.window.start, result.window.end
    t = parse_rfc3339(moment)
    return (start is None or start <= t) and (end is None or t <= end)


__all__ = [
    "FORMATS",
    "build_context",
    "clean",
    "headline",
    "logs_explorer_url",
    "md_block",
    "md_code",
    "md_inline",
    "pct",
    "render",
]
