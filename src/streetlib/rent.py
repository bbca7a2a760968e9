"""Shop rents of a report's rent table, by address.

The rent table of a research report (``report_tables``, columns ``address``, ``area_m2``,
``rent_yuan_month`` and ``rent_per_m2_yuan_month`` after the header synonyms) lists one shop
per row. A report's "average rent" can be the plain mean of the shops' rates or the rent
per m² of all priced shops together (area-weighted); the two differ whenever large shops are
cheaper per m². Shops without a rent (面议) are counted, never averaged as zero.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ("address", "area_m2", "rent_yuan_month", "rent_per_m2_yuan_month")


def shops(report_tables: pd.DataFrame, table_id: str, *, doc_id: str | None = None) -> pd.DataFrame:
    """One row per shop of a rent table, with its raw lines.

    Raises
    ------
    ValueError
        If no such table exists or it lacks one of the rent columns.
    """
    rows = report_tables[(report_tables["table_id"] == table_id) & ~report_tables["is_summary"].astype(bool)]
    if doc_id is not None:
        rows = rows[rows["doc_id"] == doc_id]
    if rows.empty:
        raise ValueError(f"no rows of rent table {table_id} in report_tables")
    if rows["doc_id"].nunique() > 1:
        raise ValueError(f"{table_id} occurs in {sorted(rows['doc_id'].unique())}: name the document (doc_id=...)")
    missing = sorted(set(COLUMNS) - set(rows["column"]))
    if missing:
        raise ValueError(f"{table_id} has no {missing} column: it is not a rent table")
    values = rows.pivot(index="row_label", columns="column", values="value")
    out = pd.DataFrame(
        {
            "address": rows[rows["column"] == "address"].set_index("row_label")["value_raw"],
            "area_m2": values["area_m2"],
            "rent_yuan_month": values["rent_yuan_month"],
            "rent_per_m2_yuan_month": values["rent_per_m2_yuan_month"],
            "line_start": rows.groupby("row_label")["line_start"].min(),
            "line_end": rows.groupby("row_label")["line_end"].max(),
        }
    )
    out.index.name = "shop"
    return out.sort_values("line_start").assign(doc_id=rows["doc_id"].iloc[0])


def rent_by_address(report_tables: pd.DataFrame, table_id: str, *, doc_id: str | None = None) -> pd.DataFrame:
    """Per address: shops, priced shops, plain mean of the rates and area-weighted rent per m².

    Returns
    -------
    DataFrame indexed by ``address`` (in table order) with ``shops``, ``priced``,
    ``mean_rate`` (plain mean of the priced shops' 元/m²/月), ``weighted_rate`` (their rent
    over their area), ``area_m2`` (priced area) and ``lines`` (first-last raw line).
    """
    table = shops(report_tables, table_id, doc_id=doc_id)
    priced = table.dropna(subset=["rent_yuan_month", "rent_per_m2_yuan_month"])
    grouped = table.groupby("address", sort=False)
    out = pd.DataFrame(
        {
            "shops": grouped.size(),
            "priced": priced.groupby("address", sort=False).size(),
            "mean_rate": priced.groupby("address", sort=False)["rent_per_m2_yuan_month"].mean(),
            "weighted_rate": priced.groupby("address", sort=False)["rent_yuan_month"].sum()
            / priced.groupby("address", sort=False)["area_m2"].sum(),
            "area_m2": priced.groupby("address", sort=False)["area_m2"].sum(),
            "lines": grouped.apply(lambda g: f"{int(g['line_start'].min())}-{int(g['line_end'].max())}"),
        }
    )
    out["priced"] = out["priced"].fillna(0).astype(int)
    return out


def rent_summary(report_tables: pd.DataFrame, table_id: str, *, doc_id: str | None = None) -> pd.Series:
    """The table's stated average beside the plain and the area-weighted mean of its priced shops."""
    table = shops(report_tables, table_id, doc_id=doc_id)
    priced = table.dropna(subset=["rent_yuan_month", "rent_per_m2_yuan_month"])
    summary = report_tables[
        (report_tables["table_id"] == table_id)
        & report_tables["is_summary"].astype(bool)
        & (report_tables["doc_id"] == table["doc_id"].iloc[0])
    ]
    stated = summary["value"].dropna()
    return pd.Series(
        {
            "shops": len(table),
            "priced": len(priced),
            "stated_average": float(stated.iloc[0]) if len(stated) else float("nan"),
            "plain_mean": float(priced["rent_per_m2_yuan_month"].mean()),
            "area_weighted": float(priced["rent_yuan_month"].sum() / priced["area_m2"].sum()),
        }
    )
