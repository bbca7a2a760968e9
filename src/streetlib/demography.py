"""Age structure and plan attention: the calculations behind notebook 02.

* :func:`age_bands` turns nested "N岁以上" counts into disjoint bands.
* :func:`ageing_indicators` computes the rates a demographer reports.
* :func:`attention` measures how much of a text is about a theme: the share of its
  sentences that name any term of a dictionary, with a Wilson interval widened by the
  design effect of chapters (:func:`streetlib.concordance.wilson`). It is a dictionary measure, independent
  of any topic model. :func:`attention_share` is the older paragraph bootstrap (notebook 05).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from streetlib import config
from streetlib.concordance import wilson


def age_bands(older_than: Mapping[int, float], total: float) -> pd.DataFrame:
    """Disjoint age bands from nested counts of people aged N and over.

    Parameters
    ----------
    older_than
        ``{60: 23221, 80: 3914, ...}``: people aged N or older, each group
        containing the next.
    total
        The whole population on the same base (for the band under the lowest age
        and the shares).

    Returns
    -------
    DataFrame with ``band``, ``count`` and ``share`` (of ``total``), youngest first.

    Raises
    ------
    ValueError
        If the groups are not nested (an older group larger than a younger one).
    """
    ages = sorted(older_than)
    counts = [total, *(older_than[a] for a in ages)]
    if any(b > a for a, b in pairwise(counts)):
        raise ValueError(f"groups are not nested: {dict(zip(['total', *ages], counts, strict=True))}")
    labels = [f"<{ages[0]}"] + [f"{a}-{b - 1}" for a, b in pairwise(ages)] + [f"{ages[-1]}+"]
    sizes = [a - b for a, b in pairwise(counts)] + [counts[-1]]
    return pd.DataFrame({"band": labels, "count": sizes, "share": [s / total for s in sizes]})


def ageing_indicators(
    *, total: float, age_60_plus: float, age_80_plus: float, age_100_plus: float, living_alone: float | None = None
) -> dict[str, float]:
    """Ageing rate (%), oldest-old share of the 60+ (%), centenarians per 100 000, living-alone rate of the 60+ (%)."""
    out = {
        "ageing_rate_pct": 100 * age_60_plus / total,
        "oldest_old_share_pct": 100 * age_80_plus / age_60_plus,
        "centenarians_per_100k": 100_000 * age_100_plus / total,
    }
    if living_alone is not None:
        out["living_alone_rate_pct"] = 100 * living_alone / age_60_plus
    return out


def load_terms(name: str = "elderly_terms", *, root: Path | None = None) -> list[str]:
    """A term dictionary from ``data/lexicon/<name>.csv`` (column ``term``)."""
    path = config.lexicon_dir(root) / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["term"] for row in csv.DictReader(handle)]


def mentions(texts: Iterable[str], terms: Iterable[str]) -> np.ndarray:
    """Boolean array: does each text name any of the terms?"""
    terms = list(terms)
    return np.array([any(term in text for term in terms) for text in texts], dtype=bool)


def attention(
    sentences: pd.DataFrame,
    terms: Iterable[str],
    *,
    by: str | list[str],
    cluster: str = "chapter_id",
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of sentences naming any term, per group, with a Wilson interval that respects clustering.

    Sentences of one chapter (``cluster``) are not independent: a chapter on elderly care names the
    terms sentence after sentence. The design effect ``deff`` is the ratio of the cluster-robust variance
    of the share (ratio estimator over clusters) to the binomial variance, floored at 1; the Wilson interval
    is computed on the effective size ``n_eff = sentences / deff``. Where no variance can be estimated (fewer
    than two clusters, or a share of 0 or 1), ``deff`` is 1 and the interval is the plain Wilson interval.

    Returns
    -------
    DataFrame indexed by ``by`` with ``documents``, ``clusters``, ``sentences``, ``mentioning``, ``share``,
    ``deff``, ``n_eff``, ``ci_low`` and ``ci_high``.
    """
    frame = sentences.assign(_hit=mentions(sentences["text"], terms))
    rows = {}
    for key, group in frame.groupby(by, observed=True, sort=True):
        n, hits = len(group), int(group["_hit"].sum())
        share = hits / n
        per_cluster = group.groupby(cluster, observed=True)["_hit"].agg(["sum", "size"])
        c = len(per_cluster)
        deff = 1.0
        if c >= 2 and 0 < share < 1:
            residual = per_cluster["sum"] - share * per_cluster["size"]
            robust = c / (c - 1) * float((residual**2).sum()) / n**2
            deff = max(1.0, robust / (share * (1 - share) / n))
        low, high = wilson(share * n / deff, n / deff, level=level)
        rows[key] = {
            "documents": group["doc_id"].nunique() if "doc_id" in group else np.nan,
            "clusters": c,
            "sentences": n,
            "mentioning": hits,
            "share": share,
            "deff": deff,
            "n_eff": n / deff,
            "ci_low": low,
            "ci_high": high,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = [by] if isinstance(by, str) else by
    return out


def attention_share(
    paragraphs: pd.DataFrame,
    terms: Iterable[str],
    *,
    by: str | list[str],
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of paragraphs naming any term, per group, with a bootstrap interval over paragraphs.

    Kept for notebook 05's teaching exercise; it treats paragraphs as independent draws, which they
    are not within one document. For analysis use :func:`attention` (sentences, clustered by chapter).

    Paragraphs are resampled with replacement within each group (``n_boot``
    times, generator seeded with ``seed``); the interval is the central ``level``
    percentile range of the resampled shares.

    Returns
    -------
    DataFrame indexed by ``by`` with ``paragraphs``, ``mentioning``, ``share``,
    ``ci_low`` and ``ci_high``.
    """
    rng = np.random.default_rng(seed)
    hit = mentions(paragraphs["text"], terms)
    frame = paragraphs.assign(_hit=hit)
    rows = {}
    alpha = (1 - level) / 2
    for key, group in frame.groupby(by, observed=True, sort=True):
        values = group["_hit"].to_numpy()
        boot = rng.choice(values, size=(n_boot, len(values)), replace=True).mean(axis=1)
        rows[key] = {
            "paragraphs": len(values),
            "mentioning": int(values.sum()),
            "share": float(values.mean()),
            "ci_low": float(np.quantile(boot, alpha)),
            "ci_high": float(np.quantile(boot, 1 - alpha)),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = [by] if isinstance(by, str) else by
    return out
