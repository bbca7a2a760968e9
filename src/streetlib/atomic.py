"""Replace a file or a folder only when its new content is complete.

Writers open a temporary sibling of the target (same folder, so the final
``os.replace`` is a rename on one file system), and the target is swapped in
only after the writer has finished without error. A failure, a kill or a full
disk leaves the previous target exactly as it was and no temporary file behind
(except after a hard kill, where a ``.name.tmp-*`` sibling may stay: it never
replaces anything).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from streetlib.errors import StreetlibError


@contextlib.contextmanager
def replacing_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def replacing_files(folder: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``folder``; on success each file in it replaces its namesake in ``folder``.

    Files of ``folder`` that the writer did not produce are left alone.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        yield staging
        folder.mkdir(exist_ok=True)
        for path in sorted(staging.iterdir()):
            os.chmod(path, 0o666 & ~_umask())
            os.replace(path, folder / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class FolderLockedError(StreetlibError):
    """Another process holds the lock of a folder that is being replaced."""


@contextlib.contextmanager
def owning_folder(out: Path, *, wait: float = 60.0) -> Iterator[Path]:
    """Hold the lock of the folder ``out`` (one writer at a time) and repair what a killed writer left.

    Yields the folder's real path (a symbolic link is followed). The lock file ``.NAME.lock``
    beside it names its holder; a second caller waits up to ``wait`` seconds, then says who
    holds it. A lock whose process is gone is taken over.
    """
    if out.is_symlink():
        out = out.resolve()
    if out.exists() and not out.is_dir():
        raise StreetlibError(f"{out}: is a file, not a folder. Move it away: this folder is written by the build.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out.parent / f".{out.name}.lock", wait):
        recover_folder(out)
        yield out


@contextlib.contextmanager
def replacing_folder(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``out``; on success it replaces ``out`` as a whole.

    Call it inside :func:`owning_folder`. Safe against interrupts and kills at every step: the
    previous folder is renamed aside (``.NAME-old``) and removed only once the new one is in
    place; an interrupt in between puts it back, and after a kill :func:`recover_folder`
    restores it. The new folder and its files get the permissions of the umask, like any
    folder the user creates (not the 0700 of a temporary folder).
    """
    retired = out.parent / f".{out.name}-old"
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-{os.getpid()}-", dir=out.parent))
    try:
        yield staging
        os.chmod(staging, 0o777 & ~_umask())
        for path in staging.iterdir():
            os.chmod(path, 0o666 & ~_umask())
        if out.exists():
            os.rename(out, retired)
        os.rename(staging, out)
    except BaseException:
        if retired.exists() and not out.exists():
            os.rename(retired, out)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(retired, ignore_errors=True)


def recover_folder(out: Path) -> None:
    """Undo what a killed :func:`replacing_folder` left: restore ``.NAME-old``, drop stale staging folders."""
    retired = out.parent / f".{out.name}-old"
    if retired.is_dir():
        if out.exists():
            shutil.rmtree(retired)  # killed after the new folder was in place
        else:
            os.rename(retired, out)  # killed between the two renames: the old folder is the only copy
    for staging in out.parent.glob(f".{out.name}-new-*"):
        pid = staging.name.split("-")[2] if staging.name.count("-") >= 3 else ""
        if not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _locked(lock: Path, wait: float) -> Iterator[None]:
    deadline = time.monotonic() + wait
    holder = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read(lock)
            pid = owner.split()[1] if owner.startswith("pid ") else ""
            if owner and not (pid.isdigit() and _alive(int(pid))):
                lock.unlink(missing_ok=True)  # its process is gone
                continue
            if time.monotonic() >= deadline:
                raise FolderLockedError(
                    f"{lock}: another build holds this data folder ({owner or 'holder unknown'}). Wait for it to "
                    "finish; if no build is running, delete the lock file."
                ) from None
            time.sleep(0.2)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(holder + "\n")
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
