"""The pod-name shape (rca/podnames.py) reads the same workload in Python and in DuckDB's RE2, and
reads only names Kubernetes would give a workload's pods."""

from __future__ import annotations

import duckdb
import pytest

from rca.podnames import (
    DEPLOYMENT_OF_POD,
    INDEXED_JOB_OF_POD,
    REPLICASET_OF_POD,
    STATEFULSET_OF_POD,
    is_pod_of,
    workload_of_pod,
    workload_of_replicaset,
)

# (pod name, its workload): Deployment pods with 10-, 9-, 6- and 5-character hashes, StatefulSet pods,
# Indexed Job pods (held-out OJ09: `--service feature-backfill` found none of its 24 pods), and names
# that are not a workload's pod (a bare pod, a word after a dash).
PODS = [
    ("checkout-api-7d9f8c6b5d-x2k4p", "checkout-api"),
    ("orders-5c9bd4f6c-qwz8r", "orders"),
    ("web-abcdef-12345", "web"),
    ("orders-7d4b6-qm5zt", "orders"),
    ("redis-0", "redis"),
    ("kafka-broker-12", "kafka-broker"),
    ("feature-backfill-23-6qfkg", "feature-backfill"),
    ("debug-shell", "debug-shell"),
    ("payments-worker-abc-x2k4p", "payments-worker-abc-x2k4p"),
]


@pytest.mark.parametrize(("pod", "workload"), PODS)
def test_workload_of_pod_in_python_and_sql(pod: str, workload: str) -> None:
    """Python's reading and the SQL the store runs give the same workload."""
    sql = ("SELECT coalesce(nullif(regexp_extract($1, $2, 1), ''), "
           "nullif(regexp_extract($1, $3, 1), ''), nullif(regexp_extract($1, $4, 1), ''), $1)")
    in_sql = duckdb.execute(sql, [pod, DEPLOYMENT_OF_POD, STATEFULSET_OF_POD, INDEXED_JOB_OF_POD]).fetchone()
    assert workload_of_pod(pod) == workload
    assert in_sql == (workload,)


def test_replicaset_of_pod_then_its_deployment() -> None:
    """The revision the store reads from a pod (its ReplicaSet) gives back the Deployment."""
    (replicaset,) = duckdb.execute("SELECT regexp_extract($1, $2, 1)",
                                   ["checkout-api-7d9f8c6b5d-x2k4p", REPLICASET_OF_POD]).fetchone() or ("",)
    assert replicaset == "checkout-api-7d9f8c6b5d"
    assert workload_of_replicaset(replicaset) == "checkout-api"
    assert workload_of_replicaset("checkout-api") == "checkout-api"


def test_pods_of_a_workload_by_name() -> None:
    """A workload's pods are its name, a dash and a pod tail; another workload sharing its prefix
    is not it."""
    assert is_pod_of("storefront-6c4b7f9d5-p8vxl", "storefront")
    assert is_pod_of("storefront-2", "storefront")
    assert not is_pod_of("storefront-worker-6c4b7f9d5-p8vxl", "storefront")
    assert not is_pod_of("storefront", "storefront")
