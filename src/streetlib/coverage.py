"""Who carries the plan: responsibility matrices, concentration, co-responsibility, distinct tasks
across lists, recurrence of the plan's tasks, indicators by unit, department mentions.

Every function takes the loaded tables (``load_tasks()``, ``load_task_departments()``, …) and
returns a tidy DataFrame. Counts are of task **rows** unless ``unit="tasks"``: then of distinct
tasks, the ``task_key`` that :func:`with_task_keys` gives each row.

**Task-key rule.** Quarterly and annual lists repeat the plan's tasks, often reworded (全力优化营商环境,
持续优化营商环境). Within one document and one category, two task names are the same task when their
character-bigram Jaccard similarity is at least ``threshold`` (0.5, fixed before validation) after
removing punctuation and the leading modifiers of ``data/lexicon/task_modifiers.txt`` (持续, 全力,
加强 …). Pairs are joined most similar first (single linkage), except that two names listed in the
same list are never joined: a list does not name one task twice. A task's key is the ``task_id`` of
its first row. :func:`task_link_review` lists the pairs a reader should check (near the threshold,
ties, and pairs kept apart because they share a list); :func:`link_validation` scores the rule against
the hand-linked names of ``data/reviewed/task_links_sample.csv``.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable
from functools import cache
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from streetlib import config
from streetlib.errors import BuildError, located
from streetlib.periods import order_periods, period_label

PERIOD = "{year}Q{quarter}"
PUNCTUATION = re.compile(r"[\s,，。、;；:：“”‘’\"'《》()（）\-—·]")
DEFAULT_THRESHOLD = 0.5  # fixed before the rule was compared with the hand-linked sample
BORDERLINE = 0.1  # pairs within this distance of the threshold are listed for review
MODIFIER_FILE = "task_modifiers.txt"
SAMPLE_FILE = "task_links_sample.csv"


def _with_tasks(tasks: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    return links.merge(tasks, on="task_id", how="left", validate="many_to_one")


def _count(data: pd.DataFrame, index: str, columns: str | pd.Series, unit: str) -> pd.DataFrame:
    """Crosstab of rows, or of distinct ``task_key`` values (``unit="tasks"``)."""
    if unit == "rows":
        return pd.crosstab(data[index], columns)
    if unit != "tasks":
        raise ValueError(f"unit must be 'rows' or 'tasks', not {unit!r}")
    if "task_key" not in data:
        raise ValueError("unit='tasks' needs the task_key column: pass with_task_keys(tasks)")
    frame = data.assign(_column=columns)
    return frame.groupby([index, "_column"])["task_key"].nunique().unstack(fill_value=0).rename_axis(columns=None)


def responsibility_matrix(
    tasks: pd.DataFrame,
    links: pd.DataFrame,
    *,
    role: str | None = None,
    scope: str | None = None,
    share: bool = False,
    unit: str = "rows",
) -> pd.DataFrame:
    """Department × category: task rows (or distinct tasks, ``unit="tasks"``) naming the department.

    ``role='lead'`` counts leads only; ``share=True`` divides each column by the number of rows
    (or distinct tasks) of that category.
    """
    data = _with_tasks(tasks, links)
    if role:
        data = data[data["role"] == role]
    if scope:
        data = data[data["scope"] == scope]
    matrix = _count(data, "department", data["category_norm"], unit)
    matrix.columns.name = "category_norm"
    if share:
        base = tasks if scope is None else tasks[tasks["scope"] == scope]
        sizes = (
            base.groupby("category_norm").size()
            if unit == "rows"
            else base.groupby("category_norm")["task_key"].nunique()
        )
        matrix = matrix / sizes.reindex(matrix.columns)
    return matrix


def department_timeline(
    tasks: pd.DataFrame, links: pd.DataFrame, *, role: str | None = None, unit: str = "rows"
) -> pd.DataFrame:
    """Department × quarter (``2021Q3`` …): task rows (or distinct tasks) in the quarterly lists."""
    data = _with_tasks(tasks, links)
    data = data[data["scope"] == "quarterly"]
    if role:
        data = data[data["role"] == role]
    period = data["year"].astype(int).astype(str) + "Q" + data["quarter"].astype(int).astype(str)
    return _count(data, "department", period, unit)


def lead_counts(
    tasks: pd.DataFrame, links: pd.DataFrame, *, lead_rule: str = "first", departments: Iterable[str] | None = None
) -> pd.DataFrame:
    """List × department: how many rows of each list the department leads, zeros included.

    ``lead_rule="first"`` takes the roles as extracted (the first unit of a 责任单位 cell leads);
    ``"shared"`` drops that assumption and gives each unit named on a row an equal share of it
    (1/k for k units), so a sensitivity check needs no other data. The columns are ``departments``
    (default: every department named in any role in these lists), so departments with no lead count 0.
    """
    data = _with_tasks(tasks, links)
    if lead_rule == "first":
        data = data[data["role"] == "lead"].assign(weight=1.0)
    elif lead_rule == "shared":
        data = data.assign(weight=1.0 / data.groupby("task_id")["department"].transform("size"))
    else:
        raise ValueError(f"lead_rule must be 'first' or 'shared', not {lead_rule!r}")
    universe = sorted(set(departments) if departments is not None else set(links["department"]))
    counts = data.pivot_table(index="table_no", columns="department", values="weight", aggfunc="sum", fill_value=0.0)
    order = tasks.drop_duplicates("table_no").set_index("table_no").index
    return counts.reindex(index=order, columns=universe, fill_value=0.0)


def top_leads(tasks: pd.DataFrame, links: pd.DataFrame, *, lead_rule: str = "first") -> pd.DataFrame:
    """Per list, the department(s) leading most rows, ties kept: every department at the maximum."""
    counts = lead_counts(tasks, links, lead_rule=lead_rule)
    rows = []
    for table_no, row in counts.iterrows():
        top = row[np.isclose(row, row.max())].index.tolist()
        rows.append(
            {
                "table_no": table_no,
                "top_departments": "、".join(top),
                "n_top": len(top),
                "tied": len(top) > 1,
                "top_count": float(row.max()),
            }
        )
    return pd.DataFrame(rows)


def concentration(
    tasks: pd.DataFrame,
    links: pd.DataFrame,
    *,
    lead_rule: str = "first",
    departments: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per list: rows, departments, the top department(s) with ties, and concentration of leads.

    Over the N departments of :func:`lead_counts` (those with no lead count as 0): ``herfindahl`` is
    the sum of squared lead shares (1/N when all lead equally, 1 when one leads everything);
    ``herfindahl_norm`` = (H − 1/N) / (1 − 1/N) rescales it to 0 (equal) … 1 (one department), so
    lists with different N compare; ``gini`` includes the zeros.
    """
    counts = lead_counts(tasks, links, lead_rule=lead_rule, departments=departments)
    top = top_leads(tasks, links, lead_rule=lead_rule).set_index("table_no")
    meta = tasks.drop_duplicates("table_no").set_index("table_no")
    rows = []
    for table_no, row in counts.iterrows():
        values = row.to_numpy(dtype=float)
        shares = values / values.sum()
        rows.append(
            {
                "table_no": table_no,
                "scope": meta.loc[table_no, "scope"],
                "table_title": meta.loc[table_no, "table_title"],
                "rows": int((tasks["table_no"] == table_no).sum()),
                "departments": len(values),
                "leading_departments": int((values > 0).sum()),
                "top_departments": top.loc[table_no, "top_departments"],
                "tied": bool(top.loc[table_no, "tied"]),
                "top_share": float(shares.max()),
                "herfindahl": float((shares**2).sum()),
                "herfindahl_norm": normalised_herfindahl(values),
                "gini": gini(values),
            }
        )
    return pd.DataFrame(rows)


def normalised_herfindahl(values: Iterable[float]) -> float:
    """(H − 1/N) / (1 − 1/N) of counts over N units: 0 for equal shares, 1 when one unit has all."""
    x = np.asarray(list(values), dtype=float)
    if x.size < 2 or x.sum() == 0:
        return 0.0
    h = float(((x / x.sum()) ** 2).sum())
    return (h - 1 / x.size) / (1 - 1 / x.size)


def gini(values: Iterable[float]) -> float:
    """Gini coefficient of non-negative values, zeros included (0 = equal, → 1 = concentrated)."""
    x = np.sort(np.asarray(list(values), dtype=float))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, x.size + 1)
    return float((2 * (ranks * x).sum()) / (x.size * x.sum()) - (x.size + 1) / x.size)


def lead_sensitivity(tasks: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Per list: top department(s) and normalised Herfindahl with the first-listed lead and with shared leads."""
    first = concentration(tasks, links, lead_rule="first").set_index("table_no")
    shared = concentration(tasks, links, lead_rule="shared").set_index("table_no")
    out = first[["scope", "rows"]].copy()
    out["top_first_listed"] = first["top_departments"]
    out["top_shared"] = shared["top_departments"]
    out["same_top"] = out["top_first_listed"] == out["top_shared"]
    out["herfindahl_norm_first_listed"] = first["herfindahl_norm"]
    out["herfindahl_norm_shared"] = shared["herfindahl_norm"]
    return out.reset_index()


def co_responsibility(links: pd.DataFrame, tasks: pd.DataFrame | None = None, *, unit: str = "rows") -> pd.DataFrame:
    """Pairs of departments named on the same task row, with the number of rows (or distinct tasks).

    A name the departments lexicon does not know (``department`` empty, flagged by the build) is in no pair.
    """
    links = links.dropna(subset=["department"])
    if unit == "tasks":
        if tasks is None or "task_key" not in tasks:
            raise ValueError("unit='tasks' needs tasks with the task_key column: pass with_task_keys(tasks)")
        groups = links.merge(tasks[["task_id", "task_key"]], on="task_id").groupby("task_id")
        seen: dict[tuple[str, str], set[str]] = {}
        for _, group in groups:
            for a, b in combinations(sorted(set(group["department"])), 2):
                seen.setdefault((a, b), set()).add(group["task_key"].iloc[0])
        pairs = Counter({pair: len(keys) for pair, keys in seen.items()})
    else:
        pairs = Counter()
        for _, group in links.groupby("task_id"):
            for a, b in combinations(sorted(set(group["department"])), 2):
                pairs[(a, b)] += 1
    out = pd.DataFrame([(a, b, n) for (a, b), n in pairs.items()], columns=["department_a", "department_b", unit])
    return out.sort_values([unit, "department_a", "department_b"], ascending=[False, True, True]).reset_index(drop=True)


# --- distinct tasks ------------------------------------------------------------------------


@cache
def _modifiers(path: Path) -> tuple[str, ...]:
    words = [w.strip() for w in path.read_text(encoding="utf-8").splitlines()]
    return tuple(sorted({w for w in words if w and not w.startswith("#")}, key=len, reverse=True))


def task_modifiers(*, root: Path | None = None) -> tuple[str, ...]:
    """The leading modifiers of ``data/lexicon/task_modifiers.txt``, longest first."""
    return _modifiers(config.lexicon_dir(root) / MODIFIER_FILE)


def normalise_name(text: str, modifiers: Iterable[str] = ()) -> str:
    """A task name without punctuation and, when given, without its leading ``modifiers``.

    Modifiers are removed repeatedly from the start (着力推进两新党组织建设 → 两新党组织建设), but never
    down to fewer than two characters.
    """
    name = PUNCTUATION.sub("", text)
    modifiers = tuple(modifiers)
    stripped = True
    while stripped:
        stripped = False
        for word in modifiers:
            if name.startswith(word) and len(name) - len(word) >= 2:
                name = name[len(word) :]
                stripped = True
                break
    return name


def bigram_jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the sets of character bigrams (single characters for a one-character name)."""
    ga = {a[i : i + 2] for i in range(len(a) - 1)} or set(a)
    gb = {b[i : i + 2] for i in range(len(b) - 1)} or set(b)
    return len(ga & gb) / len(ga | gb) if ga | gb else 0.0


def _name_pairs(tasks: pd.DataFrame, modifiers: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The rows with their normalised ``name``; distinct (doc, category, name) with their lists, in order
    of first appearance; every pair of them in one document and category with its similarity."""
    rows = tasks.assign(name=[normalise_name(t, modifiers) for t in tasks["task"]])
    names = (
        rows.sort_values(["doc_id", "table_no", "seq"], kind="stable")
        .groupby(["doc_id", "category_norm", "name"], sort=False)
        .agg(first_task_id=("task_id", "first"), lists=("table_no", lambda s: frozenset(s)))
        .reset_index()
    )
    pairs = []
    for (doc_id, category), group in names.groupby(["doc_id", "category_norm"], sort=False):
        for a, b in combinations(group.itertuples(), 2):
            pairs.append(
                {
                    "doc_id": doc_id,
                    "category_norm": category,
                    "name_a": a.name,
                    "name_b": b.name,
                    "similarity": round(bigram_jaccard(a.name, b.name), 4),
                    "same_list": bool(a.lists & b.lists),
                }
            )
    columns = ["doc_id", "category_norm", "name_a", "name_b", "similarity", "same_list"]
    return rows, names, pd.DataFrame(pairs, columns=columns)


def _link(names: pd.DataFrame, pairs: pd.DataFrame, threshold: float) -> dict[tuple[str, str, str], str]:
    """Single linkage, most similar pair first, never joining two names that share a list.

    ``names`` is in order of first appearance, so a task's key is the first row of its earliest name.
    """
    nodes = list(zip(names["doc_id"], names["category_norm"], names["name"], strict=True))
    cluster = {node: i for i, node in enumerate(nodes)}
    lists = {i: set(s) for i, s in enumerate(names["lists"])}
    ordered = pairs[pairs["similarity"] >= threshold].sort_values(
        ["similarity", "doc_id", "category_norm", "name_a", "name_b"], ascending=[False, True, True, True, True]
    )
    for p in ordered.itertuples():
        a, b = cluster[(p.doc_id, p.category_norm, p.name_a)], cluster[(p.doc_id, p.category_norm, p.name_b)]
        if a == b or lists[a] & lists[b]:
            continue
        a, b = min(a, b), max(a, b)  # the earlier name gives the key
        for node, c in cluster.items():
            if c == b:
                cluster[node] = a
        lists[a] |= lists.pop(b)
    first_row = names["first_task_id"].tolist()
    return {node: first_row[c] for node, c in cluster.items()}


def with_task_keys(
    tasks: pd.DataFrame, *, threshold: float = DEFAULT_THRESHOLD, root: Path | None = None
) -> pd.DataFrame:
    """``tasks`` with a ``task_key`` column: rows of the same task (see the module's rule) share it.

    The key is the ``task_id`` of the task's first row, so ``tasks[tasks.task_id == key]`` shows it.
    """
    rows, names, pairs = _name_pairs(tasks, task_modifiers(root=root))
    key = _link(names, pairs, threshold)
    out = tasks.copy()
    out["task_key"] = [key[(r.doc_id, r.category_norm, r.name)] for r in rows.itertuples()]
    return out


def task_link_review(
    tasks: pd.DataFrame, *, threshold: float = DEFAULT_THRESHOLD, root: Path | None = None
) -> pd.DataFrame:
    """Name pairs a reader should check, with the rule's decision.

    ``reason`` is ``borderline`` (similarity within 0.1 of the threshold), ``tie`` (a name as similar
    to two names that the rule put in different tasks, so the order of joining decided) or
    ``same list`` (similar enough, but kept apart because one list names both).
    """
    _, names, pairs = _name_pairs(tasks, task_modifiers(root=root))
    key = _link(names, pairs, threshold)
    pairs = pairs.assign(
        linked=[
            key[(p.doc_id, p.category_norm, p.name_a)] == key[(p.doc_id, p.category_norm, p.name_b)]
            for p in pairs.itertuples()
        ]
    )
    reasons = []
    for p in pairs.itertuples():
        if p.same_list and p.similarity >= threshold:
            reasons.append("same list")
        elif abs(p.similarity - threshold) < BORDERLINE:
            reasons.append("borderline")
        else:
            reasons.append(None)
    pairs["reason"] = reasons
    # ties: a name whose best similarity (at or above the threshold) is shared by names of different tasks
    for (doc_id, category), group in pairs[pairs["similarity"] >= threshold].groupby(["doc_id", "category_norm"]):
        for name in set(group["name_a"]) | set(group["name_b"]):
            mine = group[(group["name_a"] == name) | (group["name_b"] == name)]
            best = mine[mine["similarity"] == mine["similarity"].max()]
            others = [b if a == name else a for a, b in zip(best["name_a"], best["name_b"], strict=True)]
            if len({key[(doc_id, category, o)] for o in others}) > 1:
                pairs.loc[best.index, "reason"] = "tie"
    review = pairs[pairs["reason"].notna()]
    return review.sort_values(["doc_id", "category_norm", "similarity"], ascending=[True, True, False]).reset_index(
        drop=True
    )[["doc_id", "category_norm", "name_a", "name_b", "similarity", "linked", "reason"]]


SAMPLE_COLUMNS = ("doc_id", "category_norm", "task", "hand_key", "confidence", "note", "coded_by", "coded_on")


def load_link_sample(*, root: Path | None = None) -> pd.DataFrame:
    """The hand-linked task names (``data/reviewed/task_links_sample.csv``): who coded them and when.

    Columns: doc_id, category_norm, task (verbatim), hand_key (names of one task share it),
    confidence (sure / unsure), note, coded_by, coded_on.

    Raises
    ------
    BuildError
        If the file is missing or lacks a column.
    """
    path = (config.data_root() if root is None else Path(root)) / "reviewed" / SAMPLE_FILE
    if not path.is_file():
        raise BuildError(
            located(path, None, "the hand-linked task sample is missing", "Restore it from the repository (git).")
        )
    sample = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in SAMPLE_COLUMNS if c not in sample]
    if missing:
        raise BuildError(
            located(path, 1, f"missing columns {missing}", f"The header must be {','.join(SAMPLE_COLUMNS)}.")
        )
    return sample


def link_validation(
    tasks: pd.DataFrame, sample: pd.DataFrame, *, threshold: float = DEFAULT_THRESHOLD, root: Path | None = None
) -> tuple[dict[str, float], pd.DataFrame]:
    """Precision and recall of the task-key rule against hand-linked names, over pairs of distinct names.

    Every pair of different task names of one document and category in ``sample`` is a link when
    the coder gave both the same ``hand_key``, and the rule links it when both get one ``task_key``.
    Returns the scores (``pairs``, ``true_links``, ``rule_links``, ``agreed``, ``precision``, ``recall``)
    and the pairs where rule and coder disagree.
    """
    keyed = with_task_keys(tasks, threshold=threshold, root=root)
    rule_key = keyed.drop_duplicates(["doc_id", "category_norm", "task"]).set_index(
        ["doc_id", "category_norm", "task"]
    )["task_key"]
    rows = []
    for (doc_id, category), group in sample.groupby(["doc_id", "category_norm"]):
        for a, b in combinations(group.itertuples(), 2):
            rows.append(
                {
                    "doc_id": doc_id,
                    "category_norm": category,
                    "task_a": a.task,
                    "task_b": b.task,
                    "hand": a.hand_key == b.hand_key,
                    "rule": rule_key[(doc_id, category, a.task)] == rule_key[(doc_id, category, b.task)],
                    "unsure": "unsure" in (a.confidence, b.confidence),
                }
            )
    pairs = pd.DataFrame(rows)
    agreed = int((pairs["hand"] & pairs["rule"]).sum())
    true_links, rule_links = int(pairs["hand"].sum()), int(pairs["rule"].sum())
    scores = {
        "pairs": len(pairs),
        "true_links": true_links,
        "rule_links": rule_links,
        "agreed": agreed,
        "precision": agreed / rule_links if rule_links else float("nan"),
        "recall": agreed / true_links if true_links else float("nan"),
    }
    return scores, pairs[pairs["hand"] != pairs["rule"]].reset_index(drop=True)


def distinct_task_counts(tasks: pd.DataFrame, *, by: str | list[str] = "scope") -> pd.DataFrame:
    """Task rows and distinct tasks (``task_key``) per group, and how many rows repeat a task."""
    out = tasks.groupby(by, sort=False).agg(rows=("task_id", "size"), tasks=("task_key", "nunique"))
    out["repeated_rows"] = out["rows"] - out["tasks"]
    return out


# --- recurrence of the plan's tasks --------------------------------------------------------


def plan_task_recurrence(tasks: pd.DataFrame, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per three-year task: in how many later (annual, quarterly) lists the same task recurs.

    This measures recurrence in lists derived from the plan, not whether the task was carried
    out. Needs ``task_key`` (:func:`with_task_keys`; added here when missing). With ``links``,
    ``same_departments_share`` is the share of recurrences whose units include the plan's lead.
    """
    if "task_key" not in tasks:
        tasks = with_task_keys(tasks)
    plan = tasks[tasks["scope"] == "three_year"]
    later = tasks[tasks["scope"] != "three_year"]
    leads = (
        links[links["role"] == "lead"].groupby("task_id")["department"].agg(set).to_dict() if links is not None else {}
    )
    units = links.groupby("task_id")["department"].agg(set).to_dict() if links is not None else {}
    rows = []
    for p in plan.itertuples():
        found = later[later["task_key"] == p.task_key]
        row = {
            "task_id": p.task_id,
            "task_key": p.task_key,
            "seq": p.seq,
            "task": p.task,
            "category_norm": p.category_norm,
            "annual_lists": int(found.loc[found["scope"] == "annual", "table_no"].nunique()),
            "quarterly_lists": int(found.loc[found["scope"] == "quarterly", "table_no"].nunique()),
            "reworded": int((found["task"] != p.task).sum()),
            "periods": ", ".join(_period(r) for _, r in found.drop_duplicates("table_no").iterrows()),
        }
        if links is not None:
            same = [bool(leads.get(p.task_id, set()) & units.get(t, set())) for t in found["task_id"]]
            row["same_departments_share"] = float(np.mean(same)) if same else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def recurrence_grid(tasks: pd.DataFrame) -> pd.DataFrame:
    """Three-year task × later list (``2021`` … then ``2021Q3`` …): 2 same name, 1 reworded, 0 absent.

    Rows are the plan's task names in plan order; a list is "reworded" when it holds the task
    (same ``task_key``) under another name. Needs ``task_key`` (added when missing).
    """
    if "task_key" not in tasks:
        tasks = with_task_keys(tasks)
    plan = tasks[tasks["scope"] == "three_year"].set_index("task_key")["task"]
    later = tasks[tasks["scope"] != "three_year"]
    later = later.assign(
        period=[_period(r) for _, r in later.iterrows()],
        code=np.where(later["task"].eq(later["task_key"].map(plan)).fillna(False).astype(bool), 2.0, 1.0),
    )
    periods = order_periods(later["period"], years_first=True)
    grid = later[later["task_key"].isin(plan.index)].pivot_table(
        index="task_key", columns="period", values="code", aggfunc="max"
    )
    grid = grid.reindex(index=plan.index, columns=periods).fillna(0.0)
    grid.index = pd.Index(plan.to_numpy(), name="task")
    grid.columns.name = "list"
    return grid


def follow_through(tasks: pd.DataFrame, links: pd.DataFrame | None = None, **_: object) -> pd.DataFrame:
    """Deprecated name of :func:`plan_task_recurrence` (it measures recurrence in later lists, not follow-through)."""
    warnings.warn(
        "coverage.follow_through is deprecated: use coverage.plan_task_recurrence", DeprecationWarning, stacklevel=2
    )
    return plan_task_recurrence(tasks, links)


def new_in_lists(tasks: pd.DataFrame, *, scope: str = "annual") -> pd.DataFrame:
    """Tasks of the ``scope`` lists that the three-year plan does not hold, one row per task.

    ``wordings`` are its names in those lists, ``lists`` how many of them name it, ``first_list``
    the first (``table_no``), with the lines of its first row. Needs ``task_key`` (added when missing).
    """
    if "task_key" not in tasks:
        tasks = with_task_keys(tasks)
    planned = set(tasks.loc[tasks["scope"] == "three_year", "task_key"])
    rows = tasks[(tasks["scope"] == scope) & ~tasks["task_key"].isin(planned)]
    rows = rows.sort_values(["doc_id", "table_no", "seq"], kind="stable")
    return (
        rows.groupby("task_key", sort=False)
        .agg(
            doc_id=("doc_id", "first"),
            category_norm=("category_norm", "first"),
            task=("task", "first"),
            wordings=("task", lambda names: " / ".join(dict.fromkeys(names))),
            lists=("table_no", "nunique"),
            first_list=("table_no", "first"),
            line_start=("line_start", "first"),
            line_end=("line_end", "first"),
        )
        .reset_index()
    )


def _period(row: pd.Series) -> str:
    return period_label(row["year"], row["quarter"] if row["scope"] == "quarterly" else None)


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
