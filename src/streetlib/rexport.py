"""Export for R users: the document-term matrix as quanteda and stm read it.

Three files in one folder: ``dtm.mtx`` (Matrix Market, coordinate integer general: rows are
documents or paragraphs, columns terms), ``vocab.csv`` (one column ``term``, in column order) and
``docvars.csv`` (one row per matrix row, in row order, first column its id), all UTF-8, plus a
``README.txt`` with the R lines that load them (:data:`R_LINES`). Tokens are those of
``streetlib.text.tokenize`` (the domain dictionary) filtered by ``text.content_tokens``, so R users
start from the same words as the notebooks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import scipy.io
import scipy.sparse

from streetlib import datasets, text
from streetlib.atomic import replacing_files

MATRIX_FILE = "dtm.mtx"
VOCAB_FILE = "vocab.csv"
DOCVARS_FILE = "docvars.csv"
DOCUMENT_VARIABLES = [
    "doc_id", "title", "street", "street_en", "district", "district_en",
    "doc_type", "genres", "year_start", "year_end", "published",
]  # fmt: skip
PARAGRAPH_VARIABLES = ["para_id", "doc_id", "section_id", "genre", "line_start", "line_end"]
R_LINES = """\
m <- Matrix::readMM("dtm.mtx"); dv <- read.csv("docvars.csv", fileEncoding = "UTF-8")
dimnames(m) <- list(dv[[1]], read.csv("vocab.csv", fileEncoding = "UTF-8", na.strings = "")$term)
d <- quanteda::as.dfm(m); quanteda::docvars(d) <- dv  # for stm: quanteda::convert(d, to = "stm")
"""


def document_term_table(
    paragraphs: pd.DataFrame, documents: pd.DataFrame, *, by: str = "doc_id", min_df: int = 1, root: Path | None = None
) -> tuple[scipy.sparse.csr_matrix, list[str], pd.DataFrame]:
    """The counts, the vocabulary and the row variables that :func:`write_r_export` writes.

    Parameters
    ----------
    paragraphs, documents
        ``load_paragraphs()`` and ``load_documents()``.
    by
        ``"doc_id"`` (one row per document) or ``"para_id"`` (one row per paragraph).
    min_df
        Keep terms found in at least this many rows.

    Returns
    -------
    (matrix, vocabulary, docvars)
        Rows in the order of ``paragraphs``; ``docvars`` has one row per matrix row, its id first.
    """
    if by not in ("doc_id", "para_id"):
        raise ValueError(f"by must be 'doc_id' or 'para_id', not {by!r}")
    tokens = text.content_tokens(text.tokenize(paragraphs, root=root), root=root)
    matrix, rows, vocabulary = text.document_term_matrix(tokens, by=by, min_df=min_df)
    if by == "doc_id":
        docvars = documents.set_index("doc_id").loc[rows].reset_index()[DOCUMENT_VARIABLES]
    else:
        extra = documents[["doc_id", "street", "street_en", "doc_type", "year_start", "year_end"]]
        docvars = (
            paragraphs.set_index("para_id")
            .loc[rows]
            .reset_index()[PARAGRAPH_VARIABLES]
            .merge(extra, on="doc_id", how="left", validate="many_to_one")
        )
    return matrix.tocsr(), vocabulary, docvars


def write_r_export(
    folder: Path,
    *,
    by: str = "doc_id",
    min_df: int = 1,
    paragraphs: pd.DataFrame | None = None,
    documents: pd.DataFrame | None = None,
    root: Path | None = None,
) -> list[Path]:
    """Write ``dtm.mtx``, ``vocab.csv``, ``docvars.csv`` and ``README.txt`` into ``folder`` (all or none).

    ``paragraphs`` and ``documents`` default to the processed tables of the data root. See
    :func:`document_term_table` for ``by`` and ``min_df`` and the module docstring for the format.
    """
    paragraphs = datasets.load_paragraphs(root=root) if paragraphs is None else paragraphs
    documents = datasets.load_documents(root=root) if documents is None else documents
    matrix, vocabulary, docvars = document_term_table(paragraphs, documents, by=by, min_df=min_df, root=root)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = [MATRIX_FILE, VOCAB_FILE, DOCVARS_FILE, "README.txt"]
    with replacing_files(folder) as staging:
        scipy.io.mmwrite(
            staging / MATRIX_FILE,
            matrix,
            comment=f" streetlib document-term matrix: rows {DOCVARS_FILE}, columns {VOCAB_FILE}",
            field="integer",
        )
        pd.DataFrame({"term": vocabulary}).to_csv(staging / VOCAB_FILE, index=False, lineterminator="\n")
        docvars.to_csv(staging / DOCVARS_FILE, index=False, lineterminator="\n")
        (staging / "README.txt").write_text(
            f"Document-term matrix of streetlib ({len(docvars)} rows by {by}, {len(vocabulary)} terms).\n"
            f"Load it in R (packages Matrix and quanteda):\n\n{R_LINES}",
            encoding="utf-8",
        )
    return [folder / n for n in names]
