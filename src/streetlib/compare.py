"""Comparing groups of texts: keyness and document similarity.

* :func:`keyness` compares a target group's token counts with the rest of the
  corpus by Dunning's log-likelihood (G²), signed positive where the term is
  over-used in the target, with an effect size: the log₂ ratio of relative
  frequencies (0.5 added to each count so that absent terms stay finite).
* :func:`similarity` is the cosine similarity of tf-idf vectors of documents;
  :func:`within_between` summarises it for pairs inside and across groups (what a
  heatmap can support about "documents of the same street resemble each other").
* :func:`shared_levels` tells whether two covariates can be separated at all (a
  document type found in one street only cannot tell type from street).
* :func:`chapters` maps every section to its chapter: the unit that resampling
  draws, since paragraphs of one chapter are not independent.
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


def within_between(sim: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Similarity of pairs of items in the same group and in different groups.

    Parameters
    ----------
    sim
        A square similarity matrix (:func:`similarity`), items as index and columns.
    groups
        The group of each item (indexed by item), e.g. the street of each document.

    Returns
    -------
    DataFrame indexed by ``relation`` (``same``, ``different``) with ``pairs``, ``mean``, ``median``,
    ``min`` and ``max`` over the distinct pairs (each pair once, no item with itself).
    """
    items = list(sim.index)
    rows = []
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            rows.append(("same" if groups[a] == groups[b] else "different", float(sim.loc[a, b])))
    pairs = pd.DataFrame(rows, columns=["relation", "similarity"])
    table = pairs.groupby("relation")["similarity"].agg(
        pairs="size", mean="mean", median="median", min="min", max="max"
    )
    return table.reindex(["same", "different"])


def shared_levels(frame: pd.DataFrame, factor: str, other: str) -> list:
    """The levels of ``other`` that occur with two or more levels of ``factor``.

    Empty when every level of ``other`` lives inside one level of ``factor``: then no comparison of
    ``factor`` levels holds ``other`` fixed, and their difference cannot be told from ``other``'s.
    """
    spread = frame.groupby(other, observed=True)[factor].nunique()
    return sorted(spread[spread >= 2].index)


def chapters(sections: pd.DataFrame) -> pd.Series:
    """The chapter of every section: its outermost enclosing section below the document's root.

    The root is level 0 (title, preamble); a section of level 0 is its own chapter. Returns a
    Series ``section_id → chapter_id``.
    """
    parent = sections.set_index("section_id")["parent_id"]
    level = sections.set_index("section_id")["level"]
    out = {}
    for section in sections["section_id"]:
        current = section
        while True:
            up = parent.get(current)
            if pd.isna(up) or up not in level.index or level[up] < 1:
                break
            current = up
        out[section] = current
    return pd.Series(out, name="chapter_id").rename_axis("section_id")
