"""The whole product over one corpus: `Assistant.retrieve` and the extractive `Assistant.ask`, p50 / p95,
each stage of a question timed alone, the index's size on disk and the resident memory of a fresh
process that loads it and answers."""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence

from evals.bench.machine import Clock, dir_bytes, latency, run_python, settings_env
from evals.bench.results import Tier

_RSS_CODE = """
import json, sys
from rag import Assistant
from evals.bench.machine import rss_bytes
assistant = Assistant.load(build_if_missing=False)
assistant.ask(sys.argv[1])
print(json.dumps({"rss": rss_bytes()}))
"""


def rss_after_answer(settings, question: str) -> int | None:  # noqa: ANN001
    """VmRSS of a fresh interpreter that loads this index (and model) and answers one question."""
    data = run_python(_RSS_CODE, question, env=settings_env(settings))
    return int(data["rss"]) if data else None


def bench_tier(
    settings,  # noqa: ANN001 - rag.settings.Settings, its index_dir holding the corpus
    embedder,  # noqa: ANN001
    questions: Sequence[str],
    label: str,
    source: str,
    build_seconds: float | None = None,
    rss: bool = True,
) -> Tier:
    """Time every question through retrieve and ask (after one warm-up question), then stage by stage."""
    from index.lexical import corrected_terms, search_bm25
    from rag.answer import latest_date
    from rag.assistant import Assistant
    from rag.retrieve import dense_search

    settings = settings.model_copy(update={"generator": "extractive"})
    with Clock() as load:
        assistant = Assistant.load(settings, embedder=embedder, build_if_missing=False)
    snapshot = assistant.snapshot
    assistant.ask(questions[0])  # first call: IDF table, SQLite pages, generator
    retrieve_s, ask_s = [], []
    for question in questions:
        started = time.perf_counter()
        assistant.retrieve(question)
        retrieve_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        assistant.ask(question)
        ask_s.append(time.perf_counter() - started)

    pool = max(settings.candidates, settings.rerank_depth)
    stages: dict[str, list[float]] = {"query embed": [], "article dates": [], "dense": [], "bm25": []}
    for question in questions:
        started = time.perf_counter()
        vector = embedder.embed([question])[0]
        stages["query embed"].append(time.perf_counter() - started)
        started = time.perf_counter()
        latest_date(snapshot)
        stages["article dates"].append(time.perf_counter() - started)
        started = time.perf_counter()
        dense_search(snapshot, vector, pool)
        stages["dense"].append(time.perf_counter() - started)
        started = time.perf_counter()
        if snapshot.bm25 is not None:
            search_bm25(snapshot.bm25, " ".join([question, *corrected_terms(snapshot.bm25, question)]), pool)
        stages["bm25"].append(time.perf_counter() - started)

    tier = Tier(
        label=label,
        passages=len(snapshot),
        articles=snapshot.manifest.articles,
        source=source,
        faiss_index=snapshot.manifest.faiss_index,
        build_seconds=round(build_seconds, 1) if build_seconds is not None else None,
        load_seconds=round(load.wall, 2),
        retrieve=latency(retrieve_s),
        ask=latency(ask_s),
        stages={name: latency(values) for name, values in stages.items()},
        disk_bytes=dir_bytes(snapshot.folder),
    )
    snapshot.close()
    del assistant, snapshot
    gc.collect()
    if rss:
        tier.rss_bytes = rss_after_answer(settings, questions[0])
    return tier
