"""Build the Cloud Logging client and translate the failures a user must act on.

The real ``google-cloud-logging`` client is used on its REST transport (the same path the tests
drive against a local fake), with its HTTP session wrapped so every API call is counted and can be
paced. ``RCA_LOGGING_ENDPOINT`` points it at another endpoint; a loopback ``http://`` one (a local
fake) needs no credentials.

Errors the user must act on (credentials, project, permission) become ``SourceError`` or
``UsageError`` with the command or role to fix them. Paced, resumable fetching is ``cloud.py``'s job.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import google.auth
import google.auth.exceptions
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import logging as gcl

from rca.errors import SourceError, UsageError

ENDPOINT_ENV = "RCA_LOGGING_ENDPOINT"
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
READ_SCOPE = "https://www.googleapis.com/auth/logging.read"
DEFAULT_TIMEOUT = (10.0, 60.0)
"""Seconds to connect and to wait for a page: an unreachable endpoint fails fast, a stuck page is
retried. (The benchmark raises the read timeout: its fake evaluates filters in Python.)"""


# --------------------------------------------------------------------------- the metered session


class MeteredSession:
    """Wraps the client's HTTP session: counts every API call and runs a hook before each one.

    ``answered`` counts calls that got any HTTP answer (even an error status): while it is 0, a
    connection failure means the endpoint was never reached, which is not worth retrying for
    minutes. ``timeout`` (connect, read) replaces the client's 60 s default so that a black-holed
    endpoint fails in seconds and a stuck page is retried.
    """

    def __init__(self, inner: Any, timeout: tuple[float, float] | None = None) -> None:
        self.inner = inner
        self.calls = 0
        self.answered = 0
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.before: Callable[[], None] | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        """Pace, count, then delegate to the wrapped session (same signature as requests)."""
        if self.before is not None:
            self.before()
        self.calls += 1
        kwargs["timeout"] = self.timeout
        response = self.inner.request(method, url, *args, **kwargs)
        self.answered += 1
        return response

    def __getattr__(self, name: str) -> Any:
        """Everything else (close, mounts...) is the wrapped session's."""
        return getattr(self.inner, name)


def metered(client: gcl.Client) -> MeteredSession:
    """The client's metered session, installing one around its HTTP object if needed."""
    http = client._http
    if isinstance(http, MeteredSession):
        return http
    session = MeteredSession(http)
    client._http_internal = session
    return session


# --------------------------------------------------------------------------- client


def make_client(project: str | None) -> gcl.Client:
    """A REST Cloud Logging client with ADC credentials, or anonymous for a loopback fake.

    The project comes from the argument, ``GOOGLE_CLOUD_PROJECT``, or the ADC file, in that order.
    ``RCA_LOGGING_ENDPOINT`` replaces the API endpoint; a plain ``http://`` loopback URL (a local
    fake) gets ``AnonymousCredentials`` so no token is sent or needed.
    """
    endpoint = _endpoint()
    adc_project: str | None = None
    credentials: Credentials
    if endpoint is not None and _is_loopback_http(endpoint):
        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]  # google-auth is untyped
    else:
        credentials, adc_project = _adc_credentials()
    chosen = project or os.environ.get(PROJECT_ENV) or adc_project
    if not chosen:
        raise UsageError(
            f"no Google Cloud project: pass --project PROJECT or set {PROJECT_ENV} "
            "(or `gcloud config set project PROJECT` before creating ADC credentials)"
        )
    options = {"api_endpoint": endpoint} if endpoint else None
    session = MeteredSession(AuthorizedSession(credentials))  # type: ignore[no-untyped-call]
    return gcl.Client(  # type: ignore[no-untyped-call]
        project=chosen, credentials=credentials, _http=session, client_options=options, _use_grpc=False
    )


def endpoint_of(client: gcl.Client) -> str:
    """The API base URL the client talks to."""
    connection = getattr(client, "_connection", None)
    url = getattr(connection, "API_BASE_URL", None)
    return str(url or _endpoint() or "https://logging.googleapis.com")


def _endpoint() -> str | None:
    """The endpoint override, validated: it must be an http(s) URL with a host."""
    raw = os.environ.get(ENDPOINT_ENV, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{ENDPOINT_ENV} must be a URL such as http://127.0.0.1:8089, got {raw!r}")
    return raw.rstrip("/")


def _is_loopback_http(url: str) -> bool:
    """True for ``http://localhost...`` and ``http://127.x / [::1]`` URLs."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _adc_credentials() -> tuple[Credentials, str | None]:
    """Application Default Credentials with the read-only logging scope."""
    try:
        credentials, project = google.auth.default(scopes=[READ_SCOPE])
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise SourceError(
            "no Google Cloud credentials found: run `gcloud auth application-default login` "
            "(or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file), "
            f"or analyse an export with --input FILE. ({exc})"
        ) from exc
    return credentials, project


# --------------------------------------------------------------------------- errors


def brief(exc: BaseException) -> str:
    """A one-line description of an exception."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def access_error(exc: BaseException, project: str) -> SourceError:
    """Translate an auth, permission or not-found failure into a message that says what to do."""
    if isinstance(exc, (gexc.Unauthorized, google.auth.exceptions.GoogleAuthError)):
        return SourceError(
            f"Cloud Logging rejected the credentials ({brief(exc)}): "
            "run `gcloud auth application-default login` and try again"
        )
    if isinstance(exc, gexc.NotFound):
        return SourceError(f"Cloud Logging does not know project {project!r} ({brief(exc)}): check --project")
    return SourceError(
        f"permission denied reading logs of project {project!r} ({brief(exc)}): "
        f"the account needs roles/logging.viewer on {project} "
        f"(gcloud projects add-iam-policy-binding {project} --member=user:YOU --role=roles/logging.viewer), "
        "and the Cloud Logging API must be enabled"
    )


def unreachable_error(exc: BaseException, endpoint: str) -> SourceError:
    """The endpoint never answered (refused, DNS, TLS, timeout): say which one and what to check."""
    overridden = os.environ.get(ENDPOINT_ENV, "").strip()
    if overridden:
        fix = (
            f"{ENDPOINT_ENV}={overridden} is set: start the server there, correct the URL, "
            f"or unset {ENDPOINT_ENV} to use https://logging.googleapis.com"
        )
    else:
        fix = (
            "check the network, DNS and any proxy (HTTPS_PROXY) between this machine and "
            "logging.googleapis.com, or analyse an export with --input FILE"
        )
    return SourceError(f"cannot reach Cloud Logging at {endpoint} ({_root_cause(exc)}): {fix}")


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a connection failure (refused, name resolution...), briefly."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "nodename nor servname",
                   "Temporary failure in name resolution", "timed out", "No route to host",
                   "CERTIFICATE_VERIFY_FAILED", "Network is unreachable"):
        if marker in text:
            return marker.lower() if marker != "CERTIFICATE_VERIFY_FAILED" else "TLS certificate not trusted"
    return brief(exc)
