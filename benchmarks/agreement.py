"""Agreement of the optional fast segmentation backends with jieba, on the real corpus.

    python benchmarks/agreement.py            # prints the report
    python benchmarks/agreement.py --write    # and writes benchmarks/results/agreement.md and .json

jieba stays the default: every committed output is made with it. A backend is worth using
only where its differences (listed here, most frequent first) do not matter to the analysis.
Speeds are timed in interleaved rounds (jieba, jieba_fast, rjieba, jieba, …) after one warm-up run
each; a backend's speed-up is the median of its per-round ratios to jieba, with their min-max. The
real corpus is 0.1-0.2 s of jieba's work, so each pass runs in one process (two would not pay).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import streetlib
from streetlib import text

OUT = Path(__file__).resolve().parent / "results"
ROUNDS = 5  # a round is about a second


def main() -> None:
    paragraphs = streetlib.load_paragraphs()
    texts = paragraphs.loc[~paragraphs["is_duplicate"].astype(bool), "text"].tolist()
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    times: dict[str, list[float]] = {backend: [] for backend in text.BACKENDS}
    for backend in text.BACKENDS:
        text.segment_many(texts, backend=backend)  # warm: engine built
    for _ in range(ROUNDS):
        for backend in text.BACKENDS:
            start = time.perf_counter()
            text.segment_many(texts, backend=backend)
            times[backend].append(time.perf_counter() - start)
    report, lines = {}, ["# Fast segmentation backends against jieba", ""]
    jieba_speed = megabytes / statistics.median(times["jieba"])
    for backend in text.BACKENDS:
        speed = {"megabytes_per_second": round(megabytes / statistics.median(times[backend]), 2)}
        if backend == "jieba":
            report[backend] = speed
            continue
        speedups = [j / b for j, b in zip(times["jieba"], times[backend], strict=True)]
        speed |= {
            "speedup": round(statistics.median(speedups), 2),
            "speedup_min": round(min(speedups), 2),
            "speedup_max": round(max(speedups), 2),
        }
        summary, spans = text.agreement(texts, backend)
        report[backend] = summary | speed | {"spans": spans.head(50).values.tolist()}
        lines += [
            f"## {backend}: {summary['token_agreement']:.4%} of jieba's tokens, {speed['speedup']:.2f}× jieba's speed "
            f"[{speed['speedup_min']:.2f}-{speed['speedup_max']:.2f}] ({speed['megabytes_per_second']:.2f} MB/s, "
            f"jieba {jieba_speed:.2f} MB/s; medians of {ROUNDS} interleaved rounds)",
            "",
            f"{summary['identical_texts']} of {summary['texts']} paragraphs identical; "
            f"{summary['jieba_tokens'] - summary['agreeing_tokens']} of {summary['jieba_tokens']} jieba tokens differ.",
            "",
        ]
        if not spans.empty:
            lines += ["| jieba | " + backend + " | count |", "|---|---|---:|"]
            lines += [f"| {a} | {b} | {n} |" for a, b, n in spans.head(30).itertuples(index=False)]
            lines.append("")
    if "--write" not in sys.argv[1:]:
        print("\n".join(lines))
        return
    OUT.mkdir(exist_ok=True)
    (OUT / "agreement.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (OUT / "agreement.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
