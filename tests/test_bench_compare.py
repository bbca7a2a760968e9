"""benchmarks/compare.py: when a second benchmark run counts as reproducing the first."""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "benchmarks" / "compare.py"
spec = importlib.util.spec_from_file_location("bench_compare", HERE)
compare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare)


def row(stage, median, low, high, runs=3, ratio=None):
    ratios = {"ratio": None, "ratio_min": None, "ratio_max": None}
    if ratio is not None:
        ratios = {"ratio": ratio[0], "ratio_min": ratio[1], "ratio_max": ratio[2]}
    return {"scale": 10.0, "stage": stage, "median_s": median, "min_s": low, "max_s": high, "runs": runs} | ratios


def run(rows, goals):
    return {"scales": [{"scale": 10.0, "rows": rows}], "goals": goals, "load": {"start": 0.1}}


def test_a_figure_is_reproduced_when_one_median_lies_in_the_other_spread() -> None:
    first = run(
        [
            row("a", 1.0, 0.9, 1.1),  # seconds: 1.05 inside [0.9, 1.1]
            row("b", 1.0, 0.9, 1.1, ratio=(2.0, 1.9, 2.1)),  # the ratio is compared, not the seconds
            row("c", 1.0, 0.99, 1.01),  # second run's 1.5 [1.4-1.6] and this spread miss each other
            row("d", 5.0, 5.0, 5.0, runs=1),  # one run states no spread
            row("e", 1.0, 0.98, 1.0),  # 0.97 is outside [0.98, 1.0], but 1.0 is inside [0.97, 1.2]
        ],
        [{"goal": "g1", "value": 1.6, "target": "≥ 1.7", "met": False}],
    )
    second = run(
        [
            row("a", 1.05, 1.0, 1.2),
            row("b", 9.0, 8.0, 10.0, ratio=(2.08, 2.0, 2.3)),
            row("c", 1.5, 1.4, 1.6),
            row("d", 5.5, 5.5, 5.5, runs=1),
            row("e", 0.97, 0.97, 1.2),
        ],
        [{"goal": "g1", "value": 1.72, "target": "≥ 1.7", "met": True}],
    )
    table, goals = compare.compare(first, second)
    verdict = {t["stage"]: t["reproduced"] for t in table}
    assert verdict == {"a": True, "b": True, "c": False, "d": None, "e": True}
    assert [t["what"] for t in table] == ["seconds", "ratio", "seconds", "one run", "seconds"]
    assert goals == [
        {"goal": "g1", "a": 1.6, "b": 1.72, "target": "≥ 1.7", "met_a": False, "met_b": True, "reproduced": False}
    ]
    text = compare.render(table, goals, ("one", "two"), ("load 0.10", "load 0.10"))
    assert "**3 of 4**" in text and "**0 of 1**" in text and "| 10× | c | seconds |" in text
