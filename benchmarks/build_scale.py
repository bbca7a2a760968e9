"""Build time against corpus size: is `streetlib build` linear?

Makes data roots holding 1×, 10× and 100× the real sources (every raw file copied under new
names, with its manifest entries and errata renamed, so the build's work per copy is the
real work) and one holding a single 1 MB line (dots, as a table of contents that
lost its line breaks), then times `streetlib build` on each in a fresh process. Each scale is
measured against its reference in the same run, interleaved (reference, build, reference,
build, ...): reading and normalising every raw line of that root, the floor any build pays.
Writes `results/build_scale.md` and `.json`.

    python benchmarks/build_scale.py --scales 1 10 100 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "benchmarks" / "results"
BLOCK = re.compile(r"(?m)^(?=\[\[(?:sources|documents)\]\])")
FLOOR = """
import sys, pathlib
from streetlib.clean import normalise
n = 0
for path in sorted(pathlib.Path(sys.argv[1], "raw").glob("*.txt")):
    n += sum(len(normalise(line)) for line in path.read_text(encoding="utf-8").split("\\n"))
"""


def scaled_root(factor: int, into: Path) -> Path:
    """A data root with ``factor`` copies of every real source (copy 0 is the real one)."""
    root = into / f"x{factor}"
    shutil.copytree(PROJECT / "data", root, ignore=shutil.ignore_patterns("processed", ".*"))
    manifest = root / "raw" / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    blocks = BLOCK.split(text)
    header, entries = blocks[0], blocks[1:]
    copies = []
    for k in range(1, factor):
        for entry in entries:
            file = re.search(r'(?m)^(?:file|source) = "([^"]+)"', entry).group(1)
            copy_name = file.replace(".txt", f"__{k}.txt")
            if entry.startswith("[[sources]]"):
                shutil.copyfile(root / "raw" / file, root / "raw" / copy_name)
            entry = entry.replace(f'"{file}"', f'"{copy_name}"')
            entry = re.sub(r'(?m)^doc_id = "([^"]+)"', rf'doc_id = "\1__{k}"', entry)
            copies.append(entry)
    manifest.write_text(header + "".join(entries) + "".join(copies), encoding="utf-8")
    for errata in [*root.glob("r*/errata.csv")]:  # raw/ or reviewed/: every copy gets its source's errata
        lines = errata.read_text(encoding="utf-8").splitlines(keepends=True)
        copied = [re.sub(r"^([^,]+)\.txt,", rf"\1__{k}.txt,", line) for k in range(1, factor) for line in lines[1:]]
        errata.write_text("".join(lines + copied), encoding="utf-8")
    return root


def long_line_root(into: Path, size: int = 1_000_000) -> Path:
    """A data root holding the real sources plus one document that is a single line of dots."""
    root = scaled_root(1, into / "long")
    line = "目录" + "." * size + "页\n"  # dots not followed by a page number: the worst case for a TOC pattern
    data = line.encode("utf-8")
    (root / "raw" / "long_line.txt").write_bytes(data)
    import hashlib

    entry = (
        f'\n[[sources]]\nfile = "long_line.txt"\nsha256 = "{hashlib.sha256(data).hexdigest()}"\n'
        'encoding = "utf-8"\npublisher = "benchmark"\npublished = 2024-01-01\npublished_in = ""\nurl = ""\nnote = ""\n'
        '\n[[documents]]\ndoc_id = "long_line"\nsource = "long_line.txt"\ntitle = "一行"\nstreet = "新华路街道"\n'
        'street_en = "Xinhua Road Subdistrict"\ndistrict = "长宁区"\ndistrict_en = "Changning District"\n'
        'doc_type = "work_plan"\nyear_start = 2024\nyear_end = 2024\nline_start = 1\nline_end = 1\n'
        'parts = [{ line_start = 1, line_end = 1, genre = "plan" }]\n'
    )
    with (root / "raw" / "manifest.toml").open("a", encoding="utf-8") as handle:
        handle.write(entry)
    return root


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 3):  # 3: built, with documents left out (listed in build_problems)
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def measure(root: Path, repeats: int) -> dict:
    build = [sys.executable, "-m", "streetlib", "--data", str(root), "build"]
    floor = [sys.executable, "-c", FLOOR, str(root)]
    builds, floors = [], []
    for _ in range(repeats):  # interleaved, so that drift hits both alike
        floors.append(timed(floor))
        builds.append(timed(build))
    raw_mb = sum(p.stat().st_size for p in (root / "raw").glob("*.txt")) / 1e6
    return {
        "raw_mb": round(raw_mb, 2),
        "build_s": round(statistics.median(builds), 2),
        "build_spread": [round(min(builds), 2), round(max(builds), 2)],
        "floor_s": round(statistics.median(floors), 2),
        "ratio_to_floor": round(statistics.median(b / f for b, f in zip(builds, floors, strict=True)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for factor in args.scales:
            rows[f"{factor}x"] = measure(scaled_root(factor, Path(tmp)), args.repeats)
            print(f"{factor}x: {rows[f'{factor}x']}", flush=True)
        rows["1MB line"] = measure(long_line_root(Path(tmp)), args.repeats)
        print(f"1MB line: {rows['1MB line']}", flush=True)
    first, last = f"{args.scales[0]}x", f"{args.scales[-1]}x"
    growth = rows[last]["build_s"] / rows[first]["build_s"]
    size = rows[last]["raw_mb"] / rows[first]["raw_mb"]
    lines = [
        "# Build time against corpus size",
        "",
        f"`python benchmarks/build_scale.py --scales {' '.join(map(str, args.scales))} --repeats {args.repeats}`; "
        "median of the repeats (min-max), each build in a fresh process, interleaved with its floor "
        "(reading and normalising every raw line of the same root).",
        "",
        "| corpus | raw MB | build s | spread | floor s | build / floor |",
        "|---|---|---|---|---|---|",
        *(
            f"| {name} | {r['raw_mb']} | {r['build_s']} | {r['build_spread'][0]}-{r['build_spread'][1]} "
            f"| {r['floor_s']} | {r['ratio_to_floor']} |"
            for name, r in rows.items()
        ),
        "",
        f"Growth {first} → {last}: build time × {growth:.1f} for raw size × {size:.1f} "
        f"({'linear' if growth <= 1.25 * size else 'worse than linear'}: the bound is 1.25 × the size ratio).",
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "build_scale.md").write_text("\n".join(lines), encoding="utf-8")
    (RESULTS / "build_scale.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
