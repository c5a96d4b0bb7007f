"""Dense index types at one corpus size: exact (Flat) against approximate (HNSW, IVF) search.

Each type is built by the product's own `build_faiss`, searched one query at a time (as a question is),
and scored by recall@10 against exact search over the same vectors. Search settings are swept so the
table shows the speed / recall trade-off; the product's own setting is marked.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from evals.bench.machine import Clock, latency
from evals.bench.results import DenseRun

HNSW_EF = (32, 64, 128, 256)
IVF_NPROBE = (8, 16, 32, 64, 128)


def recall_at_10(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of each query's exact top 10 that the approximate search also returned in its top 10."""
    if not len(exact):
        return 0.0
    shares = []
    for f, e in zip(found, exact, strict=True):
        truth = {int(i) for i in e[:10] if i >= 0}
        shares.append(len(truth & {int(i) for i in f[:10]}) / len(truth) if truth else 1.0)
    return float(np.mean(shares))


def time_search(index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:  # noqa: ANN001
    """One query at a time: seconds per query and the ids found."""
    ids = np.empty((len(queries), k), dtype=np.int64)
    seconds = []
    index.search(queries[:1], k)  # warm caches
    for i in range(len(queries)):
        started = time.perf_counter()
        _, found = index.search(queries[i : i + 1], k)
        seconds.append(time.perf_counter() - started)
        ids[i] = found[0]
    return seconds, ids


def _run(
    index: str, param: str, default: bool, build: float, nbytes: int, seconds: list[float], found, exact
) -> DenseRun:  # noqa: ANN001
    lat = latency(seconds)
    return DenseRun(
        index=index,
        param=param,
        default=default,
        build_seconds=round(build, 1),
        p50_ms=lat.p50_ms,
        p95_ms=lat.p95_ms,
        recall_at_10=round(recall_at_10(found, exact), 4),
        bytes=nbytes,
    )


def bench_dense(
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int,
    types: Sequence[str],
    folder: Path,
    say: Callable[[str], None] = lambda _w: None,
) -> list[DenseRun]:
    """Flat (the reference), then each of `types` ('HNSW32', 'IVF' = ivf_spec(n), or any factory string)."""
    import faiss

    from index.store import HNSW_EF_SEARCH, build_faiss, ivf_spec
    from index.store import IVF_NPROBE as PRODUCT_NPROBE

    folder.mkdir(parents=True, exist_ok=True)
    k = min(k, len(vectors))
    runs: list[DenseRun] = []
    exact = None
    # Questions are searched one at a time on one thread, as the product's SearchIndex does; Flat is also
    # timed on every core. (The setting sticks to the calling thread: it is restored at the end.)
    cores, before = os.cpu_count() or 1, faiss.omp_get_max_threads()
    specs = ["Flat"] + [ivf_spec(len(vectors)) if t.upper() == "IVF" else t for t in types if t != "Flat"]
    try:
        for spec in specs:
            say(f"dense {len(vectors):,} {spec}: build")
            with Clock() as build:
                index = build_faiss(vectors, spec)
            path = folder / "index.faiss"
            faiss.write_index(index, str(path))
            nbytes = path.stat().st_size
            path.unlink()
            say(f"dense {len(vectors):,} {spec}: search")
            if spec == "Flat":
                faiss.omp_set_num_threads(cores)
                _, exact = index.search(queries, k)
                for count in dict.fromkeys((cores, 1)):
                    faiss.omp_set_num_threads(count)
                    seconds, found = time_search(index, queries, k)
                    label = f"{count} thread{'s' * (count > 1)}"
                    runs.append(_run("Flat", label, count == 1, build.wall, nbytes, seconds, found, exact))
            elif spec.startswith("HNSW"):
                faiss.omp_set_num_threads(1)
                for ef in HNSW_EF:
                    index.hnsw.efSearch = ef
                    seconds, found = time_search(index, queries, k)
                    runs.append(
                        _run(spec, f"efSearch {ef}", ef == HNSW_EF_SEARCH, build.wall, nbytes, seconds, found, exact)
                    )
            elif spec.startswith("IVF"):
                faiss.omp_set_num_threads(1)
                ivf = faiss.extract_index_ivf(index)
                for nprobe in IVF_NPROBE:
                    ivf.nprobe = nprobe
                    seconds, found = time_search(index, queries, k)
                    default = nprobe == PRODUCT_NPROBE
                    runs.append(_run(spec, f"nprobe {nprobe}", default, build.wall, nbytes, seconds, found, exact))
            else:
                faiss.omp_set_num_threads(1)
                seconds, found = time_search(index, queries, k)
                runs.append(_run(spec, "-", True, build.wall, nbytes, seconds, found, exact))
            del index
            gc.collect()
    finally:
        faiss.omp_set_num_threads(before)
    return runs
