"""Export for R users: the Matrix Market file, vocabulary and document variables, checked from Python."""

from __future__ import annotations

import pandas as pd
import pytest
import scipy.io

import streetlib
from streetlib import rexport, text
from streetlib.cli import main


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("r")
    return folder, rexport.write_r_export(folder)


def test_files_and_matrix_market_header(exported):
    folder, paths = exported
    assert [p.name for p in paths] == ["dtm.mtx", "vocab.csv", "docvars.csv", "README.txt"]
    lines = (folder / "dtm.mtx").read_text(encoding="ascii").splitlines()
    assert lines[0] == "%%MatrixMarket matrix coordinate integer general"
    n_rows, n_cols, n_entries = map(int, next(x for x in lines if not x.startswith("%")).split())
    assert (n_rows, n_cols) == (len(pd.read_csv(folder / "docvars.csv")), len(pd.read_csv(folder / "vocab.csv")))
    assert n_entries == sum(1 for x in lines if not x.startswith("%")) - 1


def test_round_trip_shapes_and_counts(exported):
    folder, _ = exported
    matrix = scipy.io.mmread(folder / "dtm.mtx").tocsr()
    vocab = pd.read_csv(folder / "vocab.csv", encoding="utf-8", keep_default_na=False)["term"].tolist()
    docvars = pd.read_csv(folder / "docvars.csv", encoding="utf-8")
    paragraphs = streetlib.load_paragraphs()
    assert docvars["doc_id"].tolist() == list(dict.fromkeys(paragraphs["doc_id"]))  # one row per document, in order
    assert matrix.shape == (len(docvars), len(vocab)) and len(set(vocab)) == len(vocab)
    # row sums are each document's content tokens, counted independently of the matrix
    tokens = text.content_tokens(text.tokenize(paragraphs))
    expected = tokens.groupby("doc_id", sort=False).size().reindex(docvars["doc_id"]).tolist()
    assert matrix.sum(axis=1).A1.tolist() == expected
    column = vocab.index("养老")
    per_doc = tokens[tokens["token"] == "养老"].groupby("doc_id").size()
    assert matrix[:, column].toarray().ravel().tolist() == per_doc.reindex(docvars["doc_id"], fill_value=0).tolist()


def test_vocabulary_is_utf8_chinese(exported):
    folder, _ = exported
    raw = (folder / "vocab.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no byte-order mark: R's read.csv(fileEncoding="UTF-8") reads it as is
    assert "社区" in raw.decode("utf-8").splitlines()


def test_readme_holds_the_r_lines(exported):
    folder, _ = exported
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert rexport.R_LINES in readme and "Matrix::readMM" in readme and "quanteda::as.dfm" in readme


def test_paragraph_rows(tmp_path):
    paths = rexport.write_r_export(tmp_path, by="para_id", min_df=2)
    matrix = scipy.io.mmread(paths[0])
    docvars = pd.read_csv(paths[2])
    assert matrix.shape[0] == len(docvars) and docvars["para_id"].is_unique
    assert {"para_id", "doc_id", "line_start", "street", "doc_type"} <= set(docvars.columns)
    assert (scipy.io.mmread(paths[0]).tocsc().getnnz(axis=0) >= 2).all()  # min_df=2: every term in two rows


def test_unknown_unit_is_refused(tmp_path):
    with pytest.raises(ValueError, match="doc_id"):
        rexport.write_r_export(tmp_path, by="sentence")


def test_command_line(tmp_path, capsys):
    assert main(["export", "--r", str(tmp_path / "r")]) == 0
    assert "wrote 4 files" in capsys.readouterr().out
    assert (tmp_path / "r" / "dtm.mtx").is_file()
