"""How Kubernetes names the pods a workload makes: the one statement of that shape.

The text reader (a pasted `kubectl` line names a pod), the loader and the store (a GKE entry's
`pod_name` label) and the impact reasoning (a `kubectl get pods` listing) all read a workload out
of a pod's name; they read it through these expressions, which use only syntax Python's `re` and
DuckDB's RE2 share, so one shape holds in Python and in SQL alike.
"""

from __future__ import annotations

import re

# A Deployment's ReplicaSet is `<deployment>-<pod-template-hash>`: the hash is a 32-bit FNV hash
# written in decimal, each digit mapped onto a 27-letter alphabet (`controller.ComputeHash` ->
# `rand.SafeEncodeString`, kubernetes pkg/controller/controller_utils.go), so 10 characters for most
# hashes and fewer for small ones. Five is the floor read here, as pasted names are often shortened
# by hand to five (`orders-7d4b6-qm5zt`); shorter tails are too often a word.
POD_TEMPLATE_HASH = "[a-z0-9]{5,10}"
# The five random characters the API server appends to a `generateName` (apiserver
# pkg/storage/names/generate.go, `randomLength = 5`): the pods of a ReplicaSet, DaemonSet or Job.
POD_SUFFIX = "[a-z0-9]{5}"
# A StatefulSet's pods are `<statefulset>-<ordinal>`.
ORDINAL = "[0-9]+"
# An Indexed Job's pods are `<job>-<completion index>-<random>` (the Job controller's
# `GenerateName: <job>-<index>-`, kubernetes pkg/controller/job/indexed_job_utils.go).
INDEXED_JOB_OF_POD = f"^(.+)-{ORDINAL}-{POD_SUFFIX}$"

# Group 1 of each is the name the expression reads out.
DEPLOYMENT_OF_POD = f"^(.+)-{POD_TEMPLATE_HASH}-{POD_SUFFIX}$"
REPLICASET_OF_POD = f"^(.+-{POD_TEMPLATE_HASH})-{POD_SUFFIX}$"
DEPLOYMENT_OF_REPLICASET = f"^(.+)-{POD_TEMPLATE_HASH}$"
STATEFULSET_OF_POD = f"^(.+)-{ORDINAL}$"
# What follows a workload's name and its dash in its pods' names: a Deployment's pod-template hash
# and the pod's own characters, a StatefulSet's ordinal, or an Indexed Job's index and characters.
POD_TAIL = f"^(?:{POD_TEMPLATE_HASH}-{POD_SUFFIX}|{ORDINAL}|{ORDINAL}-{POD_SUFFIX})$"

_DEPLOYMENT_OF_POD = re.compile(DEPLOYMENT_OF_POD)
_STATEFULSET_OF_POD = re.compile(STATEFULSET_OF_POD)
_INDEXED_JOB_OF_POD = re.compile(INDEXED_JOB_OF_POD)
_DEPLOYMENT_OF_REPLICASET = re.compile(DEPLOYMENT_OF_REPLICASET)
_POD_TAIL = re.compile(POD_TAIL)


def workload_of_pod(pod: str) -> str:
    """The Deployment, StatefulSet or Indexed Job a pod belongs to, by its name; the name itself
    when it has none of those shapes (a bare pod, a DaemonSet's pod is read as a Deployment's only
    with a hash)."""
    for shape in (_DEPLOYMENT_OF_POD, _STATEFULSET_OF_POD, _INDEXED_JOB_OF_POD):
        match = shape.match(pod)
        if match:
            return match[1]
    return pod


def is_deployment_pod(pod: str) -> bool:
    """True when the name has a Deployment's pod shape (hash and suffix)."""
    return _DEPLOYMENT_OF_POD.match(pod) is not None


def workload_of_replicaset(name: str) -> str:
    """The Deployment of a ReplicaSet `<deployment>-<pod-template-hash>`; the name without a hash."""
    match = _DEPLOYMENT_OF_REPLICASET.match(name)
    return match[1] if match else name


def is_pod_of(pod: str, workload: str) -> bool:
    """True when ``pod`` is one of ``workload``'s pods by name (the workload's name is input:
    compared as a string, never compiled)."""
    prefix = f"{workload}-"
    return pod.startswith(prefix) and _POD_TAIL.match(pod[len(prefix):]) is not None


# A pod's row of `kubectl get pods` (NAME READY STATUS RESTARTS AGE, `-o wide` adds columns): its
# name, how many of its containers are ready of how many ("1/2"), its status and its restarts.
_ROW = r"([a-z0-9][-a-z0-9.]*)\s+([0-9]+)/([0-9]+)\s+([A-Za-z][A-Za-z:-]*)\s+([0-9]+)"
POD_LISTING_ROW = r"(?:^|\s)" + _ROW  # (anywhere: the rows of a listing joined into one entry)
_POD_LISTING_ROW_START = re.compile("^" + _ROW)


def listed_pod(line: str) -> str | None:
    """The pod a line of a `kubectl get pods` listing is the row of (`POD_LISTING_ROW` at its
    start), else None."""
    match = _POD_LISTING_ROW_START.match(line)
    return match[1] if match else None
