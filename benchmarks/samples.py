"""Benchmark: small inputs, the way an engineer meets them: `rca analyze` on each bundled sample
and `rca --help`, each a process measured from start to exit.

Issue 17 asks for a bundled sample under 1.5 s wall and `rca --help` under 0.2 s. The samples
and their services and windows are those of reports/examples/manifest.json (what
scripts/render_examples.py renders); each analysis writes a Markdown report to a temporary file.
Before measuring, each checkout's `rca/` is compiled to bytecode, as an installed wheel is (the
first run would otherwise pay for compiling it).

Prints, per command, the median wall and CPU seconds (user + system) and the wall range over the
runs. With ``--before DIR`` another checkout (a `git worktree`) runs each command too, alternating
run by run, so a busy machine slows both alike. Each process runs in its checkout's root, where
`python -m rca` imports that checkout's package. Asserts nothing: speed is a goal measured here,
never a timed test.

    python benchmarks/samples.py                      # 5 runs of each command
    python benchmarks/samples.py --repeat 9 --before ../rca-old
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from load import compiled, run_process

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "reports" / "examples" / "manifest.json"
ANALYZE_GOAL, HELP_GOAL = 1.5, 0.2  # wall seconds (issue 17)


def commands(out: Path) -> list[tuple[str, list[str], float]]:
    """(label, argv after the interpreter, wall-seconds goal): every manifest sample's analysis,
    then `--help`."""
    rows = json.loads(MANIFEST.read_text(encoding="utf-8"))["examples"]
    found = [
        (row["name"], ["-m", "rca", "analyze", "--service", row["service"], "--since", row["since"],
                       "--input", str(ROOT / row["file"]), "--out", str(out)], ANALYZE_GOAL)
        for row in rows
    ]
    return [*found, ("rca --help", ["-m", "rca", "--help"], HELP_GOAL)]


def measure(argv: list[str], roots: list[Path], repeat: int) -> dict[Path, list[tuple[float, float]]]:
    """(CPU s, wall s) of each run of ``argv`` in each checkout, the checkouts taking turns."""
    runs: dict[Path, list[tuple[float, float]]] = {root: [] for root in roots}
    for _ in range(repeat):
        for root in roots:
            cpu, wall, _peak = run_process([sys.executable, *argv], cwd=root)
            runs[root].append((cpu, wall))
    return runs


def report(label: str, runs: dict[Path, list[tuple[float, float]]], goal: float) -> None:
    """One line per checkout: median wall and CPU, the wall range, and the goal it is held to."""
    for root, figures in runs.items():
        walls = [wall for _, wall in figures]
        cpus = [cpu for cpu, _ in figures]
        who = "" if root == ROOT else f" (before: {root.name})"
        print(f"{(label + who)[:52]:52} {statistics.median(walls):7.2f} {statistics.median(cpus):7.2f}"
              f"   {min(walls):.2f}-{max(walls):.2f}   goal < {goal} s")


def _check_imports_its_own(root: Path) -> None:
    """Stop unless ``python -m rca`` run in ``root`` imports ``root``'s package (not an installed one)."""
    found = subprocess.run([sys.executable, "-c", "import rca; print(rca.__file__)"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"run in {root}, python imports rca from {found}, not that checkout")


def main() -> None:
    """Parse arguments, compile each checkout, and measure every command."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (medians are shown)")
    parser.add_argument("--before", type=Path, help="also run the rca of this checkout (e.g. a git worktree)")
    args = parser.parse_args()
    roots = [ROOT] + ([args.before.resolve()] if args.before else [])
    compiled(roots)
    for root in roots:
        _check_imports_its_own(root)
    with tempfile.TemporaryDirectory(prefix="rca-samples-") as tmp:
        print(f"{'command':52} {'wall s':>7} {'CPU s':>7}   wall range (median of {args.repeat} runs)")
        for label, argv, goal in commands(Path(tmp) / "report.md"):
            report(label, measure(argv, roots, args.repeat), goal)


if __name__ == "__main__":
    main()
