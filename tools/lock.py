"""Write the install layers' locks, requirements/<layer>.lock, and check that they install from wheels.

One command (``make lock``, or ``python tools/lock.py`` where there is no make) regenerates every
lock from ``pyproject.toml`` with ``uv pip compile --universal`` (one lock valid on Linux, macOS
and Windows, platform-only packages behind markers). Versions already pinned are kept (uv reads
the existing lock as its preferences): change a pin by editing the lock line or with
``--upgrade-package NAME``. ``dev.lock`` (every layer ``make test`` needs) is compiled first and
constrains the others, so a package has one version in every lock. ``requirements/overrides.txt``
holds the rare per-platform pin (a pinned version without a wheel for one platform), with its reason.

Then each wheels-only layer is resolved for Windows, macOS (Apple silicon and Intel) and manylinux, for
Python 3.11 and 3.12, with building from source forbidden, except for the pure-Python source
distributions listed below (they build with setuptools alone, no compiler). ``fast`` is the one
layer that may need a compiler (jieba_fast).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "requirements"
OVERRIDES = FOLDER / "overrides.txt"  # per-platform pins where a pinned version lacks one platform's wheel
# layer -> extras of pyproject.toml it installs on top of the default dependencies
LAYERS: dict[str, tuple[str, ...]] = {
    "dev": ("notebooks", "site", "scale", "dev"),
    "base": (),
    "notebooks": ("notebooks",),
    "site": ("notebooks", "site"),
    "scale": ("scale",),
    "fast": ("fast",),
}
NEEDS_COMPILER = ("fast",)
TARGETS = tuple(
    (platform, python)
    for platform in ("x86_64-pc-windows-msvc", "aarch64-apple-darwin", "x86_64-apple-darwin", "x86_64-manylinux_2_28")
    for python in ("3.11", "3.12")
)
# Source-only packages that are pure Python (checked by hand: .py files and data, no ext_modules, no C).
PURE_PYTHON_SDISTS = {
    "jieba": "0.42.1: Python modules and dictionary/model data; setup.py declares no extension",
    "fontmeta": "1.6.1 (dependency of mplfonts): one Python module; setup.py declares no extension",
}
PYTHON = "3.11"  # the lowest supported Python: the universal lock holds for it and every later one


def uv() -> list[str]:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        sys.exit('tools/lock.py needs uv: pip install "uv" (it is in the dev layer)')
    return [found]


def compile_layer(layer: str, extra: list[str]) -> None:
    output = FOLDER / f"{layer}.lock"
    command = [*uv(), "pip", "compile", "pyproject.toml", "--universal", "--python-version", PYTHON]
    command += [arg for name in LAYERS[layer] for arg in ("--extra", name)]
    command += ["--override", str(OVERRIDES.relative_to(ROOT))]
    if layer != "dev":
        command += ["--constraint", str(FOLDER / "dev.lock")]
    command += ["--output-file", str(output), "--annotation-style", "line", "--custom-compile-command", "make lock"]
    command += ["--quiet", *extra]
    subprocess.run(command, cwd=ROOT, check=True)
    print(f"wrote {output.relative_to(ROOT)}")


def check_wheels(layer: str) -> list[str]:
    """Resolve a lock for every target with source builds forbidden; return the failures."""
    allowed = [arg for name in PURE_PYTHON_SDISTS for arg in ("--no-binary", name)]
    failures = []
    for platform, python in TARGETS:
        command = [*uv(), "pip", "compile", str(FOLDER / f"{layer}.lock"), "--no-deps", "--quiet"]
        command += ["--python-platform", platform, "--python-version", python, "--only-binary", ":all:", *allowed]
        done = subprocess.run([*command, "--output-file", os.devnull], cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            failures.append(f"{layer} on {platform}, Python {python}:\n{done.stderr.strip()}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade-package", action="append", default=[], help="let uv move this pin (repeatable)")
    parser.add_argument("--no-check", action="store_true", help="skip the wheels-only check (needs the network)")
    args = parser.parse_args()
    extra = [arg for name in args.upgrade_package for arg in ("--upgrade-package", name)]
    for layer in LAYERS:
        compile_layer(layer, extra)
    if args.no_check:
        return 0
    failures = [f for layer in LAYERS if layer not in NEEDS_COMPILER for f in check_wheels(layer)]
    for failure in failures:
        print(f"NOT wheels-only: {failure}", file=sys.stderr)
    if not failures:
        print(f"every layer but {', '.join(NEEDS_COMPILER)} installs from wheels on {len(TARGETS)} targets")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
