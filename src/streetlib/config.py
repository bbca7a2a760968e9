"""Every path streetlib uses, in one place.

The data root defaults to the ``data/`` folder of the project checkout; set the
``STREETLIB_DATA`` environment variable to point the library at another one (a
copy with a new document, a test fixture). Figures go to the checkout's ``figures/``
unless ``STREETLIB_FIGURES`` names another folder (a run over a copy must not
overwrite the committed figures); reports go to ``reports/``. Every notebook takes its base
random seed from ``STREETLIB_SEED`` (default 0) through :func:`seed`, so a reader can rerun an
analysis under another seed without editing it.
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


def seed() -> int:
    """The notebooks' base random seed: ``$STREETLIB_SEED`` if set, else 0.

    Raises
    ------
    ValueError
        If ``STREETLIB_SEED`` is not a non-negative whole number.
    """
    value = os.environ.get("STREETLIB_SEED", "").strip()
    if not value:
        return 0
    if not value.isdigit():
        raise ValueError(f"STREETLIB_SEED must be a non-negative whole number such as 0 or 1, not {value!r}.")
    return int(value)


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
