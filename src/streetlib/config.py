"""Every path streetlib uses, in one place.

The data root is found, in this order, from ``streetlib --data PATH`` (passed as
``root`` to the library's functions), the ``STREETLIB_DATA`` environment variable,
or the nearest ``data/`` folder holding ``raw/manifest.toml`` at or above the
working directory; nothing else (not where the package happens to be installed), so
any install, editable or not, works from anywhere inside the project and refuses,
naming these three ways, outside it. The project folder is the one
holding that ``data/``: figures go to its ``figures/`` (or ``$STREETLIB_FIGURES``;
a run over a copy must not overwrite the committed figures), reports to its
``reports/``, caches to its ``.cache/``.
Every notebook takes its base random seed from ``STREETLIB_SEED`` (default 0) through
:func:`seed`, so a reader can rerun an analysis under another seed without editing it.
"""

from __future__ import annotations

import os
from pathlib import Path

from streetlib.errors import StreetlibError

# Where the package's sources live: the project checkout for an editable install and for the tests (which
# read the checkout's files); never used to find data.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIGURES_DIR = PROJECT_ROOT / "figures"
REPORTS_DIR = PROJECT_ROOT / "reports"

MANIFEST_NAME = "manifest.toml"
ERRATA_NAME = "errata.csv"
DATA_ENV = "STREETLIB_DATA"


class DataNotFoundError(StreetlibError):
    """No data root was given and none was found above the working directory."""


def _is_project(folder: Path) -> bool:
    return (folder / "data" / "raw" / MANIFEST_NAME).is_file()


def find_project(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the working directory) holding ``data/raw/manifest.toml``.

    Parameters
    ----------
    start
        Folder to search from.

    Returns
    -------
    Path or None
        The project folder, or None when no folder above ``start`` is a streetlib project.
    """
    start = (start or Path.cwd()).resolve()
    return next((folder for folder in (start, *start.parents) if _is_project(folder)), None)


def project_root() -> Path:
    """The project folder: the parent of ``$STREETLIB_DATA`` if that is a project's ``data/``, else the nearest one.

    Raises
    ------
    DataNotFoundError
        When no project is found; the message lists the ways to name one.
    """
    override = os.environ.get(DATA_ENV)
    if override:
        data = Path(override).expanduser().resolve()
        if data.name == "data" and _is_project(data.parent):
            return data.parent
    found = find_project()
    if found is None:
        raise DataNotFoundError(_not_found())
    return found


def data_root() -> Path:
    """The data folder: ``$STREETLIB_DATA`` if set, else ``data/`` of the nearest project (:func:`find_project`).

    Raises
    ------
    DataNotFoundError
        When neither is set or found; the message lists the ways to name a data folder.
    """
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override).expanduser().resolve()
    found = find_project()
    if found is None:
        raise DataNotFoundError(_not_found())
    return found / "data"


def _not_found() -> str:
    return (
        f"no streetlib data folder found: {Path.cwd()} and the folders above it have no data/raw/{MANIFEST_NAME}. "
        "Name the data folder in one of three ways: run `streetlib --data PATH/TO/data ...`, "
        f"set the environment variable {DATA_ENV}=PATH/TO/data, "
        "or run from inside the project folder (the one holding data/raw/manifest.toml)"
    )


def cache_dir() -> Path:
    """Token cache folder: ``$STREETLIB_CACHE`` if set, else ``<project>/.cache/streetlib``."""
    override = os.environ.get("STREETLIB_CACHE")
    return Path(override).expanduser().resolve() if override else _project_or_cwd() / ".cache" / "streetlib"


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
    return Path(override).expanduser().resolve() if override else _project_or_cwd() / "figures"


def reports_dir() -> Path:
    """HTML report folder: ``<project>/reports``."""
    return _project_or_cwd() / "reports"


def _project_or_cwd() -> Path:
    # Outputs of a run over data named by --data/STREETLIB_DATA alone land beside the working directory.
    try:
        return project_root()
    except DataNotFoundError:
        return Path.cwd()


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
