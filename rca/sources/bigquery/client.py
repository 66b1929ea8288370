"""Build the google-cloud-bigquery client (optional extra ``rca[bigquery]``) and translate its errors.

``RCA_BIGQUERY_ENDPOINT`` points the real client at another endpoint; a loopback ``http://`` one (a
local fake) gets anonymous credentials, as ``RCA_LOGGING_ENDPOINT`` does for Cloud Logging. The
HTTP session is metered, so every API call (a round trip) is counted.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import google.auth
import google.auth.exceptions
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession

from rca.errors import SourceError, UsageError
from rca.sources.bigquery.cost import CostRefused
from rca.sources.cloud.client import MeteredSession, _is_loopback_http, brief

ENDPOINT_ENV = "RCA_BIGQUERY_ENDPOINT"
LOGGING_ENDPOINT_ENV = "RCA_LOGGING_ENDPOINT"
SCOPES = [
    "https://www.googleapis.com/auth/bigquery",
    "https://www.googleapis.com/auth/logging.read",
]
INSTALL_HINT = "BigQuery support needs the optional extra: pip install 'rca[bigquery]'"


def bigquery_module() -> Any:
    """``google.cloud.bigquery``, or a UsageError saying how to install it."""
    try:
        from google.cloud import bigquery
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise UsageError(INSTALL_HINT) from exc
    return bigquery


def endpoint(env: str = ENDPOINT_ENV) -> str | None:
    """The endpoint override in ``env``, validated (an http(s) URL with a host)."""
    raw = os.environ.get(env, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{env} must be a URL such as http://127.0.0.1:9050, got {raw!r}")
    return raw.rstrip("/")


def credentials_for(url: str | None) -> tuple[Credentials, str | None]:
    """Anonymous credentials for a loopback fake, else Application Default Credentials."""
    if url is not None and _is_loopback_http(url):
        return AnonymousCredentials(), None  # type: ignore[no-untyped-call]  # google-auth is untyped
    try:
        credentials, project = google.auth.default(scopes=SCOPES)
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise SourceError(
            "no Google Cloud credentials found: run `gcloud auth application-default login` "
            f"(or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file). ({exc})"
        ) from exc
    return credentials, project


def make_client(project: str, location: str | None) -> tuple[Any, MeteredSession]:
    """A BigQuery client billing ``project`` (jobs run there), and its metered HTTP session."""
    bigquery = bigquery_module()
    url = endpoint()
    credentials, _ = credentials_for(url)
    session = MeteredSession(AuthorizedSession(credentials))  # type: ignore[no-untyped-call]
    options = {"api_endpoint": url} if url else None
    client = bigquery.Client(
        project=project, credentials=credentials, location=location, client_options=options, _http=session
    )
    return client, session


def logging_base() -> str:
    """Base URL of the Cloud Logging API (``RCA_LOGGING_ENDPOINT`` for a fake)."""
    return endpoint(LOGGING_ENDPOINT_ENV) or "https://logging.googleapis.com"


def translate(exc: BaseException, what: str) -> SourceError:
    """A BigQuery API failure as a SourceError saying what to do."""
    text = brief(exc)
    if "bytesBilledLimitExceeded" in str(exc) or "exceeded limit for bytes billed" in str(exc).lower():
        return CostRefused(
            f"BigQuery stopped {what} at its maximum_bytes_billed cap, without charge ({text}); "
            "raise --max-bytes-billed or narrow --since"
        )
    if isinstance(exc, (gexc.Unauthorized, google.auth.exceptions.GoogleAuthError)):
        return SourceError(
            f"BigQuery rejected the credentials for {what} ({text}): "
            "run `gcloud auth application-default login` and try again"
        )
    if isinstance(exc, gexc.Forbidden):
        return SourceError(
            f"permission denied for {what} ({text}): the account needs roles/bigquery.jobUser on the "
            "billing project (--billing-project) and roles/bigquery.dataViewer on the dataset "
            "(for Log Analytics, roles/logging.viewAccessor on the log view as well)"
        )
    if isinstance(exc, gexc.NotFound):
        return SourceError(f"not found while {what} ({text}): check the target and --location")
    if isinstance(exc, gexc.BadRequest):
        return SourceError(f"BigQuery refused {what} ({text})")
    return SourceError(f"BigQuery failed while {what} ({text})")
