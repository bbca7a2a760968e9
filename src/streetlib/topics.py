"""Topic models as tidy tables, fitted over many seeds, and the diagnostics to choose their number.

* :func:`corpus_matrix` builds the paragraph × term matrix (stopword lists and place names dropped).
* :func:`fit` fits LDA or NMF with an explicit ``random_state`` and BLAS pinned
  to one thread (NMF's results move with the thread count), and returns
  ``beta`` (``topic, term, beta``; each topic sums to 1) and ``gamma``
  (``doc_id, para_id, topic, gamma``; each paragraph sums to 1). Fits are cached on disk.
* :func:`fit_ensemble` fits one k over a block of seeds (:func:`ensemble_seeds`), aligns every fit
  by Hungarian matching on beta (:func:`align`) to anchor topics no seed enters (:func:`anchor_topics`),
  averages them into consensus topics and gives each its stability: the median similarity of a fit's
  topic with the mean of the other fits. Only topics that recur (stability ≥ :data:`STABLE`) are findings.
* :func:`distinctive_terms` is how a topic is shown and compared across seeds: its most probable terms
  among those it uses more than any other topic does (a word every topic uses is listed once).
* :func:`choose_k` computes, for each k of a grid, held-out perplexity (document completion),
  coherence (mean NPMI of top terms, :func:`coherence`), exclusivity (:func:`exclusivity`) and
  stability over the ensemble, and chooses k by a rule it states.
* :func:`labels` are the first distinctive terms among those with enough paragraphs
  behind them (:func:`supported_terms`); :func:`representative_paragraphs` gives the full texts to read.
* :func:`prevalence` averages gamma by a covariate with an interval that draws a fit of the ensemble
  and resamples documents and chapters (never single paragraphs) in each replicate.

LDA runs with ``n_jobs=None``: a different ``n_jobs`` gives different topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sklearn
from joblib import Memory
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import NMF, LatentDirichletAllocation
from threadpoolctl import threadpool_limits

from streetlib import config

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
    arguments = (_canonical(matrix), vocabulary, row_ids, k, method, seed, doc_ids, learning_method, max_iter)
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
    doc_ids = doc_ids if doc_ids is not None else [str(r).split(":p")[0] for r in row_ids]
    return _tidy(method, k, seed, beta, gamma, vocabulary, row_ids, doc_ids)


def _canonical(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    """A private CSR copy, indices sorted and duplicates summed.

    Some scipy operations sort a matrix's indices in place, and the model cache's key and the token split of
    held-out perplexity follow the storage order: without this, a result would depend on what the caller did
    with the matrix before.
    """
    out = sparse.csr_matrix(matrix, copy=True)
    out.sum_duplicates()
    return out


def _tidy(method, k, seed, beta, gamma, vocabulary, row_ids, doc_ids) -> TopicModel:
    """A TopicModel from ``k × V`` beta and ``rows × k`` gamma arrays."""
    topics = np.arange(1, k + 1)
    terms, docs, rows = (_labels(values) for values in (vocabulary, doc_ids, row_ids))
    beta_frame = pd.DataFrame({"topic": np.repeat(topics, len(terms)), "term": np.tile(terms, k), "beta": beta.ravel()})
    gamma_frame = pd.DataFrame(
        {
            "doc_id": np.repeat(docs, k),
            "para_id": np.repeat(rows, k),
            "topic": np.tile(topics, len(row_ids)),
            "gamma": gamma.ravel(),
        }
    )
    return TopicModel(method, k, seed, beta_frame, gamma_frame)


def _labels(values) -> np.ndarray:
    """Names as an array whose repeats share the strings: numpy makes a list of str a fixed-width unicode array,
    which repeated and handed to pandas becomes new strings in every row (hundreds of MB at 100× the corpus)."""
    array = np.asarray(values)
    return np.asarray(values, dtype=object) if array.dtype.kind == "U" else array


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


def supported_terms(matrix: sparse.spmatrix, vocabulary: list[str], *, min_df: int) -> set[str]:
    """Terms found in at least ``min_df`` rows (paragraphs) of the matrix: the only ones a label may use."""
    df = np.asarray((matrix > 0).sum(axis=0)).ravel()
    return {term for term, count in zip(vocabulary, df, strict=True) if count >= min_df}


def distinctive_terms(model: TopicModel, *, n: int = 10, terms: set[str] | None = None) -> pd.DataFrame:
    """Each topic's ``n`` most probable terms among those it is more likely to produce than any other topic.

    Every term is listed once, under the topic whose beta for it is highest (the lower-numbered topic on a
    tie), so a word that all topics use (服务, 治理 in these plans) no longer heads every list: the lists say
    what sets a topic apart, ranked by how much the topic uses each term. ``terms``, if given, restricts the
    terms listed (e.g. to :func:`supported_terms`). Returns ``topic, rank, term, beta``.
    """
    wide = model.beta.pivot(index="term", columns="topic", values="beta")
    home = wide.idxmax(axis=1)
    own = model.beta[model.beta["topic"].to_numpy() == model.beta["term"].map(home).to_numpy()]
    if terms is not None:
        own = own[own["term"].isin(terms)]
    top = own.sort_values(["topic", "beta", "term"], ascending=[True, False, True]).groupby("topic").head(n)
    top = top.assign(rank=top.groupby("topic").cumcount() + 1)
    return top[["topic", "rank", "term", "beta"]].reset_index(drop=True)


def labels(model: TopicModel, *, n: int = 3, terms: set[str] | None = None) -> dict[int, str]:
    """A label per topic: the first ``n`` of its :func:`distinctive_terms` (among ``terms`` if given), joined with '·'.

    The label is the head of the list a topic is shown by, so it moves with the seed no more than that list.
    """
    top = distinctive_terms(model, n=n, terms=terms)
    return {topic: "·".join(group["term"]) for topic, group in top.groupby("topic")}


def representative(gamma: pd.DataFrame, *, n: int = 2) -> pd.DataFrame:
    """The ``n`` rows with the highest proportion of each topic."""
    return (
        gamma.sort_values(["topic", "gamma", "para_id"], ascending=[True, False, True])
        .groupby("topic")
        .head(n)
        .reset_index(drop=True)
    )


def representative_paragraphs(
    model: TopicModel, paragraphs: pd.DataFrame, *, n: int = 3, topics: list[int] | None = None
) -> pd.DataFrame:
    """The ``n`` paragraphs most devoted to each topic, in full, with their document and lines.

    Returns ``topic, rank, gamma, doc_id, para_id, line_start, line_end, text`` (plus ``street``
    if ``paragraphs`` has it): what a reader needs to judge a topic's label and find the source.
    """
    gamma = model.gamma if topics is None else model.gamma[model.gamma["topic"].isin(topics)]
    best = representative(gamma, n=n)
    best["rank"] = best.groupby("topic").cumcount() + 1
    keep = [c for c in ("para_id", "street", "line_start", "line_end", "text") if c in paragraphs.columns]
    out = best.merge(paragraphs[keep], on="para_id", how="left")
    columns = ["topic", "rank", "gamma", "doc_id", "para_id", *[c for c in keep if c != "para_id"]]
    return out[columns]


def corpus_matrix(
    paragraphs: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    genres: tuple[str, ...] = ("plan",),
    min_df: int = 3,
    stopword_lists: tuple[str, ...] = ("general", "official", "corpus"),
) -> tuple[sparse.spmatrix, list[str], list[str], pd.DataFrame]:
    """The paragraph × term matrix the topic models of notebook 01 are fitted on.

    Non-duplicate paragraphs of the given ``genres`` are segmented; stopwords of the named lists and
    the streets' and districts' names (:func:`streetlib.text.place_stopwords`) are dropped, as are
    punctuation and bare numbers; terms in fewer than ``min_df`` paragraphs are left out.

    Returns
    -------
    (matrix, row_ids, vocabulary, tokens)
        ``row_ids`` are paragraph ids; ``tokens`` the filtered tidy tokens (``doc_id, para_id,
        position, token``) of every kept paragraph.
    """
    from streetlib import text

    kept = paragraphs[~paragraphs["is_duplicate"].astype(bool) & paragraphs["genre"].isin(genres)]
    tokens = text.tokenize(kept)
    places = text.place_stopwords(
        pd.concat([documents["street"], documents["district"]]).dropna().unique(), tokens["token"].unique()
    )
    content = text.content_tokens(tokens, stopword_lists=stopword_lists, extra=places)
    matrix, row_ids, vocabulary = text.document_term_matrix(content, by="para_id", min_df=min_df)
    return _canonical(matrix), row_ids, vocabulary, content


# --- Ensembles over seeds ------------------------------------------------------------------------------

ENSEMBLE_SIZE = 20  # fits behind the findings, per base seed
CHOICE_FITS = 10  # fits per k when choosing k (the first seeds of the block)
STABLE = 0.8  # median cosine similarity of a fit's topic with the mean of the other fits


def ensemble_seeds(base: int, n: int = ENSEMBLE_SIZE) -> list[int]:
    """The ``n`` seeds of an ensemble for base seed ``base``: ``base*n … base*n + n-1``.

    Blocks never overlap, so two base seeds give ensembles that share no fit: agreement between
    them is evidence, not an artefact of reused fits.
    """
    return list(range(base * n, (base + 1) * n))


def beta_matrix(model: TopicModel) -> np.ndarray:
    """``k × V`` array of beta, topics in order, terms in sorted order (the same for every fit)."""
    return model.beta.pivot(index="topic", columns="term", values="beta").sort_index().to_numpy()


def topic_similarity(a: np.ndarray, b: np.ndarray, *, metric: str = "cosine") -> np.ndarray:
    """Similarity of every row (topic) of ``a`` with every row of ``b``.

    ``"cosine"``: cosine of the beta vectors; ``"jsd"``: 1 − Jensen–Shannon divergence (base 2).
    Both are 1 for identical topics and 0 for topics with no term in common.
    """
    if metric == "cosine":
        na = a / np.linalg.norm(a, axis=1, keepdims=True)
        nb = b / np.linalg.norm(b, axis=1, keepdims=True)
        return np.clip(na @ nb.T, 0.0, 1.0)
    if metric == "jsd":
        p, q = a[:, None, :], b[None, :, :]
        m = (p + q) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            kl_p = np.where(p > 0, p * np.log2(p / m), 0.0).sum(axis=2)
            kl_q = np.where(q > 0, q * np.log2(q / m), 0.0).sum(axis=2)
        return np.clip(1 - (kl_p + kl_q) / 2, 0.0, 1.0)
    raise ValueError(f"metric must be 'cosine' or 'jsd', not {metric!r}")


def align(reference: np.ndarray, other: np.ndarray, *, metric: str = "cosine") -> tuple[np.ndarray, np.ndarray]:
    """Match the topics of ``other`` one-to-one with those of ``reference`` (Hungarian algorithm).

    Returns ``(order, similarity)``: ``order[i]`` is the row of ``other`` matched with row ``i`` of
    ``reference`` (so ``other[order]`` is aligned), ``similarity[i]`` the pair's similarity. The
    matching maximises the total similarity, so two topics never claim the same partner.
    """
    sim = topic_similarity(reference, other, metric=metric)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return cols[np.argsort(rows)], sim[rows, cols][np.argsort(rows)]


def anchor_topics(matrix: sparse.spmatrix, vocabulary: list[str], *, k: int) -> np.ndarray:
    """``k × V`` reference topics (terms sorted) that no seed enters: an ensemble's fits are aligned to them.

    A non-negative matrix factorisation of the counts, started from their singular value decomposition
    (NNDSVD) and run to convergence, rows normalised to sum to 1. It depends on the matrix alone (the
    fixed ``random_state`` only drives the randomised SVD of the start, which converges to the same
    factors), so ensembles of any seeds are put into the same orientation before they are averaged.
    """
    with threadpool_limits(limits=1):
        model = NMF(n_components=k, init="nndsvd", random_state=0, tol=1e-8, max_iter=5000)
        model.fit(_canonical(matrix).astype(np.float64))
    weights = model.components_[:, np.argsort(np.asarray(vocabulary, dtype=object))]
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.full_like(weights, 1.0 / weights.shape[1]), where=totals > 0)


def _agreement(betas: np.ndarray, metric: str) -> np.ndarray:
    """``fits × k``: each aligned topic's similarity with the same topic of the mean of the other fits."""
    n_fits, k, _ = betas.shape
    if n_fits == 1:
        return np.ones((1, k))
    total = betas.sum(axis=0)
    return np.array(
        [np.diag(topic_similarity(betas[f], (total - betas[f]) / (n_fits - 1), metric=metric)) for f in range(n_fits)]
    )


@dataclass
class Ensemble:
    """Fits of one k over several seeds, aligned to seed-free anchor topics (:func:`anchor_topics`).

    ``betas`` (fits × k × V, terms sorted) and ``gammas`` (fits × rows × k) hold every fit with its
    topics put in the order of the consensus topics; ``similarity`` (fits × k) is each aligned topic's
    similarity with the same topic of the mean of the other fits; ``anchor`` (k × V) the reference topics.
    Aligning to a reference no seed enters matters where fits disagree about how to split the corpus:
    aligned to one of the fits (the medoid), the mean depends on which fit that is and does not settle
    as fits are added; aligned to the anchor it does. Consensus topics are numbered by decreasing
    corpus-wide prevalence.
    """

    k: int
    method: str
    seeds: list[int]
    anchor: np.ndarray
    terms: list[str]
    row_ids: list[str]
    doc_ids: list[str]
    betas: np.ndarray
    gammas: np.ndarray
    similarity: np.ndarray

    def stability(self) -> pd.DataFrame:
        """Per consensus topic: ``stability`` (the median over fits of the similarity of the fit's topic with the
        mean of the other fits), ``min_similarity``, the share of fits where it recurs (similarity ≥
        :data:`STABLE`) and whether it is ``stable`` (stability ≥ :data:`STABLE`)."""
        median = np.median(self.similarity, axis=0)
        return pd.DataFrame(
            {
                "topic": np.arange(1, self.k + 1),
                "stability": median,
                "min_similarity": self.similarity.min(axis=0),
                "recurs_in": (self.similarity >= STABLE).mean(axis=0),
                "stable": median >= STABLE,
            }
        )

    def consensus(self) -> TopicModel:
        """The mean of the aligned fits as one tidy model (beta and gamma renormalised; ``seed`` the block's first)."""
        beta = self.betas.mean(axis=0)
        beta /= beta.sum(axis=1, keepdims=True)
        gamma = self.gammas.mean(axis=0)
        gamma /= gamma.sum(axis=1, keepdims=True)
        return _tidy(self.method, self.k, self.seeds[0], beta, gamma, self.terms, self.row_ids, self.doc_ids)

    def summary(self, *, label_terms: set[str] | None = None, n_terms: int = 10) -> pd.DataFrame:
        """One row per consensus topic: stability, prevalence, ``label`` (its first three distinctive terms among
        ``label_terms``) and ``terms`` (its ``n_terms`` distinctive terms, :func:`distinctive_terms`)."""
        model = self.consensus()
        shown = distinctive_terms(model, n=n_terms).groupby("topic")["term"].agg(" ".join)
        prevalence = model.gamma.groupby("topic")["gamma"].mean()
        table = self.stability()
        table["prevalence"] = table["topic"].map(prevalence)
        table["label"] = table["topic"].map(labels(model, terms=label_terms))
        table["terms"] = table["topic"].map(shown)
        return table


def fit_ensemble(
    matrix: sparse.spmatrix,
    vocabulary: list[str],
    row_ids: list[str],
    *,
    k: int,
    seeds: list[int],
    method: str = "lda",
    metric: str = "cosine",
    doc_ids: list[str] | None = None,
) -> Ensemble:
    """Fit ``k`` topics once per seed (cached, deterministic), align every fit to :func:`anchor_topics` and
    measure how well each topic recurs (see :class:`Ensemble`)."""
    matrix = _canonical(matrix)
    models = [fit(matrix, vocabulary, row_ids, k=k, method=method, seed=s, doc_ids=doc_ids) for s in seeds]
    betas = np.stack([beta_matrix(m) for m in models])
    gammas = np.stack(
        [m.gamma.pivot(index="para_id", columns="topic", values="gamma").loc[row_ids].to_numpy() for m in models]
    )
    anchor = anchor_topics(matrix, vocabulary, k=k)
    for f in range(len(models)):
        order, _ = align(anchor, betas[f], metric=metric)
        betas[f], gammas[f] = betas[f][order], gammas[f][:, order]
    by_prevalence = np.argsort(-gammas.mean(axis=(0, 1)), kind="stable")
    betas, gammas = betas[:, by_prevalence], gammas[:, :, by_prevalence]
    return Ensemble(
        k=k,
        method=method,
        seeds=list(seeds),
        anchor=anchor[by_prevalence],
        terms=sorted(vocabulary),
        row_ids=list(row_ids),
        doc_ids=list(models[0].gamma.drop_duplicates("para_id").set_index("para_id").loc[row_ids, "doc_id"]),
        betas=betas,
        gammas=gammas,
        similarity=_agreement(betas, metric),
    )


def match_topics(a: TopicModel, b: TopicModel, *, n: int = 10, metric: str = "cosine") -> pd.DataFrame:
    """Pair the topics of two models (Hungarian on beta) and compare the ``n`` terms each is shown by.

    Returns ``topic_a, topic_b, similarity, overlap, terms_a, terms_b``: ``overlap`` is the share of the
    pair's :func:`distinctive_terms` lists they have in common (shared terms / ``n``). This is how the
    findings of two ensembles (two base seeds) are compared.
    """
    order, sim = align(beta_matrix(a), beta_matrix(b), metric=metric)
    terms_a = distinctive_terms(a, n=n).groupby("topic")["term"].agg(list)
    terms_b = distinctive_terms(b, n=n).groupby("topic")["term"].agg(list)
    pairs = list(zip(range(1, a.k + 1), order + 1, strict=True))
    return pd.DataFrame(
        {
            "topic_a": [ta for ta, _ in pairs],
            "topic_b": [tb for _, tb in pairs],
            "similarity": sim,
            "overlap": [len(set(terms_a.get(ta, [])) & set(terms_b.get(tb, []))) / n for ta, tb in pairs],
            "terms_a": [" ".join(terms_a.get(ta, [])) for ta, _ in pairs],
            "terms_b": [" ".join(terms_b.get(tb, [])) for _, tb in pairs],
        }
    )


# --- Choosing k ---------------------------------------------------------------------------------------

PERPLEXITY_FOLDS = 5  # held-out perplexity is cross-validated: every row is held out, and scored, once


def heldout_perplexity(
    matrix: sparse.spmatrix, *, k: int, seed: int, test_rows: np.ndarray, max_iter: int = 50
) -> float:
    """Document-completion perplexity of the ``test_rows`` under an LDA fitted on the other rows (cached).

    Each held-out paragraph's tokens are split at random (generator seeded with ``seed``) into two
    halves; its topic proportions are inferred from the first half and the second half is scored
    with them: ``exp(-log-likelihood / tokens)``, lower is better. Scoring words the inference has
    not seen avoids the optimism of scoring a paragraph with proportions fitted to itself.
    """
    memory = Memory(config.cache_dir() / "models", verbose=0)
    matrix = sparse.csr_matrix(matrix)
    mask = np.zeros(matrix.shape[0], dtype=bool)
    mask[test_rows] = True
    observed, scored = _split_tokens(matrix[mask], np.random.default_rng(seed))
    return memory.cache(_heldout)(matrix[~mask], observed, scored, k, seed, max_iter, sklearn.__version__)


def _split_tokens(matrix: sparse.csr_matrix, rng: np.random.Generator) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Two count matrices, each row's tokens dealt at random into a first and a second half (sparse: a dense
    copy of the held-out rows would be rows × vocabulary, a gigabyte at 100× the corpus)."""
    rows, columns, first = [np.zeros(0, dtype=int)], [np.zeros(0, dtype=int)], [np.zeros(0, dtype=bool)]
    for i in range(matrix.shape[0]):
        start, end = matrix.indptr[i], matrix.indptr[i + 1]
        tokens = rng.permutation(np.repeat(matrix.indices[start:end], matrix.data[start:end].astype(int)))
        rows.append(np.full(len(tokens), i))
        columns.append(tokens)
        first.append(np.arange(len(tokens)) < len(tokens) // 2)
    rows, columns, first = np.concatenate(rows), np.concatenate(columns), np.concatenate(first)

    def counts(dealt: np.ndarray) -> sparse.csr_matrix:  # a term dealt twice to a half is summed
        return sparse.csr_matrix((np.ones(dealt.sum()), (rows[dealt], columns[dealt])), shape=matrix.shape)

    return counts(first), counts(~first)


def _heldout(train, observed, scored, k, seed, max_iter, sklearn_version=None) -> float:
    with threadpool_limits(limits=1):
        model = LatentDirichletAllocation(n_components=k, random_state=seed, learning_method="batch", max_iter=max_iter)
        model.fit(train)
        theta = model.transform(observed)
    beta = model.components_ / model.components_.sum(axis=1, keepdims=True)
    scored = sparse.coo_matrix(scored)
    probability = np.einsum("nk,kn->n", theta[scored.row], beta[:, scored.col])  # only where tokens are scored
    loglik = float((scored.data * np.log(probability)).sum())
    return float(np.exp(-loglik / scored.data.sum()))


def choose_k(
    matrix: sparse.spmatrix,
    vocabulary: list[str],
    row_ids: list[str],
    *,
    ks: list[int],
    seeds: list[int],
    folds: int = PERPLEXITY_FOLDS,
    n_terms: int = 10,
    min_stability: float = STABLE,
    doc_ids: list[str] | None = None,
) -> tuple[pd.DataFrame, int, str]:
    """Diagnose LDA for each k and choose one by a stated rule.

    For each k an ensemble is fitted over ``seeds`` (see :func:`fit_ensemble`) and four criteria
    are computed: held-out ``perplexity`` (cross-validated: the rows are dealt at random, with the first
    seed, into ``folds`` folds, each left out of one fit, with the seeds in turn; the mean over folds, lower
    is better), ``coherence`` (mean NPMI of the top ``n_terms`` terms, averaged over the ensemble's fits),
    ``exclusivity`` (likewise) and ``stability`` (median over topics of :meth:`Ensemble.stability`).
    Scoring every row once keeps the ranking of k from resting on which fifth of the rows one draw
    happened to hold out.
    ``stable_share`` is the share of topics with stability ≥ ``min_stability``.

    Rule: a k is ``eligible`` when every one of its topics recurs (stability ≥ ``min_stability``; all k if
    none qualifies), since only recurring topics become findings; among the eligible k, take the one with the
    best mean rank over the four criteria, ranked among the eligible k only (a k that cannot be chosen does
    not shift the others' ranks); ties go to the smaller k.

    Returns
    -------
    (table, k, rule)
        The diagnostics (one row per k, with ``eligible``, each criterion's rank and ``mean_rank``, both empty for k
        that are not eligible),
        the chosen k, and the rule as a sentence naming the chosen k.
    """
    matrix = _canonical(matrix)
    rng = np.random.default_rng(seeds[0])
    held_out = [np.sort(fold) for fold in np.array_split(rng.permutation(matrix.shape[0]), folds)]
    rows = []
    for k in ks:
        ensemble = fit_ensemble(matrix, vocabulary, row_ids, k=k, seeds=seeds, doc_ids=doc_ids)
        fits = [
            _tidy("lda", k, s, ensemble.betas[f], ensemble.gammas[f], ensemble.terms, row_ids, ensemble.doc_ids)
            for f, s in enumerate(seeds)
        ]
        stability_table = ensemble.stability()
        rows.append(
            {
                "k": k,
                "perplexity": float(
                    np.mean(
                        [
                            heldout_perplexity(matrix, k=k, seed=seeds[i % len(seeds)], test_rows=rows_out)
                            for i, rows_out in enumerate(held_out)
                        ]
                    )
                ),
                "coherence": float(np.mean([coherence(m, matrix, vocabulary, n=n_terms) for m in fits])),
                "exclusivity": float(np.mean([exclusivity(m, n=n_terms) for m in fits])),
                "stability": float(stability_table["stability"].median()),
                "stable_share": float((stability_table["stability"] >= min_stability).mean()),
            }
        )
    table = pd.DataFrame(rows)
    table["eligible"] = table["stable_share"] == 1.0
    if not table["eligible"].any():
        table["eligible"] = True
    eligible = table[table["eligible"]]
    ranks = pd.DataFrame(
        {
            "perplexity_rank": eligible["perplexity"].rank(method="min"),
            "coherence_rank": eligible["coherence"].rank(method="min", ascending=False),
            "exclusivity_rank": eligible["exclusivity"].rank(method="min", ascending=False),
            "stability_rank": eligible["stability"].rank(method="min", ascending=False),
        }
    )
    table = pd.concat([table, ranks], axis=1)
    table["mean_rank"] = ranks.mean(axis=1)
    candidates = table[table["eligible"]].sort_values(["mean_rank", "k"])
    chosen = int(candidates["k"].iloc[0])
    rule = (
        f"k = {chosen}: among k whose every topic has stability >= {min_stability:g}, the best mean rank (ranked "
        "among those k) over held-out perplexity (lower is better), NPMI coherence, exclusivity and stability "
        "(higher is better); ties go to the smaller k."
    )
    return table, chosen, rule


# --- Prevalence by a covariate ------------------------------------------------------------------------


def prevalence(
    ensemble: Ensemble,
    covariates: pd.DataFrame,
    *,
    by: str,
    clusters: tuple[str, ...] = ("doc_id",),
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean topic proportion per group, with an interval that carries model and sampling uncertainty.

    Each bootstrap replicate draws one fit of the ensemble at random (model uncertainty: the topics'
    proportions move between seeds) and resamples the group's units level by level: with
    ``clusters=("doc_id", "chapter_id")`` documents are drawn with replacement within the group, then
    chapters within each drawn document; all paragraphs of a drawn chapter come along. Paragraphs of
    one chapter are never treated as independent draws. A group with one document is resampled by its
    chapters only: its interval then says how much the estimate rests on a few chapters of that
    document, not how other documents of the group would differ.

    Parameters
    ----------
    ensemble
        The aligned fits (:func:`fit_ensemble`).
    covariates
        ``para_id``, the column ``by`` and the ``clusters`` columns, one row per paragraph; paragraphs of
        the model missing here are left out (to compare within a subset, pass the subset).
    by
        The grouping column (street, document type, year …).
    clusters
        Nested resampling units, outermost first.

    Returns
    -------
    DataFrame with ``by``, ``topic``, ``documents``, ``clusters`` (innermost units), ``paragraphs``,
    ``prevalence`` (mean over fits of the group's mean gamma), ``ci_low`` and ``ci_high`` (central
    ``level`` percentile interval of the replicates).
    """
    rng = np.random.default_rng(seed)
    wanted = set(covariates["para_id"])
    rows_used = np.array([i for i, r in enumerate(ensemble.row_ids) if r in wanted], dtype=int)
    frame = covariates.set_index("para_id").loc[[ensemble.row_ids[i] for i in rows_used]].reset_index()
    leaf = frame[list(clusters)].astype(str).agg("\x1f".join, axis=1)
    leaf_codes, leaf_names = pd.factorize(leaf, sort=True)
    n_fits = len(ensemble.seeds)
    sums = np.zeros((n_fits, len(leaf_names), ensemble.k))
    for f in range(n_fits):
        np.add.at(sums[f], leaf_codes, ensemble.gammas[f][rows_used])
    counts = np.bincount(leaf_codes, minlength=len(leaf_names)).astype(float)
    alpha = (1 - level) / 2
    rows = []
    for group, members in frame.assign(_leaf=leaf_codes).groupby(by, sort=True, observed=True):
        tree = _nest(members, list(clusters))
        leaves = np.array(sorted(set(members["_leaf"])))
        point = sums[:, leaves].sum(axis=1) / counts[leaves].sum()  # fits × k
        replicates = np.empty((n_boot, ensemble.k))
        for b in range(n_boot):
            drawn = _draw(tree, rng)
            weights = np.bincount(drawn, minlength=len(leaf_names)).astype(float)
            fit_index = rng.integers(n_fits)
            replicates[b] = weights @ sums[fit_index] / (weights @ counts)
        low, high = np.quantile(replicates, [alpha, 1 - alpha], axis=0)
        for j in range(ensemble.k):
            rows.append(
                {
                    by: group,
                    "topic": j + 1,
                    "documents": members["doc_id"].nunique() if "doc_id" in members else np.nan,
                    "clusters": len(leaves),
                    "paragraphs": len(members),
                    "prevalence": float(point[:, j].mean()),
                    "ci_low": float(low[j]),
                    "ci_high": float(high[j]),
                }
            )
    return pd.DataFrame(rows)


def _nest(members: pd.DataFrame, levels: list[str]):
    """The group's units as nested lists, innermost entries the leaf codes."""
    if len(levels) == 1:
        return sorted(set(members["_leaf"]))
    return [_nest(sub, levels[1:]) for _, sub in members.groupby(levels[0], sort=True)]


def _draw(tree, rng: np.random.Generator) -> list[int]:
    """Resample each level of a nested unit list with replacement; return the drawn leaf codes."""
    picks = rng.integers(len(tree), size=len(tree))
    if not isinstance(tree[0], list):
        return [tree[i] for i in picks]
    return [leaf for i in picks for leaf in _draw(tree[i], rng)]


def leading_groups(prevalence_table: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Per topic, the group with the highest prevalence and whether its lead is clear.

    ``clear`` is True when the leader's interval lies above every other group's interval (its
    ``ci_low`` exceeds their ``ci_high``); otherwise the data do not single out one group. These
    are the statements notebook 01 writes as findings, so they are what must not move with the seed.
    """
    rows = []
    for topic, group in prevalence_table.groupby("topic", sort=True):
        ordered = group.sort_values(["prevalence", by], ascending=[False, True])
        leader, rest = ordered.iloc[0], ordered.iloc[1:]
        rows.append(
            {
                "topic": topic,
                "leader": leader[by],
                "prevalence": leader["prevalence"],
                "clear": bool(len(rest) == 0 or leader["ci_low"] > rest["ci_high"].max()),
            }
        )
    return pd.DataFrame(rows)


def prevalence_figure(
    table: pd.DataFrame, *, by: str, groups: list[str], topic_labels: dict[int, str], title: str
) -> Figure:
    """One panel per topic in ``topic_labels``: each group's prevalence with its interval, and its n beside it.

    ``table`` is a :func:`prevalence` result; ``groups`` gives the rows' order (top to bottom). The height
    grows with the number of groups, so thirty streets stay legible.
    """
    import matplotlib.pyplot as plt

    from streetlib import plotting

    shown = table[table["topic"].isin(topic_labels)]
    n_panels = len(topic_labels)
    fig, axes = plt.subplots(
        1, n_panels, figsize=(4.2 * n_panels + 1.5, 0.45 * len(groups) + 1.6), sharey=True, squeeze=False
    )
    y = np.arange(len(groups))
    for ax, (topic, rows) in zip(axes[0], shown.groupby("topic"), strict=True):
        rows = rows.set_index(by).loc[groups]
        ax.errorbar(
            rows["prevalence"],
            y,
            xerr=[rows["prevalence"] - rows["ci_low"], rows["ci_high"] - rows["prevalence"]],
            fmt="o",
            color=plotting.PALETTE[0],
            capsize=3,
        )
        for yi, r in zip(y, rows.itertuples(), strict=True):  # n right of the axes: never under a bar
            ax.annotate(
                f"{r.documents} doc · {r.clusters} ch · {r.paragraphs} para",
                (1.0, yi),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color="#555555",
            )
        ax.set_title(f"T{topic} {topic_labels[topic]}", fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_xlabel("主题占比 prevalence")
    axes[0][0].set_yticks(y, groups)
    axes[0][0].invert_yaxis()
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
