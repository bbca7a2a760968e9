"""Shared fixtures: a private copy of the data folder for every test that builds."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from streetlib import config

REAL_DATA = config.PROJECT_ROOT / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """nbval's cells (``make test`` collects notebooks/ beside tests/) execute notebooks: mark them so."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)


def copy_data(root: Path) -> Path:
    """data/'s inputs (raw, reviewed, lexicon, external; no processed) copied to ``root``."""
    for sub in ("raw", "reviewed", "lexicon", "external"):
        if (REAL_DATA / sub).is_dir():
            shutil.copytree(REAL_DATA / sub, root / sub)
    return root


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A copy of data/ (raw, reviewed, lexicon, external; no processed) to build into."""
    return copy_data(tmp_path / "data")


@pytest.fixture(scope="session")
def built_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/'s inputs copied and built once per session (per pytest-xdist worker). Shared: never write to it;
    a test that changes data takes ``built_root``, its own copy."""
    from streetlib.build import build

    root = copy_data(tmp_path_factory.mktemp("built") / "data")
    build(root, progress=False)
    return root


@pytest.fixture
def built_root(built_data: Path, tmp_path: Path) -> Path:
    """What ``data_root`` and then ``build(data_root)`` give, copied from the session's build instead of
    building again (a build costs ~0.5 s; some forty tests start from one)."""
    root = tmp_path / "data"
    shutil.copytree(built_data, root)
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def set_manifest_sha(root: Path, file: str, data: bytes) -> None:
    """Record ``data``'s sha256 for ``file`` in the copied manifest (a reviewed new version)."""
    manifest = root / "raw" / config.MANIFEST_NAME
    text = manifest.read_text(encoding="utf-8")
    pattern = re.compile(rf'(file = "{re.escape(file)}"\n(?:[^\[]*?\n)?sha256 = ")[0-9a-f]{{64}}')
    new, n = pattern.subn(rf"\g<1>{sha256(data)}", text)
    assert n == 1, f"no sha256 line for {file} in the manifest"
    manifest.write_text(new, encoding="utf-8")


def set_source_field(root: Path, file: str, key: str, value: str) -> None:
    """Set ``key = value`` (TOML literal) in the [[sources]] entry of ``file``."""
    manifest = root / "raw" / config.MANIFEST_NAME
    head, sep, tail = manifest.read_text(encoding="utf-8").partition(f'file = "{file}"\n')
    assert sep, f"no [[sources]] entry for {file}"
    entry, rest = tail.split("\n\n", 1)
    lines = [line for line in entry.splitlines() if not line.startswith(f"{key} =")]
    manifest.write_text(head + sep + "\n".join([*lines, f"{key} = {value}"]) + "\n\n" + rest, encoding="utf-8")


FIXTURES = Path(__file__).parent / "fixtures"


def add_source(
    root: Path,
    fixture: str,
    documents: list[str],
    *,
    text: str | None = None,
    publisher: str = "测试街道办事处",
) -> None:
    """Put a source into ``root/raw`` and append its manifest entries.

    The source is ``tests/fixtures/<fixture>``, or ``text`` saved under that name.
    ``documents`` are TOML bodies of [[documents]] entries (without the header line).
    """
    data = text.encode("utf-8") if text is not None else (FIXTURES / fixture).read_bytes()
    (root / "raw" / fixture).write_bytes(data)
    entry = (
        f'\n[[sources]]\nfile = "{fixture}"\nsha256 = "{sha256(data)}"\n'
        f'publisher = "{publisher}"\npublished = 2024-02-01\n'
    )
    entry += "".join(f"\n[[documents]]\n{body.strip()}\n" for body in documents)
    with (root / "raw" / config.MANIFEST_NAME).open("a", encoding="utf-8") as handle:
        handle.write(entry)


def document_entry(
    doc_id: str, source: str, lines: tuple[int, int], parts: list[tuple[int, int, str]], **extra: object
) -> str:
    """TOML body of a [[documents]] entry for a test street."""
    fields = {
        "doc_id": doc_id,
        "source": source,
        "title": "测试文档",
        "street": "新华路街道",
        "street_en": "Xinhua Road Subdistrict",
        "district": "长宁区",
        "district_en": "Changning District",
        "doc_type": "work_plan",
        "year_start": 2024,
        "year_end": 2024,
        "line_start": lines[0],
        "line_end": lines[1],
    } | extra
    body = "\n".join(f"{k} = {v!r}" if isinstance(v, int) else f'{k} = "{v}"' for k, v in fields.items())
    part_list = ", ".join(f'{{ line_start = {a}, line_end = {b}, genre = "{g}" }}' for a, b, g in parts)
    return f"{body}\nparts = [{part_list}]"


def record_table(root: Path, name: str) -> None:
    """Record the current rows and sha256 of ``processed/<name>.csv`` in ``processed/MANIFEST`` (a test that
    edits a built table on purpose, to reach a check behind the manifest's)."""
    from streetlib.datasets import MANIFEST_FILE, table_digest

    path = config.processed_dir(root) / f"{name}.csv"
    data = path.read_bytes()
    rows = len(pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False))
    manifest = config.processed_dir(root) / MANIFEST_FILE
    text = manifest.read_text(encoding="utf-8")
    text, count = re.subn(rf"(?m)^{name}\t.*$", f"{name}\t{rows}\t{table_digest(data)}", text)
    assert count == 1, f"{name} not in {manifest}"
    manifest.write_text(text, encoding="utf-8")
