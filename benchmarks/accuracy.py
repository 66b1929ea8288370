"""Run the incident corpus through the real CLI and print rca's accuracy per class and per runtime.

    python benchmarks/accuracy.py            # prints the table, writes docs/accuracy.md
    python benchmarks/accuracy.py --no-write # prints only

A case is right when tests/test_incident_corpus.py's verdict finds no difference from the expected
answer (category, `mentions`, exit code, trigger revision and status when the report has them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.incidents import all_cases  # noqa: E402
from tests.incidents.common import CLASSES  # noqa: E402
from tests.test_incident_corpus import run_case, verdict  # noqa: E402

RUNTIMES = ("python", "node", "go", "java")


def evaluate() -> list[dict[str, object]]:
    """Every case with its expected answer, what rca answered and the differences."""
    rows = []
    for name, case in sorted(all_cases().items()):
        entries, expected = case()
        with tempfile.TemporaryDirectory() as tmp:
            code, output, report = run_case(entries, expected, Path(tmp))
        root = (report or {}).get("root_cause") or {}
        answer = f"exit {code}" if code else f"{root.get('category')} ({root.get('pattern_id') or '-'})"
        rows.append(
            {
                "name": name,
                "expected": expected,
                "answer": answer,
                "problems": verdict(expected, code, output, report),
            }
        )
        print(f"{'ok ' if not rows[-1]['problems'] else 'BAD'} {name}: {answer}", file=sys.stderr)
    return rows


def table(rows: list[dict[str, object]], key: str, order: tuple[str, ...]) -> list[str]:
    """A Markdown table of right/total grouped by the expected answer's `key`."""
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for row in rows:
        group = row["expected"][key]  # type: ignore[index]
        total[group] += 1
        right[group] += not row["problems"]
    lines = [f"| {key} | right / total |", "| --- | --- |"]
    lines += [f"| {g} | {right[g]} / {total[g]} |" for g in order if total[g]]
    lines.append(f"| **all** | **{sum(right.values())} / {sum(total.values())}** |")
    return lines


def failures(rows: list[dict[str, object]]) -> list[str]:
    """One line per wrong case: expected, rca's answer, the differences."""
    out = ["| case | class | expected | rca answered | differences |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        if row["problems"]:
            e = row["expected"]
            want = e["category"] or ("exit 1" if e.get("exit_code") else "quiet")  # type: ignore[index]
            diff = "; ".join(p.replace("|", "/").replace("\n", " ")[:160] for p in row["problems"])  # type: ignore[union-attr]
            out.append(f"| {row['name']} | {e['class']} | {want} | {row['answer']} | {diff} |")  # type: ignore[index]
    return out


METHOD = """## Method

The corpus (`tests/incidents/`) holds {incidents} constructed incidents and {quiet} quiet windows for
Python, Node.js, Go and Java services on Cloud Run ({gke} on GKE). Each is two hours of Cloud Logging
entries: a healthy baseline hour and the incident hour, with red herrings (steady warnings, steady
404s, pre-existing errors, healthy Cloud SQL checkpoints). Log lines use the wording real software
prints: tracebacks and crashes were captured by running the programs (`tests/incidents/captured/`),
the rest is quoted from the sources named in each module's docstring.

The expected answer of each case was written from what happened in the construction, before and
independently of rca's output. `benchmarks/accuracy.py` writes each case to a JSON export, runs
`rca analyze --service S --input FILE --format json` in process (with `--since 2h` while `--since` is
still required, so the whole file is the window) and applies the verdict of
`tests/test_incident_corpus.py`: the root-cause category, a string the root cause or chain must
mention, the exit code, and, where the report has `status`, `status.state` and `status.trigger.revision`
(a wrong-deploy or deploy-trigger case whose report has no `status` yet is counted wrong: the trigger is
unverified). A quiet window is right when `status.state` is `ok`, or, before `status` exists, when the
root cause is `unknown` (or absent) with confidence below 0.5.
"""


def main() -> None:
    """Evaluate, print the tables, write docs/accuracy.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; do not write docs/accuracy.md")
    args = parser.parse_args()
    rows = evaluate()
    by_class = table(rows, "class", CLASSES)
    by_runtime = table(rows, "runtime", RUNTIMES)
    print("\n".join([*by_class, "", *by_runtime]))
    if args.no_write:
        return
    exp = [r["expected"] for r in rows]
    doc = [
        f"# rca accuracy on the incident corpus ({date.today().isoformat()})",
        "",
        "Generated by `python benchmarks/accuracy.py`; do not edit by hand.",
        "",
        "## By reasoning class",
        "",
        *by_class,
        "",
        "## By runtime",
        "",
        *by_runtime,
        "",
        "## Cases rca gets wrong today",
        "",
        *failures(rows),
        "",
        METHOD.format(
            incidents=sum(1 for e in exp if e["class"] != "quiet"),  # type: ignore[index]
            quiet=sum(1 for e in exp if e["class"] == "quiet"),  # type: ignore[index]
            gke=sum(1 for e in exp if e.get("platform") == "gke"),
        ),
    ]  # type: ignore[union-attr]
    (ROOT / "docs" / "accuracy.md").write_text("\n".join(doc), encoding="utf-8")
    print(f"wrote {ROOT / 'docs' / 'accuracy.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
