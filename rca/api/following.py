"""Following a failed call into the service that answered it, when the same files hold that
service's entries (a project-wide export): `rca.reasoning.upstream` decides, this loads."""

from __future__ import annotations

from rca.api.loading import Loaded, build_events
from rca.library.loader import Library
from rca.reasoning.analysis import AnalysisInput, Result, run
from rca.reasoning.upstream import explains, named, needs_following, only_named, through

# Other services analysed at most, those the failed calls name first: each is a load of the files
# again, and an export of a busy project holds dozens of services.
MAX_FOLLOWED = 3


def follow(result: Result, loaded: Loaded, library: Library) -> Result:
    """``result``, its chain taken on into the called service when it ended where a called
    service's failure may explain it (`upstream.needs_following`) and the input holds a service
    whose analysis explains it (`upstream.explains`): one the evidence names, else, after a failing
    call, the one service of the input that does (two that would are a guess)."""
    if not needs_following(result) or not loaded.rereadable():
        return result
    services = loaded.other_services()
    if not services:
        return result
    mentioned = named(result, services)
    order = mentioned + ([] if only_named(result) else [s for s in services if s not in mentioned])
    fitting: list[tuple[str, Result]] = []
    for service in order[:MAX_FOLLOWED]:
        callee = _analysed(loaded, service, library)
        if callee is not None and explains(result, callee, named=service in mentioned):
            if service in mentioned:
                return through(result, service, callee)
            fitting.append((service, callee))
    return through(result, *fitting[0]) if len(fitting) == 1 else result


def _analysed(loaded: Loaded, service: str, library: Library) -> Result | None:
    """The analysis of ``service`` over the same files and window; None when they cannot be read
    again or hold nothing of it."""
    other = loaded.for_service(service)
    if other is None:
        return None
    try:
        given = AnalysisInput(other.window(), other.service, other.load_stats(build_events(other)))
        return run(other.store.con, library.patterns, given)
    finally:
        other.store.close()
