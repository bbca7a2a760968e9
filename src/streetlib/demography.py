"""Age structure and plan attention: the calculations behind notebooks 02 and 05.

* :func:`age_bands` turns nested "N岁以上" counts into disjoint bands.
* :func:`age_structure` does it for any street of the ``population`` table, on one date and
  one stated base, and refuses figures that disagree instead of mixing them.
* :func:`ageing_indicators` computes the rates a demographer reports; :func:`ageing_profile`
  gives them for a street with intervals (Wilson for shares, exact Poisson for rare counts such as
  centenarians).
* :func:`compare_with_reference` sets a street's rates beside official figures of the same
  basis, and says "untested" where no official figure exists (never a figure from memory).
* :func:`difference_interval` is the interval for the difference of two shares (Newcombe's method 10).
* :func:`attention` measures how much of a text is about a theme: the share of its
  sentences that name any term of a dictionary, with a Wilson interval widened by the
  design effect of chapters (:func:`streetlib.concordance.wilson`). It is a dictionary measure, independent
  of any topic model. :func:`mention_shares` is the simpler paragraph share of notebook 05 (a teaching
  measure).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from streetlib import config
from streetlib.concordance import lexicon_terms, wilson


def age_bands(older_than: Mapping[int, float], total: float) -> pd.DataFrame:
    """Disjoint age bands from nested counts of people aged N and over.

    Parameters
    ----------
    older_than
        ``{60: 23221, 80: 3914, ...}``: people aged N or older, each group
        containing the next.
    total
        The whole population on the same base (for the band under the lowest age
        and the shares).

    Returns
    -------
    DataFrame with ``band``, ``count`` and ``share`` (of ``total``), youngest first.

    Raises
    ------
    ValueError
        If the groups are not nested (an older group larger than a younger one).
    """
    ages = sorted(older_than)
    counts = [total, *(older_than[a] for a in ages)]
    if any(b > a for a, b in pairwise(counts)):
        raise ValueError(f"groups are not nested: {dict(zip(['total', *ages], counts, strict=True))}")
    labels = [f"<{ages[0]}"] + [f"{a}-{b - 1}" for a, b in pairwise(ages)] + [f"{ages[-1]}+"]
    sizes = [a - b for a, b in pairwise(counts)] + [counts[-1]]
    return pd.DataFrame({"band": labels, "count": sizes, "share": [s / total for s in sizes]})


def ageing_indicators(
    *, total: float, age_60_plus: float, age_80_plus: float, age_100_plus: float, living_alone: float | None = None
) -> dict[str, float]:
    """Ageing rate (%), oldest-old share of the 60+ (%), centenarians per 100 000, living-alone rate of the 60+ (%)."""
    out = {
        "ageing_rate_pct": 100 * age_60_plus / total,
        "oldest_old_share_pct": 100 * age_80_plus / age_60_plus,
        "centenarians_per_100k": 100_000 * age_100_plus / total,
    }
    if living_alone is not None:
        out["living_alone_rate_pct"] = 100 * living_alone / age_60_plus
    return out


def load_terms(name: str = "elderly_terms", *, root: Path | None = None) -> list[str]:
    """A term dictionary from ``data/lexicon/<name>.csv`` (its first column), read through the checked lexicon
    reader (:func:`streetlib.concordance.lexicon_terms`)."""
    return list(lexicon_terms(name, root=root))


def mentions(texts: Iterable[str], terms: Iterable[str]) -> np.ndarray:
    """Boolean array: does each text name any of the terms?"""
    terms = list(terms)
    return np.array([any(term in text for term in terms) for text in texts], dtype=bool)


def attention(
    sentences: pd.DataFrame,
    terms: Iterable[str],
    *,
    by: str | list[str],
    cluster: str = "chapter_id",
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of sentences naming any term, per group, with a Wilson interval that respects clustering.

    Sentences of one chapter (``cluster``) are not independent: a chapter on elderly care names the
    terms sentence after sentence. The design effect ``deff`` is the ratio of the cluster-robust variance
    of the share (ratio estimator over clusters) to the binomial variance, floored at 1; the Wilson interval
    is computed on the effective size ``n_eff = sentences / deff``. Where no variance can be estimated (fewer
    than two clusters, or a share of 0 or 1), ``deff`` is 1 and the interval is the plain Wilson interval.

    Returns
    -------
    DataFrame indexed by ``by`` with ``documents``, ``clusters``, ``sentences``, ``mentioning``, ``share``,
    ``deff``, ``n_eff``, ``ci_low`` and ``ci_high``.
    """
    frame = sentences.assign(_hit=mentions(sentences["text"], terms))
    rows = {}
    for key, group in frame.groupby(by, observed=True, sort=True):
        n, hits = len(group), int(group["_hit"].sum())
        share = hits / n
        per_cluster = group.groupby(cluster, observed=True)["_hit"].agg(["sum", "size"])
        c = len(per_cluster)
        deff = 1.0
        if c >= 2 and 0 < share < 1:
            residual = per_cluster["sum"] - share * per_cluster["size"]
            robust = c / (c - 1) * float((residual**2).sum()) / n**2
            deff = max(1.0, robust / (share * (1 - share) / n))
        low, high = wilson(share * n / deff, n / deff, level=level)
        rows[key] = {
            "documents": group["doc_id"].nunique() if "doc_id" in group else np.nan,
            "clusters": c,
            "sentences": n,
            "mentioning": hits,
            "share": share,
            "deff": deff,
            "n_eff": n / deff,
            "ci_low": low,
            "ci_high": high,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = [by] if isinstance(by, str) else by
    return out


AGE_MEASURE = re.compile(r"^age_(\d+)_plus$")
BASIS_NAMES = {"hukou": "户籍", "resident": "常住", "present": "现有人口", "all": "总人口", "unstated": "未说明"}


def difference_interval(
    hits_a: float, n_a: float, hits_b: float, n_b: float, level: float = 0.95
) -> tuple[float, float, float]:
    """Difference of two independent shares ``a - b`` with Newcombe's hybrid Wilson interval.

    Whether two shares differ is read from this interval (does it hold 0?), not from whether
    the two separate intervals overlap: two 95% intervals can overlap while the difference is
    clearly not zero.

    Returns
    -------
    ``(difference, low, high)``.
    """
    p_a, p_b = hits_a / n_a, hits_b / n_b
    low_a, high_a = wilson(hits_a, n_a, level=level)
    low_b, high_b = wilson(hits_b, n_b, level=level)
    diff = p_a - p_b
    low = diff - np.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2)
    high = diff + np.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2)
    return float(diff), float(low), float(high)


def poisson_interval(count: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count, e.g. 11 centenarians.

    Raises
    ------
    ValueError
        If ``count`` is negative or not a whole number.
    """
    if count < 0 or count != int(count):
        raise ValueError(f"a Poisson count is a whole number >= 0, got {count}")
    alpha = 1 - level
    low = 0.0 if count == 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low), float(high)


def _street_figures(population: pd.DataFrame, street: str) -> pd.DataFrame:
    rows = population[(population["street"] == street) & (population["unit"] == "人") & population["value"].notna()]
    if rows.empty:
        raise ValueError(f"{street} states no population counts in the documents (table `population`)")
    return rows


def _one_value(rows: pd.DataFrame, what: str) -> float:
    values = sorted(set(rows["value"].astype(float)))
    if len(values) > 1:
        where = ", ".join(f"{d} line {int(n)}" for d, n in zip(rows["doc_id"], rows["line_start"], strict=True))
        raise ValueError(f"{what}: the documents state different values {values} ({where}); review them first")
    return values[0]


def age_structure(
    population: pd.DataFrame, street: str, *, base: str = "hukou", as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Disjoint age bands of one street, from the nested "N岁以上" counts its documents state.

    Only figures of ``street`` on one reference date are used (the latest date with both
    age counts and a total on ``base``, unless ``as_of`` is given), so two streets' or two
    dates' numbers are never mixed. A group stated twice must agree.

    Parameters
    ----------
    population
        The ``population`` table.
    street
        Street name as in the table, e.g. ``"长白新村街道"``.
    base
        Basis of the total used as denominator (``"hukou"`` for 户籍人口); the age counts
        keep the basis their sentence states (often ``unstated``), reported in ``counts_basis``.
    as_of
        Reference date; default the latest one that has what is needed.

    Returns
    -------
    DataFrame with ``street``, ``as_of``, ``band``, ``count``, ``share`` (of the total),
    ``base``, ``base_total``, ``counts_basis`` and ``lines`` (doc_id:line of every figure used),
    youngest band first.

    Raises
    ------
    ValueError
        If the street states no age counts with a total on ``base`` on one date, or if the
        documents disagree about a figure.
    """
    rows = _street_figures(population, street)
    rows = rows.assign(_age=rows["measure"].str.extract(AGE_MEASURE, expand=False))
    ages = rows[rows["_age"].notna()]
    totals = rows[(rows["measure"] == "total") & (rows["basis"] == base)]
    dates = sorted(set(ages["as_of"]) & set(totals["as_of"]))
    if as_of is not None:
        dates = [d for d in dates if d == pd.Timestamp(as_of)]
    if not dates:
        name = BASIS_NAMES.get(base, base)
        raise ValueError(
            f"{street}: no date on which the documents state both age counts and a {name} total; "
            f"age shares cannot be computed on that base"
        )
    date = dates[-1]
    ages, total_rows = ages[ages["as_of"] == date], totals[totals["as_of"] == date]
    total = _one_value(total_rows, f"{street} {base} total on {date:%Y-%m-%d}")
    older = {int(a): _one_value(g, f"{street} {a}+ on {date:%Y-%m-%d}") for a, g in ages.groupby("_age")}
    bands = age_bands(older, total)
    used = pd.concat([total_rows, ages])
    lines = ", ".join(sorted({f"{d}:{int(n)}" for d, n in zip(used["doc_id"], used["line_start"], strict=True)}))
    return bands.assign(
        street=street,
        as_of=date,
        base=base,
        base_total=total,
        counts_basis="/".join(sorted(set(ages["basis"]))),
        lines=lines,
    )[["street", "as_of", "band", "count", "share", "base", "base_total", "counts_basis", "lines"]]


def age_structures(population: pd.DataFrame, *, bases: Iterable[str] = ("hukou", "actual", "resident")) -> pd.DataFrame:
    """:func:`age_structure` of every street whose documents allow it, one block per street.

    Each street uses the first of ``bases`` on which its documents state a total (column
    ``base`` says which): 户籍 where given, else 实有 or 常住. Streets without ages or without
    a total on any of these bases are left out.
    """
    frames = []
    for street in sorted(population["street"].dropna().unique()):
        for base in bases:
            try:
                frames.append(age_structure(population, street, base=base))
                break
            except ValueError:
                continue
    columns = ["street", "as_of", "band", "count", "share", "base", "base_total", "counts_basis", "lines"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def ageing_profile(
    population: pd.DataFrame,
    street: str,
    *,
    base: str = "hukou",
    as_of: str | pd.Timestamp | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """A street's ageing rates with intervals, named like ``reference_population`` measures.

    Shares use the Wilson interval; the centenarian rate the exact Poisson interval (a
    rate from 11 people is uncertain by a factor of two). The counts are complete counts,
    not samples: the intervals express the chance variation of the underlying rate that a
    comparison with another place or year must allow for.

    Returns
    -------
    DataFrame with ``measure``, ``numerator``, ``denominator``, ``value`` (% or per 100 000),
    ``ci_low``, ``ci_high``, ``unit``, ``method``, ``as_of``, ``base``.
    """
    structure = age_structure(population, street, base=base, as_of=as_of)
    date, total = structure["as_of"].iloc[0], float(structure["base_total"].iloc[0])
    rows = _street_figures(population, street)
    same_date = rows[rows["as_of"] == date]
    older: dict[int, float] = {}
    ages = same_date.assign(_age=same_date["measure"].str.extract(AGE_MEASURE, expand=False)).dropna(subset=["_age"])
    for age, group in ages.groupby("_age"):
        older[int(age)] = _one_value(group, f"{street} {age}+")
    alone = same_date[same_date["measure"] == "living_alone"]
    wanted = [(f"share_age_{a}_plus", older[a], total) for a in sorted(older)]
    if 60 in older:
        wanted += [(f"share_{a}_plus_of_60_plus", older[a], older[60]) for a in sorted(older) if a > 60 and a < 100]
        if not alone.empty:
            wanted.append(("share_living_alone_of_60_plus", _one_value(alone, f"{street} living alone"), older[60]))
    out = []
    for measure, hits, n in wanted:
        if measure == "share_age_100_plus":
            low, high = poisson_interval(hits, level)
            out.append(
                (
                    "age_100_plus_per_100k",
                    hits,
                    n,
                    1e5 * hits / n,
                    1e5 * low / n,
                    1e5 * high / n,
                    "per 100 000",
                    "exact Poisson",
                )
            )
            continue
        low, high = wilson(hits, n, level=level)
        out.append((measure, hits, n, 100 * hits / n, 100 * low, 100 * high, "%", "Wilson"))
    frame = pd.DataFrame(
        out, columns=["measure", "numerator", "denominator", "value", "ci_low", "ci_high", "unit", "method"]
    )
    return frame.assign(as_of=date, base=base)


def compare_with_reference(
    profile: pd.DataFrame,
    reference: pd.DataFrame,
    regions: Iterable[str],
    *,
    basis: str = "hukou",
    near: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """A street's rates beside official figures of the same basis, one row per (measure, region).

    For each region the official figure nearest in date to ``near`` (default: the profile's
    date) is used. Where no official figure of that region, measure and basis exists the
    verdict is ``untested`` and the reference columns are empty: no figure is supplied from
    elsewhere. Otherwise the verdict says whether the street's interval lies wholly above
    (``higher``) or below (``lower``) the official value, or holds it (``not distinguishable``).

    Returns
    -------
    DataFrame with ``measure``, ``street_value``, ``ci_low``, ``ci_high``, ``region``,
    ``reference_value``, ``reference_as_of``, ``reference_source``, ``verdict``.
    """
    when = pd.Timestamp(near) if near is not None else pd.Timestamp(profile["as_of"].iloc[0])
    official = reference[reference["basis"] == basis].assign(as_of=lambda r: pd.to_datetime(r["as_of"]))
    rows = []
    for item in profile.itertuples():
        for region in regions:
            found = official[(official["region"] == region) & (official["measure"] == item.measure)]
            row = {
                "measure": item.measure,
                "street_value": item.value,
                "ci_low": item.ci_low,
                "ci_high": item.ci_high,
                "region": region,
                "reference_value": np.nan,
                "reference_as_of": pd.NaT,
                "reference_source": None,
                "verdict": "untested",
            }
            if not found.empty:
                best = found.loc[(found["as_of"] - when).abs().idxmin()]
                value = float(best["value"])
                verdict = (
                    "higher" if item.ci_low > value else "lower" if item.ci_high < value else "not distinguishable"
                )
                row.update(
                    reference_value=value,
                    reference_as_of=best["as_of"],
                    reference_source=best["source"],
                    verdict=verdict,
                )
            rows.append(row)
    return pd.DataFrame(rows)


def search_log(*, root: Path | None = None) -> pd.DataFrame:
    """Where official district figures were looked for, and what was found (``data/external/search_log.csv``)."""
    return pd.read_csv(config.external_dir(root) / "search_log.csv", dtype=str, keep_default_na=False)


def mention_shares(
    paragraphs: pd.DataFrame, terms: Iterable[str], *, by: str | list[str], level: float = 0.95
) -> pd.DataFrame:
    """Share of paragraphs naming any term, per group, with a Wilson interval.

    The interval treats the group's paragraphs as independent draws; paragraphs of one
    document are not, so read it as the uncertainty of *these documents'* share, not of a
    street's priorities (one document per street cannot tell those apart).

    Returns
    -------
    DataFrame indexed by ``by`` with ``documents``, ``paragraphs``, ``mentioning``, ``share``,
    ``ci_low`` and ``ci_high``.
    """
    hit = mentions(paragraphs["text"], terms)
    rows = {}
    for key, group in paragraphs.assign(_hit=hit).groupby(by, observed=True, sort=True):
        n, k = len(group), int(group["_hit"].sum())
        low, high = wilson(k, n, level=level)
        rows[key] = {
            "documents": group["doc_id"].nunique(),
            "paragraphs": n,
            "mentioning": k,
            "share": k / n,
            "ci_low": low,
            "ci_high": high,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = [by] if isinstance(by, str) else by
    return out


def pairwise_differences(
    shares: pd.DataFrame, *, label: str, n: str = "n_eff", share: str = "share", level: float = 0.95
) -> pd.DataFrame:
    """Every pair of groups: difference of shares with Newcombe's interval, and whether it excludes 0.

    Two groups differ when the interval of their difference excludes 0, not when their own intervals fail to
    overlap. ``n`` names the column of (effective) sizes, e.g. the design-adjusted ``n_eff`` of :func:`attention`.

    Returns
    -------
    DataFrame with ``a``, ``b`` (values of ``label``), ``difference`` (a - b), ``ci_low``, ``ci_high`` and
    ``excludes_zero``, largest absolute difference first.
    """
    rows = []
    items = list(shares[[label, share, n]].itertuples(index=False))
    for i, (a, share_a, n_a) in enumerate(items):
        for b, share_b, n_b in items[i + 1 :]:
            diff, low, high = difference_interval(share_a * n_a, n_a, share_b * n_b, n_b, level)
            rows.append({"a": a, "b": b, "difference": diff, "ci_low": low, "ci_high": high})
    out = pd.DataFrame(rows, columns=["a", "b", "difference", "ci_low", "ci_high"])
    out["excludes_zero"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    order = out["difference"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)
