"""Networks, text reuse and the R export against corpus size: is each step linear in documents?

Makes corpora of 1×, 2× and 4× the real documents. Copy 0 is the real corpus; copy k > 0 of a
document is the same text with every Chinese character replaced through a fixed, seeded
permutation of the corpus's characters (one permutation per copy). A copy keeps its lengths,
its paragraph structure and the reuse *within* its own set of documents (the 长白新村 bundle's
copied passages stay copied), but shares no text with other copies, as documents of another
street would not. Task rows are copied with new task ids and keys (more lists of the same
departments); token frames with new paragraph ids.

Each step is timed against a reference doing one linear pass over the same input, interleaved
(reference, step, reference, step …) in the same process, so the ratio step / reference
compares across machines:

- co-responsibility network: ``networks.co_responsibility_graph`` + ``node_measures``; reference: the
  merge of task rows and their departments.
- co-word network: ``networks.coword_graph`` + ``communities``; reference: the set of terms per paragraph.
- text reuse: ``reuse.shared_passages`` + ``reuse_shares``; reference: the character 5-gram sets of every clause.
- R export: ``rexport.write_r_export`` (segmentation with a cold token cache included); reference: the
  same 5-gram pass.

Writes ``results/networks_reuse.md`` and ``.json``.

    python benchmarks/networks_reuse.py --scales 1 2 4 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "benchmarks" / "results"
SEED = 20261121


def permuted(text: str, table: dict[int, int]) -> str:
    return text.translate(table)


def character_tables(paragraphs: pd.DataFrame, copies: int) -> list[dict[int, int]]:
    """One seeded permutation of the corpus's Chinese characters per copy (copy 0: identity)."""
    chars = sorted({c for t in paragraphs["text"] for c in t if "\u4e00" <= c <= "\u9fff"})
    rng = np.random.default_rng(SEED)
    tables = [{}]
    for _ in range(1, copies):
        shuffled = rng.permutation(len(chars))
        tables.append({ord(c): ord(chars[j]) for c, j in zip(chars, shuffled, strict=True)})
    return tables


def scaled(factor: int, paragraphs, documents, tasks, links, tokens):
    """The five inputs at ``factor`` × the documents (see the module docstring)."""
    tables = character_tables(paragraphs, factor)
    p, d, t, lk, tk = [], [], [], [], []
    for k, table in enumerate(tables):
        suffix = "" if k == 0 else f"__{k}"
        p.append(
            paragraphs.assign(
                doc_id=paragraphs["doc_id"] + suffix,
                para_id=paragraphs["para_id"] + suffix,
                text=[permuted(x, table) for x in paragraphs["text"]],
            )
        )
        d.append(documents.assign(doc_id=documents["doc_id"] + suffix))
        t.append(tasks.assign(task_id=tasks["task_id"] + suffix, task_key=tasks["task_key"] + suffix))
        lk.append(links.assign(task_id=links["task_id"] + suffix))
        tk.append(tokens.assign(para_id=tokens["para_id"] + suffix))
    return tuple(pd.concat(x, ignore_index=True) for x in (p, d, t, lk, tk))


def timed(function, repeats: int, reference) -> dict[str, float]:
    """Median seconds of ``function`` and of ``reference``, measured interleaved."""
    steps, refs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        reference()
        refs.append(time.perf_counter() - start)
        start = time.perf_counter()
        function()
        steps.append(time.perf_counter() - start)
    return {
        "seconds": statistics.median(steps),
        "min": min(steps),
        "max": max(steps),
        "reference_seconds": statistics.median(refs),
        "ratio": statistics.median(steps) / statistics.median(refs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="networks-bench-"))
    os.environ["STREETLIB_CACHE"] = str(scratch / "cache")  # never touch the user's token cache

    import streetlib
    from streetlib import coverage, networks, reuse, rexport, text

    paragraphs, documents = streetlib.load_paragraphs(), streetlib.load_documents()
    tasks = coverage.with_task_keys(streetlib.load_tasks())
    links = streetlib.load_task_departments()
    plan = paragraphs[(paragraphs["genre"] == "plan") & ~paragraphs["is_duplicate"]]
    tokens = text.content_tokens(text.tokenize(plan, use_cache=False))

    def grams(frame):
        return [reuse.shingles(c) for x in frame["text"] for _, c in reuse.clauses(x)]

    def export_cold(p, d):
        fresh = scratch / f"run-{time.perf_counter_ns()}"
        os.environ["STREETLIB_CACHE"] = str(fresh / "cache")  # a cold token cache: segmentation is timed
        rexport.write_r_export(fresh / "r", paragraphs=p, documents=d)

    results = []
    for factor in args.scales:
        p, d, t, lk, tk = scaled(factor, paragraphs, documents, tasks, links, tokens)
        steps = {
            "co-responsibility network": (
                lambda t=t, lk=lk: networks.node_measures(networks.co_responsibility_graph(t, lk)),
                lambda t=t, lk=lk: lk.merge(t, on="task_id"),
            ),
            "co-word network": (
                lambda tk=tk: networks.communities(networks.coword_graph(tk, min_ochiai=0.25)),
                lambda tk=tk: tk.groupby("para_id")["token"].agg(set),
            ),
            "text reuse": (
                lambda p=p, d=d: reuse.reuse_shares(reuse.shared_passages(p, d), p),
                lambda p=p: grams(p),
            ),
            "R export": (lambda p=p, d=d: export_cold(p, d), lambda p=p: grams(p)),
        }
        for name, (function, reference) in steps.items():
            row = {"step": name, "scale": factor, "documents": d["doc_id"].nunique(), "paragraphs": len(p)}
            row.update(timed(function, args.repeats, reference))
            results.append(row)
            print(f"{name:<28} {factor}×  {row['seconds']:.3f} s  ratio {row['ratio']:.1f}", file=sys.stderr)
    write(results, args)


def write(results: list[dict], args) -> None:
    table = pd.DataFrame(results)
    base = table[table["scale"] == min(args.scales)].set_index("step")["seconds"]
    table["growth"] = table["seconds"] / table["step"].map(base)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "networks_reuse.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Networks, text reuse and R export against corpus size",
        "",
        f"`python benchmarks/networks_reuse.py --scales {' '.join(map(str, args.scales))} --repeats {args.repeats}` "
        "(see the script's docstring for the corpora and references). Median seconds of "
        f"{args.repeats} runs (min–max); `ratio` = step / its reference measured interleaved in the same run; "
        "`growth` = time / time at the smallest scale (linear: equal to the scale).",
        "",
        "| step | scale | documents | paragraphs | seconds (min–max) | reference s | ratio | growth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.step} | {r.scale}× | {r.documents} | {r.paragraphs} | {r.seconds:.3f} ({r.min:.3f}–{r.max:.3f}) "
            f"| {r.reference_seconds:.3f} | {r.ratio:.1f} | {r.growth:.2f} |"
        )
    (RESULTS / "networks_reuse.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
