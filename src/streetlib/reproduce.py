"""``streetlib reproduce`` and ``streetlib lab``: the project's two workflows without ``make``.

``reproduce`` builds ``data/processed``, executes every notebook in order with nbclient (in place:
the outputs are committed), writes each one's HTML report and the reports index, and optionally the
static site. It is incremental: a notebook runs again only when its cells, its inputs (the processed
tables, the lexicons, the external figures, the library's code and version) or its outputs (the
notebook file, its figures, its report) changed since the run recorded in
``<project>/.cache/reproduce.json``; ``force=True`` runs every notebook.

Both pin the BLAS thread counts and ``PYTHONHASHSEED`` before starting any kernel: the kernels
inherit them, and topic models change in the last digits with the thread count.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from streetlib import __version__, config
from streetlib.atomic import replacing_file
from streetlib.errors import StreetlibError

DETERMINISM = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
STATE_FILE = Path(".cache") / "reproduce.json"
TIMEOUT = 600  # seconds per cell, as `make notebooks` had
NOTEBOOKS_EXTRA = 'pip install -e ".[notebooks]" -c requirements/notebooks.lock'


class ReproduceError(StreetlibError):
    """A notebook failed, or the tools to run notebooks are missing."""


@dataclass(frozen=True)
class Project:
    """The folders one reproduction reads and writes."""

    root: Path
    data: Path

    @property
    def notebooks(self) -> list[Path]:
        return sorted((self.root / "notebooks").glob(NOTEBOOK_GLOB))

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def figures(self) -> Path:
        return config.figures_dir()

    @property
    def state_file(self) -> Path:
        return self.root / STATE_FILE


def pin_environment() -> None:
    """Set the thread counts and hash seed for this process and every kernel it starts."""
    os.environ.update(DETERMINISM)


def _digest(files: Iterable[Path], *, root: Path | None = None, salt: str = "") -> str:
    """sha256 over the files' names (relative to ``root``, else bare) and bytes, in name order."""
    h = hashlib.sha256(salt.encode())
    for path in sorted(files):
        name = path.relative_to(root).as_posix() if root else path.name
        h.update(f"\0{name}\0".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def inputs_digest(data: Path) -> str:
    """Hash of what every notebook reads: processed tables, lexicons, external figures, the library itself."""
    folders = [data / "processed", data / "lexicon", data / "external"]
    files = [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()]
    library = _digest(Path(__file__).parent.glob("*.py"), salt=__version__)
    return _digest(files, root=data, salt=library)


def source_digest(notebook: Path) -> str:
    """Hash of a notebook's cells (type and source), not of its outputs."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = json.dumps([(c["cell_type"], "".join(c["source"])) for c in cells], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def outputs_digest(project: Project, notebook: Path) -> str:
    """Hash of what running a notebook writes: the notebook file, its figures (NN_*), its HTML report."""
    prefix = notebook.stem[:3]  # "00_"
    files = [notebook, *project.figures.glob(f"{prefix}*")]
    report = project.reports / f"{notebook.stem}.html"
    return _digest([f for f in [*files, report] if f.is_file()], salt=str(report.is_file()))


def execute_notebook(path: Path, timeout: int = TIMEOUT) -> None:
    """Run a notebook top to bottom in its own folder and save it with its outputs (no timing metadata)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, record_timing=False, resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        raise ReproduceError(
            f"{path}: a cell failed while executing the notebook:\n{exc}\n"
            "Fix the cell (or the data it reads), then run `streetlib reproduce` again."
        ) from exc
    # LF on every platform, as nbconvert --inplace writes it on Linux (the committed outputs are compared byte for byte)
    text = nbformat.writes(notebook)
    with replacing_file(path) as temporary:  # a kill while writing never leaves a truncated notebook
        temporary.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8", newline="\n")


def write_report(path: Path, folder: Path) -> Path:
    """The executed notebook as HTML, ``folder/<name>.html`` (what ``jupyter nbconvert --to html`` writes)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(path))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{path.stem}.html"
    with replacing_file(target) as temporary:
        temporary.write_text(body, encoding="utf-8", newline="\n")
    return target


def _require_notebook_tools() -> None:
    missing = [name for name in ("nbclient", "nbconvert", "ipykernel") if importlib.util.find_spec(name) is None]
    if missing:
        raise ReproduceError(
            f"running notebooks needs {', '.join(missing)}, which this Python ({sys.executable}) lacks. "
            f"Install the notebooks layer, from the project folder: {NOTEBOOKS_EXTRA}"
        )


def _load_state(path: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _save_state(path: Path, state: dict[str, dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing_file(path) as temporary:
        temporary.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8", newline="\n")


def reproduce(
    project: Project,
    *,
    force: bool = False,
    jobs: int = 1,
    build_data: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Build, run the notebooks that are out of date, write their reports and the reports index.

    Parameters
    ----------
    project
        Project folder and data folder.
    force
        Run every notebook, whatever the recorded state says.
    jobs
        Notebooks executed at a time (they are independent: each reads the processed tables).
    build_data
        Rebuild ``data/processed`` first (``streetlib build``).
    log
        Receives one line per step.

    Returns
    -------
    dict
        Notebook file name -> ``"ran"`` or ``"up to date"``.
    """
    from streetlib.build import build
    from streetlib.export import write_report_index

    pin_environment()
    _require_notebook_tools()
    if build_data:
        build(project.data)
    inputs = inputs_digest(project.data)
    state = _load_state(project.state_file)

    def current(notebook: Path) -> dict[str, str]:
        return {
            "source": source_digest(notebook),
            "inputs": inputs,
            "outputs": outputs_digest(project, notebook),
        }

    stale = [nb for nb in project.notebooks if force or state.get(nb.name) != current(nb)]
    status = {nb.name: "ran" if nb in stale else "up to date" for nb in project.notebooks}
    for name, value in status.items():
        if value == "up to date":
            log(f"up to date: {name}")

    def run(notebook: Path) -> None:
        log(f"executing {notebook.name}")
        execute_notebook(notebook)
        write_report(notebook, project.reports)

    # in file order: the log reads in order, and 01 (the long one) starts early
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for notebook, future in [(nb, pool.submit(run, nb)) for nb in stale]:
            future.result()
            state[notebook.name] = current(notebook)
            _save_state(project.state_file, state)
    if project.notebooks:
        write_report_index(project.reports)
    return status


def lab(project_root: Path, arguments: list[str]) -> int:
    """Start JupyterLab in ``<project>/notebooks`` (pinned threads and hash seed); return its exit code."""
    pin_environment()
    if importlib.util.find_spec("jupyterlab") is None:
        raise ReproduceError(
            f"JupyterLab is not installed in this Python ({sys.executable}). Install the notebooks layer: "
            f"{NOTEBOOKS_EXTRA} (from the project folder), then run `streetlib lab` again"
        )
    folder = project_root / "notebooks"
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}", *arguments]
    return subprocess.call(command, cwd=folder)
