"""Timed stages at 1×, 10× and 100× the corpus, each against a reference from the same run.

    python benchmarks/run.py                       # make bench: every scale, notebooks, build
    python benchmarks/run.py --scales 1 10 --repeats 3 --no-notebooks

Each scale runs in its own process (a cold dictionary load, and that process's peak memory
is the scale's peak). Figures are medians with the min-max spread over ``--repeats`` runs and
a ratio to a reference measured in the same run: bare ``jieba.lcut`` (with the same
dictionary) for segmentation, an empty-kernel notebook for notebooks. Results go to
``benchmarks/results/bench.json`` and ``bench.md``. Nothing here is asserted: the tests check
only that the fast paths give the serial results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def timed(function, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def row(scale, stage, times, reference=None, note="") -> dict:
    median = statistics.median(times)
    return {
        "scale": scale,
        "stage": stage,
        "median_s": round(median, 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "runs": len(times),
        "reference": reference["stage"] if reference else None,
        "ratio": round(median / reference["median_s"], 3) if reference else None,
        "note": note,
    }


def one_scale(scale: float, repeats: int, fit_repeats: int) -> dict:
    """Every in-process stage at one scale (run in a fresh process)."""
    from corpus import scaled_corpus

    from streetlib import text, topics

    paragraphs = scaled_corpus(scale)
    texts = paragraphs["text"].tolist()
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    rows = []
    load, engine = timed(text.tokenizer, 1)
    rows.append(row(scale, "dictionary load (once per process)", load))
    bare = row(scale, "segmentation: bare jieba.lcut", timed(lambda: [engine.lcut(t) for t in texts], repeats)[0])
    rows.append(bare | {"note": f"{mb:.1f} MB, {mb / bare['median_s']:.2f} MB/s"})
    serial, tokens = timed(lambda: text.segment_many(texts), repeats)
    rows.append(row(scale, "segmentation: streetlib serial", serial, bare))
    parallel_times, parallel = timed(lambda: text.segment_many(texts, n_jobs=2), repeats)
    rows.append(row(scale, "segmentation: streetlib 2 workers", parallel_times, bare, "first run starts the workers"))
    assert parallel == tokens, "parallel segmentation differs from serial"
    cold, warm = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            cold.append(timed(lambda f=folder: text.tokenize(paragraphs, cache_folder=Path(f)), 1)[0][0])
            warm.append(timed(lambda f=folder: text.tokenize(paragraphs, cache_folder=Path(f)), 1)[0][0])
    cold_row = row(scale, "tokenize, cache cold", cold, bare)
    rows += [cold_row, row(scale, "tokenize, cache warm", warm, cold_row)]
    frame = text.content_tokens(text.tokenize(paragraphs, use_cache=False))
    dtm_times, (matrix, ids, vocabulary) = timed(lambda: text.document_term_matrix(frame, min_df=2), repeats)
    rows.append(row(scale, "document-term matrix", dtm_times, note=f"{matrix.shape[0]} × {matrix.shape[1]}"))
    fits = {
        "LDA batch (50 iterations, the notebooks' setting)": {"method": "lda"},
        "LDA online (10 passes)": {"method": "lda", "learning_method": "online", "max_iter": 10},
        "NMF": {"method": "nmf"},
    }
    for name, options in fits.items():
        for k in (8, 20):
            if scale >= 100 and options.get("learning_method") != "online" and options["method"] == "lda":
                continue  # about 200 s a fit: measured at 1× and 10×, extrapolates linearly
            times, _ = timed(lambda o=options, k=k: topics.fit(matrix, vocabulary, ids, k=k, seed=1, **o), fit_repeats)
            rows.append(row(scale, f"{name}, k = {k}", times))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "scale": scale,
        "megabytes": round(mb, 2),
        "paragraphs": len(texts),
        "peak_rss_mb": round(peak),
        "rows": rows,
    }


def pipeline(scale: float) -> dict:
    """The scale target alone, in a fresh process: dictionary load, segmentation in 2 workers,
    filtering, document-term matrix, LDA k = 20 online; peak memory of the process and its workers."""
    import threading

    import psutil
    from corpus import scaled_corpus

    from streetlib import text, topics

    paragraphs = scaled_corpus(scale)
    peak, done = [0], threading.Event()

    def sample() -> None:
        me = psutil.Process()
        while not done.is_set():
            try:
                rss = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            peak[0] = max(peak[0], rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    frame = text.content_tokens(text.tokenize(paragraphs, n_jobs=2, use_cache=False))
    matrix, ids, vocabulary = text.document_term_matrix(frame, min_df=2)
    topics.fit(matrix, vocabulary, ids, k=20, seed=1, learning_method="online", max_iter=10, cache=False)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return {"seconds": round(seconds, 2), "peak_mb": round(peak[0] / 2**20)}


def build_rows(repeats: int) -> list[dict]:
    """``streetlib build`` of the real corpus into a copy of data/, against a bare ``import streetlib``."""
    import shutil

    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        for sub in ("raw", "lexicon", "external"):
            shutil.copytree(ROOT / "data" / sub, data / sub)
        start = [python, "-c", "import streetlib.build"]
        build = [python, "-m", "streetlib", "--data", str(data), "build"]
        ref = row(1, "python -c 'import streetlib.build'", timed(lambda: subprocess.run(start, check=True), repeats)[0])
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
        times, _ = timed(lambda: subprocess.run(build, **quiet), repeats)
        return [ref, row(1, "streetlib build (real corpus)", times, ref)]


def notebook_rows() -> list[dict]:
    """Each notebook executed once, against an empty-kernel notebook; then all of them as make reproduce runs them."""
    import nbformat

    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]), empty)
        env = os.environ | {"STREETLIB_FIGURES": str(Path(folder) / "figures")}

        def run(path: Path) -> None:
            command = [jupyter, "nbconvert", "--to", "notebook", "--execute", "--log-level=ERROR"]
            command += ["--output-dir", folder, "--output", f"out_{path.stem}", str(path)]
            subprocess.run(command, check=True, env=env, cwd=path.parent, stderr=subprocess.DEVNULL)

        ref = row("-", "empty-kernel notebook", timed(lambda: run(empty), 3)[0])
        rows.append(ref)
        total = 0.0
        for path in notebooks:
            times, _ = timed(lambda p=path: run(p), 1)
            total += times[0]
            rows.append(row("-", f"notebook {path.stem}", times, ref))
        floor = ref["median_s"] * len(notebooks)
        rows.append(row("-", "notebooks one after another", [total], note=f"kernel floor {floor:.1f} s"))
        make = ["make", "--no-print-directory", "notebooks"]
        times, _ = timed(lambda: subprocess.run(make, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL), 1)
        rows.append(row("-", "make notebooks (2 at a time, incl. build)", times, rows[-1]))
    return rows


def markdown(results: dict) -> str:
    lines = [
        "# streetlib benchmarks",
        "",
        f"Machine: {results['machine']}. Medians over the runs shown (min-max in brackets); "
        "ratio = median / the reference named in the same run.",
        "",
    ]
    for scale in results["scales"]:
        lines += [
            f"## {scale['scale']:g}× corpus: {scale['megabytes']} MB, {scale['paragraphs']} paragraphs; "
            f"peak memory: pipeline {scale['pipeline_peak_mb']} MB, benchmark process {scale['peak_rss_mb']} MB",
            "",
        ]
        lines += table(scale["rows"])
    for title, key in (("Build", "build"), ("Notebooks", "notebooks")):
        if results.get(key):
            lines += [f"## {title}", "", *table(results[key])]
    return "\n".join(lines) + "\n"


def table(rows: list[dict]) -> list[str]:
    out = ["| stage | median s | [min-max] | runs | ratio | against | note |", "|---|---:|---|---:|---:|---|---|"]
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else ""
        out.append(
            f"| {r['stage']} | {r['median_s']:.3f} | [{r['min_s']:.3f}-{r['max_s']:.3f}] | {r['runs']} | {ratio} "
            f"| {r['reference'] or ''} | {r['note']} |"
        )
    return [*out, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fit-repeats", type=int, default=1, help="topic-model fits are slow: fewer runs")
    parser.add_argument("--no-notebooks", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--pipeline", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:  # child process: one scale, JSON on stdout
        print(json.dumps(one_scale(args.one, args.repeats, args.fit_repeats)))
        return
    if args.pipeline is not None:
        print(json.dumps(pipeline(args.pipeline)))
        return
    results = {"machine": f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}"}
    results["scales"] = []
    for scale in args.scales:
        print(f"==> {scale:g}× corpus", file=sys.stderr)
        command = [sys.executable, __file__, "--one", str(scale), "--repeats", str(args.repeats)]
        command += ["--fit-repeats", str(args.fit_repeats)]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        command = [sys.executable, __file__, "--pipeline", str(scale)]
        runs = [json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip())]
        runs += [json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip())]
        result["rows"].append(
            row(scale, "pipeline: segment (2 workers) + matrix + LDA k = 20 online", [r["seconds"] for r in runs])
            | {"note": f"fresh process each; peak memory incl. workers {max(r['peak_mb'] for r in runs)} MB"}
        )
        result["pipeline_peak_mb"] = max(r["peak_mb"] for r in runs)
        results["scales"].append(result)
    print("==> build", file=sys.stderr)
    results["build"] = build_rows(args.repeats)
    if not args.no_notebooks:
        print("==> notebooks", file=sys.stderr)
        results["notebooks"] = notebook_rows()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "bench.md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
