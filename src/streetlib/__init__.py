"""streetlib: comparative analysis of Shanghai subdistrict (街道) planning documents.

Load the processed tables with :func:`load` (any table by name) or the
``load_<table>()`` functions; rebuild them with ``streetlib build``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from streetlib.datasets import (
    load,
    load_build_problems,
    load_departments,
    load_documents,
    load_indicators,
    load_paragraphs,
    load_population,
    load_quality_flags,
    load_reference_population,
    load_regions,
    load_report_checks,
    load_report_figures,
    load_report_tables,
    load_sections,
    load_table_cells,
    load_task_departments,
    load_tasks,
    table_names,
)
from streetlib.errors import StreetlibError

try:
    __version__ = version("streetlib")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "StreetlibError",
    "__version__",
    "load",
    "load_build_problems",
    "load_departments",
    "load_documents",
    "load_indicators",
    "load_paragraphs",
    "load_population",
    "load_quality_flags",
    "load_reference_population",
    "load_regions",
    "load_report_checks",
    "load_report_figures",
    "load_report_tables",
    "load_sections",
    "load_table_cells",
    "load_task_departments",
    "load_tasks",
    "table_names",
]
