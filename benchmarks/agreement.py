"""Agreement of the optional fast segmentation backends with jieba, on the real corpus.

    python benchmarks/agreement.py            # prints the report
    python benchmarks/agreement.py --write    # and writes benchmarks/results/agreement.md and .json

jieba stays the default: every committed output is made with it. A backend is worth using
only where its differences (listed here, most frequent first) do not matter to the analysis.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import streetlib
from streetlib import text

OUT = Path(__file__).resolve().parent / "results"


def main() -> None:
    paragraphs = streetlib.load_paragraphs()
    texts = paragraphs.loc[~paragraphs["is_duplicate"].astype(bool), "text"].tolist()
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    report, lines = {}, ["# Fast segmentation backends against jieba", ""]
    for backend in text.BACKENDS:
        start = time.perf_counter()
        text.segment_many(texts, backend=backend)  # warm: engine built
        start = time.perf_counter()
        text.segment_many(texts, backend=backend)
        speed = megabytes / (time.perf_counter() - start)
        if backend == "jieba":
            report[backend] = {"megabytes_per_second": round(speed, 2)}
            continue
        summary, spans = text.agreement(texts, backend)
        report[backend] = summary | {"megabytes_per_second": round(speed, 2), "spans": spans.head(50).values.tolist()}
        lines += [
            f"## {backend}: {summary['token_agreement']:.4%} of jieba's tokens, {speed:.2f} MB/s "
            f"(jieba {report['jieba']['megabytes_per_second']:.2f} MB/s)",
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
