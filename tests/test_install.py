"""Installing and running streetlib anywhere: layers and locks, line ends, data discovery, citable sources.

The locks (requirements/<layer>.lock) are checked against pyproject.toml and environment.yml without
the network; ``make lock`` (tools/lock.py) is what checks wheels on every platform. The tests that
install packages into a fresh virtual environment are marked ``slow`` (``pytest -m slow``; CI runs them).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from streetlib import config
from streetlib.cli import main
from streetlib.manifest import load_manifest, read_corpus

ROOT = config.PROJECT_ROOT
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCKS = ROOT / "requirements"
# the layers, by hand: lock file -> extras of pyproject.toml it must satisfy
LAYERS = {
    "base": (),
    "notebooks": ("notebooks",),
    "site": ("notebooks", "site"),
    "scale": ("scale",),
    "fast": ("fast",),
    "dev": ("notebooks", "site", "scale", "dev"),
}
NEEDS_A_COMPILER = {"jieba-fast"}  # C extension, source only: allowed in fast.lock and nowhere else


def read_lock(name: str) -> dict[str, list[tuple[Version, str]]]:
    """Package -> [(version, marker)] of requirements/<name>.lock."""
    pins: dict[str, list[tuple[Version, str]]] = {}
    for line in (LOCKS / f"{name}.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        assert len(requirement.specifier) == 1 and next(iter(requirement.specifier)).operator == "==", line
        version = Version(next(iter(requirement.specifier)).version)
        pins.setdefault(canonicalize_name(requirement.name), []).append((version, str(requirement.marker or "")))
    return pins


def layer_requirements(extras: tuple[str, ...]) -> list[Requirement]:
    project = PYPROJECT["project"]
    return [Requirement(r) for r in project["dependencies"]] + [
        Requirement(r) for extra in extras for r in project["optional-dependencies"][extra]
    ]


# --- layers and locks ----------------------------------------------------------------------------------------


def test_every_extra_of_pyproject_is_a_layer_with_a_lock() -> None:
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    assert extras == {"notebooks", "site", "scale", "fast", "dev"}
    assert {p.stem for p in LOCKS.glob("*.lock")} == set(LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_a_lock_pins_every_requirement_of_its_layer_within_pyproject_ranges(layer: str) -> None:
    pins = read_lock(layer)
    for requirement in layer_requirements(LAYERS[layer]):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} ({requirement}) is missing from {layer}.lock: run `make lock`"
        for version, _ in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), f"{layer}.lock: {name}=={version}"


def test_a_package_has_one_version_in_every_lock() -> None:
    seen: dict[tuple[str, str], tuple[Version, str]] = {}
    for layer in LAYERS:
        for name, versions in read_lock(layer).items():
            for version, marker in versions:
                earlier = seen.setdefault((name, marker), (version, layer))
                assert earlier[0] == version, f"{name}: {earlier[0]} in {earlier[1]}.lock, {version} in {layer}.lock"


def test_the_locks_keep_the_versions_the_committed_outputs_were_made_with() -> None:
    """The pins written by hand from the lock the notebooks' outputs came from (November 2026)."""
    dev = read_lock("dev")
    expected = {
        "pandas": "3.1.1",
        "numpy": "2.4.6",
        "matplotlib": "3.11.2",
        "scikit-learn": "1.9.1",
        "scipy": "1.17.1",
        "jieba": "0.42.1",
        "seaborn": "0.13.2",
        "mplfonts": "0.0.11",
        "nbval": "0.11.0",
        "jupyterlab": "4.6.6",
        "ipykernel": "7.4.0",
    }
    for name, version in expected.items():
        assert [str(v) for v, _ in dev[name]] == [version], name


def test_a_per_platform_override_is_in_every_lock_that_holds_the_package() -> None:
    lines = (LOCKS / "overrides.txt").read_text(encoding="utf-8").splitlines()
    overrides = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    assert overrides, "the overrides file holds at least its argon2-cffi-bindings pins"
    for layer in LAYERS:
        pins = read_lock(layer)
        for override in overrides:
            name = canonicalize_name(override.name)
            if name in pins:
                version = Version(next(iter(override.specifier)).version)
                assert any(v == version and m for v, m in pins[name]), f"{layer}.lock lacks {override}"


def test_only_the_fast_layer_holds_a_package_that_needs_a_compiler() -> None:
    for layer in LAYERS:
        found = NEEDS_A_COMPILER & set(read_lock(layer))
        assert found == (NEEDS_A_COMPILER if layer == "fast" else set()), layer
    notebook_user = set(read_lock("notebooks"))
    for name in ("selenium", "hypothesis", "ruff", "dask", "distributed", "rjieba", "pytest"):
        assert name not in notebook_user, f"{name} is not something a notebook user needs"


def test_the_lock_command_names_the_same_layers_and_the_pure_python_sdists() -> None:
    spec = importlib.util.spec_from_file_location("lock", ROOT / "tools" / "lock.py")
    lock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lock)
    assert lock.LAYERS == LAYERS
    assert set(lock.PURE_PYTHON_SDISTS) == {"jieba", "fontmeta"}
    assert lock.NEEDS_COMPILER == ("fast",)
    assert re.search(r"^lock:.*\n\t.*tools/lock.py", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)


def test_environment_yml_installs_the_notebooks_lock_and_the_package() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(d.startswith("python=3.11") for d in conda) and "pip" in conda
    assert "-r requirements/notebooks.lock" in pip
    assert any(line.startswith("-e .") for line in pip)
    for line in pip:
        if line.startswith("-r "):
            assert (ROOT / line[3:]).is_file(), line


def test_make_setup_installs_the_dev_lock_and_ci_runs_the_readme_test_command() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "requirements/dev.lock" in makefile
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.MULTILINE)


# --- line ends -----------------------------------------------------------------------------------------------


def git_attribute(path: str, attribute: str) -> str:
    done = subprocess.run(["git", "check-attr", attribute, "--", path], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return done.stdout.strip().rsplit(": ", 1)[-1]


def test_gitattributes_keep_raw_files_byte_exact_and_notebooks_and_csv_lf() -> None:
    for raw in sorted((ROOT / "data" / "raw").glob("*.txt")):
        assert git_attribute(f"data/raw/{raw.name}", "text") == "unset", raw.name
    assert git_attribute("data/raw/errata.csv", "text") == "unset"
    for path in ("notebooks/00_corpus_overview.ipynb", "data/processed/tasks.csv", "data/lexicon/glossary.csv"):
        assert git_attribute(path, "eol") == "lf", path


def test_a_raw_file_converted_to_crlf_by_a_checkout_gets_a_message_about_line_ends(
    data_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = data_root / "raw" / "changshoulu_2022_work_plan.txt"
    raw.write_bytes(raw.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["--data", str(data_root), "build"]) == 1
    err = capsys.readouterr().err
    assert "changshoulu_2022_work_plan.txt" in err
    assert "differs only by its line ends" in err
    assert "git config core.autocrlf false" in err
    assert "Traceback" not in err


def test_another_change_to_a_raw_file_gets_the_plain_sha256_message(data_root: Path) -> None:
    raw = data_root / "raw" / "changshoulu_2022_work_plan.txt"
    raw.write_bytes(raw.read_bytes().replace(b"\n", b"\r\n", 1) + b"x")
    from streetlib.errors import SourceError

    with pytest.raises(SourceError) as error:
        read_corpus(data_root / "raw")
    assert "line ends" not in str(error.value) and "restore the file as received" in str(error.value)


def copy_checkout(target: Path) -> Path:
    """The tracked files of the checkout, as a fresh clone has them."""
    done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    for name in filter(None, done.stdout.split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


# --- data discovery ------------------------------------------------------------------------------------------


def test_the_data_root_is_found_from_any_folder_inside_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    monkeypatch.delenv("STREETLIB_FIGURES", raising=False)  # the default is asserted (benchmarks/test_loop.py sets it)
    monkeypatch.chdir(ROOT / "notebooks")
    assert config.data_root() == ROOT / "data"
    assert config.project_root() == ROOT
    assert config.figures_dir() == ROOT / "figures"


def test_streetlib_data_wins_over_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path / "elsewhere"))
    assert config.data_root() == tmp_path / "elsewhere"


def test_a_copied_project_is_found_above_the_working_directory(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    monkeypatch.delenv("STREETLIB_FIGURES", raising=False)
    (data_root.parent / "notebooks").mkdir()
    monkeypatch.chdir(data_root.parent / "notebooks")
    assert config.data_root() == data_root.resolve()
    assert config.figures_dir() == data_root.parent.resolve() / "figures"


def test_without_data_the_message_names_the_three_ways_to_give_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert "--data" in err and config.DATA_ENV in err and "data/raw/manifest.toml" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_finds_the_data_from_the_project_folder(tmp_path: Path) -> None:
    """Build a wheel, install it into a folder of its own (dependencies from this environment) and run it."""
    wheels, target = tmp_path / "wheels", tmp_path / "installed"
    source = copy_checkout(tmp_path / "source")  # building writes build/ and *.egg-info beside the sources
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels)]  # isolated: setuptools>=77
    subprocess.run([*build, str(source)], check=True, capture_output=True)
    (wheel,) = wheels.glob("streetlib-*.whl")
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != config.DATA_ENV} | {"PYTHONPATH": str(target)}
    run = [sys.executable, "-c", "import sys, streetlib.cli; print(streetlib.__file__); sys.exit(streetlib.cli.main())"]
    done = subprocess.run([*run, "info"], cwd=ROOT / "notebooks", env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(str(target)), "the wheel's copy runs, not the checkout's"
    assert f"data root {ROOT / 'data'}" in done.stdout
    elsewhere = subprocess.run([*run, "info"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert elsewhere.returncode == 1
    assert "--data" in elsewhere.stderr and config.DATA_ENV in elsewhere.stderr


# --- citable sources -----------------------------------------------------------------------------------------


def test_every_source_has_a_url_and_retrieval_date_or_says_why_not() -> None:
    for source in load_manifest(ROOT / "data" / "raw").sources:
        if source.url:
            assert re.match(r"^https?://[^\s]+$", source.url), source.file
            assert isinstance(source.retrieved, dt.date), f"{source.file}: url without a retrieval date"
        else:
            assert len(source.url_note) > 40 and "search" in source.url_note, f"{source.file}: no url and no note"
        assert source.publisher and source.published


def test_citation_cff_cites_every_source_as_the_manifest_records_it() -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    references = citation["references"]
    sources = load_manifest(ROOT / "data" / "raw").sources
    assert len(references) == len(sources)
    for source in sources:
        (ref,) = [r for r in references if f"data/raw/{source.file}" in r["notes"]]
        assert ref.get("url", "") == source.url
        assert ref["date-published"] == source.published
        assert ref.get("date-accessed") == source.retrieved
        assert ref["authors"][0]["name"] == source.publisher


def test_the_export_sources_sheet_shows_urls_and_dates() -> None:
    from streetlib.export import sources

    frame = sources()
    documents = frame[frame["kind"] == "document source"].set_index("source")
    assert documents.loc["changshoulu_2022_work_plan.txt", "url"].startswith("http://www.shpt.gov.cn/")
    assert documents.loc["changshoulu_2022_work_plan.txt", "retrieved"] == "2026-11-21"
    assert documents.loc["gumeilu_14th_five_year_plan.txt", "url"].startswith("(none: Not found")


# --- the README's "Windows / no make" lines, followed literally on Linux --------------------------------------


def readme_block(title: str) -> list[str]:
    """The command lines of the first code block under the README heading ``title``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"### {title}", 1)[1]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines()[1:] if line.strip() and not line.lstrip().startswith("#")]


def on_linux(line: str) -> str:
    """The one translation a Linux shell needs: Windows' launcher and activation script."""
    line = re.sub(r"^py ", "python3 ", line)
    return line.replace(r".venv\Scripts\activate", ". .venv/bin/activate")


@pytest.mark.slow
def test_the_readme_windows_lines_set_up_build_and_test_in_a_fresh_venv(tmp_path: Path) -> None:
    setup, tests = readme_block("Windows, or no make: pip"), readme_block("Windows, or no make: tests")
    assert setup[0] == "py -m venv .venv" and setup[1] == r".venv\Scripts\activate"
    clone = copy_checkout(tmp_path / "clone")
    # the lines as written (reproduce and lab run every notebook or a server: the quick checks stand in for them)
    quick = ["streetlib build", "python -m pytest -q -p no:cacheprovider tests/test_build.py tests/test_cli.py"]
    script = [on_linux(line) for line in [*setup, *tests] if not line.startswith(("streetlib ", "python -m pytest"))]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", config.DATA_ENV, "VIRTUAL_ENV")}
    env |= {"CC": "false", "CXX": "false"}  # no compiler: a package built from C sources fails the install
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join([*script, *quick])],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("conda") is None, reason="conda is not installed on this machine")
def test_the_readme_conda_lines_create_the_environment(tmp_path: Path) -> None:
    lines = readme_block("Windows, or no make: conda")
    assert lines[0] == "conda env create -f environment.yml"
    prefix = tmp_path / "env"
    create = ["conda", "env", "create", "-q", "-p", str(prefix), "-f", str(ROOT / "environment.yml")]
    subprocess.run(create, cwd=ROOT, check=True, capture_output=True)
    done = subprocess.run([str(prefix / "bin" / "streetlib"), "info"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
