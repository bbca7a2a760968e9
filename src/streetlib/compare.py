"""Comparing groups of texts: keyness and document similarity.

* :func:`keyness` compares a target group's token counts with the rest of the
  corpus by Dunning's log-likelihood (G²), signed positive where the term is
  over-used in the target, with an effect size: the log₂ ratio of relative
  frequencies (0.5 added to each count so that absent terms stay finite).
* :func:`similarity` is the cosine similarity of tf-idf vectors of documents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def keyness(tokens: pd.DataFrame, *, group: str, target: object, min_count: int = 3) -> pd.DataFrame:
    """Terms over- and under-used in ``tokens[group] == target`` against the rest.

    Returns ``term, target_count, reference_count, g2, log_ratio`` sorted by signed G²
    (largest first); terms rarer than ``min_count`` in both parts together are left out.
    """
    is_target = tokens[group] == target
    a = tokens.loc[is_target, "token"].value_counts()
    b = tokens.loc[~is_target, "token"].value_counts()
    table = pd.concat({"target_count": a, "reference_count": b}, axis=1).fillna(0)
    table = table[(table["target_count"] + table["reference_count"]) >= min_count]
    n1, n2 = float(a.sum()), float(b.sum())
    o1, o2 = table["target_count"].to_numpy(), table["reference_count"].to_numpy()
    e1 = n1 * (o1 + o2) / (n1 + n2)
    e2 = n2 * (o1 + o2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * (np.where(o1 > 0, o1 * np.log(o1 / e1), 0) + np.where(o2 > 0, o2 * np.log(o2 / e2), 0))
    sign = np.sign(o1 / n1 - o2 / n2) if n2 else np.ones_like(o1)
    table["g2"] = sign * g2
    table["log_ratio"] = np.log2(((o1 + 0.5) / n1) / ((o2 + 0.5) / n2)) if n2 else np.inf
    table.index.name = "term"
    return table.reset_index().sort_values(["g2", "term"], ascending=[False, True]).reset_index(drop=True)


def similarity(tokens: pd.DataFrame, *, by: str = "doc_id") -> pd.DataFrame:
    """Cosine similarity of tf-idf vectors, one per ``by`` group (a square DataFrame)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    groups = tokens.groupby(by, sort=True)["token"].agg(list)
    matrix = TfidfVectorizer(analyzer=lambda doc: doc).fit_transform(groups.tolist())
    return pd.DataFrame(cosine_similarity(matrix), index=groups.index, columns=groups.index)
