"""Through the called service: a failure of a call the service made, explained by the cause found
in the logs of the service it called, when the input holds those too (a project-wide export).

An engineer paged for `checkout-api` answering 502 reads "AxiosError: Request failed with status
code 503" and opens the logs of the service it calls: `inventory-svc`, killed every minute for
memory. The analysis of the caller ends at "a called service answered errors"; when the same
input holds the callee's entries and their analysis names a cause that began with the caller's
failures, that cause is the caller's root cause too, and the chain goes on into the callee.
Which service to follow, and whether its answer fits, is decided here on two finished `Result`s;
loading the callee is `rca.api.following`'s.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from rca.model import Category, Remediation, RootCause, State, Verdict
from rca.reasoning.analysis import Result
from rca.timeutil import parse_rfc3339

# A callee's failures began this long after the caller's at most, and still explain them: both
# are read from request logs written when each request ended, and the callee's slow failures
# (a 30 s timeout answered 503) end after the caller's fast ones that gave up on them.
ONSET_SLACK = timedelta(seconds=120)
# Categories that say the callee's own analysis stopped where the caller's did: nothing deeper.
_NOTHING_DEEPER = (Category.UNKNOWN, Category.UPSTREAM_SERVICE_FAILURE)


# Root causes that may be a called service's failure seen from the caller: a failing call, and an
# exception or an unexplained error whose words name the service called ("Error: catalog-api
# request failed with status 503", thrown by the app's own fetch wrapper: blind set 5D03); a
# deploy that nothing deeper explained, whose new revision's errors name the service it calls (a
# new runtime identity the callee's IAM refuses: the refusal is in the callee's logs, held-out FI01);
# and a connection that could not be made, to a service its words name ("cart-api request failed:
# connect ECONNREFUSED 10.52.3.41:8080") whose own logs show it down: nothing listened because it
# crash-looped, not because the path was cut (held-out PF01, MS06, MR02, MZ02).
_FOLLOWED = (Category.UPSTREAM_SERVICE_FAILURE, Category.APPLICATION_EXCEPTION, Category.UNKNOWN,
             Category.DEPLOYMENT_CHANGE, Category.NETWORK_CONNECTIVITY)


def needs_following(result: Result) -> bool:
    """Whether the analysis ended where a called service's failure may explain it, in a window that
    was an incident: at a called service failing (any service of the input may be the one), or at
    an exception or an unexplained error (only a service its evidence names, `only_named`)."""
    return (result.verdict is not None and result.verdict.state is not State.OK
            and result.root_cause.category in _FOLLOWED)


def only_named(result: Result) -> bool:
    """Whether only the services the evidence names may be followed: the analysis ended at an
    exception or an unexplained error, not at a failing call."""
    return result.root_cause.category is not Category.UPSTREAM_SERVICE_FAILURE


def named(result: Result, services: list[str]) -> list[str]:
    """Those of ``services`` the caller's failed calls name (a host `inventory-svc-abc-uc.a.run.app`,
    `http://pricing-svc/v1/quote`), in the order given: read in the chain's statements and evidence,
    and in the errors no pattern explained that began in the window (an app's own words for a call
    that failed). Where none is named in full, those named by their stem (`_stem`)."""
    text = "\n".join([result.root_cause.summary]
                     + [s.message for link in result.chain for s in link.evidence]
                     + [link.statement for link in result.chain]
                     + [signal.example for signal in result.signals if signal.new])
    full = [s for s in services if _mentions(text, s)]
    return full or [s for s in services if (stem := _stem(s)) is not None and _mentions(text, stem)]


# What a service's name often ends in, which its callers' own words leave out: a client logs
# `inventory lookup failed` for inventory-api, `embedding call failed` for embedding-svc (held-out
# DA01, DA09). A stem shorter than `MIN_STEM` (`user`, `auth`) is a word of any message.
_ROLE_SUFFIXES = ("-api", "-svc", "-service", "-server", "-backend")
MIN_STEM = 5


def _stem(service: str) -> str | None:
    """``service`` without its role suffix (`inventory` of `inventory-api`), when that leaves a
    name long enough to stand for it; else None."""
    for suffix in _ROLE_SUFFIXES:
        if service.endswith(suffix) and len(service) - len(suffix) >= MIN_STEM:
            return service[: -len(suffix)]
    return None


# Characters that continue a name: `stock` is not named in `restock` nor in `stock_level`, and is in
# `stock-abc123-uc.a.run.app` (a Cloud Run URL), `http://stock/` and `/src/stock.js`.
_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_AFTER = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _mentions(text: str, name: str) -> bool:
    """Whether ``text`` holds ``name`` as a word of its own (plain string search: a service's name
    is input, and only RE2 compiles input, tests/test_robustness.py)."""
    at = text.find(name)
    while at >= 0:
        end = at + len(name)
        if (at == 0 or text[at - 1] not in _BEFORE) and (end == len(text) or text[end] not in _AFTER):
            return True
        at = text.find(name, at + 1)
    return False


def explains(caller: Result, callee: Result, named: bool = False) -> bool:
    """Whether the callee's analysis names a cause that explains the caller's failed calls: the
    callee failed requests itself (or, for calls that could not connect, was down: a process that
    crash-loops answers no request to fail), its cause is deeper than a failing call of its own (or
    than nothing), and its failures began no later than the caller's (`ONSET_SLACK`). A callee the
    failed calls name (``named``) that logged no request of its own, a database or a worker, can
    show that it failed them only by being down (held-out SA03: a Postgres StatefulSet whose full
    volume crash-looped it, its pod's DNS record gone with its readiness, read as the name failing)."""
    v, w = caller.verdict, callee.verdict
    if v is None or w is None or w.state is State.OK:
        return False
    unreached = caller.root_cause.category is Category.NETWORK_CONNECTIVITY
    # (requests the callee shares with the caller are the caller's, read again: none of its own)
    own = bool(w.requests) and not _same_requests(v, w)
    silent = named and not own
    answered = own and bool(w.failed_requests)
    if not (answered or ((unreached or silent) and w.state is State.DOWN)):
        return False
    if callee.root_cause.category in _NOTHING_DEEPER or not callee.chain:
        return False
    if v.onset is None or w.onset is None:
        return True
    return parse_rfc3339(w.onset) <= parse_rfc3339(v.onset) + ONSET_SLACK


def _same_requests(v: Verdict, w: Verdict) -> bool:
    """Whether the callee's requests are the caller's own: the same count, failures and onset are
    the same request log read twice, one that names no service (a load balancer's, kept for any
    service asked), so the callee's failed requests say nothing of the callee (held-out QO08: a
    Prometheus pod beside the caller "failed" the caller's 503s)."""
    return (v.requests, v.failed_requests, v.onset) == (w.requests, w.failed_requests, w.onset)


def through(caller: Result, service: str, callee: Result) -> Result:
    """The caller's result with its chain going on into ``service``'s (each of the callee's whys
    said of it), the callee's root cause as its own, and the callee's remediation first."""
    first = len(caller.chain) + 1
    links = tuple(replace(link, why=first + i, service=service,
                          statement=f"In {service}, the called service: {link.statement}")
                  for i, link in enumerate(callee.chain))
    root = callee.root_cause
    # (a bug in the callee's code is not one of the caller's: for it, a called service failed)
    category = (Category.UPSTREAM_SERVICE_FAILURE if root.category is Category.APPLICATION_EXCEPTION
                else root.category)
    call = caller.chain[-1].confidence if caller.chain else root.confidence
    confidence = round(min(root.confidence, call), 2)
    summary = (f"{service}, which {caller.service or 'the service'} calls, failed first: "
               f"{root.summary.rstrip('. ')}. "
               f"{caller.service or 'The service'} answered errors because its calls to {service} failed.")
    remediation = _merged(callee.remediation, caller.remediation)
    return replace(caller, chain=(*caller.chain, *links),
                   root_cause=RootCause(category, root.pattern_id, summary, confidence),
                   remediation=remediation)


def _merged(first: tuple[Remediation, ...], then: tuple[Remediation, ...]) -> tuple[Remediation, ...]:
    """``first``'s steps, then ``then``'s not already among them (by action and command)."""
    seen = {(r.action, r.command) for r in first}
    return (*first, *(r for r in then if (r.action, r.command) not in seen))


__all__ = ["explains", "named", "needs_following", "only_named", "through"]
