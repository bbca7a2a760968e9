"""Timed stages at 1×, 10× and 100× the corpus, each a ratio against a reference measured interleaved with it.

    python benchmarks/run.py                           # make bench: prints the results, writes nothing
    python benchmarks/run.py --write                   # also writes benchmarks/results/bench.md and .json
    python benchmarks/run.py --scales 1 10 --repeats 3 --no-notebooks
    python benchmarks/run.py --only pipeline --scales 100    # the 100× pipeline alone: time and peak memory
    python benchmarks/run.py --only pipeline --scales 100 --workers always   # its workers even on a busy machine

How it keeps honest:

* **Interleaved.** Every figure is measured in rounds with its reference (A B A B …, ``--repeats``
  rounds, at least 3): its ratio is the median of the per-round ratios, with their min-max, so drift
  in the machine's speed (other processes, thermal) hits both sides of a ratio alike.
* **No caches in timed work.** Token and model caches point at a fresh folder per process
  (``STREETLIB_CACHE``), every fit is ``cache=False``, and worker processes are shut down before each
  timed parallel run, so their start-up is inside the figure (and shown on its own row too).
* **A corpus that grows like a real one** (``corpus.py``): new documents bring new words, so the
  vocabulary follows the real corpus's Heaps curve; its size at each scale is in the results.
* **What users run.** The notebooks' model (batch LDA, 50 iterations) is fitted at every scale, not
  extrapolated; the pipeline (segmentation in two processes, matrix, the default engine at k = 20)
  runs against one serial jieba pass over the same text, with its peak memory.

Each scale runs in fresh processes. The one exception to three runs: at 100× the batch-LDA fit
(minutes a fit) runs once in ``make bench`` to stay within 20 minutes; ``--full`` runs it ``--repeats``
times. The machine's load average is recorded at the start and the end: figures from a loaded
machine say so in their header.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

K = 20  # the pipeline's and the engine comparison's number of topics
NOTEBOOK_K = 8  # notebook 01 chooses k among 2-8 (topics.choose_k): its largest fit
LOADED = " — A LOADED MACHINE (other work was running): these figures are indicative only"
GOALS = {"pipeline_ratio": 3.0, "peak_mb": 2048, "growth_10_100": 10.5, "parallel_speedup_100": 1.7}


# --- measuring ------------------------------------------------------------------------------------------------


def interleave(
    functions: dict[str, Callable[[int], object]], repeats: int, before: Callable[[], None] | None = None
) -> tuple[dict, dict]:
    """Run the functions in rounds (A B C, A B C, …); each gets the round number (a seed); ``before`` runs,
    untimed, before each of them. The times and the results of every run."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    results: dict[str, list] = {name: [] for name in functions}
    for round_number in range(repeats):
        for name, function in functions.items():
            if before is not None:
                before()
            start = time.perf_counter()
            results[name].append(function(round_number))
            times[name].append(time.perf_counter() - start)
    return times, results


def row(scale, stage: str, times: list[float], reference: str | None = None, ref_times=None, note: str = "") -> dict:
    """A figure: median and min-max of ``times``; with a reference, the median and min-max of per-round ratios."""
    out = {
        "scale": scale,
        "stage": stage,
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "runs": len(times),
        "reference": reference,
        "ratio": None,
        "ratio_min": None,
        "ratio_max": None,
        "note": note,
    }
    if reference is not None:
        ratios = [a / b for a, b in zip(times, ref_times, strict=True)]
        out |= {
            "ratio": round(statistics.median(ratios), 3),
            "ratio_min": round(min(ratios), 3),
            "ratio_max": round(max(ratios), 3),
        }
    return out


def shut_down_workers() -> None:
    """Stop segment_many's worker processes, so that the next parallel run pays their start-up."""
    from streetlib import text

    for executor in text._EXECUTORS.values():
        executor.shutdown(wait=True)
    text._EXECUTORS.clear()


def worker_start() -> float:
    """One worker process started and its first (one-word) chunk returned, then stopped."""
    from streetlib import text

    start = time.perf_counter()
    text._executor(1).submit(text._segment_chunk, text.segmenter(), ["推进一网统管"]).result()
    seconds = time.perf_counter() - start
    shut_down_workers()
    return seconds


# --- one scale, in its own process ----------------------------------------------------------------------------


def one_scale(scale: float, repeats: int, full: bool) -> dict:
    """Segmentation, caches, vocabulary and every engine at one scale."""
    from corpus import scaled_corpus

    from streetlib import engines, text, topics

    paragraphs = scaled_corpus(scale)
    texts = paragraphs["text"].tolist()
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    rows = []
    load_start = time.perf_counter()
    engine = text.tokenizer()
    rows.append(row(scale, "dictionary load (once per process, not repeatable)", [time.perf_counter() - load_start]))
    startup, _ = interleave({"worker": lambda r: worker_start()}, repeats)
    rows.append(
        row(
            scale,
            f"worker start-up ({text.START_METHOD}), to its first chunk",
            startup["worker"],
            note="in the 2-process rows",
        )
    )

    def parallel(r):
        idle = text._free_cores()
        tokens = text.segment_many(texts, n_jobs=2)
        parallel.note = "workers started" if text._EXECUTORS else f"stayed serial ({idle} idle cores by load average)"
        return tokens

    seg_times, seg = interleave(
        {
            "bare": lambda r: [engine.lcut(t) for t in texts],
            "serial": lambda r: text.segment_many(texts),
            "parallel": parallel,
        },
        repeats,
        before=shut_down_workers,  # every two-process run starts its worker: start-up inside the figure
    )
    assert seg["parallel"][-1] == seg["serial"][-1], "two processes gave other tokens than one"
    shut_down_workers()
    bare = row(scale, "segmentation: bare jieba.lcut", seg_times["bare"])
    bare["note"] = f"{megabytes:.1f} MB, {megabytes / bare['median_s']:.2f} MB/s"
    rows += [
        bare,
        row(scale, "segmentation: streetlib, one process", seg_times["serial"], bare["stage"], seg_times["bare"]),
        row(
            scale,
            "segmentation: streetlib, two processes, start-up included",
            seg_times["parallel"],
            "segmentation: streetlib, one process",
            seg_times["serial"],
            parallel.note,
        ),
    ]
    if scale <= 10:
        cold_times, warm_times = [], []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as folder:
                for times in (cold_times, warm_times):
                    start = time.perf_counter()
                    text.tokenize(paragraphs, cache_folder=Path(folder))
                    times.append(time.perf_counter() - start)
        rows.append(row(scale, "tokenize, token cache cold", cold_times, bare["stage"], seg_times["bare"]))
        rows.append(row(scale, "tokenize, token cache warm", warm_times, "tokenize, token cache cold", cold_times))

    every_token = text.tokenize(paragraphs, use_cache=False)
    distinct = int(every_token["token"].nunique())
    tokens = text.content_tokens(every_token)
    del every_token
    matrix, ids, vocabulary = text.document_term_matrix(tokens, min_df=2)
    held_out = np.random.default_rng(0).random(matrix.shape[0]) < 0.1  # scored by completion perplexity
    train = matrix[~held_out]
    train_ids = [i for i, h in zip(ids, held_out, strict=True) if not h]
    metadata = [i.split(":p")[0].split("_x")[0] for i in train_ids]  # the real document a paragraph was drawn from
    candidates = {"nmf": "nmf", "lda-online": "lda-online", "lda-batch": "lda-batch"}
    if _has("tomotopy"):
        candidates |= {"tomotopy-lda": "tomotopy-lda"}
        if scale <= 10:
            candidates |= {"tomotopy-dmr": "tomotopy-dmr"}
    fits = {
        name: (
            lambda r, e=engine_name: engines.fit(
                train, vocabulary, train_ids, k=K, seed=r, engine=e, cache=False, metadata=metadata
            )
        )
        for name, engine_name in candidates.items()
    }
    batch_once = scale >= 100 and not full
    batch = fits.pop("lda-batch") if batch_once else None
    fit_times, models = interleave(fits, repeats)
    if batch is not None:
        one, model = interleave({"lda-batch": batch}, 1)
        fit_times |= one
        models |= model
    quality = []
    for name, fitted in models.items():
        similar, recurring = stability(fitted) if len(fitted) > 1 else (None, None)
        quality.append(
            {
                "engine": name,
                "fits": len(fitted),
                "npmi_coherence": round(statistics.median(topics.coherence(m, train, vocabulary) for m in fitted), 4),
                "exclusivity": round(statistics.median(topics.exclusivity(m) for m in fitted), 4),
                "seed_stability": None if similar is None else round(similar, 3),
                "topics_recurring": None if recurring is None else round(recurring, 2),
                "heldout_perplexity": round(
                    statistics.median(
                        engines.completion_perplexity(engines.beta_array(m, vocabulary), matrix[held_out])
                        for m in fitted
                    ),
                    1,
                ),
            }
        )
        note = "the notebooks' setting" if name == "lda-batch" else ""
        if name == "lda-batch" and batch_once:
            note += "; ONE run (minutes a fit): --full for three"
        reference = None if name == "nmf" or len(fit_times[name]) != len(fit_times["nmf"]) else "nmf"
        rows.append(
            row(
                scale,
                f"fit {name}, k = {K}",
                fit_times[name],
                reference and f"fit nmf, k = {K}",
                fit_times["nmf"],
                note,
            )
        )
    return {
        "scale": scale,
        "megabytes": round(megabytes, 2),
        "paragraphs": len(texts),
        "tokens": int(sum(map(len, seg["serial"][-1]))),
        "vocabulary": distinct,
        "matrix": list(matrix.shape),
        "rows": rows,
        "quality": quality,
        "default_engine": engines.default_engine(matrix.shape[0]),
    }


def stability(models) -> tuple[float, float]:
    """Seed stability as notebook 01 measures it (``topics.align``: topics matched one-to-one by the cosine of
    their beta): the mean matched similarity over pairs of fits, and the share of matched topics that recur
    (similarity ≥ ``topics.STABLE``)."""
    from streetlib import topics

    betas = [topics.beta_matrix(m) for m in models]
    matched = np.concatenate([topics.align(a, b)[1] for a, b in combinations(betas, 2)])
    return float(matched.mean()), float((matched >= topics.STABLE).mean())


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# --- the pipeline against one serial jieba pass, in its own process -------------------------------------------


def pipeline(scale: float, repeats: int, workers: str = "auto") -> dict:
    """Segmentation (two processes, start-up included) and matrix (:func:`streetlib.text.count_matrix`, which never
    holds the corpus's tokens as strings), then the default engine at k = 20, interleaved with a serial jieba pass
    over the same text; the peak memory of this process (RSS) and its workers (their own pages, USS) during the
    pipeline, overall and by stage, and this process's RSS before it (interpreter, libraries, corpus, dictionary)."""
    import psutil
    from corpus import scaled_corpus

    from streetlib import engines, text

    paragraphs = scaled_corpus(scale)
    texts = paragraphs["text"].tolist()
    engine = text.tokenizer()
    stages: dict[str, list[float]] = {"segmentation + matrix": [], "model": []}
    peaks = dict.fromkeys(stages, 0)
    current: list[str | None] = [None]  # the stage being sampled; None between pipeline runs

    def sample() -> None:
        me = psutil.Process()
        while True:
            stage = current[0]
            if stage is not None:
                try:
                    # a forked worker shares this process's pages: count only its own (USS)
                    rss = me.memory_info().rss + sum(c.memory_full_info().uss for c in me.children(recursive=True))
                    peaks[stage] = max(peaks[stage], rss)
                except psutil.Error:
                    pass
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    before = psutil.Process().memory_info().rss
    chosen, started = [], []

    def run(r) -> None:
        t0 = time.perf_counter()
        current[0] = "segmentation + matrix"
        matrix, ids, vocabulary = text.count_matrix(paragraphs, n_jobs=2, workers=workers, use_cache=False)
        started.append(bool(text._EXECUTORS))
        t1 = time.perf_counter()
        current[0] = "model"
        chosen.append(engines.default_engine(matrix.shape[0]))
        engines.fit(matrix, vocabulary, ids, k=K, seed=r, engine=chosen[-1], cache=False)
        t2 = time.perf_counter()
        current[0] = None
        for name, seconds in zip(stages, (t1 - t0, t2 - t1), strict=True):
            stages[name].append(seconds)

    def serial_pass(r) -> None:  # its tokens are dropped at once: the reference's memory is not the pipeline's
        [engine.lcut(t) for t in texts]

    times, _ = interleave({"bare": serial_pass, "pipeline": run}, repeats, before=shut_down_workers)
    shut_down_workers()
    return {
        "times": times,
        "stages": stages,
        "peak_mb": round(max(peaks.values()) / 2**20),
        "peak_mb_by_stage": {name: round(value / 2**20) for name, value in peaks.items()},
        "rss_before_mb": round(before / 2**20),
        "workers_started": sum(started),
        "engine": chosen[-1],
    }


def pipeline_rows(scale: float, p: dict) -> tuple[dict, list[dict]]:
    """The pipeline's row (ratio to the serial jieba pass, peak memory) and its reference's and stages' rows."""
    ref = "serial jieba pass (same text)"
    by_stage = ", ".join(f"{name} {mb}" for name, mb in p["peak_mb_by_stage"].items())
    started = f"workers started in {p['workers_started']} of {len(p['times']['pipeline'])} runs"
    note = f"peak memory incl. workers {p['peak_mb']} MB ({by_stage}; {p['rss_before_mb']} before); {started}"
    head = row(
        scale,
        f"pipeline: segmentation (2 processes) + matrix + {p['engine']} k = {K}",
        p["times"]["pipeline"],
        ref,
        p["times"]["bare"],
        note,
    ) | {"peak_mb": p["peak_mb"]}
    stages = [row(scale, f"  pipeline stage: {name}", times) for name, times in p["stages"].items()]
    return head, [row(scale, ref, p["times"]["bare"]), *stages]


# --- build and notebooks (real corpus) ------------------------------------------------------------------------


def build_rows(repeats: int) -> list[dict]:
    """``streetlib build`` of the real corpus into a copy of data/, interleaved with ``import streetlib.build``."""
    import shutil

    python = sys.executable
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        for sub in ("raw", "reviewed", "lexicon", "external"):
            if (ROOT / "data" / sub).is_dir():
                shutil.copytree(ROOT / "data" / sub, data / sub)
        times, _ = interleave(
            {
                "import": lambda r: subprocess.run([python, "-c", "import streetlib.build"], **quiet),
                "build": lambda r: subprocess.run([python, "-m", "streetlib", "--data", str(data), "build"], **quiet),
            },
            repeats,
        )
    ref = "python -c 'import streetlib.build'"
    return [row(1, ref, times["import"]), row(1, "streetlib build (real corpus)", times["build"], ref, times["import"])]


def notebook_rows() -> list[dict]:
    """Each notebook executed once with a cold cache, each run preceded by an empty-kernel notebook (its reference)."""
    import nbformat

    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "empty.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]), empty)

        def run(path: Path, n: int) -> None:
            env = os.environ | {
                "STREETLIB_FIGURES": str(Path(folder) / "figures"),
                "STREETLIB_CACHE": str(Path(folder) / f"cache{n}"),  # cold: no model or token cache
            }
            command = [jupyter, "nbconvert", "--to", "notebook", "--execute", "--log-level=ERROR"]
            command += ["--output-dir", folder, "--output", f"out_{path.stem}", str(path)]
            subprocess.run(command, check=True, env=env, cwd=path.parent, stderr=subprocess.DEVNULL)

        for n, path in enumerate(notebooks):
            times, _ = interleave({"empty": lambda r: run(empty, -1), "notebook": lambda r, p=path, n=n: run(p, n)}, 1)
            rows.append(
                row(
                    "-",
                    f"notebook {path.stem} (cold cache)",
                    times["notebook"],
                    "empty-kernel notebook",
                    times["empty"],
                )
            )
    return rows


# --- report ---------------------------------------------------------------------------------------------------


def summary(results: dict) -> list[dict]:
    """The issue's goals: each figure, its target and whether it is met."""
    pipelines = {s["scale"]: s["pipeline"] for s in results["scales"]}
    goals = []
    for scale, p in pipelines.items():
        if scale >= 100:  # the goal is the 100× pipeline's; smaller scales are in their tables
            goals.append(
                {"goal": f"{scale:g}× pipeline / serial jieba pass", "value": p["ratio"]}
                | {"target": f"≤ {GOALS['pipeline_ratio']}", "met": p["ratio"] <= GOALS["pipeline_ratio"]}
            )
        goals.append(
            {"goal": f"{scale:g}× pipeline peak memory (MB)", "value": p["peak_mb"], "target": f"< {GOALS['peak_mb']}"}
            | {"met": p["peak_mb"] < GOALS["peak_mb"]}
        )
    if 10 in pipelines and 100 in pipelines:
        growth = pipelines[100]["median_s"] / pipelines[10]["median_s"]
        goals.append(
            {"goal": "pipeline growth 10× → 100×", "value": round(growth, 2), "target": f"≤ {GOALS['growth_10_100']}"}
            | {"met": growth <= GOALS["growth_10_100"]}
        )
    for s in results["scales"]:
        parallel = next(r for r in s["rows"] if r["stage"].startswith("segmentation: streetlib, two processes"))
        speedup = round(1 / parallel["ratio"], 2)
        target = GOALS["parallel_speedup_100"] if s["scale"] >= 100 else 1.0
        goals.append(
            {"goal": f"{s['scale']:g}× two-process speed-up incl. start-up", "value": speedup, "target": f"≥ {target}"}
            | {"met": speedup >= target}
        )
    return goals


def markdown(results: dict) -> str:
    load = results["load"]
    lines = [
        "# streetlib benchmarks",
        "",
        f"Machine: {results['machine']}. Load average (1 min) {load['start']:.2f} at the start, {load['end']:.2f} "
        f"at the end{LOADED if load['start'] > 0.5 else ''}.",  # the end load includes this run's own workers
        "Medians over the runs shown (min-max in brackets); a ratio is the median of per-round ratios to the reference "
        "named, measured interleaved with it (A B A B …).",
        "",
        "## Goals (issue 19)",
        "",
        "| goal | value | target | met |",
        "|---|---:|---|---|",
        *[f"| {g['goal']} | {g['value']} | {g['target']} | {'yes' if g['met'] else 'NO'} |" for g in results["goals"]],
        "",
        "## Vocabulary against corpus size (Heaps' law)",
        "",
        f"The real corpus's own prefixes grow as V ∝ N^{results['heaps']['beta']}; the scaled corpora draw new words "
        "to continue that curve (benchmarks/corpus.py).",
        "",
        "| scale | paragraphs | MB | tokens | distinct tokens | matrix (min_df 2) | default engine |",
        "|---:|---:|---:|---:|---:|---|---|",
        *[
            f"| {s['scale']:g}× | {s['paragraphs']} | {s['megabytes']} | {s['tokens']} | {s['vocabulary']} | "
            f"{s['matrix'][0]} × {s['matrix'][1]} | {s['default_engine']} |"
            for s in results["scales"]
        ],
        "",
    ]
    for s in results["scales"]:
        lines += [f"## {s['scale']:g}× corpus", "", *table(s["rows"] + [s["pipeline"], *s["pipeline_stages"]])]
        lines += [
            f"Topic quality at k = {K} (fits on 90 % of the paragraphs with seeds 0, 1, 2; perplexity by document "
            "completion on the other 10 %, the same inference for every engine):",
            "",
            "| engine | fits | NPMI coherence | exclusivity | seed stability (aligned cosine) | topics recurring "
            "(≥ 0.8) | held-out perplexity |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *[
                f"| {q['engine']} | {q['fits']} | {q['npmi_coherence']} | {q['exclusivity']} | "
                f"{'' if q['seed_stability'] is None else q['seed_stability']} | "
                f"{'' if q['topics_recurring'] is None else q['topics_recurring']} | {q['heldout_perplexity']} |"
                for q in s["quality"]
            ],
            "",
        ]
    for title, key in (("Build", "build"), ("Notebooks", "notebooks")):
        if results.get(key):
            lines += [f"## {title}", "", *table(results[key])]
    return "\n".join(lines) + "\n"


def table(rows: list[dict]) -> list[str]:
    out = [
        "| stage | median s | [min-max] | runs | ratio [min-max] | against | note |",
        "|---|---:|---|---:|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.2f} [{r['ratio_min']:.2f}-{r['ratio_max']:.2f}]" if r["ratio"] is not None else ""
        out.append(
            f"| {r['stage']} | {r['median_s']:.3f} | [{r['min_s']:.3f}-{r['max_s']:.3f}] | {r['runs']} | {ratio} "
            f"| {r['reference'] or ''} | {r['note']} |"
        )
    return [*out, ""]


def child(flag: str, scale: float, args) -> dict:
    """Run one measurement in a fresh process with a fresh cache folder; its JSON result."""
    with tempfile.TemporaryDirectory() as cache:
        env = os.environ | {"STREETLIB_CACHE": cache, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        command = [sys.executable, __file__, flag, str(scale), "--repeats", str(args.repeats)]
        command += ["--full"] if args.full else []
        command += ["--workers", args.workers]
        out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="three batch-LDA fits at 100× too (about 10 more minutes)")
    parser.add_argument("--no-notebooks", action="store_true")
    parser.add_argument("--only", choices=["pipeline"], help="only the pipeline at each scale (prints, writes nothing)")
    parser.add_argument(
        "--workers",
        choices=["auto", "always"],
        default="auto",
        help="the pipeline's workers: 'always' starts them on a busy machine too (its peak memory with them)",
    )
    parser.add_argument("--write", action="store_true", help="write results/bench.md and bench.json")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--pipeline", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats < 3:
        print(f"note: --repeats {args.repeats} < 3: no spread worth the name", file=sys.stderr)
    if args.one is not None:  # child processes: one measurement, JSON on stdout
        print(json.dumps(one_scale(args.one, args.repeats, args.full)))
        return
    if args.pipeline is not None:
        print(json.dumps(pipeline(args.pipeline, args.repeats, args.workers)))
        return
    if args.only == "pipeline":  # the pipeline alone at each scale: its time against the jieba pass, its memory
        if args.write:
            parser.error("--only pipeline prints its figures; --write needs the full run")
        for scale in args.scales:
            print(f"==> {scale:g}× corpus, pipeline", file=sys.stderr)
            p = child("--pipeline", scale, args)
            head, rest = pipeline_rows(scale, p)
            print("\n".join([f"## {scale:g}× pipeline", "", *table([head, *rest])]))
            print(json.dumps(p))
        return
    from corpus import heaps

    results = {
        "machine": f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
        "load": {"start": os.getloadavg()[0]},
        "heaps": heaps(),
        "scales": [],
    }
    for scale in args.scales:
        print(f"==> {scale:g}× corpus", file=sys.stderr)
        result = child("--one", scale, args)
        result["pipeline"], result["pipeline_stages"] = pipeline_rows(scale, child("--pipeline", scale, args))
        results["scales"].append(result)
    print("==> build", file=sys.stderr)
    results["build"] = build_rows(args.repeats)
    if not args.no_notebooks:
        print("==> notebooks", file=sys.stderr)
        results["notebooks"] = notebook_rows()
    results["load"]["end"] = os.getloadavg()[0]
    results["goals"] = summary(results)
    report = markdown(results)
    if args.write:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (args.out / "bench.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
