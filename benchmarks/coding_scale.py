"""Time of the coding and concordance steps against corpus size: are they linear in documents?

Replicates the built paragraphs and documents in memory (copy k of a document gets doc_id
``…#k`` and its own street, so strata and groups grow with the corpus), keeps the maintainers'
coded sample as the only coded units, and times on each scale: cutting sentences
(`coding.coding_units`), keyword in context for the elderly-care terms on token boundaries
(`concordance.kwic`, segmentation included), the DSL shares by street (`coding.dsl_shares`:
five cross-fitted classifiers and the pseudo-outcomes). Writes `results/coding_scale.md`.

    python benchmarks/coding_scale.py --scales 1 3 9
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import streetlib
from streetlib import coding, concordance, config

RESULTS = Path(__file__).resolve().parent / "results"


def replicated(frame: pd.DataFrame, k: int, columns: tuple[str, ...]) -> pd.DataFrame:
    """``k`` copies of ``frame``; copy i > 0 suffixes the named id columns with ``#i``."""
    copies = []
    for i in range(k):
        copy = frame.copy()
        if i:
            for column in columns:
                copy[column] = copy[column].astype(str) + f"#{i}"
        copies.append(copy)
    return pd.concat(copies, ignore_index=True)


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 3, 9])
    args = parser.parse_args()
    paragraphs, documents = streetlib.load_paragraphs(), streetlib.load_documents()
    book = coding.load_codebook()
    sheet = coding.read_coding_sheet(config.reviewed_dir() / "coding" / "policy_instruments_maintainers.csv", book)
    terms = concordance.lexicon_terms("elderly_terms")
    rows = []
    concordance.kwic(concordance.sentences(paragraphs.head(50)), terms)  # warm-up: load jieba and its dictionary
    for k in args.scales:
        paras = replicated(paragraphs, k, ("doc_id", "para_id"))
        docs = replicated(documents, k, ("doc_id", "street"))
        t_units, units = timed(coding.coding_units, paras, docs)
        t_kwic, _ = timed(concordance.kwic, concordance.sentences(paras), terms, match="token")
        coded = sheet[["unit_id", "pi", "instrument"]]
        t_dsl, _ = timed(
            coding.dsl_shares, units, coded, variable="instrument", categories=book.variable("instrument").codes
        )
        rows.append({"scale": k, "documents": len(docs), "sentences": len(units), "coding_units_s": t_units,
                     "kwic_token_s": t_kwic, "dsl_shares_s": t_dsl})  # fmt: skip
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    for column in ("coding_units_s", "kwic_token_s", "dsl_shares_s"):
        table[column.removesuffix("_s") + "_us_per_sentence"] = 1e6 * table[column] / table["sentences"]
    RESULTS.mkdir(exist_ok=True)
    lines = [
        "# Coding and concordance against corpus size",
        "",
        "`python benchmarks/coding_scale.py` (one run after a warm-up, two shared cores; s and µs per sentence).",
        "Per-sentence time that stays flat across scales means linear time.",
        "",
        "| " + " | ".join(table.columns) + " |",
        "|" + "---|" * len(table.columns),
        *(
            "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |"
            for row in table.itertuples(index=False)
        ),
        "",
    ]
    (RESULTS / "coding_scale.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
