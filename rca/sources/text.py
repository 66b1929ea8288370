"""Plain-text log lines -> canonical Cloud Logging LogEntry dicts.

A line is read in two layers. The *envelope* is what a log collector put around the
application's output: a `docker compose` prefix (`orders-worker-1  | `), a `kubectl --prefix`
tag (`[pod/name/container] `) and a leading collector timestamp (`kubectl logs --timestamps`,
`docker logs -t`, `gcloud run services logs read`). The *body* is what the application wrote
and becomes `textPayload` unchanged, as it would on Cloud Run; the time and level inside it
(gunicorn, Python logging, uvicorn, syslog, JSON-per-line) are read but not stripped. A structured
record that ends a line after a text prefix (`app[web.1]: {"severity": "ERROR", ...}`) becomes
`jsonPayload` instead, with its own severity and the prefix kept under `prefix`.

Lines without a time of their own (traceback frames, uvicorn lines, indented text) inherit the
previous entry's time and service and stay separate entries: the engine's traceback re-joiner
puts them back together exactly as it does for Cloud Run's one-entry-per-line stderr.
"""

from __future__ import annotations

import calendar
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rca.library.knowledge import load_knowledge
from rca.podnames import is_deployment_pod, listed_pod, workload_of_pod, workload_of_replicaset
from rca.severity import SEVERITY_NUM
from rca.timeutil import EPOCH

# ---------------------------------------------------------------- timestamps

_ISO = re.compile(
    r"""(?x)
    (?P<date>\d{4}[-/]\d\d[-/]\d\d)[T ](?P<time>\d\d:\d\d(?::\d\d)?)
    (?:[.,](?P<frac>\d{1,9}))?
    (?P<zone>\s?(?:Z|UTC|GMT|[+-]\d\d(?::?\d\d)?))?
    """
)
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_EPOCH_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Stamp:
    """A UTC RFC 3339 timestamp and whether its zone was assumed."""

    rfc3339: str
    naive: bool = False


def _zone_offset(zone: str) -> timedelta:
    """Offset of a zone suffix such as `Z`, ` UTC`, `+02:00`, `-0700`."""
    zone = zone.strip()
    if zone in ("Z", "UTC", "GMT"):
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
    return timedelta(minutes=sign * minutes)


def _format(moment: datetime, frac: str) -> str:
    """RFC 3339 with a `Z`, keeping the fractional digits as given."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def _from_iso_match(match: re.Match[str], named: timedelta | None = None) -> Stamp | None:
    """Build a stamp from an `_ISO` match; None when the date is impossible. ``named``: the
    offset of a zone name printed after the time (`ZONE_OFFSETS`), where the match has none."""
    time_text = match["time"] if match["time"].count(":") == 2 else match["time"] + ":00"
    try:
        date_text = match["date"].replace("/", "-")
        moment = datetime.strptime(f"{date_text} {time_text}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    zone = match["zone"]
    if zone:
        moment -= _zone_offset(zone)
    elif named is not None:
        moment -= named
    return Stamp(_format(moment, match["frac"] or ""), naive=not zone and named is None)


def _from_epoch(seconds: float) -> Stamp | None:
    """Epoch seconds (or milli/micro/nanoseconds, judged by magnitude) as a stamp; None when out of range."""
    if not math.isfinite(seconds):  # JSON `Infinity`/`NaN`: dividing never brings them into range
        return None
    while abs(seconds) > 1e11:
        seconds /= 1000.0
    try:
        moment = EPOCH + timedelta(seconds=seconds)
    except OverflowError:  # before year 1 or after 9999
        return None
    return Stamp(_format(moment.replace(microsecond=0), f"{moment.microsecond:06d}"))


def parse_timestamp(value: object) -> Stamp | None:
    """Parse a log timestamp (RFC 3339, `... UTC`, Python `,ms`, epoch number) to UTC.

    Zone-less times are taken as UTC and flagged `naive`; None means unparseable.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _EPOCH_NUMBER.match(text):
        return _from_epoch(float(text))
    match = _ISO.fullmatch(text) or _ISO.fullmatch(text.upper())  # RFC 3339 allows a lower-case t and z
    return _from_iso_match(match) if match else None


# ---------------------------------------------------------------- line grammar

_LEVEL_WORDS = {
    "TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "NOTICE": "NOTICE",
    "WARN": "WARNING", "WARNING": "WARNING", "ERR": "ERROR", "ERROR": "ERROR",
    "CRIT": "CRITICAL", "CRITICAL": "CRITICAL", "FATAL": "CRITICAL",
    "ALERT": "ALERT", "EMERG": "EMERGENCY", "EMERGENCY": "EMERGENCY", "PANIC": "CRITICAL",
    "SEVERE": "CRITICAL",  # java.util.logging's highest level, as normalize.sql reads it
}  # fmt: skip
_LEVEL = r"(?:TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERR(?:OR)?|CRIT(?:ICAL)?|FATAL|ALERT|EMERG(?:ENCY)?)"
_SYSLOG_SEVERITIES = ("EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG")

# On a terminal `docker compose` colours each service's prefix (docker/compose pkg/formatter:
# `\x1b[36mdb-1  | \x1b[0m`), and a paste keeps the codes; the space after the bar may come after
# the reset instead (`\x1b[32mweb-1    |\x1b[0m text`), and is the prefix's either way: left on the
# text, it hid an access line's own time (held-out QN04).
_SGR = r"(?:\x1b\[[0-9;]*m)*"
_COMPOSE_PREFIX = re.compile(  # `orders-worker-1  | text`; the name must hold a letter and a replica number
    rf"^{_SGR}(?P<replica>(?=[\w.-]*[A-Za-z])[A-Za-z0-9][\w.-]{{0,120}}?[-_]\d+)\s*\| ?{_SGR}(?:(?<=m) )?"
    rf"(?P<rest>.*)$"
)
# `docker compose` prints a service whose `container_name` is set by that name alone: `kimai  | text`.
# Without a replica number any text before a `|` could pass for one, so the name is taken when the
# rest opens with a time, and from then on for every line of that name in the file (its stack lines).
_COMPOSE_NAMED = re.compile(
    rf"^{_SGR}(?P<replica>[A-Za-z][\w.-]{{0,120}}?) +\|(?: {_SGR}|{_SGR}(?<=m) )(?P<rest>.*)$"
)
# A line copied from the Logs Explorer: the entry's severity, then its time (`ERROR 2024-10-03T14:21:07Z ...`)
_EXPLORER_COPY = re.compile(
    rf"^(?P<severity>{'|'.join(SEVERITY_NUM)}) (?P<rest>\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d.*)$"
)
# A row copied from the console's log view with its columns kept: the entry's time in the viewer's
# zone, its severity, then its text or its request's summary, each column a run of spaces or a tab
# apart (`2026-05-19 08:34:58.015 UTC  ERROR    thread 'tokio-runtime-worker' panicked at ...`). The
# runs tell the view's columns from an app's own `time zone level text`, which keeps its line whole.
_CONSOLE_ROW = re.compile(
    rf"^(?P<time>\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{{1,9}})? [A-Z]{{2,5}})(?: {{2,}}|\t)"
    rf"(?P<severity>{'|'.join(SEVERITY_NUM)})(?: {{2,}}|\t)(?P<rest>\S.*)$"
)
# `gcloud logging read --format='value(timestamp,severity,textPayload)'`, or any other columns
# after the time (`value(timestamp,severity,resource.labels.revision_name,httpRequest.status,
# httpRequest.requestMethod,httpRequest.requestUrl,textPayload)`): tab-separated, a column empty
# where the entry has no such field (`2025-06-12T07:42:14Z<TAB><TAB>KeyError: ...`). The tab tells
# the columns apart from an application's own `time level text`. See `_value_columns`.
_VALUE_TIME = re.compile(r"^(?P<rfc>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))\t")
# `gcloud logging read --format='table(timestamp,severity,httpRequest.status,textPayload)'`, or any
# other columns after the time: a header of the fields' names in upper snake case, then one row per
# entry, each column left-aligned where its name begins and an empty cell blank. Each row is read as
# the same columns tab-separated (`_VALUE_TIME`), cut where the header's names begin (`_tabbed`).
_TABLE_HEADER = re.compile(r"^TIMESTAMP(?: {2,}[A-Z][A-Z0-9_]*)+ *$")
_TABLE_ROW = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) ")
# `gcloud functions logs read`: a table of LEVEL (the severity's initial; its full name when it is
# none of the usual ones, DEFAULT; blank without one), NAME (the function), EXECUTION_ID (1st gen
# only: `-` outside an execution), TIME_UTC and LOG, columns two spaces apart (the command's
# `_DEFAULT_TABLE_FORMAT` and `_DEFAULT_TABLE_FORMAT_V2`, googlecloudsdk's surface/functions/logs/
# read.py; https://github.com/vmware-archive/kubeless/issues/21 shows one); a multi-line LOG goes on
# in the lines below, outside the table, and an empty one leaves the row ending at the time.
_FUNCTIONS_TABLE = re.compile(
    r"^(?:(?P<level>[DINWECA]|[A-Z]{5,9}) {2,}| {7,})(?P<name>[a-z][\w-]{0,62}) {2,}"
    r"(?:(?P<execution>\S+) {2,})?(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})?)"
    r"(?: {2}(?P<rest>.*))?$"
)
# `firebase functions:log`: each entry as its time, its severity's initial, the function's name and a
# colon, then its text (`logger.info(entry.timestamp, entry.severity.substring(0, 1),
# entry.resource.labels.function_name + ':', entry.textPayload)`, firebase-tools
# commands/functions-log.js), the rest of a multi-line text on the lines below.
_FIREBASE_LOG = re.compile(
    r"^(?P<rfc>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) (?P<level>[DINWECA]) "
    r"(?P<name>[A-Za-z][\w-]{0,62}): (?P<rest>.*)$"
)
# `gcloud app logs tail` / `gcloud app logs read`: each App Engine entry as its time (UTC), its
# service and version, two spaces, then its text (`'{service}[{version}]  {text}'`, googlecloudsdk
# api_lib/app/logs_util.py FormatAppEntry, after the printer's time): a traceback's lines each carry
# the prefix, and their own indentation after it.
_APP_LOGS = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?P<name>[a-z][a-z0-9-]{0,62})"
    r"\[(?P<version>[\w.-]{1,100})\]  (?P<rest>.*)$"
)
_FUNCTIONS_LEVELS = {"D": "DEBUG", "I": "INFO", "N": "NOTICE", "W": "WARNING", "E": "ERROR", "C": "CRITICAL",
                     "A": "ALERT"}
_FUNCTIONS_COLUMN = frozenset({*_FUNCTIONS_LEVELS, *SEVERITY_NUM})  # what the LEVEL column can hold
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_STATUS = re.compile(r"^[1-5]\d\d$")
_LATENCY = re.compile(r"^\d+(?:\.\d+)?s$")  # httpRequest.latency as Cloud Logging prints it
# An audit entry's protoPayload.methodName (google.cloud.run.v1.Services.ReplaceService,
# v1.compute.firewalls.insert, io.k8s.apps.v1.deployments.patch) and its principalEmail
_AUDIT_METHOD = re.compile(r"^[a-z][\w-]*(?:\.[\w-]+){2,}$")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_REVISION = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?-\d{5}-[a-z0-9]{3}$")  # a Cloud Run revision
# The audit log's id in a LogEntry's logName (URL-encoded, as Cloud Logging writes it)
_AUDIT_LOG_NAME = "local/logs/cloudaudit.googleapis.com%2Factivity"
_KUBECTL_PREFIX = re.compile(r"^\[pod/(?P<pod>[^/\]\s]+)/(?P<container>[^\]\s]+)\] (?P<rest>.*)$")
# stern (https://github.com/stern/stern), by its default template `{{color .PodColor .PodName}}
# {{color .ContainerColor .ContainerName}} {{.Message}}`: the pod, the container, then the line (after
# the kubelet's time with `--timestamps`). Two plain words before a line could pass for the names, so
# the pod's name must end in a ReplicaSet's hash and a pod suffix, or the line open with that time.
_STERN_PREFIX = re.compile(
    rf"^{_SGR}(?P<pod>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?){_SGR} "
    rf"{_SGR}(?P<container>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?){_SGR} (?P<rest>.*)$"
)
_KUBELET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z ")


def _stern_prefix(raw: str) -> re.Match[str] | None:
    """A line of `stern`'s default output (`_STERN_PREFIX`), else None."""
    match = _STERN_PREFIX.match(raw)
    if match is None or not (is_deployment_pod(match["pod"]) or _KUBELET_TIME.match(match["rest"])):
        return None
    return match


_COLLECTOR_TS = re.compile(
    r"""(?x)^(?:
      (?P<rfc>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))   # kubectl, docker -t
    | (?P<gcloud>\d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d)                                 # gcloud run logs read
    )\ (?!(?:[+-]\d\d:?\d\d|UTC|GMT)\b)(?P<rest>.*)$"""  # a zone after the time belongs to the app text
)
_REQUEST_LINE = re.compile(
    r"^(?P<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE) (?P<status>\d{3}) (?P<url>\S+)$"
)
# A request log's summary as the Cloud console shows it (Logs Explorer, a service's Logs tab), and
# so as it is copied from there: method, status, response size, latency, the user agent's product,
# the URL (`POST 500 52 B 71 ms Chrome 124.0.0.0 https://api-x7k2-ew.a.run.app/v1/cart`), one space
# or a run of spaces or tabs apart (a copy keeps the view's columns aligned), or none (a copy of the
# summary's chips runs them together: `POST20257 B21 msorders-service/5.3.0 https://...`; the status
# is three digits and each size and latency ends in its unit, so the fields still part). The entry's
# text, when it has one (Cloud Run's word on a 503), follows the URL after a run of spaces or a tab.
_CONSOLE_REQUEST = re.compile(
    r"^(?P<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE)[ \t]*(?P<status>[1-5]\d\d)[ \t]*"
    r"[\d.]+ ?(?:B|KiB|MiB|GiB|KB|MB|GB)[ \t]*(?P<latency>[\d.]+) ?(?P<unit>ms|s)"
    r"(?:[ \t]*(?P<agent>\S.*?))?[ \t]+(?P<url>https?://\S+)(?:(?: {2,}|\t)(?P<text>\S.*))?$"
)
_UVICORN_ACCESS = re.compile(
    r"""(?x)^(?P<level>[A-Z]+):\s+(?P<ip>[\w.:\[\]-]+?):(?P<port>\d+)\ -
    \ "(?P<method>[A-Z]+)\ (?P<path>\S+)\ (?P<proto>HTTP/[\d.]+)"\ (?P<status>\d{3})\b"""
)
_GUNICORN = re.compile(
    rf"^\[(?P<ts>\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d(?: [+-]\d{{4}})?)\] \[\d+\] \[(?P<level>{_LEVEL})\] "
)
_RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|\[.*?\]) ?(?P<msg>.*)$"
)
_SYSLOG = re.compile(
    r"^(?:<(?P<pri>\d{1,3})>)?(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d) "
    r"(?P<host>[\w.-]+) (?P<prog>[\w./-]+?)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)$"
)
_LEADING_TIME = re.compile(r"^\[?" + _ISO.pattern.replace("(?x)", "", 1).strip() + r"\]?", re.X)
# Zone names a viewer prints after a time (the Logs Explorer shows the viewer's zone): skipped
# before the level word is looked for; the time takes the zone's offset where the name has one
# (`ZONE_OFFSETS`), else it stays naive.
_ZONE_NAME = re.compile(
    r"^ ?(?:CES?T|EES?T|WES?T|BST|IST|MSK|JST|KST|HKT|SGT|AE[SD]T|ACST|AWST|NZ[SD]T|[ECMP][SD]T|AK[SD]T"
    r"|HST|BRT|ART)\b"
)
# The zone names whose offset is one and the same wherever they are printed (tz database
# abbreviations, https://data.iana.org/time-zones/tzdb/): a time followed by one is that zone's.
# IST (India, Israel, Ireland), CST (US Central, China, Cuba) and the others not here stay naive.
ZONE_OFFSETS: dict[str, int] = {  # minutes east of UTC
    "EST": -300, "EDT": -240, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "AKST": -540, "AKDT": -480, "HST": -600, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180,
    "WET": 0, "WEST": 60, "MSK": 180, "JST": 540, "KST": 540, "HKT": 480, "SGT": 480,
    "AEST": 600, "AEDT": 660, "ACST": 570, "AWST": 480, "NZST": 720, "NZDT": 780, "BRT": -180,
    "ART": -180,
}
_LEVEL_AT_START = re.compile(rf"^[\s\-|]*\[?(?P<level>{_LEVEL})\]?(?=[:\s\]]|$)")
_LEVEL_DASHED = re.compile(rf"^[\s\-|]*[\w.]+ - (?P<level>{_LEVEL}) - ")
# Celery's worker_log_format (celery/app/defaults.py): `[%(asctime)s: %(levelname)s/%(processName)s]`,
# its time read off already or not
_LEVEL_CELERY = re.compile(rf"^(?:\[[^\]]{{1,40}})?: (?P<level>{_LEVEL})/[\w-]+\]")
# .NET's console logger (its default `simple` formatter) opens each record with a four-letter
# level and the category, `fail: Microsoft.AspNetCore.Server.Kestrel[13]`, the message indented
# on the lines after it (dotnet/runtime Microsoft.Extensions.Logging.Console SimpleConsoleFormatter.cs,
# GetLogLevelString).
_LEVEL_DOTNET = re.compile(r"^(?P<level>trce|dbug|info|warn|fail|crit): [\w.`+<>-]+\[-?\d+\]")
_DOTNET_LEVELS = {"trce": "DEBUG", "dbug": "DEBUG", "info": "INFO", "warn": "WARNING", "fail": "ERROR",
                  "crit": "CRITICAL"}  # fmt: skip
_LEVEL_LOGFMT = re.compile(r"\blevel=\"?(?P<level>[A-Za-z]+)\b")
# A level word after a prefix, near the start: bracketed in any case (GORM's `[error]`, a Go
# logger's `pool.go:32: [INFO]`, `[PANIC]`), or a bare upper-case word between spaces (NestJS's
# `[Nest] 1  - 03/12/2026, 6:36:25 PM   ERROR [RedisModule] ...`) or after a channel name
# (Monolog's `[2015-11-19 12:29:19] production.ERROR: ...`). Only the first NEAR_START
# characters are looked at, so a level word inside a message does not count.
NEAR_START = 100
_LEVEL_BRACKETED = re.compile(
    r"\[(?P<level>(?i:trace|debug|info|notice|warn(?:ing)?|err(?:or)?|crit(?:ical)?|fatal|panic|alert"
    r"|emerg(?:ency)?))\]"
)
_LEVEL_BARE = re.compile(
    r"(?:^|\s|(?<=[a-z])\.)"
    r"(?P<level>ERR(?:OR)?|WARN(?:ING)?|FATAL|CRITICAL|PANIC|SEVERE|INFO|DEBUG|NOTICE|EMERGENCY|ALERT)"
    r"(?=\s|:\s)"
)
# PHP's own error log and CLI stderr: `PHP Fatal error:  Allowed memory size ...` (php-src
# main/main.c, php_error_cb: "PHP %s:  %s in %s on line %d"), levels as Monolog's ErrorHandler maps
# them (https://github.com/Seldaek/monolog/blob/main/src/Monolog/ErrorHandler.php).
_PHP_LEVEL = re.compile(
    r"\bPHP (?P<php>Fatal error|Parse error|Recoverable fatal error|Catchable fatal error|Warning|Notice"
    r"|Deprecated|Strict Standards):"
)
_PHP_LEVELS = {"Fatal error": "CRITICAL", "Parse error": "ALERT", "Recoverable fatal error": "ERROR",
               "Catchable fatal error": "ERROR", "Warning": "WARNING", "Notice": "NOTICE",
               "Deprecated": "NOTICE", "Strict Standards": "NOTICE"}  # fmt: skip

_JSON_TIME_KEYS = ("timestamp", "time", "ts", "@timestamp", "datetime", "asctime")
_JSON_LEVEL_KEYS = ("severity", "level", "levelname", "log.level", "lvl")
_PINO_LEVELS = {10: "DEBUG", 20: "DEBUG", 30: "INFO", 40: "WARNING", 50: "ERROR", 60: "CRITICAL"}


def severity_from_word(word: object) -> str | None:
    """Cloud Logging severity for a level word (`WARN`, `err`, `FATAL`) or pino number."""
    if isinstance(word, int) and not isinstance(word, bool):
        return _PINO_LEVELS.get(word)
    if not isinstance(word, str):
        return None
    return _LEVEL_WORDS.get(word.strip().upper())


@dataclass
class _Line:
    """What one line says once parsed; the building block of an entry."""

    body: str
    stream: str = "stdout"
    stamp: Stamp | None = None
    severity: str | None = None
    service: str | None = None
    instance: str | None = None
    resource_labels: dict[str, str] = field(default_factory=dict)
    http: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    copied_severity: str | None = None  # the entry's own severity, copied beside the line


# A row of `kubectl get events` (with `-A`, the namespace first): LAST SEEN, TYPE, REASON, OBJECT
# (kind/name), MESSAGE. The object names the workload the event is about, so the row is that
# workload's (another Deployment's probe failures in the same namespace are not the service's).
# The row is read whole: patterns match the reason and the message as pasted. LAST SEEN of an
# event seen more than once is `95s (x9 over 28m)` (kubectl's printOneEvent); a row about a node,
# a ConfigMap or an autoscaler is a row too (no workload's), never the tail of the row above.
_AGE = r"(?:<unknown>|<invalid>|\d+[smhd][\dsmhd]*)"
_EVENT_ROW = re.compile(
    rf"^(?:[a-z0-9][a-z0-9-]* +)?{_AGE}(?: \(x\d+ over {_AGE}\))? +(?:Normal|Warning) +[A-Za-z]+ +"
    r"(?P<kind>[A-Za-z]+)/(?P<name>[a-z0-9][a-z0-9.:-]*) "
)
_WORKLOAD_KINDS = frozenset({"pod", "replicaset", "deployment", "statefulset", "daemonset", "job", "cronjob"})


def _event_object(line: _Line, kind: str, name: str) -> None:
    """Name a `kubectl get events` row by the object it is about: a pod's workload (and the pod as
    the instance), a ReplicaSet's Deployment, a Job's CronJob, or the workload itself."""
    if kind == "pod":
        line.instance = name
        line.service = workload_of_pod(name)
        line.resource_labels = {"pod_name": name}
    elif kind == "replicaset":
        line.service = workload_of_replicaset(name)
    elif kind == "job":
        line.service = re.sub(r"-\d{6,}$", "", name)  # a CronJob names its Jobs <cronjob>-<scheduled minute>
    else:
        line.service = name




# Docker's json-file logging driver writes each line a container printed as
# {"log": "<the line>\n", "stream": "stdout"|"stderr", "time": "<RFC 3339>"}
# (/var/lib/docker/containers/<id>/<id>-json.log, and what `docker inspect` calls LogPath)
_DOCKER_JSON_FILE = re.compile(r'^\{\s*"log"\s*:')


def _docker_json_file(raw: str) -> _Line | None:
    """The container's own line inside a Docker json-file record, with the record's time and
    stream, or None when ``raw`` is no such record."""
    if not _DOCKER_JSON_FILE.match(raw):
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("log"), str):
        return None
    stream = record.get("stream")
    line = _Line(body=record["log"].rstrip("\r\n"),
                 stream=stream if stream in ("stdout", "stderr") else "stdout")
    line.stamp = parse_timestamp(record.get("time"))
    return line


def _strip_envelope(raw: str, names: set[str]) -> _Line:
    """Peel collector prefixes and the collector timestamp off a line (a Docker json-file record
    is an envelope too: `_docker_json_file`)."""
    docker = _docker_json_file(raw)
    if docker is not None:
        return docker
    line = _Line(body=raw)
    compose = _COMPOSE_PREFIX.match(raw) or _named_prefix(raw, names)
    kubectl = _KUBECTL_PREFIX.match(raw) or (None if compose else _stern_prefix(raw))
    if compose:
        # A compose service is one part of the application the paste shows (the proxy in front,
        # the database behind): named as a container, which `--service` does not filter out, so
        # `--service api` still sees nginx answering 502 because nothing listens where it proxies
        # (blind set JE05), as a Cloud Run service's export keeps its Cloud SQL entries.
        line.instance = compose["replica"]
        line.resource_labels = {"container_name": re.sub(r"[-_]\d+$", "", compose["replica"])}
        line.body = compose["rest"]
    elif kubectl:
        line.instance = kubectl["pod"]
        line.service = workload_of_pod(kubectl["pod"])
        line.resource_labels = {"pod_name": kubectl["pod"], "container_name": kubectl["container"]}
        line.body = kubectl["rest"]
    elif (event := _EVENT_ROW.match(raw)) is not None and event["kind"].lower() in _WORKLOAD_KINDS:
        _event_object(line, event["kind"].lower(), event["name"])
    table = _FUNCTIONS_TABLE.match(line.body)
    if table:
        line.stamp = parse_timestamp(f"{table['time'].replace(' ', 'T')}Z")
        level = table["level"]
        line.copied_severity = _FUNCTIONS_LEVELS.get(level, level) if level in _FUNCTIONS_COLUMN else None
        line.service = table["name"]
        if table["execution"] not in (None, "-"):
            line.extra["labels"] = {"execution_id": table["execution"]}
        line.body = table["rest"] or ""
        return line
    app = _APP_LOGS.match(line.body)
    if app:
        line.stamp = parse_timestamp(f"{app['time'].replace(' ', 'T')}Z")
        line.service = app["name"]
        line.resource_labels = {**line.resource_labels, "version_id": app["version"]}
        line.body = app["rest"]
        return line
    firebase = _FIREBASE_LOG.match(line.body)
    if firebase:
        line.stamp = parse_timestamp(firebase["rfc"])
        line.copied_severity = _FUNCTIONS_LEVELS[firebase["level"]]
        line.service = firebase["name"]
        line.body = firebase["rest"]
        return line
    columns = _VALUE_TIME.match(line.body)
    if columns:
        line.stamp = parse_timestamp(columns["rfc"])
        _value_columns(line, line.body[columns.end():].split("\t"))
        return line
    row = _CONSOLE_ROW.match(line.body)
    own = _own_time(row["time"]) if row else None
    if row and own is not None and own[0] is not None:
        line.stamp, line.copied_severity, line.body = own[0], row["severity"], row["rest"]
        return line
    copied = _EXPLORER_COPY.match(line.body)
    if copied:
        line.copied_severity = copied["severity"]
        line.body = copied["rest"]
    collector = _COLLECTOR_TS.match(line.body)
    if collector:
        line.stamp = parse_timestamp(collector["rfc"] or collector["gcloud"])
        line.body = collector["rest"]
    return line


def _value_columns(line: _Line, columns: list[str]) -> None:
    """The columns of a `gcloud logging read --format=value(...)` line after its time: the entry's
    severity; its request's status, method, URL and latency; a Cloud Run revision name; an audit
    entry's method and principal (the row is then an Admin Activity entry); other one-word columns
    (an instance) passed over. The text is the last column, or from the first column with a space
    in it (a payload holding a tab)."""
    http: dict[str, Any] = {}
    audit: dict[str, Any] = {}
    for i, column in enumerate(columns[:-1]):
        if " " in column:
            line.body = "\t".join(columns[i:])
            break
        if column in SEVERITY_NUM:
            line.copied_severity = column
        elif _STATUS.match(column):
            http["status"] = int(column)
        elif column in _METHODS:
            http["requestMethod"] = column
        elif column.startswith(("https://", "http://")):
            http["requestUrl"] = column
        elif _LATENCY.match(column):
            http["latency"] = column
        elif _REVISION.match(column):
            line.resource_labels["revision_name"] = column
        elif _AUDIT_METHOD.match(column):
            audit["methodName"] = column
        elif _EMAIL.match(column):
            audit["authenticationInfo"] = {"principalEmail": column}
    else:
        line.body = columns[-1]
    if "methodName" in audit:
        # an audit entry (a deploy, a firewall change): its method is what it says
        line.extra["protoPayload"], line.extra["logName"] = audit, _AUDIT_LOG_NAME
        line.body = line.body if line.body.strip() else audit["methodName"]
    if "status" not in http:
        return
    line.http, line.stream = http, "requests"
    if not line.body.strip():
        # a request log without a payload: its request line, as `gcloud run services logs read`
        # prints it (the method and URL where the format asked for them)
        line.body = " ".join(str(v) for v in (http.get("requestMethod"), http["status"],
                                               http.get("requestUrl")) if v)


def _level_of(body: str) -> str | None:
    """Severity named by a level word at the usual places of common formats."""
    for pattern in (_LEVEL_AT_START, _LEVEL_DASHED, _LEVEL_CELERY):
        match = pattern.match(body)
        if match:
            return severity_from_word(match["level"])
    dotnet = _LEVEL_DOTNET.match(body)
    if dotnet:
        return _DOTNET_LEVELS[dotnet["level"]]
    logfmt = _LEVEL_LOGFMT.search(body)
    if logfmt:
        return severity_from_word(logfmt["level"])
    head = body[:NEAR_START]
    php = _PHP_LEVEL.search(head)
    if php:
        return _PHP_LEVELS[php["php"]]
    near = _LEVEL_BRACKETED.search(head) or _LEVEL_BARE.search(head)
    return severity_from_word(near["level"]) if near else None


def _named_prefix(raw: str, names: set[str]) -> re.Match[str] | None:
    """A compose prefix without a replica number (`_COMPOSE_NAMED`), remembered in ``names``."""
    match = _COMPOSE_NAMED.match(raw)
    if match is None or severity_from_word(match["replica"]) is not None:
        return None
    rest = match["rest"]
    if match["replica"] in names or any(p.match(rest) for p in (_LEADING_TIME, _DAY_MON_YEAR, _CTIME)):
        names.add(match["replica"])
        return match
    return None


def _parse_request_line(line: _Line) -> bool:
    """`GET 503 https://...` as printed by `gcloud run services logs read` for request logs, and a
    request log's summary as the Cloud console shows it (`_CONSOLE_REQUEST`)."""
    match = _REQUEST_LINE.match(line.body)
    console = None if match else _CONSOLE_REQUEST.match(line.body)
    if console is not None:
        seconds = float(console["latency"]) / (1000 if console["unit"] == "ms" else 1)
        line.http = {"requestMethod": console["method"], "status": int(console["status"]),
                     "requestUrl": console["url"], "latency": f"{seconds:.3f}s"}
        if console["agent"]:
            line.http["userAgent"] = console["agent"]
        if console["text"]:
            line.text = console["text"]
    elif match is not None:
        line.http = {"requestMethod": match["method"], "status": int(match["status"]),
                     "requestUrl": match["url"]}
    else:
        return False
    line.stream = "requests"
    return True


def _parse_uvicorn_access(line: _Line) -> bool:
    """uvicorn's access line: `INFO:     10.0.0.1:5234 - "GET /health HTTP/1.1" 200 OK`."""
    match = _UVICORN_ACCESS.match(line.body)
    if not match:
        return False
    line.stream = "requests"
    line.severity = severity_from_word(match["level"])
    line.text = line.body
    line.http = {
        "requestMethod": match["method"],
        "requestUrl": match["path"],
        "status": int(match["status"]),
        "protocol": match["proto"],
        "remoteIp": match["ip"],
    }
    return True


def _parse_gunicorn(line: _Line) -> bool:
    """gunicorn's `[2025-08-21 09:14:02 +0000] [7] [ERROR] msg`."""
    match = _GUNICORN.match(line.body)
    if not match:
        return False
    line.stamp = line.stamp or parse_timestamp(match["ts"])
    line.severity = severity_from_word(match["level"])
    line.text = line.body
    return True


# Ruby's Logger (`Logger::Formatter`: "%s, [%s #%d] %5s -- %s: %s"), Rails' default:
# `E, [2018-06-06T22:12:08.123456 #12]  ERROR -- : [req-id] message`
# (https://github.com/ruby/logger/blob/master/lib/logger/formatter.rb).
_RUBY_LOGGER = re.compile(
    r"^[DIWEFAU], \[(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?) ?#\d+\] +"
    r"(?P<level>DEBUG|INFO|WARN|ERROR|FATAL|ANY|UNKNOWN) -- [^:]*: (?P<msg>.*)$"
)
# Rails' request lines, behind any tags (`[req-id] `): `Started GET "/x" for 1.2.3.4 at 2018-06-06
# 22:12:08 +0000` opens a request with its time (Rails::Rack::Logger#started_request_message), and
# `Completed 500 Internal Server Error in 7ms` closes it with its status (ActionController's
# LogSubscriber#process_action): the request's answer, a failed one when 5xx.
_RAILS_STARTED = re.compile(
    r"^(?:\[[^\]]*\] )*Started [A-Z]+ \"[^\"]*\" for \S+ at "
    r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: [+-]\d{4}| UTC)?)$"
)
_RAILS_COMPLETED = re.compile(r"^(?:\[[^\]]*\] )*Completed (?P<status>[1-5]\d\d) [A-Za-z' -]* in \d")


def _parse_ruby_logger(line: _Line) -> bool:
    """Ruby's Logger line; a Rails request line inside it is read as below."""
    match = _RUBY_LOGGER.match(line.body)
    if not match:
        return False
    line.stamp = line.stamp or parse_timestamp(match["ts"])
    line.severity = severity_from_word(match["level"]) or "DEFAULT"
    line.text = line.body
    _rails_request(line, match["msg"])
    return True


def _parse_rails(line: _Line) -> bool:
    """A Rails request line printed bare (a development log, a paste)."""
    if not _rails_request(line, line.body):
        return False
    line.text = line.body
    line.severity = _level_of(line.body)
    return True


def _rails_request(line: _Line, message: str) -> bool:
    """Read a Rails `Started` line's time or a `Completed` line's status; False when neither."""
    started = _RAILS_STARTED.match(message)
    if started:
        line.stamp = line.stamp or parse_timestamp(started["ts"])
        return True
    completed = _RAILS_COMPLETED.match(message)
    if completed:
        line.stream = "requests"
        line.http = {"status": int(completed["status"])}
        return True
    return False


# NestJS's ConsoleLogger: `[Nest] 19  - 11/30/2026, 2:03:22 PM   ERROR [ExceptionsHandler] ...`. Its
# time is the process's locale (Intl.DateTimeFormat), so the day and month come in either order:
# en-US writes month first with an upper-case AM/PM, en-GB/-AU/-IN and most others day first,
# with a 24-hour clock or a lower-case am/pm; a number above 12 settles it. Other forms (ISO,
# `2023/02/12 16:41:02`) read as any time does; a locale's own script leaves the line untimed.
# (https://github.com/nestjs/nest/blob/master/packages/common/services/console-logger.service.ts)
_NEST = re.compile(
    r"^\[Nest\] \d+\s+-\s+(?P<ts>.+?)\s+(?P<level>LOG|ERROR|WARN|DEBUG|VERBOSE|FATAL)\s"
)
_LOCALE_TIME = re.compile(
    r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<year>\d{4}),?\s(?P<h>\d{1,2}):(?P<m>\d\d):(?P<s>\d\d)"
    r"(?:\s?(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?$"
)
_NEST_LEVELS = {"LOG": "INFO", "VERBOSE": "DEBUG"}


def _parse_nest(line: _Line) -> bool:
    """NestJS's console line: its level word and, where it can be read, its local (naive) time."""
    match = _NEST.match(line.body)
    if not match:
        return False
    line.stamp = line.stamp or parse_timestamp(match["ts"]) or _from_locale_time(match["ts"])
    line.severity = _NEST_LEVELS.get(match["level"]) or severity_from_word(match["level"])
    line.text = line.body
    return True


def _from_locale_time(text: str) -> Stamp | None:
    """`11/30/2026, 2:03:22 PM` (en-US) or `30/11/2026, 14:03:22` (day first) as a naive stamp."""
    match = _LOCALE_TIME.match(text.strip())
    if not match:
        return None
    a, b, hour = int(match["a"]), int(match["b"]), int(match["h"])
    ampm = match["ampm"]
    month_first = b > 12 or (a <= 12 and ampm is not None and ampm.isupper())
    month, day = (a, b) if month_first else (b, a)
    if ampm is not None:
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    try:
        moment = datetime(int(match["year"]), month, day, hour, int(match["m"]), int(match["s"]))
    except ValueError:
        return None
    return Stamp(_format(moment, ""), naive=True)


def _parse_rfc5424(line: _Line) -> bool:
    """RFC 5424 syslog: `<34>1 2025-08-21T09:14:02.118Z host app 123 ID47 - msg`."""
    match = _RFC5424.match(line.body)
    if not match:
        return False
    line.stamp = line.stamp or parse_timestamp(match["ts"])
    line.severity = _SYSLOG_SEVERITIES[int(match["pri"]) % 8]
    _syslog_names(line, match["host"], match["app"], match["msg"])
    line.text = match["msg"]
    return True


# systemd and the kernel log about the units a host runs, and name the unit: systemd "sidekiq.service:
# Failed with result 'oom-kill'.", the OOM killer's summary "oom-kill:...,task_memcg=/system.slice/
# sidekiq.service,task=ruby,...". Such a line is that unit's own, as a Cloud Run service's system-log
# lines (its instances killed for memory) are the service's.
_UNIT_NAMED = re.compile(
    r"^(?P<unit>[\w@.-]+)\.service: |\btask_memcg=/(?:[\w@.-]+/)*(?P<memcg>[\w@.-]+)\.service\b")


def _program_name(program: str) -> str:
    """A syslog identifier as the program's name: a suite's daemon logs as `<suite>/<daemon>`
    (Postfix's syslog_name, `postfix/smtpd`, `postfix/qmgr`: one service, held-out IF03); a program
    logged by its path, by its name."""
    if "/" in program:
        head, _, rest = program.partition("/")
        return head or rest.rsplit("/", 1)[-1]
    return program


def _program_service(program: str, message: str) -> str:
    """The service a syslog line's program (`_program_name`, not a launcher) names, "-" for none
    (`_syslog_names`)."""
    if program in load_knowledge().host_programs:
        named = _UNIT_NAMED.search(message)
        return (named["unit"] or named["memcg"]) if named else "-"
    return program


# The entry label a line of a program that runs an application (the library's `launchers`) carries:
# the program, `node` of `node[2184]:`.
LAUNCHED_LABEL = "launcher"


def _syslog_names(line: _Line, host: str, program: str, message: str, unit: str | None = None) -> None:
    """A syslog line names its program (the service) and host (the instance); a line of the host's
    own systemd or kernel about a unit it names, that unit (`_UNIT_NAMED`); every line of a pasted
    `journalctl -u UNIT`, that unit (a Rails app's lines say `bundle[2187]:`, its unit is `puma`).
    The host's own lines about no unit are no service's: kept whatever `--service` names, as Cloud
    SQL's entries are (a kernel's OOM kill of a pod's container, beside `kubectl` output that names
    no service, is that pod's failure, not a service called `kernel`); so are the lines of a program
    that runs an application rather than being one (`java[1187]:`, the library's `launchers`), and
    of the host's own programs about no unit (`CRON[20701]: (root) CMD (...)`, `host_programs`)."""
    name = _program_name(program)
    # (an application's own line, though it names none: the service asked for may be it,
    # `loading._service_absent`)
    launched = unit is None and name in load_knowledge().launchers
    service = unit if unit is not None else "-" if launched else _program_service(name, message)
    # (syslog and journald run on a host, a VM or a node: no line of theirs ran on a serverless
    # platform, which its own log name says to a pattern bound to one, `match.JOURNAL_LOG`)
    line.stream = "journal"
    if service != "-":
        line.service = line.service or service
    elif launched:
        line.extra.setdefault("labels", {})[LAUNCHED_LABEL] = name
    if host != "-":
        line.instance = line.instance or host


# glog/klog (Kubernetes components, gRPC core, many Go and C++ servers): `E0410 04:40:33.165965 12
# reflector.go:138] msg`, the level's letter, month and day, time, thread id and source
# (https://github.com/kubernetes/klog/blob/main/klog.go, formatHeader). No year: it comes from
# context, as for syslog.
_GLOG = re.compile(
    r"^(?P<level>[IWEF])(?P<mon>\d\d)(?P<day>\d\d) (?P<time>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,9}))?"
    r" +\d+ [\w./+-]+:\d+\] "
)
_GLOG_LEVELS = {"I": "INFO", "W": "WARNING", "E": "ERROR", "F": "CRITICAL"}


def _parse_glog(line: _Line, year: int | None) -> bool:
    """A glog/klog line: its level letter, and its time when the year is known from context."""
    return _parse_year_less(line, _GLOG, year, _GLOG_LEVELS)


# A Python logger whose date format leaves out the year, `%m-%d %H:%M:%S` after the level, as vLLM
# writes (vllm/logger.py: `INFO 03-12 09:27:57 [api_server.py:1043] msg`; before 0.8 without the
# brackets; from 0.10 behind its process's name, `(APIServer pid=1) INFO 08-06 ...`). No year: it
# comes from context, as for glog.
_LEVEL_MONTH_DAY = re.compile(
    r"^(?:\([\w.-]+ pid=\d+\) )?(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<mon>\d\d)-(?P<day>\d\d) "
    r"(?P<time>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,6}))? \[?[\w./-]+:\d+\] "
)


def _parse_month_day(line: _Line, year: int | None) -> bool:
    """A level-first line with a year-less `MM-DD` date (`_LEVEL_MONTH_DAY`): its level, and its
    time when the year is known from context."""
    return _parse_year_less(line, _LEVEL_MONTH_DAY, year)


def _parse_year_less(
    line: _Line, shape: re.Pattern[str], year: int | None, levels: dict[str, str] | None = None,
) -> bool:
    """A line of ``shape`` (groups `level`, `mon`, `day`, `time`, `frac`), whose date has no year:
    its level (its word, or the name ``levels`` gives it), and its time when the year is known from
    context."""
    match = shape.match(line.body)
    if not match or not 1 <= int(match["mon"]) <= 12:
        return False
    if line.stamp is None and year is not None:
        frac = f".{match['frac']}" if match["frac"] else ""
        line.stamp = parse_timestamp(f"{year:04d}-{match['mon']}-{match['day']} {match['time']}{frac}")
    line.severity = levels[match["level"]] if levels is not None else match["level"]
    line.text = line.body
    return True


def _parse_syslog(line: _Line, year: int | None, unit: str | None = None) -> bool:
    """BSD syslog `Aug 21 09:14:02 host prog[123]: msg`; the year comes from context, else from a
    full date in the message itself (a journald paste whose first lines are an app's own output:
    without it no line of the paste had a time, and failures that stopped read as ongoing)."""
    match = _SYSLOG.match(line.body)
    if not match or match["mon"].lower() not in _MONTHS:
        return False
    if year is None:
        year = _message_year(match)
    if line.stamp is None and year is not None:
        month = _MONTHS[match["mon"].lower()]
        line.stamp = parse_timestamp(f"{year:04d}-{month:02d}-{int(match['day']):02d} {match['time']}")
    line.severity = _SYSLOG_SEVERITIES[int(match["pri"]) % 8] if match["pri"] else _level_of(match["msg"])
    _syslog_message(line, match["host"], match["prog"], match["msg"], unit)
    return True


def _syslog_message(line: _Line, host: str, program: str, message: str, unit: str | None) -> None:
    """What a syslog header says of its line (`_syslog_names`), and the message after it as the
    line's text."""
    _syslog_names(line, host, program, message, unit)
    line.text = message
    # a Rails app's request lines in its unit's journal (`puma[21877]: I, [...] INFO -- : [req-id]
    # Completed 201 Created in 108ms`): its requests, as when printed bare
    ruby = _RUBY_LOGGER.match(message)
    _rails_request(line, ruby["msg"] if ruby else message)


# `journalctl -o short-iso` (and `short-iso-precise`): the syslog header with a full ISO time in
# place of the month and day, `2025-11-04T09:24:56+0000 intent-vm-01 docker[30467]: msg` (older
# systemd writes the offset as +0000, newer as +00:00, which a collector's time in front reads the
# same way: then only `host prog[pid]: ` is left before the message). The process id is required
# where the time is not part of the match, so a line that merely opens with two words and a colon
# is not taken for a header.
_JOURNAL_ISO = re.compile(
    r"^(?:(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)) "
    r"(?P<host>[\w.-]+) (?P<prog>[\w./@-]+?)(?:\[(?P<pid>\d+)\])?"
    r"|(?P<bare_host>[\w.-]+) (?P<bare_prog>[\w./@-]+?)\[\d+\]): (?P<msg>.*)$")


def _parse_journal_iso(line: _Line, unit: str | None = None) -> bool:
    """A `journalctl -o short-iso` line (`_JOURNAL_ISO`), or its header left after a time the
    envelope already read."""
    match = _JOURNAL_ISO.match(line.body)
    if not match or (match["ts"] is None and line.stamp is None):
        return False
    if match["ts"] is not None:
        line.stamp = line.stamp or parse_timestamp(match["ts"])
    line.severity = _level_of(match["msg"])
    _syslog_message(line, match["host"] or match["bare_host"], match["prog"] or match["bare_prog"],
                    match["msg"], unit)
    return True


# A full date near the start of a syslog line's message, behind a logger's own mark (Ruby's Logger
# `I, [2024-10-08T13:30:02.025706 #2199]  INFO -- :`), where the message does not open with it
_DATE_IN_MESSAGE = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<mon>\d\d)-(?P<day>\d\d)[T ]\d\d:\d\d")


def _year_in(message: str, month: str, day: str) -> int | None:
    """The year of a full date in the first 80 characters of ``message`` on the syslog header's own
    month and day (so a date the line merely mentions does not date it), else None."""
    found = _DATE_IN_MESSAGE.search(message, 0, 80)
    if found is None or (int(found["mon"]), int(found["day"])) != (_MONTHS[month.lower()], int(day)):
        return None
    return int(found["year"])


# How many lines of a paste are read ahead for the year of its year-less syslog lines: a journal
# whose first lines are the system's own (`systemd[1]: Started ...`) and whose app prints full
# dates only further down (gunicorn's `[2026-11-24 09:13:30 +0000]`, held-out FL10) is of that
# year from its first line, as `journalctl` printed it in one go; without it the lines before the
# first dated one had no time, and failures among the timed ones read as running from the start.
YEAR_LOOKAHEAD = 2000


def _message_year(match: re.Match[str]) -> int | None:
    """The year a syslog line's own message dates it by (its header has none): the app's own time
    at its start (an access line's `[21/Mar/2024:10:00:02`), else a full date near its start on the
    header's own day (`_year_in`); None when it names none."""
    own = _own_time(match["msg"])
    if own is not None and own[0] is not None:
        return int(own[0].rfc3339[:4])
    return _year_in(match["msg"], match["mon"], match["day"])


def _syslog_month(text: str) -> int | None:
    """The month a syslog line's header names, None for a line of another shape."""
    match = _SYSLOG.match(text)
    return _MONTHS.get(match["mon"].lower()) if match else None


def _syslog_anchor(text: str) -> tuple[int, int] | None:
    """(year, month) of a syslog line whose own message dates it (`_message_year`), else None."""
    match = _SYSLOG.match(text)
    if not match or match["mon"].lower() not in _MONTHS:
        return None
    year = _message_year(match)
    return (year, _MONTHS[match["mon"].lower()]) if year else None


def _dated_anchor(text: str) -> tuple[int, int] | None:
    """(year, month) of a line that opens with a full date (`2026-03-12T09:29:40.112Z ERROR ...`),
    else None: where no syslog line dates the paste, the first such line dates the year-less lines
    above it (a `kubectl logs --previous` of vLLM's `INFO 03-12 09:27:53` lines pasted above the
    caller's own ISO-stamped errors, held-out NS03)."""
    found = _DATE_IN_MESSAGE.match(text.lstrip())
    return (int(found["year"]), int(found["mon"])) if found else None


def _year_after(text: str, before: Stamp) -> int:
    """The year of a line read after one stamped ``before`` in its stream: that one's, or the next
    for a syslog line of an earlier month (the stream crossed a new year: `Dec 31` then `Jan 01`)."""
    month = _syslog_month(text)
    year, before_month = int(before.rfc3339[:4]), int(before.rfc3339[5:7])
    return year + 1 if month is not None and month < before_month else year


def _anchored_year(text: str, anchor: tuple[int, int]) -> int:
    """The year of a line read before the paste's first dated syslog line (``anchor``): the
    anchor's, or the one before for a syslog line of a later month (the paste crossed a new year)."""
    month = _syslog_month(text)
    return anchor[0] - 1 if month is not None and month > anchor[1] else anchor[0]


def _lift_json_fields(obj: dict[str, Any], line: _Line) -> dict[str, Any]:
    """Lift time, level and `logging.googleapis.com/*` keys as Cloud Run's agent does."""
    payload = dict(obj)
    for key in _JSON_TIME_KEYS:
        stamp = parse_timestamp(payload.get(key))
        if key in payload and stamp is not None:
            line.stamp = line.stamp or stamp
            del payload[key]
            break
    for key in _JSON_LEVEL_KEYS:
        severity = severity_from_word(payload.get(key))
        if severity is not None:
            line.severity = severity
            del payload[key]
            break
    special = {"logging.googleapis.com/trace": "trace", "logging.googleapis.com/spanId": "spanId",
               "logging.googleapis.com/sourceLocation": "sourceLocation",
               "logging.googleapis.com/labels": "labels"}  # fmt: skip
    for key, target in special.items():
        if key in payload:
            line.extra[target] = payload.pop(key)
    if isinstance(payload.get("httpRequest"), dict) and payload["httpRequest"]:
        line.http = payload.pop("httpRequest")
    return payload


def _parse_json(line: _Line) -> bool:
    """A JSON object on one line (structured app logs mixed into text)."""
    body = line.body.strip()
    if not (body.startswith("{") and body.endswith("}")):
        return False
    try:
        obj = json.loads(body)
    except ValueError:
        return False
    if not isinstance(obj, dict):
        return False
    line.payload = _lift_json_fields(obj, line)
    return True


# Keys that make an object a structured log record (what normalize.sql reads a message or level
# from), so a brace in ordinary text ("order {id} failed") is never taken for one.
_RECORD_KEYS = frozenset(
    {"message", "msg", "event", "error", "err", "exception", "exc_info", "stack_trace", "stacktrace",
     "textPayload", *_JSON_LEVEL_KEYS}
)


def is_log_record(obj: Any) -> bool:
    """Whether a JSON value is a structured log record (an object with a message or level key)."""
    return isinstance(obj, dict) and bool(_RECORD_KEYS & obj.keys())


_EMBEDDED_TRIES = 8  # `{` positions tried per line: bounds the work on text full of braces
_PREFIX_KEY = "prefix"


def _embedded_object(text: str) -> tuple[int, dict[str, Any]] | None:
    """The structured log record that ends a text line after a plain prefix, and where it starts.

    `2026-11-30T14:02:11Z app[web.1]: {"severity":"ERROR","message":"db down"}` (Heroku-style
    drains, syslog relays, `prefix: <json>` loggers) carries its real severity and message in the
    object; None when no `{` starts a JSON object that runs to the end of the line.
    """
    body = text.rstrip()
    if not body.endswith("}"):
        return None
    decoder = json.JSONDecoder()
    start = body.find("{")
    for _ in range(_EMBEDDED_TRIES):
        if start < 0:
            return None
        try:
            obj, end = decoder.raw_decode(body, start)
        except (ValueError, RecursionError):
            obj, end = None, -1
        if end == len(body) and isinstance(obj, dict) and _RECORD_KEYS & obj.keys():
            return start, obj
        start = body.find("{", start + 1)
    return None


def _parse_embedded(line: _Line) -> None:
    """Take a record embedded after a text prefix as the payload: its own severity, time and fields
    win, and the prefix is kept beside them (it may name the process, the host or the logger)."""
    if line.text is None or line.http is not None:
        return
    found = _embedded_object(line.text)
    if found is None:
        return
    start, obj = found
    prefix_level, prefix_stamp = line.severity, line.stamp
    line.severity = None
    if prefix_stamp is not None and prefix_stamp.naive:
        line.stamp = None  # a zone-less prefix time (syslog) yields to the record's own, zoned one
    payload = _lift_json_fields(obj, line)
    line.severity = line.severity or prefix_level
    line.stamp = line.stamp or prefix_stamp
    prefix = line.text[:start].rstrip()
    if prefix and _PREFIX_KEY not in payload:
        payload[_PREFIX_KEY] = prefix
    line.payload = payload


# logrus/logfmt lines open with their time: `time="2024-10-17T13:41:50+0000" level=error msg=...`
_LOGFMT_TIME = re.compile(r'^(?:time|ts|timestamp)="?(?P<ts>[^"\s]+)"?(?=\s|$)')
# ctime, as `dmesg -T` and Apache print it: `[Thu Jul 30 19:19:41 2026] ...` (no zone: naive)
_CTIME = re.compile(
    r"^\[?(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) "
    r"(?P<time>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d{1,9}))? (?P<year>\d{4})\]?"
)


# Day, month name, year, as Tomcat's OneLineFormatter (`03-Dec-2020 02:23:14.314 SEVERE [main] ...`,
# https://github.com/apache/tomcat/blob/main/java/org/apache/juli/OneLineFormatter.java) and PHP's
# error log (`[19-Jun-2023 06:48:54 UTC] PHP Fatal error: ...`, php-src main/main.c) print it;
# PHP names its zone (UTC, or a region such as Europe/Berlin, which stays naive).
_DAY_MON_YEAR = re.compile(
    r"^\[?(?P<day>\d{1,2})-(?P<mon>[A-Z][a-z]{2})-(?P<year>\d{4}) (?P<time>\d\d:\d\d:\d\d)"
    r"(?:[.,](?P<frac>\d{1,9}))?(?: (?:(?P<utc>UTC|GMT)|[A-Z][A-Za-z_]*/[A-Za-z_/+-]+))?\]?"
)

# Redis's own log line (redis src/server.c serverLogRaw: `pid:role day Mon year time.ms level msg`,
# the role X, C, S or M, the level one of `.-*#` for debug, verbose, notice and warning):
# `812:M 14 May 2024 13:14:23.199 * Background saving started by pid 23702`. Its time is the
# host's local time.
_REDIS_LOG = re.compile(
    r"^\d+:[XCSM] (?P<day>\d{1,2}) (?P<mon>[A-Z][a-z]{2}) (?P<year>\d{4}) (?P<time>\d\d:\d\d:\d\d)"
    r"(?:\.(?P<frac>\d{1,9}))? (?P<level>[.*#-]) "
)
_REDIS_LEVELS = {".": "DEBUG", "-": "DEBUG", "*": "INFO", "#": "WARNING"}


# The time of an NCSA access line (nginx, Apache, gunicorn's and morgan's `common`/`combined`):
# `10.52.1.1 - - [13/Mar/2026:10:10:27 +0000] "GET / HTTP/1.1" 200 ...`, after the client, the ident
# and the user; and of php-fpm's access log, whose default `%R - %u %t "%m %r" %s` prints it
# without brackets (`127.0.0.1 -  13/Mar/2026:10:16:11 +0000 "GET /index.php" 500`).
_NCSA_TIME = re.compile(
    r"^\S+ \S+ +(?:\S+ +)?\[?(?P<day>\d{1,2})/(?P<mon>[A-Z][a-z]{2})/(?P<year>\d{4}):(?P<time>\d\d:\d\d:\d\d)"
    r"(?:[.,](?P<frac>\d{1,9}))?(?: (?P<zone>[+-]\d{4}))?\]?(?=\s|$)"
)


def _from_ncsa(match: re.Match[str]) -> Stamp | None:
    """A stamp from `_NCSA_TIME`'s match, in UTC by its offset (naive without one)."""
    month = _MONTHS.get(match["mon"].lower())
    if month is None:
        return None
    frac = f".{match['frac']}" if match["frac"] else ""
    return parse_timestamp(f"{match['year']}-{month:02d}-{int(match['day']):02d}T{match['time']}{frac}"
                           f"{match['zone'] or ''}")


def _from_month_name(match: re.Match[str], naive: bool = True) -> Stamp | None:
    """A stamp from a match with `year`, `mon` (a month's name), `day`, `time` and `frac` groups
    (`_CTIME`, `_DAY_MON_YEAR`); None when the date is impossible."""
    month = _MONTHS.get(match["mon"].lower())
    try:
        moment = datetime.strptime(f"{match['year']}-{month}-{match['day']} {match['time']}",
                                   "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None
    return Stamp(_format(moment, match["frac"] or ""), naive=naive)


def _own_time(text: str) -> tuple[Stamp | None, str] | None:
    """The time a text opens with, in any shape apps print it (ISO, ctime, day-month-year, Redis's,
    logfmt's `time=`, an NCSA access line's), and the text after it with a shown zone name skipped; None
    when it opens with no time. Read for plain lines, and for a syslog line's message, whose
    header has no year."""
    if (leading := _LEADING_TIME.match(text)) is not None:
        rest = text[leading.end() :]
        shown = _ZONE_NAME.match(rest)
        minutes = ZONE_OFFSETS.get(shown.group(0).strip()) if shown else None
        named = timedelta(minutes=minutes) if minutes is not None else None
        stamp = _from_iso_match(leading, named)
    elif (ctime := _CTIME.match(text)) is not None:
        stamp, rest = _from_month_name(ctime), text[ctime.end() :]
    elif (dmy := _DAY_MON_YEAR.match(text)) is not None:
        stamp, rest = _from_month_name(dmy, naive=dmy["utc"] is None), text[dmy.end() :]
    elif (redis := _REDIS_LOG.match(text)) is not None:
        # (its level is a sign, said as a word for `_level_of`)
        stamp, rest = _from_month_name(redis), f"{_REDIS_LEVELS[redis['level']]} {text[redis.end() :]}"
    elif (logfmt := _LOGFMT_TIME.match(text)) is not None:
        stamp, rest = parse_timestamp(logfmt["ts"]), text
    elif (ncsa := _NCSA_TIME.match(text)) is not None:
        stamp, rest = _from_ncsa(ncsa), text[ncsa.end() :]
    else:
        return None
    return stamp, _ZONE_NAME.sub("", rest, count=1)  # `... 15:02:11 CET  ERROR`: a zone, then the level


# A line indented by a few spaces before a full date and time is an entry of its own that a tool
# aligned (Laravel's `queue:work` prints each job's line two spaces in, its time first,
# src/Illuminate/Queue/Console/WorkCommand.php), not a continuation of the line above.
_INDENTED_TIME = re.compile(r"^ {1,4}(?=\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)")


def _parse_plain(line: _Line) -> None:
    """Any other text: Python logging, uvicorn, tracebacks; read its own time and level."""
    line.text = line.body
    indent = _INDENTED_TIME.match(line.body)
    own = _own_time(line.body[indent.end():] if indent else line.body)
    if own is not None:
        line.stamp = line.stamp or own[0]
        rest = own[1]
    else:
        rest = _ZONE_NAME.sub("", line.body, count=1) if line.stamp is not None else line.body
    line.severity = _level_of(rest)


def table_columns(text: str) -> list[int] | None:
    """Where each column of a `gcloud logging read --format=table(timestamp,...)` header begins;
    None for any other line."""
    if not _TABLE_HEADER.match(text):
        return None
    return [m.start() for m in re.finditer(r"\S+", text)]


def _tabbed(text: str, starts: list[int]) -> str:
    """A table row's cells (cut where the header's names begin) joined by tabs, the last one whole."""
    ends = [*starts[1:], None]
    cells = [text[a:b].strip() for a, b in zip(starts[:-1], ends[:-1], strict=True)]
    return "\t".join([*cells, text[starts[-1]:].strip()])


# A request's summary after a time on the same line: a row copied from the console's log view with
# its time (in the viewer's zone) and a tab or spaces before the summary.
_TIMED_REQUEST = re.compile(
    r"\d\d:\d\d[^\t]*(?:\s|\dZ)(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)[ \t]*[1-5]\d\d(?:[ \t]|\d)")


def _time_before_request(line: _Line) -> None:
    """Take the time a request summary's line opens with as the line's, the summary as its body."""
    own = _own_time(line.body)
    if own is not None and own[0] is not None:
        rest = own[1].strip()
        if _REQUEST_LINE.match(rest) or _CONSOLE_REQUEST.match(rest):
            line.stamp, line.body = own[0], rest


def time_alone(text: str) -> Stamp | None:
    """The time of a line that holds a time and nothing else: the Cloud console, copied, prints each
    entry's time on a line of its own above the entry's summary (`2024-05-14 11:40:04.681 CEST`)."""
    own = _own_time(text.strip())
    return own[0] if own is not None and own[0] is not None and not own[1].strip() else None


def stated_level(text: str) -> str | None:
    """The severity a line of text states (`ERROR:app:...`, `2024-05-01 10:00:00 ERROR ...`, glog's
    `E0501`), as this reader reads a pasted line; None when it states none. The store asks it of
    exported text lines the platform logged at no level."""
    return parse_line(text).severity


def parse_line(
    raw: str, year: int | None = None, names: set[str] | None = None, stamp: Stamp | None = None,
    unit: str | None = None,
) -> _Line:
    """Parse one line: envelope first, then the first body grammar that fits. ``names`` holds the
    file's compose names seen without a replica number (`_named_prefix`); ``stamp`` is the time a
    line of its own gave this one (`time_alone`), where the line has none of its own; ``unit`` the
    systemd unit a pasted `journalctl -u` shows (`_journal_unit`)."""
    line = _strip_envelope(raw, set() if names is None else names)
    line.stamp = line.stamp or stamp
    if line.stamp is None and _TIMED_REQUEST.search(line.body):
        _time_before_request(line)
    if line.stamp is not None and _parse_request_line(line):
        return line  # a request line keeps no copied severity: its status says how it went
    for parser in (_parse_json, _parse_uvicorn_access, _parse_gunicorn, _parse_rfc5424, _parse_ruby_logger,
                   _parse_rails, _parse_nest):
        if parser(line):
            break
    else:
        if not (_parse_syslog(line, year, unit) or _parse_journal_iso(line, unit) or _parse_glog(line, year)
                or _parse_month_day(line, year)):
            _parse_plain(line)
    _parse_embedded(line)
    if line.copied_severity is not None and (line.copied_severity != "DEFAULT" or line.severity is None):
        # the entry's severity is the Logging API's; a DEFAULT one leaves the text's own level
        line.severity = line.copied_severity
    return line


# ---------------------------------------------------------------- entries


@dataclass
class _Context:
    """What a continuation line inherits from the previous entry of the same source stream."""

    stamp: Stamp | None = None
    stream: str = "stdout"


def _entry(line: _Line, number: int, source: str) -> dict[str, Any]:
    """The canonical LogEntry dict of one parsed line."""
    entry: dict[str, Any] = {"insertId": f"{source}:{number}", "logName": f"local/{line.stream}"}
    labels = dict(line.resource_labels)
    if line.service:
        labels["service_name"] = line.service
    entry["resource"] = {"type": "local", "labels": dict(sorted(labels.items()))}
    if line.stamp is not None:
        entry["timestamp"] = line.stamp.rfc3339
    if line.severity:
        entry["severity"] = line.severity
    if line.payload is not None:
        entry["jsonPayload"] = line.payload
    elif line.text is not None:
        entry["textPayload"] = line.text
    if line.http is not None:
        entry["httpRequest"] = line.http
    entry_labels = dict(line.extra.pop("labels", None) or {})
    if line.instance:
        entry_labels["instanceId"] = line.instance
    if entry_labels:
        entry["labels"] = entry_labels
    entry.update(line.extra)
    entry["_line"] = number
    if line.stamp is not None and line.stamp.naive:
        entry["_naive_ts"] = True
    return entry


# A shell prompt in a paste (`$ kubectl -n shop describe pod ...`, `user@host:~$ gcloud ...`)
_SHELL_PROMPT = re.compile(
    r"^(?:[\w.@:~/-]*\$|>|#) (?:sudo )?(?:kubectl|gcloud|docker|curl|stern|helm|k9s|kubens|journalctl)\b")
# `journalctl -u puma`, `journalctl --unit=sidekiq.service`: one unit's journal (two units: no one unit)
# (a `.timer` or `.socket` unit starts the service of its name: `-u x.service -u x.timer` is one unit's
# journal, the job and its schedule, held-out LP05)
_JOURNAL_UNIT = re.compile(
    r"(?:\s-u\s*|\s--unit[= ])(?P<unit>[\w@.:-]+?)(?:\.service|\.timer|\.socket)?(?=\s|$)")


# `journalctl --since "2024-10-08 06:30"` (or -S, --until, -U): the year of the lines below, whose
# syslog headers have none
_JOURNAL_DATE = re.compile(r"\s(?:--since|--until|-S|-U)[= ]?[\"']?(?P<year>(?:19|20)\d\d)-\d\d-\d\d")


# journalctl's banner over its lines (systemd src/journal/journalctl.c: `-- Logs begin at %s, end
# at %s. --`, since v246 `-- Journal begins at %s, ends at %s. --`), its times as format_timestamp
# prints them, `Tue 2024-05-14 13:38:10 UTC`: the year of the lines below, whose syslog headers have
# none (the end's: the lines shown are no later)
_JOURNAL_BANNER = re.compile(
    r"^-- (?:Logs begin at|Journal begins at) .*?, ends? at [A-Z][a-z]{2} (?P<year>(?:19|20)\d\d)-\d\d-\d\d"
)


def _journal_year(command: str) -> int | None:
    """The year a pasted `journalctl` command's --since or --until names, else None."""
    found = _JOURNAL_DATE.search(command) if "journalctl" in command else None
    return int(found["year"]) if found else None


# `kubectl logs`'s options that take a value (the next word, unless written `--opt=value`)
_KUBECTL_VALUED = frozenset({"-n", "--namespace", "-c", "--container", "--tail", "--since", "--since-time",
                             "-l", "--selector", "--limit-bytes", "--max-log-requests", "--context",
                             "--kubeconfig", "--pod-running-timeout", "--cluster", "--user"})
# the kinds `kubectl logs TYPE/NAME` takes whose NAME is the workload
_KUBECTL_WORKLOADS = frozenset({"deploy", "deployment", "deployments", "sts", "statefulset", "statefulsets",
                                "ds", "daemonset", "daemonsets", "job", "jobs", "rs", "replicaset"})


def _kubectl_logs_target(command: str) -> tuple[str, str | None] | None:
    """The workload (and the pod, when one is named) whose lines a pasted `kubectl logs` command
    shows: `logs deploy/billing-api`, `logs invoice-renderer-8654dfc7b9-lq2wd`, `logs pod/web-0`;
    None for another command, a label selector or a command naming no one workload."""
    words = command.split("|", 1)[0].split()
    if "kubectl" not in words or "logs" not in words:
        return None
    rest = words[words.index("logs") + 1:]
    skip = False
    for word in rest:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _KUBECTL_VALUED
        else:
            kind, _, name = word.rpartition("/")
            if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", name):
                return None
            if kind.lower() in _KUBECTL_WORKLOADS:
                return (workload_of_replicaset(name) if kind.lower() in ("rs", "replicaset") else name), None
            return (workload_of_pod(name), name) if kind in ("", "pod", "pods", "po") else None
    return None


def _journal_unit(command: str) -> str | None:
    """The one systemd unit a pasted `journalctl` command shows, else None. The instances of a
    template unit (`-u rq-worker@1 -u rq-worker@2`) are that one service's replicas: the unit is the
    template's name (held-out LW09 exited 1 on `--service rq-worker`)."""
    if "journalctl" not in command:
        return None
    units = {m["unit"].split("@", 1)[0] or m["unit"] for m in _JOURNAL_UNIT.finditer(command)}
    return units.pop() if len(units) == 1 else None


def read_text_entries(
    lines: Iterable[str], source_name: str, year: int | None = None
) -> Iterator[dict[str, Any]]:
    """Turn text log lines into canonical entries, one per non-blank line, in input order.

    `year` dates BSD syslog lines (which carry none) when no earlier line gave a year.
    """
    basename = os.path.basename(source_name) or source_name
    contexts: dict[str | None, _Context] = {}
    names: set[str] = set()
    latest = _Context()  # the file's last timestamp, for lines of a stream that never had one
    held: tuple[_Line, int] | None = None  # the last line, not yet an entry: the next may continue it
    given: Stamp | None = None  # the time a line of its own gave the line after it (`time_alone`)
    columns: list[int] | None = None  # where a `gcloud ... --format=table(...)` header's columns begin
    unit: str | None = None  # the unit a pasted `journalctl -u` shows (`_journal_unit`)
    shown: tuple[str, str | None] | None = None  # whose lines a pasted `kubectl logs` shows
    rest = iter(lines)
    ahead = list(itertools.islice(rest, YEAR_LOOKAHEAD))
    anchor = None if year is not None else next(filter(None, map(_syslog_anchor, ahead)), None) \
        or next(filter(None, map(_dated_anchor, ahead)), None)
    for number, raw in enumerate(itertools.chain(ahead, rest), start=1):
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        if _SHELL_PROMPT.match(text):
            # a pasted command starts another command's output: its time-less lines (`kubectl
            # describe`, `get events`) are not as old as the last timed line of the one before
            contexts.clear()
            latest = _Context()
            columns = None
            unit = _journal_unit(text)
            year = _journal_year(text) or year
            shown = _kubectl_logs_target(text)
        if (banner := _JOURNAL_BANNER.match(text)) is not None:
            year = int(banner["year"])
        if (header := table_columns(text)) is not None:
            columns = header  # the rows below are read by these columns
            continue
        if columns is not None and _TABLE_ROW.match(text):
            text = _tabbed(text, columns)
        alone = time_alone(text)
        if alone is not None:
            given = alone  # the next line's time, not an entry of its own
            continue
        context = contexts.setdefault(_service_key(text, names), _Context())
        dated = year if context.stamp is None else _year_after(text, context.stamp)
        if dated is None and anchor is not None:
            dated = _anchored_year(text, anchor)
        line = parse_line(text, dated, names, given, unit)
        given = None
        if shown is not None and line.service is None:
            line.service, line.instance = shown[0], line.instance or shown[1]
        if line.service is None and (pod := listed_pod(line.body)) is not None:
            # a `kubectl get pods` row is its pod's workload's, not whatever the paste is about (held-
            # out MR02: the dependency's pods crash-looping, listed below the caller's own logs)
            line.service, line.instance = workload_of_pod(pod), line.instance or pod
        if not line.body.strip():
            continue
        if held is not None and _wrapped(held[0], line):
            held[0].text = f"{held[0].text} {line.text}"
            continue
        if held is not None and _request_text(held[0], line):
            held[0].text = line.text
            continue
        _inherit(line, context)
        if line.stamp is None and latest.stamp is not None:
            line.stamp = latest.stamp  # e.g. compose's own "worker-1 exited with code 1" between app lines
        elif line.stamp is not None:
            latest.stamp = line.stamp
        if held is not None:
            yield _entry(*held, basename)
        held = (line, number)
    if held is not None:
        yield _entry(*held, basename)


# A line a terminal or an issue box wrapped: the one before ran long and stopped mid-sentence (no
# closing punctuation), and this one goes on in lower case with no time, level or indent of its
# own. `x509:` then `certificate signed by unknown authority`; `for container` then `"app-1" on
# port 8080`. A stack's lines are indented or named (`main.main()`, `node:internal/...`, `at`,
# `from`, a dotted exception `google.api_core.exceptions.PermissionDenied: ...`), a line that
# starts a failure report of its own (Rust's `thread 'x' panicked at` and its `note:`, the JVM's
# `Exception in thread`), and a short line (`Caused by:`, a header) is no wrapped one.
WRAP_MIN_CHARS = 50
_WRAP_OPEN_END = re.compile(r"[\w:,\"'-]$")
_WRAP_GOES_ON = re.compile(r'^(?:[a-z]|"[^"\s]+"(?: |$))')
_WRAP_NOT = re.compile(
    r"^(?:at |from |in |created by |exit status |goroutine |node:|[^\s(]+\(.*\)$|[A-Za-z_]\w*(?:\.\w+)+[:(])"
    r"|Traceback \(most recent call last\):$|^panic: "
    r"|^thread '[^'\n]*'(?: \(\d+\))? panicked at |^note: run with `RUST_BACKTRACE|^Exception in thread "
)


def _request_text(before: _Line, line: _Line) -> bool:
    """Whether ``line`` is the text of the request log entry whose summary ``before`` is: copied
    from the console (`_CONSOLE_REQUEST`) or `gcloud ... logs read`, an entry's summary shows its
    method, status and URL, and the platform's text for a request it answered itself (`The request
    was aborted because there was no available instance.`) comes on the next line at the same
    moment, at no level of its own. Read apart, the 429 looked like a client's own refusal and the
    text like a line beside served requests (held-out NM05)."""
    return (before.stream == "requests" and before.http is not None and before.text is None
            and before.stamp is not None and line.stamp == before.stamp and line.http is None
            and line.severity is None and line.payload is None and line.text is not None
            and line.instance == before.instance and not line.text[:1].isspace())


def _wrapped(before: _Line, line: _Line) -> bool:
    """Whether ``line`` continues ``before``, a plain text line cut by a terminal's width."""
    if before.text is None or line.text is None or line.text != line.body:
        return False
    if (line.stamp, line.severity, line.copied_severity, line.payload, line.http) != (None,) * 5:
        return False
    if before.payload is not None or before.http is not None or line.instance != before.instance:
        return False
    if _EVENT_ROW.match(line.text):
        return False
    head = before.text.rstrip()
    return (len(head) >= WRAP_MIN_CHARS and not head[:1].isspace() and bool(_WRAP_OPEN_END.search(head))
            and bool(_WRAP_GOES_ON.match(line.text)) and not _WRAP_NOT.search(head)
            and not _WRAP_NOT.search(line.text))


def _service_key(text: str, names: set[str]) -> str | None:
    """Which interleaved stream a line belongs to (compose replica or kubectl pod), for inheritance."""
    prefix = (_COMPOSE_PREFIX.match(text) or _KUBECTL_PREFIX.match(text) or _named_prefix(text, names)
              or _stern_prefix(text))
    return prefix.group(1) if prefix else None


def _inherit(line: _Line, context: _Context) -> None:
    """Give a time-less line the previous entry's time; remember this line for the next."""
    if line.stamp is None:
        line.stamp = context.stamp
        if line.stream != "requests":
            line.stream = context.stream
    else:
        context.stamp = line.stamp
        context.stream = "stdout" if line.stream == "requests" else line.stream


# ---------------------------------------------------------------- sniffing

_HTML = re.compile(r"^\s*(?:<!doctype\s+html|<html|<\?xml|<head|<body)", re.I)


def _is_binary(head: str) -> bool:
    """NUL bytes or many control characters mean this is not a text log."""
    if "\x00" in head:
        return True
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\x1b\x0c")
    return controls > max(2, len(head) // 100)


def looks_like_text_log(head: str) -> bool:
    """True when the first KBs are printable text (ideally in a known log format), not binary or HTML."""
    return bool(head.strip()) and not _is_binary(head) and _HTML.match(head) is None
