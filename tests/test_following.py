"""Following a failed call into the called service when the same export holds its logs
(rca/reasoning/upstream.py, rca/api/following.py), through the CLI as a user runs it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rca.cli.main import main
from tests.incidents.builder import Incident, day, oom_line

T0 = day(2026, 3, 4, 9)
_AXIOS = "reservation failed\nAxiosError: Request failed with status code 503"


def _caller(fail_from: int, text: str = _AXIOS) -> list[dict[str, Any]]:
    """`shop`: two hours of checkouts, those from ``fail_from`` s on every third one failing 502
    after its call out failed (``text``, at ERROR)."""
    inc = Incident("shop", 1, T0)
    revision, instance = inc.revision(7), inc.instance()
    for k in range(0, 7200, 10):
        failed = k >= fail_from and k % 30 == 0
        inc.request(k, 502 if failed else 200, "/v1/checkout", revision, instance, method="POST")
        if failed:
            inc.text(k, text, revision, instance, "stderr", "ERROR")
    return inc.export()


def _callee(service: str, oom_from: int) -> list[dict[str, Any]]:
    """``service``: killed for memory every minute from ``oom_from`` s on, failing the requests in
    flight with 503."""
    inc = Incident(service, 2, T0)
    revision, instance = inc.revision(7), inc.instance()
    for k in range(5, 7200, 10):
        failed = k >= oom_from and k % 30 == 5
        inc.request(k, 503 if failed else 200, "/v1/reserve", revision, instance, method="POST")
    for k in range(oom_from - 2, 7200, 60):
        inc.system(k, oom_line(512, 541), revision, instance)
    return inc.export()


def _report(tmp_path: Path, entries: list[dict[str, Any]]) -> dict[str, Any]:
    path = tmp_path / "project.json"
    path.write_text(json.dumps(sorted(entries, key=lambda e: e["timestamp"], reverse=True)), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path), "--since", "1h",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_a_called_service_failing_first_in_the_same_export_is_the_root_cause(tmp_path: Path) -> None:
    """`shop` answers 502 after its calls fail with 503, and its own logs say no more; the same
    export holds `stock`, killed for memory every minute from just before: the chain goes on into
    `stock`, whose memory is the root cause, said of it."""
    report = _report(tmp_path, _caller(4800) + _callee("stock", 4795))
    root, last = report["root_cause"], report["chain"][-1]
    assert root["category"] == "memory-limit-exceeded"
    assert root["summary"].startswith("stock, which shop calls, failed first:")
    assert last["service"] == "stock" and last["pattern_id"] == "run-memory-limit-exceeded"
    assert "service" not in report["chain"][0]


def test_a_called_service_is_not_followed_when_its_failures_began_later(tmp_path: Path) -> None:
    """`stock` ran out of memory only ten minutes after `shop`'s calls began failing: it cannot
    have caused them, and the answer stays at the failing call."""
    report = _report(tmp_path, _caller(4800) + _callee("stock", 5400))
    assert report["root_cause"]["category"] == "upstream-service-failure"
    assert all("service" not in link for link in report["chain"])


def test_of_two_failing_services_the_one_the_failed_calls_name_is_followed(tmp_path: Path) -> None:
    """Two services of the export run out of memory as `shop`'s calls fail. Named by nothing, either
    could be the callee, and rca does not guess; the failed call naming `stock`'s host decides."""
    both = _callee("stock", 4795) + _callee("media", 4795)
    unnamed = _report(tmp_path, _caller(4800) + both)
    named = _report(tmp_path, _caller(4800, _AXIOS + " from POST https://stock.example/v1/reserve") + both)
    assert unnamed["root_cause"]["category"] == "upstream-service-failure"
    assert named["root_cause"]["category"] == "memory-limit-exceeded"
    assert named["chain"][-1]["service"] == "stock"


def test_the_report_says_which_whys_were_read_in_the_called_service(tmp_path: Path) -> None:
    """The Markdown report says the whys read in `stock`'s logs are `stock`'s, and quotes none of
    `shop`'s own field figures (`status=502 in ...`) under them: those count `shop`'s entries."""
    path = tmp_path / "project.json"
    path.write_text(json.dumps(_caller(4800) + _callee("stock", 4795)), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path), "--since", "1h",
                                       "--format", "markdown"])
    assert result.exit_code == 0, result.output
    whys = result.output.split("## Five whys", 1)[1].split("## Contributing factors", 1)[0]
    followed = [w for w in whys.split("### ")[1:] if "In stock, the called service:" in w]
    assert followed and not any("Consistent:" in w for w in followed)


def test_an_exception_naming_the_called_service_is_followed_one_naming_none_is_not(
        tmp_path: Path) -> None:
    """`shop`'s own fetch wrapper throws "Error: stock request failed with status 503" on its
    request path, an application exception by its words; it names `stock`, killed for memory first
    in the same export: the chain goes on into `stock`. The same failure worded without the name
    stays the exception: an unnamed service of the export is followed only after a failing call."""
    def thrown(words: str) -> str:
        return (f"{words}\n    at reserve (/app/src/reserve.js:41:11)\n"
                "    at async checkout (/app/src/cart.js:88:5)")
    named = _report(tmp_path, _caller(4800, thrown("Error: stock request failed with status 503"))
                    + _callee("stock", 4795))
    unnamed = _report(tmp_path, _caller(4800, thrown("Error: reservation request failed with status 503"))
                      + _callee("stock", 4795))
    assert named["root_cause"]["category"] == "memory-limit-exceeded"
    assert named["chain"][-1].get("service") == "stock"
    assert all("service" not in link for link in unnamed["chain"])
    assert unnamed["root_cause"]["category"] != "memory-limit-exceeded"


def test_a_service_is_named_by_its_whole_name_only() -> None:
    """`stock` is named in a Cloud Run host, a bare URL host and a file name, not inside a longer
    word (`restock`, `stock_level`): a name read from the input is searched as a string, never
    compiled as an expression."""
    from rca.reasoning.upstream import _mentions

    named = ["POST https://stock-x7k2p-uc.a.run.app/v1/reserve", "GET http://stock/v1",
             "at /app/src/stock.js:4"]
    unnamed = ["restock job queued", "stock_level below threshold", "warehouse-stock answered 503"]
    assert [_mentions(t, "stock") for t in named + unnamed] == [True] * 3 + [False] * 3


def test_a_called_service_is_named_by_its_stem_where_its_whole_name_is_not(tmp_path: Path) -> None:
    """A caller's words leave a service's role suffix out: `shop` logs "inventory lookup failed
    after 2 attempts" for `inventory-api`, killed for memory first in the same export (held-out
    DA01): the chain goes on into it. A stem short enough to be any word (`user` of `user-api`)
    names nothing."""
    words = "inventory lookup failed after 2 attempts"
    stem = _report(tmp_path, _caller(4800, words) + _callee("inventory-api", 4795))
    short = _report(tmp_path, _caller(4800, words.replace("inventory", "user"))
                    + _callee("user-api", 4795))
    assert (stem["root_cause"]["category"], stem["chain"][-1].get("service")) == (
        "memory-limit-exceeded", "inventory-api")
    assert all("service" not in link for link in short["chain"])


def test_a_deploy_whose_calls_the_called_service_refuses_is_followed_to_the_refusal(tmp_path: Path) -> None:
    """`shop` deploys a new revision at minute 80 and its checkouts then fail 502, its own words
    naming the host it called ("reservation failed: POST https://stock-abc123-uc.a.run.app/... 403");
    nothing in `shop`'s logs says more than the deploy. The same export holds `stock`, whose Cloud
    Run front refuses those calls by IAM (the new revision runs as an identity not allowed to invoke
    it): the chain goes on into `stock`, permission-denied (held-out FI01). Without `stock`'s logs
    the deploy stays the answer."""
    inc = Incident("shop", 1, T0)
    old, new, instance = inc.revision(7), inc.revision(8), inc.instance()
    inc.deploy(4790, new, old, "img@sha256:2", service_account="shop-run@acme-prod.iam.gserviceaccount.com")
    for k in range(0, 7200, 10):
        revision = old if k < 4800 else new
        failed = k >= 4800 and k % 30 == 0
        inc.request(k, 502 if failed else 200, "/v1/checkout", revision, instance, method="POST")
        if failed:
            said = f"reservation failed for order {k}: POST https://stock-abc123-uc.a.run.app/v1/reserve: 403"
            inc.text(k, said, revision, instance, "stderr", "ERROR")
    callee = Incident("stock", 2, T0)
    stock_revision, stock_instance = callee.revision(3), callee.instance()
    refused = ("The request was not authenticated. Either allow unauthenticated invocations or set the "
               "proper Authorization header. Read more at https://cloud.google.com/run/docs/securing/authenticating")
    for k in range(5, 7200, 30):  # (`shop` is its one caller: each reservation a checkout makes)
        if k >= 4800:
            callee.request(k, 403, "/v1/reserve", stock_revision, None, method="POST", text=refused)
        else:
            callee.request(k, 200, "/v1/reserve", stock_revision, stock_instance, method="POST")
    alone = _report(tmp_path, inc.export())
    followed = _report(tmp_path, inc.export() + callee.export())
    assert alone["root_cause"]["category"] == "deployment-change"
    assert followed["root_cause"]["category"] == "permission-denied"
    assert followed["chain"][-1]["service"] == "stock"


_PANIC = ("panic: runtime error: invalid memory address or nil pointer dereference\n"
          "[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x9a8b2c]\n\n"
          "goroutine 1 [running]:\n"
          "github.com/acme/stock/internal/pricing.(*Client).Warmup(0x0)\n"
          "\t/src/internal/pricing/client.go:88 +0x2c\n"
          "main.main()\n\t/src/cmd/stock/main.go:41 +0x1a5")


def _crash_looping(service: str, from_s: int) -> list[dict[str, Any]]:
    """``service``: served until ``from_s`` s, then a new revision that panics at every start and
    answers nothing (no request reaches an instance that never listens)."""
    inc = Incident(service, 2, T0)
    old, new, instance = inc.revision(3), inc.revision(4), inc.instance()
    for k in range(5, from_s, 10):
        inc.request(k, 200, "/v1/reserve", old, instance, method="POST")
    inc.deploy(from_s - 8, new, old, "img@sha256:4")
    for k in range(from_s, 7200, 60):
        inc.text(k, _PANIC, new, inc.instance(), "stderr")
    return inc.export()


_REFUSED = "Error: connect ECONNREFUSED 10.8.0.7:8080"


@pytest.mark.parametrize(("said", "down_from", "category"), [
    (f"stock request failed\n{_REFUSED}", 4795, "upstream-service-failure"),
    (f"reservation failed\n{_REFUSED}", 4795, "network-connectivity"),
    (f"stock request failed\n{_REFUSED}", 7300, "network-connectivity"),
])
def test_a_refused_call_to_a_called_service_that_was_down_is_followed_into_it(
        tmp_path: Path, said: str, down_from: int, category: str) -> None:
    """`shop`'s calls to `stock` are refused ("connect ECONNREFUSED") from minute 80; the same export
    holds `stock`, whose new revision panics at every start from just before: nothing listened
    because `stock` was down, and its panic, a bug of `stock`'s code, is for `shop` a called
    service failing (held-out PF01 read the refusal as the network path). A refusal that names no
    service of the export, or names one that served all along, stays the network path."""
    report = _report(tmp_path, _caller(4800, said) + _crash_looping("stock", down_from))
    assert report["root_cause"]["category"] == category
    followed = [link for link in report["chain"] if link.get("service") == "stock"]
    assert bool(followed) == (category == "upstream-service-failure")


def _gke(k: int, container: str, text: str) -> dict[str, Any]:
    """A line of GKE workload ``container`` (pod `<container>-7d9f8-abcde`), ``k`` s after T0, at ERROR."""
    labels = {"container_name": container, "pod_name": f"{container}-7d9f8-abcde", "namespace_name": "shop"}
    return {"insertId": f"{container}{k}", "timestamp": _at(k), "logName": "projects/p/logs/stderr",
            "severity": "ERROR", "textPayload": text, "resource": {"type": "k8s_container", "labels": labels}}


def _at(k: int) -> str:
    """The RFC 3339 time ``k`` s after T0."""
    return (T0 + timedelta(seconds=k)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _balancer(k: int, status: int) -> dict[str, Any]:
    """A load balancer's request log ``k`` s after T0: it names a backend, no service."""
    return {"insertId": f"lb{k}", "timestamp": _at(k),
            "logName": "projects/p/logs/requests", "severity": "ERROR" if status >= 500 else "INFO",
            "resource": {"type": "http_load_balancer", "labels": {"backend_service_name": "web-backend"}},
            "httpRequest": {"requestMethod": "GET", "requestUrl": "https://shop.example.com/v1/cart",
                            "status": status, "latency": "0.2s"},
            "jsonPayload": {"statusDetails": "response_sent_by_backend"}}


def test_a_service_whose_only_failed_requests_are_the_caller_s_own_is_not_followed(tmp_path: Path) -> None:
    """The only request log is a load balancer's, which names no service, so any service of the
    export is read with the caller's requests: `stock`, running out of heap meanwhile, "failed" the
    same requests at the same moment. That says nothing of `stock` serving `shop`; the analysis of
    `shop` ends at its failing call (held-out QO08 followed a Prometheus pod's probe timeout). With
    its own failed requests `stock` is followed (the tests above)."""
    entries = [_balancer(k, 503 if k >= 1800 and k % 30 == 0 else 200) for k in range(0, 3600, 10)]
    entries += [_gke(k, "shop", "AxiosError: Request failed with status code 503")
                for k in range(1800, 3600, 30)]
    entries += [_gke(k, "stock", "java.lang.OutOfMemoryError: Java heap space")
                for k in range(1790, 3600, 60)]
    report = _report(tmp_path, entries)
    assert report["status"]["failed_requests"] == 60
    assert report["root_cause"]["category"] == "upstream-service-failure"
    assert not [link for link in report["chain"] if link.get("service") == "stock"]


def _statefulset(k: int, text: str) -> dict[str, Any]:
    """A line of pod `postgres-0` of StatefulSet `postgres` (namespace `shop`), ``k`` s after T0."""
    labels = {"container_name": "postgres", "pod_name": "postgres-0", "namespace_name": "shop"}
    return {"insertId": f"pg{k}", "timestamp": _at(k), "logName": "projects/p/logs/stderr",
            "severity": "ERROR", "textPayload": text, "resource": {"type": "k8s_container", "labels": labels}}


def test_a_named_database_that_logs_no_request_is_followed_when_it_was_down(tmp_path: Path) -> None:
    """`shop` reaches Postgres by its StatefulSet pod's name; from minute 30 the name does not
    resolve (a pod that is not Ready has no record) and every request fails. The same export holds
    `postgres`, whose volume filled a minute before: it crash-loops on "No space left on device".
    A database logs no request of its own (the load balancer's requests are the caller's), so its
    being down is all it can show of failing the calls the caller's errors name it in: followed,
    the full disk is the root cause (held-out SA03 ended at the name that did not resolve)."""
    entries = [_balancer(k, 500 if k >= 1800 else 200) for k in range(0, 3600, 10)]
    unresolved = "java.net.UnknownHostException: postgres-0.postgres-hl.shop.svc.cluster.local"
    entries += [_gke(k, "shop", unresolved) for k in range(1800, 3600, 30)]
    entries += [_statefulset(1740, 'PANIC:  could not write to file "pg_wal/xlogtemp.8812": '
                                   "No space left on device")]
    entries += [_statefulset(k, 'FATAL:  could not write lock file "postmaster.pid": No space left on device')
                for k in range(1760, 3600, 60)]
    report = _report(tmp_path, entries)
    assert report["root_cause"]["category"] == "disk-or-filesystem"
    assert [link for link in report["chain"] if link.get("service") == "postgres"]
