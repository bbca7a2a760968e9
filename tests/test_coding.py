"""The coding workbench: reliability against published answers, codebooks, sheets, samples, classifier, DSL."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest

import streetlib
from streetlib import coding
from streetlib.coding import CodebookError, CodingSheetError

nan = np.nan
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers × 12 units, values 1–5,
# missing values; nominal alpha = 0.743 (observers in rows).
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)


def _from_table(table: list[list[int]]) -> np.ndarray:
    """Two coders' codes (units × 2) from a square agreement table (rows: coder 1, columns: coder 2)."""
    return np.array([(i, j) for i, row in enumerate(table) for j, count in enumerate(row) for _ in range(count)])


# irrCAC (Gwet) overview vignette, dataset cont3x3abstractors: two abstractors, 100 cases, 3 categories.
ABSTRACTORS = _from_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
# Fleiss' kappa example (Wikipedia, "Fleiss' kappa"): 10 subjects, 14 raters, 5 categories; kappa = 0.210.
FLEISS_EXAMPLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def _long(matrix: np.ndarray) -> pd.DataFrame:
    rows = [(u, f"coder{c}", v) for u, row in enumerate(matrix) for c, v in enumerate(row) if v == v]
    return pd.DataFrame(rows, columns=["unit_id", "coder", "code"])


# --------------------------------------------------------------------------- known answers


def test_krippendorff_alpha_matches_the_published_example_and_the_package():
    ours = coding.krippendorff_alpha(KRIPPENDORFF_2011.T)
    assert round(ours, 3) == 0.743
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=KRIPPENDORFF_2011, level_of_measurement="nominal"))


@pytest.mark.parametrize("seed", range(5))
def test_krippendorff_alpha_matches_the_package_on_random_data_with_gaps(seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 4, size=(3, 40)).astype(float)
    data[rng.random(data.shape) < 0.2] = nan
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert coding.krippendorff_alpha(data.T) == pytest.approx(expected, abs=1e-12)


def test_two_coder_coefficients_match_irrcac_on_the_abstractors_table():
    assert coding.cohen_kappa(ABSTRACTORS) == pytest.approx(0.7964094, abs=1e-7)
    assert coding.fleiss_kappa(ABSTRACTORS) == pytest.approx(0.7962397, abs=1e-7)  # Scott's pi for two coders
    assert coding.gwet_ac1(ABSTRACTORS) == pytest.approx(0.8493305, abs=1e-7)
    assert coding.krippendorff_alpha(ABSTRACTORS) == pytest.approx(0.7972585, abs=1e-7)


def test_fleiss_kappa_matches_the_textbook_example():
    ratings = np.array([[k for k, count in enumerate(row) for _ in range(count)] for row in FLEISS_EXAMPLE])
    assert coding.fleiss_kappa(ratings) == pytest.approx(0.210, abs=5e-4)


def test_cohen_kappa_textbook_example():
    # 50 proposals: both yes 20, yes/no 5, no/yes 10, both no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
    assert coding.cohen_kappa(_from_table([[20, 5], [10, 15]])) == pytest.approx(0.4)


def test_gwet_ac1_by_hand():
    # Same table: pi_yes = (25 + 30) / 100 = 0.55; p_e = 2 * 0.55 * 0.45 = 0.495; AC1 = 0.205 / 0.505.
    assert coding.gwet_ac1(_from_table([[20, 5], [10, 15]])) == pytest.approx(0.205 / 0.505)


def test_perfect_agreement_is_one_and_cohen_needs_two_coders():
    same = np.array([[0, 0, 0], [1, 1, 1], [2, 2, 2], [1, 1, nan]])
    for function in (coding.krippendorff_alpha, coding.fleiss_kappa, coding.gwet_ac1):
        assert function(same) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="exactly two coders"):
        coding.cohen_kappa(same)


def test_reliability_table_intervals_and_one_coder_refused():
    table = coding.reliability(_long(KRIPPENDORFF_2011.T), n_boot=200, seed=1)
    assert list(table["statistic"]) == ["krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "percent_agreement"]
    alpha = table.set_index("statistic").loc["krippendorff_alpha"]
    assert round(alpha["estimate"], 3) == 0.743
    assert (table["ci_low"] <= table["estimate"]).all() and (table["estimate"] <= table["ci_high"]).all()
    assert table["n_units"].eq(11).all() and table["n_coders"].eq(4).all()  # unit 12 has one code
    assert table.equals(coding.reliability(_long(KRIPPENDORFF_2011.T), n_boot=200, seed=1))
    two = coding.reliability(_long(ABSTRACTORS), n_boot=50)
    assert "cohen_kappa" in set(two["statistic"])
    one = pd.DataFrame({"unit_id": [1, 2], "coder": ["a", "a"], "code": ["x", "y"]})
    with pytest.raises(ValueError, match="at least two coders"):
        coding.reliability(one)


def test_disagreements_by_hand():
    codes = _long(np.array([["a", "a"], ["a", "b"], ["b", "b"], ["c", "c"]], dtype=object))
    table = coding.disagreements(codes).set_index("code")
    # a: 3 pairable values, 2 of them paired with another a -> 2/3; confused once with b.
    assert table.loc["a", "values"] == 3 and table.loc["a", "specific_agreement"] == pytest.approx(2 / 3)
    assert table.loc["a", "confused_with"] == "b" and table.loc["a", "confusions"] == 1
    assert table.loc["c", "specific_agreement"] == 1 and pd.isna(table.loc["c", "confused_with"])
    assert table.loc["a", "units"] == 2 and table.loc["a", "all_agree"] == 1


# --------------------------------------------------------------------------- codebook


def test_policy_instrument_codebook():
    book = coding.load_codebook("policy_instruments")
    assert book.unit == "sentence" and book.not_applicable == "none"
    assert book.variable("instrument").codes == ("supply", "environment", "demand", "none")
    assert book.variable("coercion").codes == ("coercive", "mixed", "voluntary", "none")
    categories = book.categories()
    assert categories["definition"].str.len().gt(40).all()
    assert categories["anchors"].str.len().gt(0).all()


def test_codebook_errors_name_file_and_entry(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nunit: sentence\nvariables:\n  - name: v\n    categories:\n      - code: a\n        label: A\n",
        encoding="utf-8",
    )
    with pytest.raises(CodebookError, match=r"bad.yaml:v.categories\[1\]: missing 'definition'"):
        coding.load_codebook(bad)
    bad.write_text("name: bad\nunit: paragraph\nvariables: []\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="unknown coding unit 'paragraph'"):
        coding.load_codebook(bad)
    with pytest.raises(CodebookError, match=r"no such codebook.*policy_instruments"):
        coding.load_codebook("nonexistent")


# --------------------------------------------------------------------------- units, samples, sheets


@pytest.fixture(scope="module")
def units():
    return coding.coding_units(streetlib.load_paragraphs(), streetlib.load_documents())


def test_coding_units_keep_provenance(units):
    paragraphs = streetlib.load_paragraphs().set_index("para_id")
    assert units["unit_id"].is_unique
    assert units[["street", "doc_type"]].notna().all().all()
    for row in units.sample(200, random_state=0).itertuples():
        paragraph = paragraphs.loc[row.para_id]
        assert row.text in paragraph["text"]
        assert (row.line_start, row.line_end) == (paragraph["line_start"], paragraph["line_end"])
        assert row.text[-1] in "。！？；!?;" or paragraph["text"].endswith(row.text)


def test_clause_units_are_finer(units):
    paragraphs, documents = streetlib.load_paragraphs(), streetlib.load_documents()
    clauses = coding.coding_units(paragraphs, documents, unit="clause")
    assert len(clauses) > len(units)
    assert "".join(clauses["text"]).replace(" ", "") == "".join(units["text"]).replace(" ", "")  # only cut finer


def test_stratified_sample_is_reproducible_with_known_probabilities(units):
    sample = coding.stratified_sample(units, 12, seed=3)
    assert sample.equals(coding.stratified_sample(units, 12, seed=3))
    assert not sample["unit_id"].equals(coding.stratified_sample(units, 12, seed=4)["unit_id"])
    sizes = units.groupby(["street", "doc_type"]).size()
    for (street, doc_type), group in sample.groupby(["street", "doc_type"]):
        size = sizes[(street, doc_type)]
        assert len(group) == min(12, size)
        assert group["pi"].eq(min(12, size) / size).all()
    pi = coding.inclusion_probabilities(units, sample)
    assert pi.between(0, 1).all() and set(pi.round(12)) == set(sample["pi"].round(12))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_coding_sheet_round_trip_and_errors(tmp_path, units, suffix):
    book = coding.load_codebook()
    sample = coding.stratified_sample(units, 1, seed=0).head(3).copy()
    sample.loc[0, "text"] = "=SUM(A1)这句话像公式"
    path = coding.write_coding_sheet(sample, book, tmp_path / f"sheet{suffix}", coder="A")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False) if suffix == ".csv" else pd.read_excel(path, dtype=str)
    raw["instrument"] = ["supply", "none", ""]
    raw["coercion"] = ["coercive", "none", ""]
    _save(raw, path)
    back = coding.read_coding_sheet(path, book)
    assert back["text"].iloc[0] == "=SUM(A1)这句话像公式"
    assert list(back["unit_id"]) == list(sample["unit_id"])
    assert back["instrument"].iloc[2] is np.nan or pd.isna(back["instrument"].iloc[2])
    with pytest.raises(CodingSheetError, match="row 4, column instrument: no code"):
        coding.read_coding_sheet(path, book, allow_blank=False)
    raw["instrument"] = ["supply", "policy", "demand"]
    raw["coercion"] = ["coercive", "none", "mixed"]
    _save(raw, path)
    with pytest.raises(CodingSheetError, match=rf"sheet{suffix}:row 3, column instrument: unknown code 'policy'"):
        coding.read_coding_sheet(path, book)
    raw["instrument"] = ["supply", "none", "demand"]
    raw["coercion"] = ["coercive", "mixed", "mixed"]
    _save(raw, path)
    with pytest.raises(CodingSheetError, match="row 3: 'none' on one variable but not on all"):
        coding.read_coding_sheet(path, book)


def _save(frame: pd.DataFrame, path) -> None:
    if str(path).endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_excel(path, index=False)


def test_the_maintainers_coding_is_one_coder_and_matches_the_corpus(units):
    book = coding.load_codebook()
    sheet = coding.read_coding_sheet(
        streetlib.config.reviewed_dir() / "coding" / "policy_instruments_maintainers.csv",
        book,
        allow_blank=False,
    )
    assert sheet["coder"].nunique() == 1 and "one coder" in sheet["coder"].iloc[0]
    current = units.set_index("unit_id")["text"]
    assert sheet["unit_id"].isin(current.index).all()
    assert (current.loc[sheet["unit_id"]].to_numpy() == sheet["text"].to_numpy()).all()
    sample = coding.stratified_sample(units, 12, seed=0)
    assert list(sample["unit_id"]) == list(sheet["unit_id"])  # the sheet is the sample the notebook draws


# --------------------------------------------------------------------------- classifier and DSL


def _toy(n_per: int = 15):
    supply = [f"新建社区食堂第{i}家,提供助餐服务" for i in range(n_per)]
    rules = [f"开展违法建筑专项整治第{i}轮,依法拆除" for i in range(n_per)]
    none = [f"辖区户籍人口{i}万人,老龄化程度高" for i in range(n_per)]
    texts = supply + rules + none
    labels = ["supply"] * n_per + ["environment"] * n_per + ["none"] * n_per
    return texts, labels


def test_cross_validation_separates_distinct_categories():
    texts, labels = _toy()
    table, predicted = coding.cross_validate(texts, labels, folds=3, seed=0)
    per = table.set_index("category")
    assert (per.loc[["supply", "environment", "none"], "recall"] >= 0.9).all()
    assert per.loc["overall", "support"] == 45 and len(predicted) == 45


def test_dsl_with_every_unit_coded_is_the_coded_share():
    texts, labels = _toy(10)
    units = pd.DataFrame({"unit_id": range(30), "text": texts, "street": ["甲", "乙"] * 15})
    coded = units.assign(pi=1.0, code=labels)
    shares = coding.dsl_shares(units, coded, variable="code", by="street", folds=3)
    truth = coded.groupby("street")["code"].value_counts(normalize=True)
    for row in shares.itertuples():
        assert row.share == pytest.approx(truth.get((row.street, row.category), 0.0))
        assert row.share == pytest.approx(row.share_coded)
    assert shares.groupby("street")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])


def test_dsl_shares_sum_to_one_and_refuse_unknown_units():
    texts, labels = _toy(10)
    units = pd.DataFrame({"unit_id": range(30), "text": texts, "street": ["甲"] * 30})
    coded = units.iloc[::2].assign(pi=0.5, code=[labels[i] for i in range(0, 30, 2)])
    shares = coding.dsl_shares(units, coded, variable="code", folds=3)
    assert shares["share"].sum() == pytest.approx(1.0)
    assert (shares["coded"] == 15).all() and (shares["ci_low"] <= shares["ci_high"]).all()
    with pytest.raises(ValueError, match="not among the units"):
        coding.dsl_shares(units.iloc[:10], coded, variable="code", folds=3)


def test_dsl_gives_no_interval_to_a_group_without_coded_units():
    texts, labels = _toy(10)
    units = pd.DataFrame({"unit_id": range(30), "text": texts, "street": ["甲" if i % 3 else "新" for i in range(30)]})
    coded = units[units["street"] == "甲"].assign(pi=1.0)
    coded["code"] = [labels[i] for i in coded["unit_id"]]
    shares = coding.dsl_shares(units, coded, variable="code", folds=3).set_index(["street", "category"])
    assert shares.loc["新", "se"].isna().all() and shares.loc["新", "ci_low"].isna().all()
    assert (shares.loc["新", "coded"] == 0).all()
    assert shares.loc["新", "share"].to_numpy() == pytest.approx(shares.loc["新", "share_classifier"].to_numpy())
    assert shares.loc["甲", "se"].notna().all()


def test_task_units_and_a_missing_sheet():
    tasks = streetlib.load_tasks()
    units = coding.coding_units(streetlib.load_paragraphs(), streetlib.load_documents(), unit="task", tasks=tasks)
    assert len(units) == len(tasks) and list(units["unit_id"]) == list(tasks["task_id"].astype(str))
    assert units["text"].str.startswith(tasks["task"].astype(str).tolist()[0]).iloc[0]
    with pytest.raises(ValueError, match="needs the tasks table"):
        coding.coding_units(streetlib.load_paragraphs(), streetlib.load_documents(), unit="task")
    with pytest.raises(CodingSheetError, match=r"nowhere\.csv: does not exist"):
        coding.read_coding_sheet("nowhere.csv", coding.load_codebook())


def test_dsl_corrects_a_biased_classifier_and_its_intervals_cover():
    # 1000 units in two streets with true shares of "a" of 0.3 and 0.6; the "classifier" says 0.5 for every
    # unit (biased for both). Each replicate hand-codes a 10% random sample per street (pi = 0.1).
    rng = np.random.default_rng(0)
    street = np.repeat(["甲", "乙"], 500)
    truth = np.where(rng.random(1000) < np.where(street == "甲", 0.3, 0.6), "a", "b")
    units = pd.DataFrame({"unit_id": np.arange(1000), "text": "", "street": street})
    predicted = np.full((1000, 2), 0.5)
    true_share = {s: float((truth[street == s] == "a").mean()) for s in ("甲", "乙")}
    estimates, covered = {"甲": [], "乙": []}, 0
    for _ in range(200):
        chosen = np.concatenate([rng.choice(np.flatnonzero(street == s), 50, replace=False) for s in ("甲", "乙")])
        coded = pd.DataFrame({"unit_id": chosen, "pi": 0.1, "code": truth[chosen]})
        shares = coding.dsl_shares(units, coded, variable="code", categories=["a", "b"], predicted=predicted)
        for row in shares[shares["category"] == "a"].itertuples():
            estimates[row.street].append(row.share)
            covered += row.ci_low <= true_share[row.street] <= row.ci_high
            assert row.share_classifier == pytest.approx(0.5)  # the uncorrected estimate is off by 0.1-0.2
    for s in ("甲", "乙"):
        assert np.mean(estimates[s]) == pytest.approx(true_share[s], abs=0.015)
    assert 0.90 <= covered / 400 <= 0.99
