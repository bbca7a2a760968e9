"""Topic-model engines behind one call, the default engine per corpus size, and an engine-free perplexity.

* :func:`fit` fits one of :data:`ENGINES` and returns the same tidy :class:`~streetlib.topics.TopicModel`
  as :func:`streetlib.topics.fit`: scikit-learn's LDA in batch (the notebooks' setting) or online, NMF,
  and tomotopy's collapsed-Gibbs LDA and DMR (a C++ engine; the optional ``fast`` layer).
* :func:`default_engine` names the engine for a corpus of a given number of paragraphs. The rule comes
  from ``benchmarks/run.py`` (speed and quality of every engine at k = 20 on 1×, 2× and 10× the corpus;
  benchmarks/README.md): batch LDA — the notebooks' model, best on held-out perplexity — where a fit
  takes a few seconds (the real corpus: 453 paragraphs, under 2 s); beyond that NMF, which fitted in
  seconds where batch LDA took 20 s at 10×, with higher NPMI coherence, exclusivity and seed stability
  at every scale measured (its perplexity is worse: it is not a probabilistic model).
* :func:`completion_perplexity` scores any engine's topics on held-out paragraphs by document
  completion (half of each paragraph's tokens infer its topic shares, the other half is scored), so
  engines that were fitted differently are compared on one measure.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from streetlib import topics

ENGINES = ("lda-batch", "lda-online", "nmf", "tomotopy-lda", "tomotopy-dmr")
# Paragraphs up to which batch LDA (the notebooks' model) is the default: a batch fit at k = 20 took 1.6 s
# on the real corpus (453 paragraphs), 3.3 s at 2× (907) and 20 s at 10× (4,522); NMF beyond.
BATCH_LDA_MAX_ROWS = 1_000
TOMOTOPY_ITERATIONS = 200  # Gibbs sweeps; the log-likelihood per word changes by < 0.5 % over the last 50


def default_engine(n_rows: int) -> str:
    """The engine for ``n_rows`` paragraphs: ``lda-batch`` up to :data:`BATCH_LDA_MAX_ROWS`, else ``nmf``."""
    return "lda-batch" if n_rows <= BATCH_LDA_MAX_ROWS else "nmf"


def fit(
    matrix: sparse.spmatrix,
    vocabulary: list[str],
    row_ids: list[str],
    *,
    k: int,
    seed: int,
    engine: str = "auto",
    doc_ids: list[str] | None = None,
    metadata: list[str] | None = None,
    cache: bool = True,
) -> topics.TopicModel:
    """Fit ``engine`` (``"auto"``: :func:`default_engine` for the matrix's rows); tidy beta and gamma.

    ``metadata`` (one label per row, e.g. the document type) is what DMR conditions topic shares on.
    ``cache`` applies to the scikit-learn engines (see :func:`streetlib.topics.fit`); tomotopy always fits.
    """
    if engine == "auto":
        engine = default_engine(matrix.shape[0])
    if engine not in ENGINES:
        raise ValueError(f"engine must be 'auto' or one of {ENGINES}, not {engine!r}")
    common = {"k": k, "seed": seed, "doc_ids": doc_ids, "cache": cache}
    if engine == "lda-batch":
        return topics.fit(matrix, vocabulary, row_ids, method="lda", **common)
    if engine == "lda-online":
        return topics.fit(matrix, vocabulary, row_ids, method="lda", learning_method="online", max_iter=10, **common)
    if engine == "nmf":
        return topics.fit(matrix, vocabulary, row_ids, method="nmf", **common)
    if engine == "tomotopy-dmr" and (metadata is None or len(metadata) != matrix.shape[0]):
        raise ValueError("tomotopy-dmr needs metadata: one label per matrix row")
    return _fit_tomotopy(matrix, vocabulary, row_ids, k=k, seed=seed, doc_ids=doc_ids, metadata=metadata, engine=engine)


def _fit_tomotopy(matrix, vocabulary, row_ids, *, k, seed, doc_ids, metadata, engine) -> topics.TopicModel:
    try:
        import tomotopy
    except ImportError as error:  # an optional extra
        message = f"engine {engine!r} needs tomotopy, in the fast layer: pip install -r requirements/fast.lock"
        raise ImportError(message) from error
    dmr = engine == "tomotopy-dmr"
    model = tomotopy.DMRModel(k=k, seed=seed) if dmr else tomotopy.LDAModel(k=k, seed=seed)
    csr = sparse.csr_matrix(matrix)
    added = {}  # matrix row → tomotopy document, in order of adding (an empty row cannot be added)
    for i in range(csr.shape[0]):
        start, end = csr.indptr[i], csr.indptr[i + 1]
        words = [vocabulary[j] for j, n in zip(csr.indices[start:end], csr.data[start:end], strict=True)]
        words = [w for w, n in zip(words, csr.data[start:end], strict=True) for _ in range(n)]
        if words:
            added[i] = len(added)
            model.add_doc(words, metadata=str(metadata[i])) if dmr else model.add_doc(words)
    model.train(TOMOTOPY_ITERATIONS, workers=1)
    used = {term: j for j, term in enumerate(model.used_vocabs)}
    columns = [j for j, term in enumerate(vocabulary) if term in used]  # a term no row uses keeps weight 0
    beta = np.zeros((k, len(vocabulary)))
    for t in range(k):
        beta[t, columns] = np.asarray(model.get_topic_word_dist(t))[[used[vocabulary[j]] for j in columns]]
    beta = beta / beta.sum(axis=1, keepdims=True)
    gamma = np.full((csr.shape[0], k), 1.0 / k)
    documents = list(model.docs)  # tomotopy's corpus iterates but does not index
    for i, d in added.items():
        gamma[i] = documents[d].get_topic_dist()
    doc_ids = doc_ids if doc_ids is not None else [str(r).split(":p")[0] for r in row_ids]
    return topics._tidy(engine, k, seed, beta, gamma, vocabulary, row_ids, doc_ids)


def beta_array(model: topics.TopicModel, vocabulary: list[str]) -> np.ndarray:
    """The model's topic × term probabilities with columns in ``vocabulary`` order."""
    wide = model.beta.pivot(index="topic", columns="term", values="beta")
    return wide.reindex(columns=vocabulary).to_numpy(dtype=float)


def split_halves(matrix: sparse.spmatrix, seed: int) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Each row's tokens dealt at random into two count matrices of the same shape (sparse)."""
    csr = sparse.csr_matrix(matrix).astype(np.int64)
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    token_rows = np.repeat(rows, csr.data)
    token_cols = np.repeat(csr.indices, csr.data)
    first = np.zeros(len(token_rows), dtype=bool)
    starts = np.concatenate([[0], np.cumsum(np.asarray(csr.sum(axis=1)).ravel())])
    for i in range(csr.shape[0]):  # half of each row's tokens, chosen at random
        n = starts[i + 1] - starts[i]
        first[starts[i] + rng.permutation(n)[: n // 2]] = True

    def counts(mask):
        return sparse.csr_matrix((np.ones(mask.sum()), (token_rows[mask], token_cols[mask])), shape=csr.shape)

    return counts(first), counts(~first)


def completion_perplexity(beta: np.ndarray, heldout: sparse.spmatrix, *, seed: int = 0, iterations: int = 50) -> float:
    """Document-completion perplexity of ``heldout`` rows under topics ``beta`` (k × terms); lower is better.

    Each row's tokens are split at random into halves (:func:`split_halves`); its topic shares are
    inferred from the first half by EM with ``beta`` fixed (a uniform start and a small smoothing
    count, the same for every engine), and the second half is scored: ``exp(-log-likelihood / tokens)``.
    Terms a topic gives no weight get a floor of 1e-12, so NMF's sparse topics are scored, not refused.
    """
    beta = np.maximum(np.asarray(beta, dtype=float), 1e-12)
    beta = beta / beta.sum(axis=1, keepdims=True)
    observed, scored = split_halves(heldout, seed)
    k = beta.shape[0]
    theta = np.full((observed.shape[0], k), 1.0 / k)
    obs = observed.tocoo()
    for _ in range(iterations):
        mix = np.einsum("nk,kn->n", theta[obs.row], beta[:, obs.col])
        weights = sparse.csr_matrix((obs.data / mix, (obs.row, obs.col)), shape=observed.shape)
        theta = theta * (weights @ beta.T) + 0.01
        theta = theta / theta.sum(axis=1, keepdims=True)
    sc = scored.tocoo()
    probability = np.einsum("nk,kn->n", theta[sc.row], beta[:, sc.col])
    return float(np.exp(-(sc.data * np.log(probability)).sum() / sc.data.sum()))
