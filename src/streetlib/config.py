"""Every path streetlib uses, in one place.

The data root defaults to the ``data/`` folder of the project checkout; set the
``STREETLIB_DATA`` environment variable to point the library at another one (a
copy with a new document, a test fixture). Figures go to the checkout's ``figures/``
unless ``STREETLIB_FIGURES`` names another folder (a run over a copy must not
overwrite the committed figures); reports go to ``reports/``.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIGURES_DIR = PROJECT_ROOT / "figures"
REPORTS_DIR = PROJECT_ROOT / "reports"

MANIFEST_NAME = "manifest.toml"
ERRATA_NAME = "errata.csv"


def cache_dir() -> Path:
    """Token cache folder: ``$STREETLIB_CACHE`` if set, else ``<project>/.cache/streetlib``."""
    override = os.environ.get("STREETLIB_CACHE")
    return Path(override).expanduser().resolve() if override else PROJECT_ROOT / ".cache" / "streetlib"


def figures_dir() -> Path:
    """Figure folder: ``$STREETLIB_FIGURES`` if set, else ``<project>/figures``."""
    override = os.environ.get("STREETLIB_FIGURES")
    return Path(override).expanduser().resolve() if override else FIGURES_DIR


def data_root() -> Path:
    """The data folder: ``$STREETLIB_DATA`` if set, else ``<project>/data``."""
    override = os.environ.get("STREETLIB_DATA")
    return Path(override).expanduser().resolve() if override else PROJECT_ROOT / "data"


def raw_dir(root: Path | None = None) -> Path:
    return (root or data_root()) / "raw"


def processed_dir(root: Path | None = None) -> Path:
    return (root or data_root()) / "processed"


def external_dir(root: Path | None = None) -> Path:
    return (root or data_root()) / "external"


def reviewed_dir(root: Path | None = None) -> Path:
    """Hand-made reviewed files (errata, stated report figures, report checks)."""
    return (root or data_root()) / "reviewed"


def lexicon_dir(root: Path | None = None) -> Path:
    return (root or data_root()) / "lexicon"
