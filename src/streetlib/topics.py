"""Topic models as tidy tables, and the diagnostics to choose their number.

* :func:`fit` fits LDA or NMF with an explicit ``random_state`` and BLAS pinned
  to one thread (NMF's results move with the thread count), and returns
  ``beta`` (``topic, term, beta``; each topic sums to 1) and ``gamma``
  (``doc_id, para_id, topic, gamma``; each paragraph sums to 1).
* :func:`coherence` is the mean NPMI of each topic's top terms, from their
  co-occurrence in the same paragraph of this corpus; :func:`exclusivity` the
  mean share of a top term's weight that falls in its own topic;
  :func:`stability` the mean best-match overlap of top terms between fits with
  different seeds. :func:`diagnostics` computes all three over a range of k.
* :func:`frex` ranks terms by the harmonic mean of their frequency and
  exclusivity ranks (as in STM's FREX), for labels; :func:`prevalence` averages
  gamma by a covariate with a bootstrap interval.

LDA runs with ``n_jobs=None``: a different ``n_jobs`` gives different topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import sklearn
from joblib import Memory
from scipy import sparse
from sklearn.decomposition import NMF, LatentDirichletAllocation
from threadpoolctl import threadpool_limits

from streetlib import config


@dataclass
class TopicModel:
    method: str
    k: int
    seed: int
    beta: pd.DataFrame  # topic, term, beta
    gamma: pd.DataFrame  # doc_id, para_id, topic, gamma

    def top_terms(self, n: int = 10) -> pd.DataFrame:
        return (
            self.beta.sort_values(["topic", "beta", "term"], ascending=[True, False, True])
            .groupby("topic")
            .head(n)
            .reset_index(drop=True)
        )


def fit(
    matrix: sparse.spmatrix,
    vocabulary: list[str],
    row_ids: list[str],
    *,
    k: int,
    method: str = "lda",
    seed: int,
    doc_ids: list[str] | None = None,
    learning_method: str = "batch",
    max_iter: int = 50,
    cache: bool = True,
) -> TopicModel:
    """Fit a topic model; return tidy beta and gamma (topics numbered from 1).

    ``row_ids`` name the matrix rows (paragraph ids); ``doc_ids``, if given, the
    document of each row (default: the part of the paragraph id before ':p').
    LDA is fitted in batch (the notebooks' setting); for corpora of tens of thousands
    of paragraphs ``learning_method="online"`` with ``max_iter=10`` is several times
    faster (see benchmarks/).

    Fitted models are cached on disk (``<cache>/models``, see :func:`streetlib.config.cache_dir`),
    keyed by the matrix, vocabulary, ids, every parameter and the scikit-learn version, so a
    re-run notebook loads its models instead of refitting them (``cache=False`` always fits).
    """
    arguments = (matrix, vocabulary, row_ids, k, method, seed, doc_ids, learning_method, max_iter)
    if cache:
        memory = Memory(config.cache_dir() / "models", verbose=0)
        return memory.cache(_fit)(*arguments, sklearn_version=sklearn.__version__)
    return _fit(*arguments)


def _fit(matrix, vocabulary, row_ids, k, method, seed, doc_ids, learning_method, max_iter, sklearn_version=None):
    with threadpool_limits(limits=1):
        if method == "lda":
            model = LatentDirichletAllocation(
                n_components=k, random_state=seed, learning_method=learning_method, max_iter=max_iter
            )
            doc_topic = model.fit_transform(matrix)
        elif method == "nmf":
            model = NMF(n_components=k, random_state=seed, init="nndsvda", max_iter=500)
            doc_topic = model.fit_transform(matrix)
        else:
            raise ValueError(f"method must be 'lda' or 'nmf', not {method!r}")
    weights = model.components_
    beta = weights / weights.sum(axis=1, keepdims=True)
    totals = doc_topic.sum(axis=1, keepdims=True)
    gamma = np.divide(doc_topic, totals, out=np.full_like(doc_topic, 1.0 / k), where=totals > 0)
    topics = np.arange(1, k + 1)
    beta_frame = pd.DataFrame(
        {"topic": np.repeat(topics, len(vocabulary)), "term": np.tile(vocabulary, k), "beta": beta.ravel()}
    )
    doc_ids = doc_ids if doc_ids is not None else [str(r).split(":p")[0] for r in row_ids]
    gamma_frame = pd.DataFrame(
        {
            "doc_id": np.repeat(doc_ids, k),
            "para_id": np.repeat(row_ids, k),
            "topic": np.tile(topics, len(row_ids)),
            "gamma": gamma.ravel(),
        }
    )
    return TopicModel(method, k, seed, beta_frame, gamma_frame)


def _top_sets(model: TopicModel, n: int) -> list[list[str]]:
    top = model.top_terms(n)
    return [list(g["term"]) for _, g in top.groupby("topic")]


def coherence(model: TopicModel, matrix: sparse.spmatrix, vocabulary: list[str], *, n: int = 10) -> float:
    """Mean NPMI over pairs of each topic's top ``n`` terms (paragraph co-occurrence)."""
    present = (matrix > 0).astype(np.float64).tocsc()
    index = {t: i for i, t in enumerate(vocabulary)}
    n_docs = matrix.shape[0]
    scores = []
    for terms in _top_sets(model, n):
        cols = [index[t] for t in terms]
        sub = present[:, cols]
        p = np.asarray(sub.sum(axis=0)).ravel() / n_docs
        joint = (sub.T @ sub).toarray() / n_docs
        for a, b in combinations(range(len(cols)), 2):
            if joint[a, b] == 0:
                scores.append(-1.0)
            elif joint[a, b] == 1:
                scores.append(1.0)
            else:
                scores.append(np.log(joint[a, b] / (p[a] * p[b])) / -np.log(joint[a, b]))
    return float(np.mean(scores))


def exclusivity(model: TopicModel, *, n: int = 10) -> float:
    """Mean over topics and their top terms of beta(term, topic) / sum over topics of beta(term, ·)."""
    wide = model.beta.pivot(index="term", columns="topic", values="beta")
    share = wide.div(wide.sum(axis=1), axis=0)
    values = [share.loc[t, topic] for topic, terms in enumerate(_top_sets(model, n), start=1) for t in terms]
    return float(np.mean(values))


def stability(models: list[TopicModel], *, n: int = 10) -> float:
    """Mean over pairs of fits of the best-match Jaccard overlap of their topics' top terms."""
    overlaps = []
    for a, b in combinations(models, 2):
        sets_a, sets_b = map(set, _top_sets(a, n)), [set(s) for s in _top_sets(b, n)]
        for s in sets_a:
            overlaps.append(max(len(s & t) / len(s | t) for t in sets_b))
    return float(np.mean(overlaps)) if overlaps else 1.0


def diagnostics(
    matrix: sparse.spmatrix,
    vocabulary: list[str],
    row_ids: list[str],
    *,
    ks: list[int],
    seeds: list[int],
    method: str = "lda",
    n: int = 10,
) -> pd.DataFrame:
    """Coherence, exclusivity (first seed) and stability (across seeds) for each k."""
    rows = []
    for k in ks:
        models = [fit(matrix, vocabulary, row_ids, k=k, method=method, seed=s) for s in seeds]
        rows.append(
            {
                "k": k,
                "coherence": coherence(models[0], matrix, vocabulary, n=n),
                "exclusivity": exclusivity(models[0], n=n),
                "stability": stability(models, n=n),
            }
        )
    return pd.DataFrame(rows)


def frex(model: TopicModel, *, weight: float = 0.5, n: int = 10) -> pd.DataFrame:
    """Top ``n`` terms per topic by FREX: harmonic mean of frequency and exclusivity ranks (ECDF)."""
    wide = model.beta.pivot(index="term", columns="topic", values="beta")
    exclusive = wide.div(wide.sum(axis=1), axis=0)
    freq_rank = wide.rank(pct=True)
    excl_rank = exclusive.rank(pct=True)
    score = 1 / (weight / excl_rank + (1 - weight) / freq_rank)
    long = score.stack().rename("frex").reset_index()
    long = long.sort_values(["topic", "frex", "term"], ascending=[True, False, True])
    return long.groupby("topic").head(n).reset_index(drop=True)


def labels(model: TopicModel, *, n: int = 3) -> dict[int, str]:
    """A label per topic: its top ``n`` FREX terms joined with '·'."""
    top = frex(model, n=n)
    return {topic: "·".join(group["term"]) for topic, group in top.groupby("topic")}


def prevalence(
    gamma: pd.DataFrame, covariates: pd.DataFrame, *, by: str, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Mean topic proportion per group with a bootstrap interval (rows resampled within each group).

    ``gamma`` is a model's tidy gamma, ``covariates`` has ``para_id`` and the column ``by``.
    """
    rng = np.random.default_rng(seed)
    wide = gamma.pivot(index="para_id", columns="topic", values="gamma")
    groups = covariates.set_index("para_id")[by].reindex(wide.index)
    alpha = (1 - level) / 2
    rows = []
    for group, members in wide.groupby(groups, sort=True, observed=True):
        values = members.to_numpy()
        draws = rng.integers(0, len(values), size=(n_boot, len(values)))
        boot = values[draws].mean(axis=1)
        for j, topic in enumerate(wide.columns):
            rows.append(
                {
                    by: group,
                    "topic": topic,
                    "rows": len(values),
                    "prevalence": float(values[:, j].mean()),
                    "ci_low": float(np.quantile(boot[:, j], alpha)),
                    "ci_high": float(np.quantile(boot[:, j], 1 - alpha)),
                }
            )
    return pd.DataFrame(rows)


def representative(gamma: pd.DataFrame, *, n: int = 2) -> pd.DataFrame:
    """The ``n`` rows with the highest proportion of each topic."""
    return (
        gamma.sort_values(["topic", "gamma", "para_id"], ascending=[True, False, True])
        .groupby("topic")
        .head(n)
        .reset_index(drop=True)
    )
