"""Which streets an analysis covers, and the streets it leaves out, named with the reason.

A notebook selects documents (plan paragraphs that are not duplicates, one case street's task
lists, …) and a street can lose all of its documents on the way. Such a street must be named,
not silently dropped, so that a reader of a 30-street corpus sees which streets a figure speaks
for. :func:`not_analysed` lists them; :func:`describe` is the one printed line a notebook shows.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

SCOPE_COLUMNS = ["street", "documents", "reason"]


def not_analysed(documents: pd.DataFrame, analysed: Iterable[str], *, reason: str) -> pd.DataFrame:
    """The streets of ``documents`` none of whose documents is in ``analysed``.

    Parameters
    ----------
    documents
        The documents table (needs ``doc_id`` and ``street``): the corpus the analysis draws from.
    analysed
        The ``doc_id`` of every document the analysis uses (duplicates allowed).
    reason
        Why a document is left out, in data terms, e.g. ``"all its plan paragraphs are duplicates"``.

    Returns
    -------
    pandas.DataFrame
        ``street, documents, reason``: one row per street left out, sorted by street; ``documents``
        joins its doc_ids with ``;``. Empty (with these columns) when every street is analysed.
    """
    used = set(analysed)
    unknown = sorted(used - set(documents["doc_id"]))
    if unknown:
        raise ValueError(f"analysed documents not in the documents table: {', '.join(unknown)}")
    covered = set(documents.loc[documents["doc_id"].isin(used), "street"])
    left = documents[~documents["street"].isin(covered)]
    rows = [
        {"street": street, "documents": ";".join(sorted(group["doc_id"])), "reason": reason}
        for street, group in left.groupby("street", sort=True)
    ]
    return pd.DataFrame(rows, columns=SCOPE_COLUMNS)


def describe(documents: pd.DataFrame, analysed: Iterable[str], *, reason: str) -> str:
    """One line for a notebook's output: every street, analysed or left out, by name.

    >>> docs = pd.DataFrame({"doc_id": ["a1", "a2", "b1"], "street": ["甲街道", "甲街道", "乙街道"]})
    >>> describe(docs, ["a1"], reason="no plan paragraphs")
    'analysed: 1 of 2 streets (1 documents): 甲街道; not analysed (no plan paragraphs): 乙街道'
    """
    used = set(analysed)
    left = not_analysed(documents, used, reason=reason)
    covered = sorted(set(documents.loc[documents["doc_id"].isin(used), "street"]))
    n_streets = documents["street"].nunique()
    line = f"analysed: {len(covered)} of {n_streets} streets ({len(used)} documents): {', '.join(covered)}"
    if left.empty:
        return line + "; every street analysed"
    return f"{line}; not analysed ({reason}): {', '.join(left['street'])}"
