"""Warm ``make test`` now against a baseline commit, side by side in one run, interleaved.

    python benchmarks/test_loop.py                          # baseline: main; the whole suite, 2 rounds
    python benchmarks/test_loop.py --baseline 19090e8 --repeats 3
    python benchmarks/test_loop.py -- tests/test_notebooks.py   # only these paths (both sides)
    python benchmarks/test_loop.py --write                  # also writes results/test_loop.md

The baseline is checked out into a temporary git worktree (removed at the end) and run as its Makefile
ran it then (``pytest --nbval …``, one process); this tree runs as its Makefile runs it now (``-n 2
--dist loadscope``). Both use the same virtualenv, each its own sources (``PYTHONPATH``). Each side
first runs once untimed, so both are *warm* (token and model caches filled, as on a developer's second
run); then the rounds alternate baseline, current, baseline, current … and the figure is the median of
the per-round ratios. Figures (notebooks write them) go to a temporary folder: the work trees stay clean.
The load average is recorded: a figure from a loaded machine says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env"]
PYTEST += ["--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]
NOW = ["-n", "2", "--dist", "loadscope"]


def run(tree: Path, extra: list[str], paths: list[str], env: dict) -> tuple[float, str]:
    """Seconds of one pytest run in ``tree`` and its last output line (the pass/fail count)."""
    command = [sys.executable, *PYTEST, *extra, *paths]
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=tree, env=env | {"PYTHONPATH": str(tree / "src")}, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return seconds, lines[-1] if lines else f"exit {done.returncode}"


def git_dirty() -> bool:
    """Whether this tree has uncommitted changes to tracked files (then the figure is not of ``HEAD`` alone)."""
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    return bool(status.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="commit or branch to compare against (default: main)")
    parser.add_argument("--repeats", type=int, default=2, help="timed rounds after the warm-up (default 2)")
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/test_loop.md")
    parser.add_argument("paths", nargs="*", help="test paths for both sides (default: the whole suite)")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    head = head.strip() + (" + uncommitted changes" if git_dirty() else "")
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline), args.baseline], cwd=ROOT, check=True)
        env = os.environ | {"STREETLIB_FIGURES": str(Path(folder) / "figures"), "PYTHONHASHSEED": "0"}
        env |= {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        env.pop("STREETLIB_CACHE", None)  # each tree's own persistent .cache, as a developer has it
        env.pop("STREETLIB_DATA", None)
        sides = {"baseline": (baseline, []), "current": (ROOT, NOW)}
        try:
            times: dict[str, list[float]] = {name: [] for name in sides}
            outcome = {}
            for name, (tree, extra) in sides.items():  # warm-up: fills both sides' caches
                print(f"==> warm-up {name}", file=sys.stderr)
                run(tree, extra, args.paths, env)
            for round_number in range(args.repeats):
                for name, (tree, extra) in sides.items():
                    print(f"==> round {round_number + 1}: {name}", file=sys.stderr)
                    seconds, outcome[name] = run(tree, extra, args.paths, env)
                    times[name].append(seconds)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False)
    load_end = os.getloadavg()[0]
    ratios = [c / b for c, b in zip(times["current"], times["baseline"], strict=True)]
    loaded = load_start > 0.5  # the end load includes the test runs themselves
    lines = [
        "# Warm `make test`: now against the baseline, side by side",
        "",
        f"Baseline `{args.baseline}` (one process) against this tree at `{head}` (`{' '.join(NOW)}`), "
        f"paths: {' '.join(args.paths) or 'the whole suite'}; {args.repeats} interleaved rounds after a warm-up. "
        f"{os.cpu_count()} cores; load average {load_start:.2f} at the start, {load_end:.2f} at the end"
        + (" — A LOADED MACHINE: indicative only." if loaded else "."),
        "",
        "| side | median s | [min-max] | last result |",
        "|---|---:|---|---|",
        *[
            f"| {name} | {statistics.median(t):.1f} | [{min(t):.1f}-{max(t):.1f}] | {outcome[name]} |"
            for name, t in times.items()
        ],
        "",
        f"Current / baseline: **{statistics.median(ratios):.2f}** "
        f"(per-round ratios {min(ratios):.2f}-{max(ratios):.2f}); the goal is at most 0.50.",
        "",
    ]
    report = "\n".join(lines)
    if args.write:
        (ROOT / "benchmarks" / "results" / "test_loop.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
