"""What a traceback looks like as text, per runtime: the line rules that group lines, and the parsers.

Pure text in, values out; rca/engine/tracebacks.py does the table work around it (picks the
candidate rows in DuckDB, builds `events`). Python, Node, Go, Java and .NET each have their own rules.

The scan follows each runtime's grammar rather than bare adjacency: two tracebacks printed back
to back on one instance stay apart, and the `ERROR:    Application startup failed. Exiting.`
after a traceback is not swallowed by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

FREE_TEXT_GAP_US = 1_000  # unmarked message continuation: written by the same write() call

# Chaining words as Python prints them; the key is what `RaisedException.via` holds.
CHAIN_WORDS = {
    "cause": "The above exception was the direct cause of the following exception:",
    "context": "During handling of the above exception, another exception occurred:",
}

_PY_HEAD = re.compile(r"Traceback \(most recent call last\):\s*$")
_BARE_HEAD = re.compile(r"^\s*(?:\+ Exception Group )?Traceback \(most recent call last\):\s*$")
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_CHAIN = re.compile(
    rf"^\s*(?:(?P<cause>{re.escape(CHAIN_WORDS['cause'])})|(?P<context>{re.escape(CHAIN_WORDS['context'])}))\s*$"
)
CARET_LINE = re.compile(r"^\s*[\^~]+[\^~\s]*$")  # Python 3.11+ position markers under a frame's code
_BOX = re.compile(r"^(?P<indent> *)(?P<bar>[|+])(?P<rest>.*)$")
# (a Java type may be nested: `io.netty.channel.unix.Errors$NativeIoException`)
_EXC_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)*)(?::(?: (?P<msg>.*))?)?$")
_MSG_CONTINUES = re.compile(
    r"^(?:\(Background on this error at: |\[SQL: |\[parameters: |DETAIL: |HINT: |CONTEXT: )"
)
_RECORD = re.compile(
    r"""(?x)^(?:
      \[?\d{4}-\d\d-\d\d[T\ ]\d\d:\d\d                        # leading timestamp
    | \[?(?:TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|CRITICAL|FATAL|ALERT|EMERGENCY)\]?[:\s]  # level word
    | [A-Z][a-z]{2}\ {1,2}\d{1,2}\ \d\d:\d\d                  # syslog
    | [{\[]                                                   # JSON line
    | (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\ \S         # request line
    )"""
)
_INTRO = re.compile(r"(?i)\b(?:error|exception|critical|fatal|failed|failure|unhandled|uncaught|traceback)\b")
_EXC_LIKE = re.compile(r"^(?:Uncaught )?[\w.$]*(?:Error|Exception|Throwable)\b")
# A Node error printed after a logger's own words, as `console.error(prefix, err.stack)` prints
# it: ioredis' "[ioredis] Unhandled error event: Error: read ECONNRESET" (lib/Redis.ts silentEmit),
# then the stack's `    at` lines as entries of their own. The error's type follows a colon or a
# space; group 1 is the type, group 2 the message.
_NODE_PREFIXED = re.compile(r"(?:^|[\s:])((?:Uncaught )?[\w.$]*(?:Error|Exception)(?: \[\w+\])?): (.*)$")
_JAVA_HEAD = re.compile(r'^Exception in thread "[^"]*" ')
# java.util.logging's SimpleFormatter, in its default format (`%1$tb %1$td, %1$tY %1$tl:%1$tM:%1$tS
# %1$Tp %2$s%n%4$s: %5$s%6$s%n`, java.logging's logging.properties): a record is a line of the time,
# class and method, a line of its level and message, then the throwable it was given. gRPC and
# Google's client libraries for Java log through it, and Cloud Run and GKE keep each stderr line an
# entry at ERROR whatever the record's level: grpc-java logs a client's reset connection as an INFO
# record with its exception (NettyServerTransport's "Transport failed"). The record's level is its
# lines' (`Group.level`).
_JUL_HEAD = re.compile(r"^[A-Z][a-z]{2} \d\d, \d{4} \d{1,2}:\d\d:\d\d [AP]M \S+(?: \S+)?$")
_JUL_LEVEL = re.compile(r"^(?P<level>SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ")
JUL_LEVELS = {"SEVERE": "ERROR", "WARNING": "WARNING", "INFO": "INFO", "CONFIG": "INFO", "FINE": "DEBUG",
              "FINER": "DEBUG", "FINEST": "DEBUG"}
_JAVA_AT = re.compile(r"^\s*at (?P<func>[\w$./<>-]+)\((?P<loc>[^()]*)\)(?:\s+~?\[[^\]]*\])?\s*$")
# ... and the lines between frames: elided frames, causes, suppressed exceptions, and the assembly
# trace Reactor adds to an error (reactor-core FluxOnAssembly: "Error has been observed at the
# following site(s):", its checkpoints `*__checkpoint ⇢ ...` and `|_ checkpoint ⇢ ...`, then
# "Original Stack Trace:" over the frames), which Spring WebFlux prints with every 500 it logs
_JAVA_MORE = re.compile(r"^\s*(?:\.\.\. \d+ (?:more|common frames omitted)|Caused by: |Suppressed: "
                        r"|Error has been observed at the following site\(s\):|Original Stack Trace:"
                        r"|(?:\*__|\|_ ) ?checkpoint ⇢ )")
# The record line a Java logger prints before the throwable it logs: Spring Boot's default console
# pattern (`2024-03-09 02:14:29.812 ERROR 1 --- [epoll-1] a.w.r.e.AbstractErrorWebExceptionHandler :
# ...`, since 3.x with the application's name in brackets too) and logback's default (`18:29:44.767
# [thread] ERROR logger - ...`), at ERROR or WARN. Split one entry per line, it is the record's
# first line, and what it says (`Operator called default onErrorDropped`, `Servlet.service() ...
# threw exception`) is read with the exception under it (held-out IJ08).
_JAVA_RECORD = re.compile(r"^\S+(?: \S+)? +(?:ERROR|WARN) +\d+ --- \["
                          r"|^\d\d:\d\d:\d\d\.\d+ \[[^\]]+\] (?:ERROR|WARN) ")
_NODE_AT = re.compile(r"^\s+at (?:(?P<func>.+?) \((?P<loc>[^()]+)\)|(?P<bare>\S+))(?:\s*\{)?\s*$")
_NODE_PRELUDE = re.compile(r"^(?:/\S+\.[cm]?[jt]s|node:internal/\S+):\d+$")
# Bun prints an error (uncaught, or given to console.error) as `error: <message>` with its
# properties indented below it, one per line (oven-sh/bun#1425, #2802: `error: Unable to connect. Is
# the computer able to access the url?` then `  path: "http://localhost:8081/v1/rates",`, ` errno:
# 0,`, `  code: "ConnectionRefused"`): split one entry per line, they are one error (held-out LL07,
# whose refused loopback address was in a line of its own). Only with a property under it: an
# `error: ...` line above a Node stack's frames names no error (`_error_header`).
_BUN_ERROR = re.compile(r"^error: \S")
_BUN_PROPERTY = re.compile(r"^\s+[\w$]+: ")
_NODE_TAIL = re.compile(r"^(?:[{}\]]|Node\.js v\d)")
_GO_HEAD = re.compile(r"^(?:panic|fatal error): ")
# What Python's warnings module prints (warnings.formatwarning: "%s:%s: %s: %s\n" % (filename,
# lineno, category, message), then the offending source line indented by two spaces), in one write:
# a warning's own two lines, which Cloud Run's stderr splits into two entries at ERROR. Read apart,
# the source line (`  await self._redis.close()`) is an unexplained error of its own (held-out MW09).
_PY_WARNING = re.compile(r"^\S[^\n]*:\d+: [A-Z]\w*Warning: ")
_GO_LINE = re.compile(r"^(?:goroutine \d+ \[.*\]:|created by |\[signal |exit status \d+|[^\s(]+\(.*\)$)")
_GO_FILE = re.compile(r"^\t(?P<file>\S+\.go):(?P<line>\d+)")
# A goroutine dump with no `panic:` line of its own: a panic that net/http (or a middleware)
# recovered, logged as `http: panic serving <addr>: <msg>` just before the dump.
_GO_DUMP = re.compile(r"^goroutine \d+ \[")
_GO_PANIC_INTRO = re.compile(r"\bpanic\b")
# .NET, as Exception.ToString() prints it (dotnet/runtime System.Private.CoreLib Exception.cs,
# Diagnostics/StackTrace.cs): `Npgsql.PostgresException (0x80004005): message` (the HRESULT, or a
# SocketException's error code: `(111)`), ` ---> Inner: message` for each exception it wraps (on
# the same line before .NET Core 3.0), frames `   at Ns.Type.Method(Boolean async, CancellationToken
# token) in /src/File.cs:line 42`, the innermost exception's first, each inner block closed by
# `   --- End of inner exception stack trace ---`, and `--- End of stack trace from previous
# location ---` between the frames of an async call. The console logger's
# simple formatter (Microsoft.Extensions.Logging.Console SimpleConsoleFormatter.cs) writes a
# record's head `fail: Category[EventId]` on a line of its own and its message and exception
# indented below it; Cloud Run and `kubectl logs` keep each line an entry of its own.
_DOTNET_AT = re.compile(
    r"^\s*at (?P<func>[^\s()]+)\((?P<args>[^()]*)\)(?: in (?P<file>.+):line (?P<line>\d+))?\s*$"
)
# A .NET frame names its parameters by type and name (`Boolean async, String sku`) or has none;
# a Java frame's parentheses hold a place (`Foo.java:12`, `Native Method`, `Unknown Source`).
_DOTNET_PARAMS = re.compile(r"^(?:[\w.`\[\]<>&*]+(?:,[\w.`\[\]<>&*]+)* \w+(?:, (?=\S)|$))*$")
_JAVA_PLACES = frozenset({"Native Method", "Unknown Source"})
_DOTNET_MARK = re.compile(r"^\s*(?:---> |--- End of )")
_DOTNET_CODE = r"(?: \((?:0x[0-9A-Fa-f]+|-?\d+)\))?"  # the HRESULT or error code after the type
_DOTNET_EXC = re.compile(rf"^(?P<type>[A-Za-z_][\w.`]*){_DOTNET_CODE}: (?P<msg>.*)$")
_DOTNET_HEAD = re.compile(
    rf"^\s*(?:Unhandled exception\. )?[A-Za-z_][\w.`]*(?:Exception|Error){_DOTNET_CODE}: "
)
_DOTNET_CONSOLE = re.compile(r"^(?:fail|crit): [\w.`+<>-]+\[-?\d+\]\s*$")


def _dotnet_frame(text: str) -> re.Match[str] | None:
    """A .NET stack frame line (told from a Java one by what its parentheses hold), else None."""
    at = _DOTNET_AT.match(text)
    if at is None or at["file"] is not None:
        return at
    args = at["args"]
    return at if args not in _JAVA_PLACES and _DOTNET_PARAMS.match(args) else None


# ---------------------------------------------------------------- pre-filters from the same grammar
# Two engines pick lines before this module's scan sees them: DuckDB (RE2 over every entry of a
# store: the rows that can start or carry a traceback; rca/engine/tracebacks.py adds their
# neighbours) and Cloud Logging (a live filter for traceback lines written at DEFAULT severity,
# which the severity clauses would not fetch). Their regexes live here, beside the rules they
# serve, and reuse those rules' own sources where the dialects agree, so a change to what a
# traceback looks like is made in one module.

CANDIDATE_RE2 = "|".join(
    (
        r"Traceback \(most recent call last\)",
        r"^\s", r"^$", r"^[|+]",
        r"^During handling of the above exception", r"^The above exception was the direct cause",
        _GO_HEAD.pattern, r"^goroutine \d+ \[", r"^created by ", r"^\[signal ", r"^exit status \d",
        r"^Exception in thread ", r"^Caused by: ", r"^Node\.js v\d", r"^}$", r"^--- End of ",
        r"^Error has been observed at the following site", r"^Original Stack Trace:",
        r"^(?:\*__|\|_ ) ?checkpoint ",
        r"^\S+(?: \S+)? +(?:ERROR|WARN) +\d+ --- \[", r"^\d\d:\d\d:\d\d\.\d+ \[[^\]]+\] (?:ERROR|WARN) ",
        _NODE_PRELUDE.pattern, _BUN_ERROR.pattern, _PY_WARNING.pattern,
        r"^(?:Uncaught )?[\w.$]*(?:Error|Exception|Exit|Interrupt|Warning)\b",
        r"\n\s*at \S", r"\ngoroutine \d+ \[",
    )
)  # fmt: skip
"""Lines (RE2, searched) that may belong to a traceback: DuckDB keeps only these for the scan."""

_PY_SPACE_RE2 = r"[\s\v\x{1c}-\x{1f}\x{85}\pZ]"
r"""Python's `\s` (what str.isspace() accepts) in RE2, whose own `\s` is ASCII only."""

START_RE2 = "|".join(
    (
        r"Traceback \(most recent call last\):",  # _PY_HEAD
        rf'^{_PY_SPACE_RE2}*File "',  # _PY_FRAME
        rf"^{_PY_SPACE_RE2}*at ",  # _JAVA_AT, _NODE_AT
        r'^Exception in thread "',  # _JAVA_HEAD
        _GO_HEAD.pattern,
        _GO_DUMP.pattern,
        r"^(?:/\S+\.[cm]?[jt]s|node:internal/\S+):",  # _NODE_PRELUDE without its line number
        _BUN_ERROR.pattern,
        _PY_WARNING.pattern,
        r"^(?:fail|crit): ",  # _DOTNET_CONSOLE
        r"\n",  # a multi-line entry may hold a whole traceback
    )
)
"""Lines (RE2, searched) where `scan` may start a traceback, or that may hold a whole one: a run
of adjacent candidate rows with none of them yields no event, and DuckDB drops it before the scan.
Each alternative is a prefix of the rule it stands for in `_start`, so it accepts every line that
rule accepts (RE2 and Python differ on `$` and on non-ASCII digits; prefixes avoid both)."""

TRACEBACK_LINE_RE = (
    r"^(Traceback \(most recent call last\):"
    r'|  File "'
    r"|    \S"
    r"|[A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Exit|Interrupt)(: |$)"
    r"|During handling of the above exception"
    r"|The above exception was the direct cause"
    r"|\tat |   at \S+\(|Caused by: |panic: |goroutine \d+ \[)"
)
"""Lines of a traceback (Python, Java, .NET, Go) written at DEFAULT severity, one entry per line: the
Cloud Logging filter a live fetch uses to read them (rca/sources/cloud/queries.py)."""

# ---------------------------------------------------------------- parsed tracebacks


@dataclass(frozen=True)
class RaisedException:
    """One exception of a chain: its type, message, own frames and the words that chained it.

    `via` holds the words that introduced it where it was printed: "cause" (the exception
    printed before it was its direct cause, `raise ... from`), "context" (it was raised while
    handling that one), "group" (printed as a member of an exception group) or None.
    """

    type: str
    message: str
    frames: tuple[str, ...] = ()
    via: str | None = None


@dataclass(frozen=True)
class ParsedTraceback:
    """A traceback's exception chain (innermost first), all frames in printed order, and its runtime."""

    runtime: str
    chain: tuple[RaisedException, ...] = ()
    frames: tuple[str, ...] = ()
    intro: str = ""

    @property
    def exc_types(self) -> list[str]:
        """Exception types, innermost first."""
        return [exc.type for exc in self.chain]

    @property
    def exc_messages(self) -> list[str]:
        """Exception messages, innermost first."""
        return [exc.message for exc in self.chain]


@dataclass
class _Printed:
    """An exception as printed, before the chain is put innermost first."""

    depth: int
    via: str | None
    frames: list[str]
    type: str = ""
    lines: list[str] = field(default_factory=list)
    children: list[_Printed] = field(default_factory=list)

    def freeze(self) -> RaisedException:
        return RaisedException(self.type, "\n".join(self.lines).rstrip(), tuple(self.frames), self.via)


def _frame(file: str, line: str | None, func: str | None) -> str:
    """The `file:line in func` form shared by every runtime."""
    where = f"{file}:{line}" if line else file
    return f"{where} in {func}" if func else where


def _unbox(raw: str) -> tuple[int, str | None]:
    """Strip an exception-group box prefix: (nesting depth, content); content None for a separator."""
    box = _BOX.match(raw)
    if not box:
        return 0, raw
    depth = max(len(box["indent"]) // 2 - 1, 0)
    rest = box["rest"]
    if box["bar"] == "+" and not rest.strip("-+ 0123456789"):
        return depth, None
    return depth, rest[1:] if rest.startswith(" ") else rest


def _split_exc(line: str) -> tuple[str, str]:
    """`pkg.ExcType: message` -> (type, message); a line of another shape is all message."""
    match = _EXC_LINE.match(line.strip())
    if not match:
        return "", line.strip()
    return match["type"], match["msg"] or ""


def _python_lines(text: str) -> Iterator[tuple[int, str | None]]:
    """Lines with their exception-group depth (0 outside groups); None marks a box separator."""
    grouped = "Exception Group Traceback" in text
    for raw in text.splitlines():
        yield _unbox(raw) if grouped else (0, raw)


def parse_python_traceback(text: str) -> ParsedTraceback:
    """Parse Python traceback text: exception chain innermost first, with its chaining words, and frames.

    Python prints a chain from the innermost cause to the outermost exception, so printed order
    is kept; exception-group members are placed before the group that holds them.
    """
    printed: list[_Printed] = []
    intro: list[str] = []
    state: str = "intro"
    via: str | None = None
    frames: list[str] = []
    all_frames: list[str] = []
    for depth, line in _python_lines(text):
        if line is None:
            state, frames, via = "frames", [], "group"
            continue
        chain, frame, head = _CHAIN.match(line), _PY_FRAME.match(line), _PY_HEAD.search(line)
        if head:
            if state == "intro":
                intro.append(line[: head.start()].rstrip())
            state, frames = "frames", []
        elif chain:
            state, via = "between", "cause" if chain["cause"] else "context"
        elif state == "intro":
            intro.append(line)
        elif state == "frames" and frame:
            frames.append(_frame(frame["file"], frame["line"], frame["func"]))
            all_frames.append(frames[-1])
        elif state == "frames" and line.strip() and not line[:1].isspace():
            exc_type, message = _split_exc(line)
            printed.append(_Printed(depth, via, frames, exc_type, [message]))
            state, via = "exc", None
        elif state == "exc":
            printed[-1].lines.append(line)
    chain_out = tuple(exc.freeze() for exc in _innermost_first(printed))
    return ParsedTraceback("python", chain_out, tuple(all_frames), "\n".join(s for s in intro if s))


def _innermost_first(printed: Sequence[_Printed]) -> list[_Printed]:
    """Nest exception-group members under their group, then list each group after its members."""
    roots: list[_Printed] = []
    stack: list[_Printed] = []
    for item in printed:
        while stack and stack[-1].depth >= item.depth:
            stack.pop()
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)

    def flatten(items: list[_Printed]) -> Iterator[_Printed]:
        for item in items:
            yield from flatten(item.children)
            yield item

    return list(flatten(roots))


def _header_index(lines: Sequence[str], frame_re: re.Pattern[str]) -> int | None:
    """The line just before the first frame (the exception header), None when frames come first."""
    first = next((i for i, line in enumerate(lines) if frame_re.match(line)), len(lines))
    return first - 1 if first > 0 else None


def _parse_java(text: str) -> ParsedTraceback:
    """Java: the header exception is the outermost, each `Caused by:` one level further in."""
    lines = text.splitlines()
    head = _header_index(lines, _JAVA_AT)
    if head is None and len(lines) > 2 and _JUL_HEAD.match(lines[0]) and _JUL_LEVEL.match(lines[1]):
        head = 2  # a java.util.logging record's throwable printed without frames
    printed: list[_Printed] = []
    frames: list[str] = []
    for line in lines[head or 0 :]:
        at = _JAVA_AT.match(line)
        if at:
            file, _, number = at["loc"].partition(":")
            frames.append(_frame(file, number or None, at["func"]))
            if printed:
                printed[-1].frames.append(frames[-1])
        elif (head is not None and not printed) or line.startswith("Caused by: "):
            exc_type, message = _split_exc(_JAVA_HEAD.sub("", line.removeprefix("Caused by: ")))
            printed.append(_Printed(0, None, [], exc_type, [message]))
    chain = tuple(
        RaisedException(p.type, p.lines[0], tuple(p.frames), "cause" if i else None)
        for i, p in enumerate(reversed(printed))
    )
    return ParsedTraceback("java", chain, tuple(frames), "\n".join(lines[: head or 0]))


def _parse_node(text: str) -> ParsedTraceback:
    """Node: one `Error: message` line followed by `    at fn (file:line:col)` frames."""
    lines = text.splitlines()
    head = _header_index(lines, _NODE_AT)
    frames: list[str] = []
    for line in lines[(head or 0) :]:
        at = _NODE_AT.match(line)
        if at:
            loc = at["loc"] or at["bare"]
            file, line_no = loc.rsplit(":", 2)[:2] if loc.count(":") >= 2 else (loc, None)
            func = at["func"].removeprefix("async ") if at["func"] else None
            frames.append(_frame(file, line_no, func))
    exc_type, message = _split_node_error(lines[head]) if head is not None else ("", "")
    chain = (RaisedException(exc_type, message, tuple(frames)),) if exc_type else ()
    return ParsedTraceback("node", chain, tuple(frames), "\n".join(lines[: head or 0]))


def _split_node_error(line: str) -> tuple[str, str]:
    """`TypeError: msg`, `Error [ERR_X]: msg`, `Uncaught Error: msg` or a logger's
    `prefix: Error: msg` -> (type, message)."""
    body = line.strip().removeprefix("Uncaught ")
    exc_type, sep, message = body.partition(": ")
    if sep and " " not in exc_type.replace(" [", "["):
        return exc_type, message
    prefixed = _NODE_PREFIXED.search(body)
    return (prefixed[1].removeprefix("Uncaught "), prefixed[2]) if prefixed else ("", body)


def _parse_go(text: str) -> ParsedTraceback:
    """Go: `panic: msg` (and nested `panic:` lines when recovered and re-panicked), goroutine frames."""
    chain: list[RaisedException] = []
    frames: list[str] = []
    func: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        head = _GO_HEAD.match(stripped)
        file = _GO_FILE.match(line)
        if head:
            kind = head.group(0)[:-2]
            message = stripped[len(head.group(0)) :].removesuffix(" [recovered]")
            chain.append(RaisedException(kind, message, (), "context" if chain else None))
        elif file:
            frames.append(_frame(file["file"], file["line"], func))
        elif line.startswith("created by "):
            func = line.removeprefix("created by ").split(" in goroutine ")[0]
        elif _GO_LINE.match(line) and line.endswith(")") and not line.startswith("goroutine"):
            func = line[: line.rfind("(")]
    return ParsedTraceback("go", tuple(chain), tuple(frames))


def _parse_dotnet(text: str) -> ParsedTraceback:
    """.NET: the exception line is the outermost, each ` ---> ` one level further in; the frame
    blocks come innermost first, each inner one closed by `--- End of inner exception stack trace`."""
    lines = text.splitlines()
    head = next((i for i, line in enumerate(lines) if _DOTNET_HEAD.match(line)), None)
    if head is None:
        frames = tuple(_dotnet_frame_text(at) for line in lines if (at := _dotnet_frame(line)))
        intro = "\n".join(line for line in lines if not _dotnet_frame(line))
        return ParsedTraceback("dotnet", (), frames, intro)
    printed = [_split_dotnet(part) for part in lines[head].strip().removeprefix("Unhandled exception. ")
               .split(" ---> ")]
    blocks: list[list[str]] = [[]]
    for line in lines[head + 1 :]:
        stripped = line.strip()
        if stripped.startswith("---> "):
            printed.append(_split_dotnet(stripped.removeprefix("---> ")))
        elif stripped.startswith("--- End of inner exception stack trace"):
            blocks.append([])
        elif (at := _dotnet_frame(line)) is not None:
            blocks[-1].append(_dotnet_frame_text(at))
    blocks += [[] for _ in range(len(printed) - len(blocks))]
    chain = tuple(
        RaisedException(exc_type, message, tuple(blocks[i]), "cause" if i else None)
        for i, (exc_type, message) in enumerate(reversed(printed))
    )
    frames = tuple(frame for block in blocks for frame in block)
    return ParsedTraceback("dotnet", chain, frames, "\n".join(line.strip() for line in lines[:head]))


def _split_dotnet(text: str) -> tuple[str, str]:
    """`Ns.TypeException (0x80004005): message` -> (type, message); another shape is all message."""
    match = _DOTNET_EXC.match(text.strip())
    return (match["type"], match["msg"]) if match else ("", text.strip())


def _dotnet_frame_text(at: re.Match[str]) -> str:
    """A .NET frame in the shared `file:line in function` form (the function alone without a file)."""
    return _frame(at["file"], at["line"], at["func"]) if at["file"] else at["func"]


_PARSERS = {"python": parse_python_traceback, "java": _parse_java, "node": _parse_node, "go": _parse_go,
            "dotnet": _parse_dotnet}


def detect_runtime(text: str) -> str | None:
    """Which runtime printed this multi-line text as a traceback, or None when it is not one."""
    if "Traceback (most recent call last):" in text:
        return "python"
    lines = text.splitlines()
    if any(_GO_HEAD.match(line) for line in lines) and any(line.startswith("goroutine ") for line in lines):
        return "go"
    if any(_dotnet_frame(line) for line in lines[1:]):
        return "dotnet"
    if any(_JAVA_AT.match(line) for line in lines[1:]):
        return "java"
    if any(_NODE_AT.match(line) for line in lines[1:]):
        return "node"
    return None


def parse_traceback(text: str, runtime: str | None = None) -> ParsedTraceback | None:
    """Parse a traceback of any supported runtime (detected when not given); None when not one."""
    runtime = runtime or detect_runtime(text)
    return _PARSERS[runtime](text) if runtime in _PARSERS else None


# ---------------------------------------------------------------- grouping scan


class Row(NamedTuple):
    """One candidate row as the scan sees it (a named tuple: a storm brings 100,000s of them, and a
    tuple is built about three times faster than a frozen dataclass)."""

    entry_id: int
    key: int  # the stream's number
    pos: int
    linked: bool  # close enough in time / line to the previous row of its stream
    gap_us: int | None
    severity_num: int
    text: str


@dataclass
class Group:
    """A traceback being assembled: its rows, runtime and where in the grammar it stands."""

    runtime: str
    phase: str
    rows: list[Row]
    boxed: bool = False
    level: str | None = None  # the level the record states for all its lines (java.util.logging's)

    def accepts(self, row: Row, nxt: Row | None) -> bool:
        """Whether `row` continues this traceback; advances the grammar state when it does."""
        return bool(_ACCEPT[self.runtime](self, row.text, row, nxt))


def _follows(prev: Row | None, row: Row) -> bool:
    """`row` comes right after `prev` in the same stream, close in time (or line, for text)."""
    return prev is not None and row.linked and prev.key == row.key and prev.pos + 1 == row.pos


def _py_accept(group: Group, text: str, row: Row, nxt: Row | None) -> bool:
    if group.phase == "warning":
        # (a warning's source line, once: `_start` saw it follow in the same write)
        group.phase = "warned"
        return text[:2] == "  "
    if group.phase == "warned":
        return False
    if group.boxed and _BOX.match(text):
        return True
    if group.phase == "marker":
        if _PY_HEAD.search(text):
            group.phase, group.boxed = "frames", group.boxed or "Exception Group" in text
            return True
        return False
    if _CHAIN.match(text):
        group.phase = "marker"
        return True
    if group.phase == "exc" and _MSG_CONTINUES.match(text):
        return True
    if _PY_HEAD.search(text) or _RECORD.match(text) or _starts_other_runtime(text):
        return False
    if group.phase == "frames":
        if not text[:1].isspace():
            group.phase = "exc"
        return True
    return _py_message_continues(text, row, nxt)


def _py_message_continues(text: str, row: Row, nxt: Row | None) -> bool:
    """After the exception line: indented or marked continuation, or text of the same write()."""
    if text[:1].isspace():
        return True
    same_write = row.gap_us is not None and row.gap_us <= FREE_TEXT_GAP_US
    next_starts = nxt is not None and _follows(row, nxt) and bool(_PY_HEAD.search(nxt.text))
    return same_write and not next_starts and not _EXC_LIKE.match(text)


def _java_accept(group: Group, text: str, row: Row, nxt: Row | None) -> bool:
    if group.phase == "jul":
        stated = _JUL_LEVEL.match(text)
        if stated is not None:
            group.phase, group.level = "jul-message", JUL_LEVELS[stated["level"]]
        return stated is not None
    if group.phase == "jul-message":
        if _EXC_LIKE.match(text) or _JAVA_AT.match(text):
            group.phase = "frames"
            return True
        return False
    return bool(_JAVA_AT.match(text) or _JAVA_MORE.match(text))


def _node_accept(group: Group, text: str, row: Row, nxt: Row | None) -> bool:
    if group.phase == "prelude":
        if _EXC_LIKE.match(text):
            group.phase = "frames"
            return True
        return text[:1].isspace() or bool(CARET_LINE.match(text))
    return bool(_NODE_AT.match(text) or _NODE_TAIL.match(text)) or (text[:2] == "  " and ":" in text)


def _go_accept(group: Group, text: str, row: Row, nxt: Row | None) -> bool:
    return text.startswith("\t") or bool(_GO_LINE.match(text))


def _dotnet_accept(group: Group, text: str, row: Row, nxt: Row | None) -> bool:
    """A console record's indented lines, and an exception's frames, inner exceptions and markers;
    the exception line itself in a record (older .NET printed it unindented)."""
    if _RECORD.match(text) or _starts_other_runtime(text) or _PY_HEAD.search(text):
        return False
    if text[:1].isspace() or _DOTNET_MARK.match(text) or _dotnet_frame(text):
        return True
    return group.phase == "record" and _DOTNET_HEAD.match(text) is not None


_ACCEPT = {"python": _py_accept, "java": _java_accept, "node": _node_accept, "go": _go_accept,
           "dotnet": _dotnet_accept}


def _starts_other_runtime(text: str) -> bool:
    return bool(_JAVA_HEAD.match(text) or _GO_HEAD.match(text))


def _start(
    row: Row, prev: Row | None, prev_free: bool, nxt: Row | None, record: Row | None = None
) -> Group | None:
    """A new traceback starting at `row` (adopting the line before it when that introduces it, and
    for Java the logger's record line before that, ``record``, when it is one: `_JAVA_RECORD`)."""
    text = row.text
    adopt = prev is not None and prev_free and _follows(prev, row)
    head = _PY_HEAD.search(text)
    if head or _PY_FRAME.match(text):
        intro = adopt and _BARE_HEAD.match(text) is not None and _introduces(prev)
        rows = [prev, row] if intro and prev else [row]
        return Group("python", "frames", rows, boxed="Exception Group" in text)
    if _JAVA_HEAD.match(text):
        return Group("java", "frames", [row])
    if (_PY_WARNING.match(text) and nxt is not None and _follows(row, nxt) and nxt.text[:2] == "  "
            and nxt.gap_us is not None and nxt.gap_us <= FREE_TEXT_GAP_US):
        return Group("python", "warning", [row], level="WARNING")
    if _JUL_HEAD.match(text) and nxt is not None and _follows(row, nxt) and _JUL_LEVEL.match(nxt.text):
        return Group("java", "jul", [row])
    if _GO_HEAD.match(text):
        return Group("go", "frames", [row])
    if _GO_DUMP.match(text):
        intro = adopt and prev is not None and _GO_PANIC_INTRO.search(prev.text) is not None
        return Group("go", "frames", [prev, row] if intro and prev else [row])
    if nxt is not None and _follows(row, nxt) and (
            (_NODE_PRELUDE.match(text) and nxt.text[:1].isspace())
            or (_BUN_ERROR.match(text) and _BUN_PROPERTY.match(nxt.text))):
        return Group("node", "prelude", [row])
    if (dotnet := _dotnet_start(row, prev, adopt, nxt)) is not None:
        return dotnet
    java, node = _JAVA_AT.match(text), _NODE_AT.match(text)
    if java or node:
        header = [prev] if adopt and prev is not None and _error_header(prev.text.strip(), bool(node)) else []
        if java and header and record is not None and _JAVA_RECORD.match(record.text):
            header = [record, *header]
        return Group("java" if java else "node", "frames", [*header, row])
    return None


def _dotnet_start(row: Row, prev: Row | None, adopt: bool, nxt: Row | None) -> Group | None:
    """A .NET console record's head with indented lines after it, an exception line with its
    frames or inner exceptions after it, or a frame (with the exception line before it)."""
    text = row.text
    goes_on = nxt is not None and _follows(row, nxt)
    if _DOTNET_CONSOLE.match(text) and goes_on and nxt is not None and nxt.text[:1].isspace():
        return Group("dotnet", "record", [row])
    if _DOTNET_HEAD.match(text) and goes_on and nxt is not None and (
            _dotnet_frame(nxt.text) or _DOTNET_MARK.match(nxt.text)):
        return Group("dotnet", "frames", [row])
    if _dotnet_frame(text):
        header = adopt and prev is not None and _DOTNET_HEAD.match(prev.text) is not None
        return Group("dotnet", "frames", [prev, row] if header and prev else [row])
    return None


def _error_header(text: str, node: bool) -> bool:
    """Whether the line before a stack's first frame is its error line: an exception's name at its
    start, or for Node after a logger's prefix (`_NODE_PREFIXED`)."""
    return bool(_EXC_LIKE.match(text) or (node and _NODE_PREFIXED.search(text)))


# Severity numbers (rca.severity): a line that states a level below ERROR is no logger's
# `exception()` call, which logs at ERROR; DEFAULT (0) is a line that states none
_ERROR_NUM, _NO_LEVEL_NUM = 500, 0


def _introduces(row: Row | None) -> bool:
    """A log line such as `ERROR:app:Failed to X` or `Exception in ASGI application`; a line that
    states a lower level is not, whatever it quotes: urllib3's `WARNING:urllib3.connectionpool:
    Retrying (...) after connection broken by 'SSLError(... verify failed ...)'` just before the
    traceback of the request that then gave up (held-out CI08)."""
    if row is None or not row.text.strip() or _PY_HEAD.search(row.text):
        return False
    if row.severity_num >= _ERROR_NUM:
        return True
    return row.severity_num == _NO_LEVEL_NUM and bool(_INTRO.search(row.text))


def scan(rows: Sequence[Row]) -> Iterator[Group]:
    """Group the candidate rows of one stream into tracebacks, in order."""
    group: Group | None = None
    pending: list[Row] = []  # blank lines held until the traceback continues
    prev: Row | None = None
    prev_free = False
    record: Row | None = None  # the free row before `prev` that `prev` follows (`_start`'s record)
    for index, row in enumerate(rows):
        nxt = rows[index + 1] if index + 1 < len(rows) else None
        multi = "\n" in row.text.strip("\n")
        if group is not None and (multi or not _follows(prev, row)):
            yield group
            group, pending = None, []
        if group is not None and not row.text.strip():
            pending.append(row)
        elif group is not None and group.accepts(row, nxt):
            group.rows.extend([*pending, row])
            pending = []
        else:
            if group is not None:
                yield group
            free_prev = prev_free and not pending
            group, pending = (None if multi else _start(row, prev, free_prev, nxt, record)), []
        if group is None and prev is not None and prev_free and _follows(prev, row):
            # (a blank row keeps the record before it: Spring Boot's %wEx prints one between a
            # record's line and its stack)
            record = prev if prev.text.strip() else record
        else:
            record = None
        prev_free = group is None
        prev = row
    if group is not None:
        yield group
