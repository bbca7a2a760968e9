"""Does a second `make bench` reproduce the first? Every figure of run B against the spread run A states.

    python benchmarks/compare.py FIRST/bench.json SECOND/bench.json             # prints the table
    python benchmarks/compare.py FIRST/bench.json SECOND/bench.json --write OUT.md

A figure is *reproduced* when B's median lies inside A's stated spread (min-max of its runs), widened by
the rounding the report prints, or A's median inside B's (two spreads drawn from the same distribution
need not nest either way round). The ratio of a row (measured interleaved with its reference) is the
claim bench.md makes, so ratios are compared where a row has one, seconds otherwise. Rows with fewer
than two runs state no spread and are listed as such. A goal is reproduced when both runs reach the same
verdict (met or not met).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROUNDING = 0.005  # bench.md prints two decimals: a figure at the edge of a spread is inside it


def rows(run: dict) -> dict[tuple[float, str], dict]:
    """Every timed row of a bench.json, by (scale, stage)."""
    return {(r["scale"], r["stage"]): r for s in run["scales"] for r in s["rows"]}


def figure(row: dict) -> tuple[str, float, float, float] | None:
    """``(what, median, low, high)`` of a row: its ratio where it has one, else its seconds; None without a spread."""
    if row["runs"] < 2:
        return None
    if row.get("ratio") is not None:
        return "ratio", row["ratio"], row["ratio_min"], row["ratio_max"]
    return "seconds", row["median_s"], row["min_s"], row["max_s"]


def inside(value: float, low: float, high: float) -> bool:
    return low - ROUNDING <= value <= high + ROUNDING


def compare(first: dict, second: dict) -> tuple[list[dict], list[dict]]:
    """Row-by-row and goal-by-goal comparison of two runs (rows present in both, in the first run's order)."""
    a_rows, b_rows = rows(first), rows(second)
    table = []
    for key, a in a_rows.items():
        if key not in b_rows:
            continue
        fa, fb = figure(a), figure(b_rows[key])
        entry = {"scale": key[0], "stage": key[1]}
        if fa is None or fb is None:
            table.append(entry | {"what": "one run", "reproduced": None})
            continue
        what, ma, la, ha = fa
        _, mb, lb, hb = fb
        reproduced = inside(mb, la, ha) or inside(ma, lb, hb)
        table.append(entry | {"what": what, "a": (ma, la, ha), "b": (mb, lb, hb), "reproduced": reproduced})
    b_goals = {g["goal"]: g for g in second["goals"]}
    goals = [
        {"goal": g["goal"], "a": g["value"], "b": b_goals[g["goal"]]["value"], "target": g["target"],
         "met_a": g["met"], "met_b": b_goals[g["goal"]]["met"], "reproduced": g["met"] == b_goals[g["goal"]]["met"]}
        for g in first["goals"]
        if g["goal"] in b_goals
    ]  # fmt: skip
    return table, goals


def render(table: list[dict], goals: list[dict], names: tuple[str, str], loads: tuple[str, str]) -> str:
    def spread(t: tuple[float, float, float]) -> str:
        return f"{t[0]:.3g} [{t[1]:.3g}-{t[2]:.3g}]"

    yes = {True: "yes", False: "**NO**", None: "no spread (1 run)"}
    timed = [t for t in table if t["reproduced"] is not None]
    lines = [
        "# Reproduction: a second `make bench` against the first",
        "",
        f"First run: {names[0]} ({loads[0]}). Second run: {names[1]} ({loads[1]}).",
        "A figure is reproduced when one run's median lies inside the other's min-max (ratios where a row has one).",
        f"Reproduced: **{sum(t['reproduced'] for t in timed)} of {len(timed)}** figures with a spread; "
        f"goal verdicts the same in **{sum(g['reproduced'] for g in goals)} of {len(goals)}**.",
        "",
        "## Goals",
        "",
        "| goal | first | second | target | met (first / second) | same verdict |",
        "|---|---:|---:|---|---|---|",
    ]
    for g in goals:
        met = f"{'yes' if g['met_a'] else 'NO'} / {'yes' if g['met_b'] else 'NO'}"
        lines.append(f"| {g['goal']} | {g['a']} | {g['b']} | {g['target']} | {met} | {yes[g['reproduced']]} |")
    lines += [
        "",
        "## Every row",
        "",
        "| scale | stage | figure | first | second | reproduced |",
        "|---:|---|---|---|---|---|",
    ]
    for t in table:
        first = spread(t["a"]) if "a" in t else ""
        second = spread(t["b"]) if "b" in t else ""
        lines.append(f"| {t['scale']:g}× | {t['stage']} | {t['what']} | {first} | {second} | {yes[t['reproduced']]} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--write", type=Path, help="write the table to this Markdown file")
    args = parser.parse_args()
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in (args.first, args.second)]
    table, goals = compare(*runs)
    loads = tuple(
        f"load {r['load']['start']:.2f} at the start" if isinstance(r.get("load"), dict) else "" for r in runs
    )
    text = render(table, goals, (str(args.first), str(args.second)), loads)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
