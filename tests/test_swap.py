"""The processed swap: interrupts, kills, a second build, permissions, links (nothing lost)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import snapshot

from streetlib import config
from streetlib.atomic import FolderLockedError, owning_folder, replacing_folder
from streetlib.build import build
from streetlib.errors import StreetlibError


@pytest.fixture
def built(data_root: Path) -> Path:
    build(data_root, progress=False)
    return data_root


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".processed"))


@pytest.mark.parametrize("step", [1, 2])
def test_an_interrupt_at_either_rename_keeps_the_old_tables(
    built: Path, step: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(config.processed_dir(built))
    real_rename, calls = os.rename, []

    def interrupted(src, dst) -> None:
        calls.append(src)
        if len(calls) == step:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(built, progress=False)
    monkeypatch.undo()
    assert snapshot(config.processed_dir(built)) == before
    assert _leftovers(built) == [], "no staging folder, no .processed-old, no lock left"


# A build killed (SIGKILL, nothing runs after it) just before the k-th rename of the swap.
KILL = """
import os, signal, sys
from pathlib import Path
from streetlib.build import build
real, calls = os.rename, []
def rename(src, dst):
    calls.append(src)
    if len(calls) == {step}:
        os.kill(os.getpid(), signal.SIGKILL)
    real(src, dst)
os.rename = rename
build(Path(sys.argv[1]), progress=False)
"""


@pytest.mark.parametrize("step", [1, 2])
def test_after_a_kill_at_either_rename_the_next_build_restores_and_cleans(built: Path, step: int) -> None:
    before = snapshot(config.processed_dir(built))
    done = subprocess.run([sys.executable, "-c", KILL.format(step=step), str(built)], check=False)
    assert done.returncode == -signal.SIGKILL
    if step == 2:
        assert not config.processed_dir(built).exists() and (built / ".processed-old").is_dir()
    with owning_folder(config.processed_dir(built)):  # what every build does first
        assert snapshot(config.processed_dir(built)) == before, "the old tables are back"
        assert _leftovers(built) == [".processed.lock"], "stale staging folders of the dead build are removed"
    build(built, progress=False)
    assert snapshot(config.processed_dir(built)) == before
    assert _leftovers(built) == []


def test_a_second_writer_waits_then_names_the_holder(tmp_path: Path) -> None:
    out = tmp_path / "processed"
    hold = f"with owning_folder(Path({str(out)!r})):\n    print('held', flush=True)\n    time.sleep(30)"
    imports = "import time\nfrom pathlib import Path\nfrom streetlib.atomic import owning_folder\n"
    holder = subprocess.Popen([sys.executable, "-c", imports + hold], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        held_by = rf"another build holds this data folder \(pid {holder.pid} on "
        with pytest.raises(FolderLockedError, match=held_by), owning_folder(out, wait=0.5):
            pass
        assert time.monotonic() - started >= 0.5, "it waited before giving up"
    finally:
        holder.kill()
        holder.wait()
    with owning_folder(out, wait=0.5):  # the dead holder's lock is taken over
        pass
    assert not (tmp_path / ".processed.lock").exists()


def test_processed_gets_the_permissions_of_the_umask(built: Path) -> None:
    old = os.umask(0o022)
    try:
        build(built, progress=False)
    finally:
        os.umask(old)
    processed = config.processed_dir(built)
    assert stat.S_IMODE(processed.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in processed.iterdir()} == {0o644}


def test_a_symlinked_processed_folder_is_followed(built: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "tables"
    elsewhere.parent.mkdir()
    config.processed_dir(built).rename(elsewhere)
    config.processed_dir(built).symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    build(built, progress=False)
    assert config.processed_dir(built).is_symlink(), "the link stays a link"
    assert snapshot(elsewhere) == before
    build(built, progress=False)  # and keeps working on later builds
    assert snapshot(config.processed_dir(built)) == before


def test_processed_as_a_file_is_a_clear_error(data_root: Path) -> None:
    config.processed_dir(data_root).write_text("not a folder")
    with pytest.raises(StreetlibError, match=r"processed: is a file, not a folder\. Move it away"):
        build(data_root, progress=False)


def test_a_full_disk_while_writing_keeps_the_old_tables(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(config.processed_dir(built))

    def full(self, path, **kwargs) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("pandas.DataFrame.to_csv", full)
    with pytest.raises(StreetlibError, match=r"could not be written \(No space left on device\). Check the folder"):
        build(built, progress=False)
    assert snapshot(config.processed_dir(built)) == before
    assert _leftovers(built) == []


def test_replacing_folder_swaps_whole_folders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text("old")
    with owning_folder(out) as target, replacing_folder(target) as staging:
        (staging / "new.csv").write_text("new")
        assert (out / "old.csv").exists(), "the old folder stays until the new one is complete"
    assert sorted(p.name for p in out.iterdir()) == ["new.csv"]
