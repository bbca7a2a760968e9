"""Period labels of task lists (``2021``, ``2021Q3``) and their order.

Sorting the labels as strings happens to work for one decade of quarters, but breaks
annual-then-quarterly grouping and any label such as ``2021Q10``; the order here is by
meaning: a year is the whole year, a quarter sits inside its year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PERIOD = re.compile(r"^(?P<year>\d{4})(?:Q(?P<quarter>[1-4]))?$")


def period_label(year: int, quarter: int | None = None) -> str:
    """``2021`` for a year, ``2021Q3`` for a quarter."""
    return f"{int(year)}" if quarter is None else f"{int(year)}Q{int(quarter)}"


def period_key(label: str, *, years_first: bool = False) -> tuple[int, int, int]:
    """Sort key of a period label.

    Chronological by default, a year before its own quarters (``2021 < 2021Q1 < 2021Q4 <
    2022``); with ``years_first`` every year comes before every quarter (annual lists, then
    quarterly lists), each group in date order.

    Raises
    ------
    ValueError
        If the label is neither ``YYYY`` nor ``YYYYQn``.
    """
    found = PERIOD.match(str(label))
    if not found:
        raise ValueError(f"period {label!r} is neither a year (2021) nor a quarter (2021Q3)")
    year, quarter = int(found["year"]), int(found["quarter"] or 0)
    return (int(quarter > 0) if years_first else 0, year, quarter)


def order_periods(labels: Iterable[str], *, years_first: bool = False) -> list[str]:
    """The distinct labels in period order (see :func:`period_key`)."""
    return sorted(set(labels), key=lambda label: period_key(label, years_first=years_first))
