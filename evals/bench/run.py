"""The whole benchmark run: which corpus each size gets, and the order of the measurements.

Sizes: 'bundled' is the five articles in corpus/; a size up to 9,936 is real HaluEval text (one passage
per record, embedded by the real model); a larger size is synthetic (see data.py and synthetic.py), its
vectors looked up from the real index, so it needs the real index of all 9,936 passages first (built
once, and also the '10k' row). Every synthetic size gets a dense-index comparison; the whole product
runs over it too unless it is larger than `product_max`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from evals.bench.data import REAL_LIMIT, Size, load_records, questions_of, size_label, sort_sizes, write_real
from evals.bench.machine import Clock, load_average, machine_info
from evals.bench.report import check_targets
from evals.bench.results import BenchResult, DenseTier

DEFAULT_SIZES: tuple[str, ...] = ("bundled", "10k", "100k", "1M")
BUNDLED_QUESTION = "How far back does Israel want Hezbollah pushed?"


def run_bench(
    sizes: Sequence[Size] = DEFAULT_SIZES,
    *,
    settings=None,  # noqa: ANN001 - rag.settings.Settings; default Settings()
    ingest_passages: int = 2000,
    embed_passages: int = 800,
    queries: int = 50,
    dense_queries: int = 200,
    faiss_types: Sequence[str] = ("HNSW32", "IVF"),
    product_max: int = 1_000_000,
    llamaindex: bool = True,
    onnx: bool = True,
    cold_start: bool = True,
    rss: bool = True,
    work_dir: Path | str | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Measure everything at the given sizes; see the module docstring. 0 passages skips a comparison."""
    from evals.bench.coldstart import bench_cold_start
    from evals.bench.pipeline import bench_tier
    from index.build import Indexer
    from rag.assistant import default_embedder
    from rag.settings import Settings

    started = time.perf_counter()

    def say(what: str) -> None:
        if progress:
            progress(f"[{time.perf_counter() - started:6.0f}s] {what}")

    settings = settings or Settings()
    parsed = sort_sizes(sizes)
    real = [int(s) for s in parsed if s != "bundled" and int(s) <= REAL_LIMIT]
    synthetic = [int(s) for s in parsed if s != "bundled" and int(s) > REAL_LIMIT]
    result = BenchResult(
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=machine_info(),
        settings=settings.model_dump(mode="json", include={"embedding_model", "embedding_dtype", "faiss_index"}),
        sizes=[size_label(s) for s in parsed],
    )
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="rag-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    embedder = default_embedder(settings)
    result.settings["embedding_dtype"] = f"{settings.embedding_dtype} -> {embedder.dtype}"
    records = load_records(seed) if (real or synthetic or ingest_passages or embed_passages) else []
    try:
        if ingest_passages:
            from evals.bench.ingest import bench_ingest

            say(f"ingestion: {min(ingest_passages, len(records)):,} passages")
            result.ingest = bench_ingest(
                records[:ingest_passages], work / "ingest", embedder, settings, llamaindex=llamaindex, say=say
            )
        if embed_passages:
            from evals.bench.embedding import bench_embedding

            say(f"embedding precision: {min(embed_passages, len(records)):,} passages")
            chosen = records[:embed_passages]
            result.embedding = bench_embedding(
                [r.text for r in chosen], questions_of(chosen, 100, seed), settings, onnx=onnx
            )

        if "bundled" in parsed or cold_start:
            say("bundled corpus: index")
            local = settings.model_copy(update={"index_dir": work / "bundled"})
            with Clock() as build:
                Indexer(local.index_dir, embedder, local.chunking(), local.faiss_index).add(
                    [local.corpus_dir], rebuild=True
                )
            if "bundled" in parsed:
                from evals.gold import load_gold

                say("bundled corpus: retrieve / ask")
                gold = [g.question for g in load_gold()][:queries]
                result.tiers.append(bench_tier(local, embedder, gold, "bundled", "real (corpus/)", build.wall, rss))

        # Real sizes (label -> passages); synthetic sizes need the index of every real passage.
        wanted = {size_label(s): min(s, len(records)) for s in real}
        if synthetic and len(records) not in wanted.values():
            wanted[""] = len(records)
        real_index = None
        for label, count in sorted(wanted.items(), key=lambda item: item[1]):
            local = settings.model_copy(update={"index_dir": work / f"real-{count}"})
            say(f"real {count:,} passages: index with the model")
            write_real(work / f"real-{count}-corpus" / "records.jsonl", records[:count])
            with Clock() as build:
                Indexer(local.index_dir, embedder, local.chunking(), local.faiss_index).add(
                    [work / f"real-{count}-corpus"], rebuild=True
                )
            real_index = local.index_dir
            if label:
                say(f"real {count:,}: retrieve / ask")
                source = "real (HaluEval, all)" if count == len(records) else "real (HaluEval)"
                questions = questions_of(records[:count], queries, seed)
                result.tiers.append(bench_tier(local, embedder, questions, label, source, build.wall, rss))

        if synthetic:
            _synthetic_sizes(
                result,
                synthetic,
                records,
                real_index,
                embedder,
                settings,
                work,
                queries,
                dense_queries,
                faiss_types,
                product_max,
                rss,
                seed,
                say,
            )
        if cold_start:
            say("cold start: import, --help, first answer")
            local = settings.model_copy(update={"index_dir": work / "bundled"})
            result.cold_start = bench_cold_start(local, BUNDLED_QUESTION)
    finally:
        if work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    result.machine.load_end = load_average()
    result.seconds = round(time.perf_counter() - started, 1)
    result.targets = check_targets(result)
    result.notes.extend(_notes(result))
    say("done")
    return result


def _synthetic_sizes(
    result: BenchResult,
    sizes: list[int],
    records,
    real_index: Path,
    embedder,
    settings,
    work: Path,  # noqa: ANN001
    queries: int,
    dense_queries: int,
    faiss_types: Sequence[str],
    product_max: int,
    rss: bool,
    seed: int,
    say: Callable[[str], None],
) -> None:
    """Per synthetic size: the dense-index comparison, then the whole product over a synthetic corpus."""
    import numpy as np

    from evals.bench.dense import bench_dense
    from evals.bench.pipeline import bench_tier
    from evals.bench.synthetic import build_synthetic_index_apart, synthetic_vectors
    from index.store import choose_faiss_type

    base = np.load(next((real_index / "snapshots").iterdir()) / "vectors.npy", allow_pickle=False)
    dense_questions = questions_of(records, dense_queries, seed + 1)
    query_vectors = embedder.embed(dense_questions)
    for size in sizes:
        label = size_label(size)
        say(f"synthetic {label}: dense vectors")
        vectors = synthetic_vectors(base, size, seed=seed + size)
        runs = bench_dense(vectors, query_vectors, settings.candidates, faiss_types, work / "dense", say)
        del vectors
        result.dense.append(
            DenseTier(
                passages=size,
                vectors=f"synthetic: the {len(base):,} real passage vectors + noise",
                queries=len(query_vectors),
                auto_choice=choose_faiss_type("auto", size),
                runs=runs,
            )
        )
        if size > product_max:
            continue
        say(f"synthetic {label}: index through the real Indexer (looked-up vectors), in a fresh interpreter")
        built = build_synthetic_index_apart(size, real_index, work / f"synth-{label}", settings, seed)
        if isinstance(built, str):
            result.notes.append(f"{label}: the synthetic index could not be built ({built}): no product row")
            shutil.rmtree(work / f"synth-{label}", ignore_errors=True)
            continue
        index_dir, seconds, articles, misses, peak = built
        say(f"synthetic {label}: retrieve / ask")
        local = settings.model_copy(update={"index_dir": index_dir})
        source = "synthetic (real text repeated, 10 to a dated article)"
        tier = bench_tier(local, embedder, dense_questions[:queries], label, source, seconds, rss)
        tier.build_peak_bytes = peak
        result.tiers.append(tier)
        if misses:
            result.notes.append(f"{label}: {misses:,} synthetic texts had no real vector (random ones used)")
        shutil.rmtree(work / f"synth-{label}", ignore_errors=True)


def _notes(result: BenchResult) -> list[str]:
    m = result.machine
    notes = []
    if max(m.load_start, m.load_end) > 0.5 * m.cores:
        notes.append(
            f"the machine was shared (load {m.load_start} at start, {m.load_end} at end on {m.cores} cores): absolute "
            "times are inflated; the ratios, each measured in one process, are the figures to compare"
        )
    return notes
