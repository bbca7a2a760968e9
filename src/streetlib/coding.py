"""A coding workbench: codebooks, samples, coding sheets, reliability, a classifier and corrected shares.

The chain a content analysis of policy texts needs, on the provenance-carrying units of the corpus:

* :func:`load_codebook` reads a reviewed codebook (``data/codebooks/NAME.yaml``): its variables, each
  with categories, definitions and anchor examples, and the coding unit (sentence, clause or task).
* :func:`coding_units` cuts paragraphs (or task rows) into units with their document, street, document
  type and raw lines; :func:`stratified_sample` draws a reproducible sample by street and document type
  and records each unit's inclusion probability ``pi``.
* :func:`write_coding_sheet` / :func:`read_coding_sheet` move a sample to Excel or CSV and back; codes
  are checked against the codebook and a wrong one is reported with its file, row and column.
* :func:`krippendorff_alpha`, :func:`cohen_kappa`, :func:`fleiss_kappa`, :func:`gwet_ac1` (nominal data,
  missing codes allowed) and :func:`reliability` (all of them with bootstrap intervals over units);
  :func:`disagreements` tells which categories the coders confuse.
* :func:`classifier` (character n-gram TF-IDF and a calibrated linear SVM), :func:`cross_validate`
  (precision and recall per category) and :func:`dsl_shares`: shares by group from every unit, corrected
  for the classifier's errors with the hand-coded random sample (design-based supervised learning,
  Egami et al. 2023), so the intervals stay valid when the classifier is imperfect.

Reliability needs two or more *independent* coders. A coding by one person is one coder, whatever the
number of passes; the functions here cannot tell, so the sheets carry a ``coder`` column and the
notebook says who coded.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from streetlib import config
from streetlib.atomic import replacing_file
from streetlib.errors import StreetlibError, located
from streetlib.export import escape_formula, unescape_formula  # one rule for every sheet we write

UNITS = ("sentence", "clause", "task")
# A sentence ends after 。！？ or ；: a semicolon closes each item of an enumerated list, one statement here.
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
CLAUSE_END = re.compile(r"(?<=[。！？；!?;，,：:])")
SHEET_PROVENANCE = ("unit_id", "doc_id", "street", "doc_type", "line_start", "line_end", "text")
SHEET_DESIGN = ("stratum", "stratum_size", "stratum_sample", "pi")  # kept so a coding outlives a grown corpus
STATISTICS = ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "cohen_kappa", "percent_agreement")


class CodebookError(StreetlibError):
    """A codebook file is missing a key or holds an ill-formed entry."""


class CodingSheetError(StreetlibError):
    """A coding sheet holds a code the codebook does not know, or lacks a column."""


# --------------------------------------------------------------------------- codebooks


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    label_en: str
    definition: str
    anchors: tuple[str, ...]


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    label_en: str
    categories: tuple[Category, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)


@dataclass(frozen=True)
class Codebook:
    """A reviewed codebook: variables with their categories, and the coding unit."""

    name: str
    title: str
    unit: str
    variables: tuple[Variable, ...]
    path: Path
    # A code that, used on one variable, must be used on every variable ("not a policy instrument").
    not_applicable: str | None = None

    def variable(self, name: str) -> Variable:
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(f"{self.path}: no variable {name!r}; the codebook has {', '.join(self.variable_names)}")

    @property
    def variable_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def categories(self) -> pd.DataFrame:
        """One row per (variable, category): ``variable``, ``code``, ``label``, ``label_en``, ``definition``,
        ``anchors`` (joined by " / ")."""
        rows = [
            {
                "variable": v.name,
                "code": c.code,
                "label": c.label,
                "label_en": c.label_en,
                "definition": c.definition,
                "anchors": " / ".join(c.anchors),
            }
            for v in self.variables
            for c in v.categories
        ]
        return pd.DataFrame(rows)


def codebooks_dir(root: Path | None = None) -> Path:
    return (root or config.data_root()) / "codebooks"


def load_codebook(name: str | Path = "policy_instruments", *, root: Path | None = None) -> Codebook:
    """Read a codebook by name (``data/codebooks/NAME.yaml``) or from a path.

    Raises
    ------
    CodebookError
        Naming the file and the entry when a key is missing, a code repeats or the unit is unknown.
    """
    path = Path(name) if isinstance(name, Path) or str(name).endswith((".yaml", ".yml")) else None
    path = path or codebooks_dir(root) / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in codebooks_dir(root).glob("*.yaml"))
        raise CodebookError(located(path, None, "no such codebook", f"Known codebooks: {', '.join(known) or 'none'}."))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise CodebookError(located(path, line, "is not valid YAML", "Fix the indentation or quoting there.")) from exc
    if not isinstance(raw, dict):
        raise CodebookError(located(path, None, "is not a mapping of keys", "Start from policy_instruments.yaml."))
    unit = _required(raw, "unit", path)
    if unit not in UNITS:
        raise CodebookError(located(path, "unit", f"unknown coding unit {unit!r}", f"Use one of {', '.join(UNITS)}."))
    variables = tuple(_variable(entry, path, i) for i, entry in enumerate(_required(raw, "variables", path), start=1))
    names = [v.name for v in variables]
    if len(set(names)) != len(names):
        raise CodebookError(located(path, "variables", "a variable name repeats", "Give each variable its own name."))
    not_applicable = raw.get("not_applicable")
    if not_applicable is not None and any(not_applicable not in v.codes for v in variables):
        raise CodebookError(
            located(path, "not_applicable", f"{not_applicable!r} is not a code of every variable", "Add it to each.")
        )
    return Codebook(
        name=str(_required(raw, "name", path)),
        title=str(raw.get("title", "")),
        unit=unit,
        variables=variables,
        path=path,
        not_applicable=not_applicable,
    )


def _required(entry: dict, key: str, path: Path, where: str = ""):
    if not isinstance(entry, dict) or entry.get(key) in (None, "", []):
        raise CodebookError(located(path, where or None, f"missing {key!r}", f"Add a {key}: entry."))
    return entry[key]


def _variable(entry: dict, path: Path, number: int) -> Variable:
    where = f"variables[{number}]"
    name = str(_required(entry, "name", path, where))
    categories = []
    for j, cat in enumerate(_required(entry, "categories", path, where), start=1):
        place = f"{name}.categories[{j}]"
        anchors = cat.get("anchors") or [] if isinstance(cat, dict) else []
        categories.append(
            Category(
                code=str(_required(cat, "code", path, place)),
                label=str(_required(cat, "label", path, place)),
                label_en=str(cat.get("label_en", "")),
                definition=str(_required(cat, "definition", path, place)).strip(),
                anchors=tuple(str(a) for a in anchors),
            )
        )
    codes = [c.code for c in categories]
    if len(set(codes)) != len(codes):
        raise CodebookError(located(path, name, "a code repeats", "Give each category its own code."))
    return Variable(name, str(entry.get("label", name)), str(entry.get("label_en", "")), tuple(categories))


# --------------------------------------------------------------------------- units and samples


def coding_units(
    paragraphs: pd.DataFrame, documents: pd.DataFrame, *, unit: str = "sentence", tasks: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The corpus cut into coding units, each with its provenance.

    Parameters
    ----------
    paragraphs, documents
        ``load_paragraphs()`` and ``load_documents()`` (street and document type come from the documents).
    unit
        ``sentence`` (ends at 。！？；), ``clause`` (also at ，：) or ``task`` (one row of a task table:
        its task and content; ``tasks`` must then be given).
    tasks
        ``load_tasks()``, for ``unit="task"``.

    Returns
    -------
    DataFrame
        ``unit_id``, ``doc_id``, ``street``, ``doc_type``, ``genre``, ``para_id``, ``line_start``,
        ``line_end``, ``text``, in corpus order. A sentence carries its paragraph's raw lines.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    meta = documents[["doc_id", "street", "doc_type"]].astype(str)
    if unit == "task":
        if tasks is None:
            raise ValueError("unit='task' needs the tasks table: coding_units(..., tasks=streetlib.load_tasks())")
        text = tasks["task"].astype(str) + ":" + tasks["content"].fillna("").astype(str)
        frame = tasks.assign(unit_id=tasks["task_id"].astype(str), text=text.str.rstrip(":"), genre="plan", para_id="")
    else:
        provenance = ["doc_id", "genre", "para_id", "line_start", "line_end"]
        frame = split_text(paragraphs.assign(genre=paragraphs["genre"].astype(str)), unit=unit, carry=provenance)
        frame.insert(0, "unit_id", frame["para_id"].astype(str) + ":" + frame["number"].map("{:02d}".format))
    frame = frame.assign(doc_id=frame["doc_id"].astype(str)).merge(meta, on="doc_id", how="left", validate="m:1")
    columns = ["unit_id", "doc_id", "street", "doc_type", "genre", "para_id", "line_start", "line_end", "text"]
    return frame[columns].reset_index(drop=True)


def split_text(paragraphs: pd.DataFrame, *, unit: str = "sentence", carry: Sequence[str]) -> pd.DataFrame:
    """Each paragraph's ``text`` cut into sentences (at 。！？；) or clauses (also at ，：).

    Returns the ``carry`` columns of the paragraph, ``number`` (from 1 within the paragraph) and the
    stripped ``text`` of each piece, in paragraph order; empty pieces are dropped.
    """
    pattern = SENTENCE_END if unit == "sentence" else CLAUSE_END
    rows = []
    for *kept, paragraph in paragraphs[[*carry, "text"]].itertuples(index=False):
        pieces = [p.strip() for p in pattern.split(str(paragraph)) if p.strip()]
        rows.extend((*kept, number, piece) for number, piece in enumerate(pieces, start=1))
    return pd.DataFrame(rows, columns=[*carry, "number", "text"])


def stratified_sample(
    units: pd.DataFrame, n_per_stratum: int, *, strata: Sequence[str] = ("street", "doc_type"), seed: int = 0
) -> pd.DataFrame:
    """A reproducible stratified random sample with known inclusion probabilities.

    Each stratum (a street × document-type cell) gives ``min(n_per_stratum, N_h)`` units drawn without
    replacement, so small documents are not swamped by the research report. Units keep their order.
    The draw is reproducible for one corpus and seed; strata are drawn in sorted order from one
    generator, so a new stratum changes later draws. A coding sheet therefore stores each unit's ``pi``:
    a finished coding stays usable (and correctly weighted) when documents are added.

    Returns
    -------
    DataFrame
        The sampled rows of ``units`` plus ``stratum``, ``stratum_size`` (N_h), ``stratum_sample`` (n_h)
        and ``pi`` (n_h / N_h, each unit's inclusion probability, needed to weight it back).
    """
    rng = np.random.default_rng(seed)
    key = units[list(strata)].astype(str).agg(" | ".join, axis=1)
    chosen, sizes = [], {}
    for stratum in sorted(key.unique()):
        members = np.flatnonzero(key.to_numpy() == stratum)
        take = min(n_per_stratum, len(members))
        chosen.extend(rng.choice(members, size=take, replace=False).tolist())
        sizes[stratum] = (len(members), take)
    sample = units.iloc[sorted(chosen)].assign(stratum=key.iloc[sorted(chosen)].to_numpy())
    sample["stratum_size"] = sample["stratum"].map(lambda s: sizes[s][0])
    sample["stratum_sample"] = sample["stratum"].map(lambda s: sizes[s][1])
    sample["pi"] = sample["stratum_sample"] / sample["stratum_size"]
    return sample.reset_index(drop=True)


def inclusion_probabilities(
    units: pd.DataFrame, sample: pd.DataFrame, *, strata: Sequence[str] = ("street", "doc_type")
) -> pd.Series:
    """``pi`` of every unit of ``units`` (0 for strata never sampled), from the sample's strata."""
    per_stratum = sample.drop_duplicates("stratum").set_index("stratum")["pi"]
    key = units[list(strata)].astype(str).agg(" | ".join, axis=1)
    return key.map(per_stratum).fillna(0.0).rename("pi")


# --------------------------------------------------------------------------- coding sheets


def write_coding_sheet(sample: pd.DataFrame, codebook: Codebook, path: Path, *, coder: str = "") -> Path:
    """Write a coding sheet: one row per unit with its provenance and sample design (stratum and ``pi``,
    when the sample has them), a ``coder`` column and one empty column per codebook variable (plus
    ``note``). ``.xlsx`` adds a second sheet with the codebook.

    The file is replaced only when complete; text that a spreadsheet would run as a formula is prefixed
    with ``'`` (and read back without it).
    """
    path = Path(path)
    missing = [c for c in SHEET_PROVENANCE if c not in sample]
    if missing:
        raise CodingSheetError(f"the sample lacks {', '.join(missing)}: draw it with coding_units/stratified_sample")
    sheet = sample[list(SHEET_PROVENANCE) + [c for c in SHEET_DESIGN if c in sample]].copy()
    sheet["coder"] = coder
    for name in codebook.variable_names:
        sheet[name] = ""
    sheet["note"] = ""
    _write_table(sheet, path, extra={"codebook": codebook.categories()})
    return path


def read_coding_sheet(path: Path, codebook: Codebook, *, allow_blank: bool = True) -> pd.DataFrame:
    """Read a filled coding sheet back and check every code against the codebook.

    Returns
    -------
    DataFrame
        The sheet's rows (``unit_id`` … ``coder``, one column per variable, ``note``); blank codes are
        missing values (kept, so uncoded units are visible), unless ``allow_blank=False``.

    Raises
    ------
    CodingSheetError
        Naming the file, the spreadsheet row (the header is row 1), the column and the allowed codes.
    """
    path = Path(path)
    frame = _read_table(path)
    required = ["unit_id", "coder", *codebook.variable_names]
    missing = [c for c in required if c not in frame]
    if missing:
        raise CodingSheetError(
            located(path, None, f"has no column {', '.join(missing)}", "Use the sheet write_coding_sheet wrote.")
        )
    for name in codebook.variable_names:
        codes = codebook.variable(name).codes
        for index, value in frame[name].items():
            row = int(index) + 2
            if pd.isna(value) or str(value).strip() == "":
                if not allow_blank:
                    raise CodingSheetError(located(path, f"row {row}, column {name}", "no code", "Code the unit."))
                continue
            if str(value).strip() not in codes:
                raise CodingSheetError(
                    located(
                        path,
                        f"row {row}, column {name}",
                        f"unknown code {str(value)!r}",
                        f"Use one of {', '.join(codes)} (see the codebook {codebook.path.name})",
                    )
                )
        frame[name] = frame[name].map(lambda v: np.nan if pd.isna(v) or str(v).strip() == "" else str(v).strip())
    if codebook.not_applicable is not None:
        _check_not_applicable(frame, codebook, path)
    duplicated = frame.duplicated(["unit_id", "coder"])
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0]) + 2
        raise CodingSheetError(located(path, f"row {row}", "the unit appears twice for one coder", "Keep one row."))
    return frame


def _check_not_applicable(frame: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    marker = codebook.not_applicable
    values = frame[list(codebook.variable_names)]
    flagged = values.eq(marker)
    coded = values.notna()
    wrong = flagged.any(axis=1) & ~(flagged | ~coded).all(axis=1)
    if wrong.any():
        row = int(np.flatnonzero(wrong.to_numpy())[0]) + 2
        raise CodingSheetError(
            located(
                path,
                f"row {row}",
                f"{marker!r} on one variable but not on all",
                f"A unit that is {marker!r} is {marker!r} on {', '.join(codebook.variable_names)}",
            )
        )


def long_codes(sheets: pd.DataFrame | Iterable[pd.DataFrame], variable: str) -> pd.DataFrame:
    """Stack coding sheets into ``unit_id``, ``coder``, ``code`` for one variable (blank codes dropped)."""
    frames = [sheets] if isinstance(sheets, pd.DataFrame) else list(sheets)
    stacked = pd.concat([f[["unit_id", "coder", variable]] for f in frames], ignore_index=True)
    return stacked.rename(columns={variable: "code"}).dropna(subset=["code"]).reset_index(drop=True)


def _write_table(frame: pd.DataFrame, path: Path, *, extra: dict[str, pd.DataFrame] | None = None) -> None:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CodingSheetError(located(path, None, "is neither .csv nor .xlsx", "Name the file NAME.csv or NAME.xlsx."))
    if not path.parent.is_dir():
        raise CodingSheetError(located(path.parent, None, "does not exist", "Create the folder or choose another."))
    escaped = frame.map(escape_formula)
    with replacing_file(path) as temporary:
        if suffix == ".csv":
            escaped.to_csv(temporary, index=False, encoding="utf-8-sig", lineterminator="\n")
        else:
            with pd.ExcelWriter(temporary, engine="openpyxl") as writer:
                _for_xlsx(escaped).to_excel(writer, sheet_name="coding", index=False)
                for name, table in (extra or {}).items():
                    _for_xlsx(table.map(escape_formula)).to_excel(writer, sheet_name=name, index=False)


def _for_xlsx(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the control characters an xlsx cell cannot hold (the CSV keeps them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return frame.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise CodingSheetError(located(path, None, "does not exist", "Give the path of a filled coding sheet."))
    try:
        if path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, sheet_name=0, dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (ValueError, OSError) as exc:
        raise CodingSheetError(
            located(path, None, f"cannot be read as a sheet ({exc})", "Save it as .xlsx or UTF-8 .csv.")
        ) from exc
    frame = frame.map(unescape_formula)
    for column in ("line_start", "line_end", "stratum_size", "stratum_sample"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    if "pi" in frame:
        frame["pi"] = pd.to_numeric(frame["pi"], errors="coerce")
    return frame


# --------------------------------------------------------------------------- reliability


def ratings_matrix(codes: pd.DataFrame) -> pd.DataFrame:
    """Long codes (``unit_id``, ``coder``, ``code``) → units × coders (missing where a coder skipped a unit)."""
    return codes.pivot(index="unit_id", columns="coder", values="code")


def _counts(ratings: pd.DataFrame | np.ndarray, categories: Sequence | None = None) -> tuple[np.ndarray, list]:
    """Units × categories counts of how many coders put each unit in each category."""
    values = pd.DataFrame(ratings)
    present = pd.unique(values.stack().dropna())
    categories = list(categories) if categories is not None else sorted(present, key=str)
    unknown = set(present) - set(categories)
    if unknown:
        raise ValueError(f"codes not among the categories: {sorted(map(str, unknown))}")
    counts = np.stack([(values == c).sum(axis=1).to_numpy() for c in categories], axis=1).astype(float)
    return counts, categories


def _alpha(counts: np.ndarray) -> float:
    m = counts.sum(axis=1)
    pairable = counts[m >= 2]
    mu = pairable.sum(axis=1)
    n_c = pairable.sum(axis=0)
    n = n_c.sum()
    observed = (pairable * (pairable - 1) / (mu - 1)[:, None]).sum()
    expected = (n_c * (n_c - 1)).sum()
    return float(((n - 1) * observed - expected) / (n * (n - 1) - expected))


def _pa_pi(counts: np.ndarray) -> tuple[float, np.ndarray]:
    """Gwet's observed agreement (units with ≥ 2 ratings) and category shares (units with ≥ 1)."""
    r = counts.sum(axis=1)
    two = counts[r >= 2]
    r2 = r[r >= 2]
    pa = float(((two * (two - 1)).sum(axis=1) / (r2 * (r2 - 1))).mean())
    one = counts[r >= 1]
    pi = (one / r[r >= 1][:, None]).mean(axis=0)
    return pa, pi


def _fleiss(counts: np.ndarray) -> float:
    pa, pi = _pa_pi(counts)
    pe = float((pi**2).sum())
    return (pa - pe) / (1 - pe)


def _ac1(counts: np.ndarray) -> float:
    pa, pi = _pa_pi(counts)
    q = counts.shape[1]
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    return (pa - pe) / (1 - pe)


def _percent(counts: np.ndarray) -> float:
    return _pa_pi(counts)[0]


def _cohen(pairs: np.ndarray, q: int) -> float:
    table = np.zeros((q, q))
    np.add.at(table, (pairs[:, 0], pairs[:, 1]), 1)
    table /= table.sum()
    pe = float(table.sum(axis=1) @ table.sum(axis=0))
    return (float(np.trace(table)) - pe) / (1 - pe)


def krippendorff_alpha(ratings: pd.DataFrame | np.ndarray, *, categories: Sequence | None = None) -> float:
    """Krippendorff's α for nominal data: ``ratings`` is units × coders, missing values allowed.

    Units with fewer than two codes carry no pairable values and are left out, as Krippendorff does.
    """
    return _alpha(_counts(ratings, categories)[0])


def fleiss_kappa(ratings: pd.DataFrame | np.ndarray, *, categories: Sequence | None = None) -> float:
    """Fleiss' κ (units × coders; a coder may skip units, following Gwet's 2014 generalisation).

    With every unit coded by the same number of coders this is Fleiss' 1971 κ; with two coders, Scott's π.
    """
    return _fleiss(_counts(ratings, categories)[0])


def gwet_ac1(ratings: pd.DataFrame | np.ndarray, *, categories: Sequence | None = None) -> float:
    """Gwet's AC1 (units × coders, missing values allowed). Chance agreement uses the number of
    ``categories`` (the codebook's, if given; else the categories observed)."""
    return _ac1(_counts(ratings, categories)[0])


def cohen_kappa(ratings: pd.DataFrame | np.ndarray, *, categories: Sequence | None = None) -> float:
    """Cohen's κ for exactly two coders (units × 2), on the units both coded."""
    pairs, q = _pairs(ratings, categories)
    return _cohen(pairs, q)


def _pairs(ratings: pd.DataFrame | np.ndarray, categories: Sequence | None) -> tuple[np.ndarray, int]:
    values = pd.DataFrame(ratings)
    if values.shape[1] != 2:
        raise ValueError(f"Cohen's kappa needs exactly two coders, not {values.shape[1]}: use fleiss_kappa")
    values = values.dropna()
    categories = list(categories) if categories is not None else sorted(pd.unique(values.stack()), key=str)
    index = {c: i for i, c in enumerate(categories)}
    return values.map(index.__getitem__).to_numpy(dtype=int), len(categories)


def reliability(
    codes: pd.DataFrame,
    *,
    categories: Sequence | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """Every agreement coefficient with a percentile bootstrap interval (units resampled with replacement).

    Parameters
    ----------
    codes
        Long codes: ``unit_id``, ``coder``, ``code`` (see :func:`long_codes`), or a units × coders frame.
    categories
        The codebook's codes of the variable (chance agreement of AC1 depends on their number).

    Returns
    -------
    DataFrame
        ``statistic`` (krippendorff_alpha, fleiss_kappa, gwet_ac1, cohen_kappa — only with two coders —,
        percent_agreement), ``estimate``, ``ci_low``, ``ci_high``, ``n_units`` (units with ≥ 2 codes),
        ``n_coders``.

    Raises
    ------
    ValueError
        With fewer than two coders: one person's coding has no reliability to estimate.
    """
    matrix = ratings_matrix(codes) if {"unit_id", "coder", "code"} <= set(codes.columns) else codes
    if matrix.shape[1] < 2:
        raise ValueError(
            "reliability needs at least two coders; the codes come from one coder "
            f"({', '.join(map(str, matrix.columns))}): have a second person code the same units"
        )
    matrix = matrix[matrix.notna().sum(axis=1) >= 1]
    counts, categories = _counts(matrix, categories)
    functions = {
        "krippendorff_alpha": _alpha,
        "fleiss_kappa": _fleiss,
        "gwet_ac1": _ac1,
        "percent_agreement": _percent,
    }
    two = matrix.shape[1] == 2
    pairs = _pairs(matrix, categories)[0] if two else None
    estimates = {name: f(counts) for name, f in functions.items()}
    if two:
        estimates["cohen_kappa"] = _cohen(pairs, len(categories))
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {name: [] for name in estimates}
    n = len(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(n_boot):
            rows = rng.integers(0, n, size=n)
            for name, f in functions.items():
                draws[name].append(f(counts[rows]))
            if two:
                draws["cohen_kappa"].append(_cohen(pairs[rows], len(categories)))
    tail = (1 - level) / 2
    out = []
    for name in [s for s in STATISTICS if s in estimates]:
        values = np.asarray(draws[name])
        values = values[np.isfinite(values)]
        low, high = np.quantile(values, [tail, 1 - tail]) if len(values) else (np.nan, np.nan)
        out.append(
            {
                "statistic": name,
                "estimate": estimates[name],
                "ci_low": float(low),
                "ci_high": float(high),
                "n_units": int((counts.sum(axis=1) >= 2).sum()),
                "n_coders": matrix.shape[1],
            }
        )
    return pd.DataFrame(out)


def disagreements(codes: pd.DataFrame, *, categories: Sequence | None = None) -> pd.DataFrame:
    """Per category: how often coders agree on it and what they confuse it with.

    Returns
    -------
    DataFrame
        ``code``, ``values`` (pairable codes given), ``units`` (units where any coder used it),
        ``all_agree`` (units every coder put there), ``specific_agreement`` (share of its pairable values
        matched by another coder's same code: Krippendorff's o_cc / n_c), ``confused_with`` (the other
        code it is most often paired with) and ``confusions`` (how many such pairs).
    """
    matrix = ratings_matrix(codes) if {"unit_id", "coder", "code"} <= set(codes.columns) else codes
    counts, categories = _counts(matrix, categories)
    m = counts.sum(axis=1)
    pairable = counts[m >= 2]
    mu = pairable.sum(axis=1)[:, None]
    coincidence = (pairable[:, :, None] * pairable[:, None, :]) / (mu[:, :, None] - 1)
    coincidence = coincidence.sum(axis=0)
    np.fill_diagonal(coincidence, (pairable * (pairable - 1) / (mu - 1)).sum(axis=0))
    rows = []
    for i, code in enumerate(categories):
        n_c = pairable[:, i].sum()
        off = coincidence[i].copy()
        off[i] = -1
        j = int(off.argmax())
        rows.append(
            {
                "code": code,
                "values": int(n_c),
                "units": int((pairable[:, i] > 0).sum()),
                "all_agree": int((pairable[:, i] == pairable.sum(axis=1)).sum()),
                "specific_agreement": coincidence[i, i] / n_c if n_c else np.nan,
                "confused_with": categories[j] if off[j] > 0 else None,
                "confusions": float(off[j]) if off[j] > 0 else 0.0,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- classifier and DSL


def classifier(*, seed: int = 0, calibration_folds: int = 3):
    """Character 1–3-gram TF-IDF and a linear SVM calibrated to probabilities (sigmoid, cross-validated).

    Character n-grams need no segmentation and catch the verbs of instruments (补贴, 严禁, 鼓励 …).
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1),
        CalibratedClassifierCV(LinearSVC(C=0.5, random_state=seed), method="sigmoid", cv=calibration_folds),
    )


def _fit(texts: Sequence[str], labels: Sequence[str], seed: int):
    """Fit on the categories with at least two units (calibration needs two); rarer ones get probability 0,
    which the DSL correction repairs and the cross-validated recall shows."""
    labels = np.asarray(labels, dtype=object)
    sizes = pd.Series(labels).value_counts()
    keep = np.isin(labels, sizes[sizes >= 2].index.to_numpy())
    if len(sizes[sizes >= 2]) < 2:
        raise ValueError(
            f"the classifier needs two categories with at least two coded units each; got {sizes.to_dict()}: code more"
        )
    model = classifier(seed=seed, calibration_folds=max(2, min(3, int(sizes[sizes >= 2].min()))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a category with fewer units than folds: sklearn warns, result stands
        model.fit([t for t, k in zip(texts, keep, strict=True) if k], labels[keep])
    return model


def _proba(model, texts: Sequence[str], categories: Sequence[str]) -> np.ndarray:
    """Probabilities in the order of ``categories`` (0 for a category the model never saw)."""
    out = np.zeros((len(texts), len(categories)))
    if len(texts) == 0:
        return out
    proba = model.predict_proba(list(texts))
    for j, label in enumerate(model.classes_):
        out[:, list(categories).index(label)] = proba[:, j]
    return out


def cross_validate(
    texts: Sequence[str], labels: Sequence[str], *, folds: int = 5, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Cross-validated precision, recall and F1 per category (stratified folds, fixed seed).

    Returns
    -------
    (DataFrame, ndarray)
        ``category``, ``support``, ``predicted``, ``precision``, ``recall``, ``f1`` (plus a row
        ``overall`` with accuracy in ``precision`` and ``recall``), and the out-of-fold predictions.
    """
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels, dtype=object)
    texts = list(texts)
    categories = sorted(pd.unique(labels))
    predicted = np.empty(len(labels), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # categories smaller than the number of folds
        splits = list(splitter.split(texts, labels))
    for train, test in splits:
        model = _fit([texts[i] for i in train], labels[train], seed)
        proba = _proba(model, [texts[i] for i in test], categories)
        predicted[test] = np.asarray(categories, dtype=object)[proba.argmax(axis=1)]
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=categories, zero_division=0
    )
    table = pd.DataFrame(
        {
            "category": categories,
            "support": support,
            "predicted": [int((predicted == c).sum()) for c in categories],
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }
    )
    accuracy = float((predicted == labels).mean())
    overall = {"category": "overall", "support": len(labels), "predicted": len(labels)}
    table = pd.concat([table, pd.DataFrame([overall | {"precision": accuracy, "recall": accuracy, "f1": accuracy}])])
    return table.reset_index(drop=True), predicted


def dsl_shares(
    units: pd.DataFrame,
    coded: pd.DataFrame,
    *,
    variable: str,
    by: str | Sequence[str] = "street",
    categories: Sequence[str] | None = None,
    folds: int = 5,
    seed: int = 0,
    level: float = 0.95,
    predicted: np.ndarray | None = None,
) -> pd.DataFrame:
    """Category shares per group from all units, corrected for classifier error (design-based supervised learning).

    Every unit gets cross-fitted predicted probabilities Ŷ (the model that predicts a unit never saw
    its code). A hand-coded unit, drawn with known probability ``pi``, also has its code Y; its
    pseudo-outcome is Ŷ + (Y − Ŷ) / pi, an unlabelled unit's is Ŷ. The mean pseudo-outcome of a group
    is unbiased for the group's share whatever the classifier's errors, and its variance (hence the
    normal interval) includes the sampling of the hand-coded units. The interval treats units as
    independent draws (no finite-population or stratum correction, which would narrow it) and is
    clipped to [0, 1]; the share itself is not clipped, so a rare category can come out slightly below 0.

    Parameters
    ----------
    units
        All units (``unit_id``, ``text`` and the ``by`` columns), as from :func:`coding_units`.
    coded
        The hand-coded sample: ``unit_id``, ``pi`` and ``variable`` (adjudicated codes; blank rows are
        left out of the coded set, which is only valid if blanks are unrelated to the codes).
    variable
        The codebook variable to estimate.
    predicted
        Probabilities (units × ``categories``, rows in the order of ``units``) from another model; each
        coded unit's row must come from a model that did not see its code. Default: the cross-fitted
        :func:`classifier`.

    Returns
    -------
    DataFrame
        ``by`` columns, ``category``, ``units``, ``coded``, ``share`` (DSL), ``se``, ``ci_low``,
        ``ci_high``, ``share_classifier`` (mean Ŷ, uncorrected) and ``share_coded`` (the weighted
        hand-coded share, where the group has coded units). A group without coded units (a street added
        after the sample was drawn) has only the classifier's share and no interval (``se`` missing).
    """
    by = [by] if isinstance(by, str) else list(by)
    coded = coded.dropna(subset=[variable])
    unknown = set(coded["unit_id"]) - set(units["unit_id"])
    if unknown:
        raise ValueError(
            f"{len(unknown)} coded unit(s) are not among the units (e.g. {sorted(unknown)[0]}): "
            "the corpus changed since the sample was drawn; re-draw or match the codes to the new units"
        )
    categories = list(categories) if categories is not None else sorted(coded[variable].unique())
    frame = units.drop(columns=["pi", variable], errors="ignore").reset_index(drop=True)
    frame = frame.merge(coded[["unit_id", "pi", variable]], on="unit_id", how="left", validate="1:1")
    labelled = frame[variable].notna().to_numpy()
    y = np.stack([(frame[variable] == c).to_numpy(dtype=float) for c in categories], axis=1)
    if predicted is None:
        predicted = _cross_fitted(frame["text"].astype(str).tolist(), frame[variable], categories, folds, seed)
    elif np.shape(predicted) != y.shape:
        raise ValueError(f"predicted has shape {np.shape(predicted)}; expected {y.shape} (units × categories)")
    weight = np.where(labelled, 1.0 / frame["pi"].fillna(1.0).to_numpy(dtype=float), 0.0)[:, None]
    pseudo = predicted + weight * (np.nan_to_num(y) - predicted) * labelled[:, None]
    z = stats.norm.ppf(1 - (1 - level) / 2)
    rows = []
    for key, group in frame.groupby(by, sort=True):
        index = group.index.to_numpy()
        key = key if isinstance(key, tuple) else (key,)
        n = len(index)
        has = labelled[index]
        for j, category in enumerate(categories):
            values = pseudo[index, j]
            share = float(values.mean())
            # without coded units the group's estimate is the classifier's alone: no valid interval
            se = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 and has.any() else np.nan
            coded_share = np.nan
            if has.any():
                w = weight[index][has, 0]
                coded_share = float((w * y[index][has, j]).sum() / w.sum())
            rows.append(
                dict(zip(by, key, strict=True))
                | {
                    "category": category,
                    "units": n,
                    "coded": int(has.sum()),
                    "share": share,
                    "se": se,
                    "ci_low": max(0.0, share - z * se) if se == se else np.nan,
                    "ci_high": min(1.0, share + z * se) if se == se else np.nan,
                    "share_classifier": float(predicted[index, j].mean()),
                    "share_coded": coded_share,
                }
            )
    return pd.DataFrame(rows)


def _cross_fitted(texts: list[str], codes: pd.Series, categories: Sequence[str], folds: int, seed: int) -> np.ndarray:
    """Probabilities for every unit from a model trained on the coded units of the other folds."""
    labelled = codes.notna().to_numpy()
    fold = np.random.default_rng(seed).permutation(np.arange(len(texts)) % folds)
    predicted = np.zeros((len(texts), len(categories)))
    for k in range(folds):
        train = np.flatnonzero(labelled & (fold != k))
        test = np.flatnonzero(fold == k)
        model = _fit([texts[i] for i in train], codes.to_numpy()[train], seed)
        predicted[test] = _proba(model, [texts[i] for i in test], categories)
    return predicted
