"""How to check a fix, where the service runs: the report's verification steps.

The steps that depend on the platform (a Cloud Run revision's readiness, a job's next execution,
a function's state, a GKE pod's restarts) and the log filter of the service's entries are the
library's `surfaces` (patterns/_knowledge.yaml); re-running rca and reading the service's new
errors are the same everywhere. Names from the logs are shell-quoted: log text is untrusted.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from rca.library.knowledge import Surface
from rca.library.templating import fill
from rca.model import Remediation


def checks(
    surface: Surface | None, service: str | None, context: Mapping[str, str]
) -> tuple[Remediation, ...]:
    """The verification steps for a service on ``surface`` (None: a platform the library does not
    know, such as a paste, gets only the re-run of rca)."""
    name = service or context.get("service") or "<service>"
    quoted = {
        "service": shlex.quote(name),
        "location": shlex.quote(context.get("location") or "<region>"),
        "project": shlex.quote(context.get("project") or "<project>"),
        "route": shlex.quote(context.get("route") or "/"),
    }
    rerun = Remediation(
        "Re-run rca on a fresh window after the fix; this root cause should be gone",
        f"rca analyze --service {quoted['service']} --project {quoted['project']} --since 30m",
    )
    if surface is None:
        return (rerun,)
    steps = [Remediation(action, fill(command, {}, quoted)) for action, command in surface.verify]
    errors = f"{fill(surface.logs, {}, {'service': name})} AND {surface.errors}"
    logs = Remediation(
        "Confirm no new errors are logged by the service",
        f"gcloud logging read {shlex.quote(errors)} --project {quoted['project']} --freshness 15m",
    )
    return (rerun, *steps, logs)
