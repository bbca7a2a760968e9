"""Who carries the plan: responsibility matrices, concentration, co-responsibility,
follow-through of the three-year tasks, indicators by unit, department mentions.

Every function takes the loaded tables (``load_tasks()``, ``load_task_departments()``, …)
and returns a tidy DataFrame; counts are numbers of task rows, so each can be
reproduced with one pandas expression on the tables (the tests do so).

**Follow-through rule.** A three-year task reappears in an annual or quarterly
list when a task there has the same normalised name (spaces and punctuation
removed), or, failing that, when the character-bigram cosine similarity of the
two task names is at least ``threshold`` (the best candidate of the list is
taken). Departments "stay the same" when the lead unit of the three-year task is
among the units of the matched task.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd

PERIOD = "{year}Q{quarter}"
PUNCTUATION = re.compile(r"[\s,。、;:“”‘’《》()\-—·]")
DEFAULT_THRESHOLD = 0.5


def _with_tasks(tasks: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    return links.merge(tasks, on="task_id", how="left", validate="many_to_one")


def responsibility_matrix(
    tasks: pd.DataFrame,
    links: pd.DataFrame,
    *,
    role: str | None = None,
    scope: str | None = None,
    share: bool = False,
) -> pd.DataFrame:
    """Department × category: task rows naming the department (``role='lead'``: as lead).

    ``share=True`` divides each column by the number of task rows of that category.
    """
    data = _with_tasks(tasks, links)
    if role:
        data = data[data["role"] == role]
    if scope:
        data = data[data["scope"] == scope]
    matrix = pd.crosstab(data["department"], data["category_norm"])
    if share:
        base = tasks if scope is None else tasks[tasks["scope"] == scope]
        matrix = matrix / base.groupby("category_norm").size().reindex(matrix.columns)
    return matrix


def department_timeline(tasks: pd.DataFrame, links: pd.DataFrame, *, role: str | None = None) -> pd.DataFrame:
    """Department × quarter (``2021Q3`` …): task rows in the quarterly lists."""
    data = _with_tasks(tasks, links)
    data = data[data["scope"] == "quarterly"]
    if role:
        data = data[data["role"] == role]
    period = data["year"].astype(int).astype(str) + "Q" + data["quarter"].astype(int).astype(str)
    return pd.crosstab(data["department"], period)


def concentration(tasks: pd.DataFrame, links: pd.DataFrame, *, role: str = "lead") -> pd.DataFrame:
    """Per list: tasks, departments, the top department and its share, Herfindahl and Gini indices.

    Shares are of (task, department) pairs with the given role; the Herfindahl index
    is the sum of squared shares (1 = one department carries all), the Gini
    coefficient is computed over the departments named in that list.
    """
    data = _with_tasks(tasks, links)
    data = data[data["role"] == role]
    rows = []
    for (table_no, scope, title), group in data.groupby(["table_no", "scope", "table_title"], observed=True):
        counts = group["department"].value_counts()
        shares = counts / counts.sum()
        rows.append(
            {
                "table_no": table_no,
                "scope": scope,
                "table_title": title,
                "tasks": group["task_id"].nunique(),
                "departments": len(counts),
                "top_department": counts.index[0],
                "top_share": float(shares.iloc[0]),
                "herfindahl": float((shares**2).sum()),
                "gini": gini(counts.to_numpy()),
            }
        )
    return pd.DataFrame(rows)


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, → 1 = concentrated)."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, x.size + 1)
    return float((2 * (ranks * x).sum()) / (x.size * x.sum()) - (x.size + 1) / x.size)


def co_responsibility(links: pd.DataFrame) -> pd.DataFrame:
    """Pairs of departments named on the same task, with the number of tasks."""
    pairs: Counter[tuple[str, str]] = Counter()
    for _, group in links.groupby("task_id"):
        for a, b in combinations(sorted(set(group["department"])), 2):
            pairs[(a, b)] += 1
    out = pd.DataFrame([(a, b, n) for (a, b), n in pairs.items()], columns=["department_a", "department_b", "tasks"])
    return out.sort_values(["tasks", "department_a", "department_b"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def normalise_name(text: str) -> str:
    return PUNCTUATION.sub("", text)


def bigram_cosine(a: str, b: str) -> float:
    """Cosine similarity of the character-bigram counts of two strings."""
    ca = Counter(a[i : i + 2] for i in range(len(a) - 1))
    cb = Counter(b[i : i + 2] for i in range(len(b) - 1))
    dot = sum(ca[k] * cb[k] for k in ca)
    norm = (sum(v * v for v in ca.values()) * sum(v * v for v in cb.values())) ** 0.5
    return dot / norm if norm else 0.0


def follow_through_matches(
    tasks: pd.DataFrame, links: pd.DataFrame | None = None, *, threshold: float = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """Three-year task × later list: the best candidate, its similarity and how it matched.

    ``match`` is ``name`` (same normalised name), ``similarity`` (cosine >= threshold)
    or ``none``; the best candidate and its similarity are kept either way, so the
    pairs near the threshold can be read.
    """
    plan = tasks[tasks["scope"] == "three_year"]
    later = tasks[tasks["scope"] != "three_year"]
    leads = (
        links[links["role"] == "lead"].groupby("task_id")["department"].agg(set).to_dict() if links is not None else {}
    )
    units = links.groupby("task_id")["department"].agg(set).to_dict() if links is not None else {}
    rows = []
    for p in plan.itertuples():
        p_name = normalise_name(p.task)
        for table_no, candidates in later.groupby("table_no"):
            names = candidates["task"].map(normalise_name)
            exact = candidates[names == p_name]
            sims = names.map(lambda n, p_name=p_name: bigram_cosine(p_name, n))
            best = exact.iloc[0] if len(exact) else candidates.loc[sims.idxmax()]
            similarity = 1.0 if len(exact) else float(sims.max())
            match = "name" if len(exact) else ("similarity" if similarity >= threshold else "none")
            same = None
            if links is not None and match != "none":
                same = bool(leads.get(p.task_id, set()) & units.get(best["task_id"], set()))
            rows.append(
                {
                    "task_id": p.task_id,
                    "seq": p.seq,
                    "task": p.task,
                    "table_no": table_no,
                    "scope": best["scope"],
                    "period": _period(best),
                    "candidate_id": best["task_id"],
                    "candidate": best["task"],
                    "similarity": round(similarity, 4),
                    "match": match,
                    "same_departments": same,
                }
            )
    return pd.DataFrame(rows)


def follow_through(
    tasks: pd.DataFrame, links: pd.DataFrame | None = None, *, threshold: float = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """One row per three-year task: in which later lists it reappears, and how it was matched."""
    matches = follow_through_matches(tasks, links, threshold=threshold)
    found = matches[matches["match"] != "none"]
    grouped = found.groupby("task_id")
    out = tasks[tasks["scope"] == "three_year"][["task_id", "seq", "task", "category_norm"]].set_index("task_id")
    out["annual_lists"] = grouped.apply(lambda g: (g["scope"] == "annual").sum())
    out["quarterly_lists"] = grouped.apply(lambda g: (g["scope"] == "quarterly").sum())
    out["by_name"] = grouped.apply(lambda g: (g["match"] == "name").sum())
    out["by_similarity"] = grouped.apply(lambda g: (g["match"] == "similarity").sum())
    out["periods"] = grouped["period"].agg(", ".join)
    if links is not None:
        out["same_departments_share"] = grouped["same_departments"].mean()
    out = out.fillna({"annual_lists": 0, "quarterly_lists": 0, "by_name": 0, "by_similarity": 0, "periods": ""})
    for column in ("annual_lists", "quarterly_lists", "by_name", "by_similarity"):
        out[column] = out[column].astype(int)
    out["matched_by"] = np.select(
        [
            out["by_name"].gt(0) & out["by_similarity"].eq(0),
            out["by_similarity"].gt(0) & out["by_name"].eq(0),
            out["by_name"].gt(0),
        ],
        ["name", "similarity", "name and similarity"],
        default="not found",
    )
    return out.reset_index()


def _period(row: pd.Series) -> str:
    if row["scope"] == "quarterly":
        return f"{int(row['year'])}Q{int(row['quarter'])}"
    return str(int(row["year"]))


def indicators_by_unit(indicators: pd.DataFrame) -> pd.DataFrame:
    """Responsible unit × attribute (binding, expected): number of indicators."""
    return pd.crosstab(indicators["department"], indicators["attribute"], margins=True, margins_name="total")


def department_mentions(paragraphs: pd.DataFrame, departments: pd.DataFrame, *, by: str = "street") -> pd.DataFrame:
    """How often each department is named (by its name or aliases) in the paragraphs of each group.

    Names are matched longest first and without overlap, so 城管执法中队 counts once
    (not also as 城管). Returns department × group counts.
    """
    alias_of: dict[str, str] = {}
    for row in departments.itertuples():
        for name in [row.department, *(row.aliases.split(";") if isinstance(row.aliases, str) else [])]:
            alias_of[name] = row.department
    pattern = re.compile("|".join(re.escape(n) for n in sorted(alias_of, key=len, reverse=True)))
    counts: Counter[tuple[str, str]] = Counter()
    for group, text in zip(paragraphs[by], paragraphs["text"], strict=True):
        for m in pattern.finditer(text):
            counts[(alias_of[m.group(0)], group)] += 1
    frame = pd.Series(counts, dtype="int64")
    if frame.empty:
        return pd.DataFrame()
    frame.index.names = ["department", by]
    return frame.unstack(fill_value=0).sort_index()
