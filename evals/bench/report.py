"""The printed report: Markdown tables of a BenchResult, and the issue's targets checked against it."""

from __future__ import annotations

from evals.bench.data import size_label
from evals.bench.ingest import LLAMAINDEX, OURS
from evals.bench.results import BenchResult, DenseRun, DenseTier, Latency, TargetCheck, Tier

TARGET_INGEST_VS_BARE = 0.9
TARGET_VS_LLAMAINDEX = 2.0
TARGET_COSINE = 0.99
TARGET_P50_MS = {"100k": 20.0, "1M": 50.0}
TARGET_RECALL = 0.95
TARGET_IMPORT_S = 1.0
TARGET_FIRST_ANSWER_S = 5.0
TARGET_RSS_1M = 4 * 1024**3


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024**2:,.0f}"


def _gb(n: int) -> str:
    return f"{n / 1024**3:.1f} GB"


def _ms(lat: Latency | None) -> str:
    return "-" if lat is None or not lat.n else f"{lat.p50_ms:.1f} / {lat.p95_ms:.1f}"


def auto_run(tier: DenseTier) -> DenseRun | None:
    """The run that is what the product does at this size: the auto type with its own search setting."""
    return next((r for r in tier.runs if r.index == tier.auto_choice and r.default), None)


def _ingest(result: BenchResult) -> list[str]:
    g = result.ingest
    if g is None:
        return []
    base = next(r for r in g.rows if r.baseline)
    lines = [
        "",
        f"**Ingestion** of {g.passages:,} real passages (HaluEval; {g.sentences:,} sentences, each also given a "
        f"vector for the sentence rerank); one process, the same model object ({g.dtype}), best of the rounds:",
        "",
        "| pipeline | seconds | passages/s | throughput ÷ bare encode |",
        "|---|---:|---:|---:|",
    ]
    for row in g.rows:
        lines.append(
            f"| {row.name} | {row.seconds:.1f} | {g.passages / row.seconds:.1f} | {base.seconds / row.seconds:.2f} |"
        )
    if g.llamaindex_note:
        lines += ["", f"llama-index: {g.llamaindex_note}."]
    return lines


def _embedding(result: BenchResult) -> list[str]:
    e = result.embedding
    if e is None:
        return []
    lines = [
        "",
        f"**Embedding precision** ({e.passages:,} real passages of ~{e.mean_words:g} words, interleaved slices; "
        "* = what `embedding_dtype=auto` picks here):",
        "",
        "| model | passages/s | vs fp32 | min cosine to fp32 | mean cosine | top-10 same as fp32 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for v in e.variants:
        if v.passages_per_s is None:
            lines.append(f"| {v.name} | {v.note} | | | | |")
            continue
        lines.append(
            f"| {v.name}{' *' if v.default else ''} | {v.passages_per_s:.1f} | {v.speedup:.2f}x | "
            f"{v.min_cosine:.4f} | {v.mean_cosine:.5f} | {v.top10_overlap:.1%} |"
        )
    if e.query_latency:
        parts = ", ".join(f"{name} {_ms(lat)}" for name, lat in e.query_latency.items())
        lines += ["", f"One question encoded (ms, p50 / p95): {parts}; the product uses 1 thread for queries."]
    return lines


def _tiers(result: BenchResult) -> list[str]:
    if not result.tiers:
        return []
    lines = [
        "",
        "**Retrieval and answers through the product** (ms, p50 / p95; `ask` = extractive answer, verified; "
        "stages timed alone):",
        "",
        "| corpus | passages | articles | text | FAISS | build s | load s | retrieve | ask | query embed | "
        "article dates | dense | BM25 | disk MB | RSS MB |",
        "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in result.tiers:
        s = t.stages
        build = "-" if t.build_seconds is None else f"{t.build_seconds:,.0f}"
        lines.append(
            f"| {t.label} | {t.passages:,} | {t.articles:,} | {t.source} | {t.faiss_index} | {build} | "
            f"{t.load_seconds:.1f} | {_ms(t.retrieve)} | {_ms(t.ask)} | {_ms(s.get('query embed'))} | "
            f"{_ms(s.get('article dates'))} | {_ms(s.get('dense'))} | {_ms(s.get('bm25'))} | "
            f"{_mb(t.disk_bytes)} | {_mb(t.rss_bytes)} |"
        )
    per = _per_passage(result.tiers)
    if per:
        lines += ["", "Per passage above the bundled index: " + "; ".join(per) + "."]
    return lines


def _per_passage(tiers: list[Tier]) -> list[str]:
    bundled = next((t for t in tiers if t.label == "bundled"), None)
    out = []
    for t in tiers:
        if t.label == "bundled" or not t.passages:
            continue
        text = f"{t.label}: {t.disk_bytes / t.passages / 1024:.1f} KB on disk"
        if bundled and bundled.rss_bytes and t.rss_bytes:
            extra = (t.rss_bytes - bundled.rss_bytes) / max(t.passages - bundled.passages, 1)
            text += f", {extra / 1024:.1f} KB resident"
        if t.build_peak_bytes:
            peak = t.build_peak_bytes
            text += f", {peak / t.passages / 1024:.1f} KB at the indexing peak ({_gb(peak)})"
        out.append(text)
    return out


def _dense(result: BenchResult) -> list[str]:
    lines = []
    for tier in result.dense:
        lines += [
            "",
            f"**Dense search at {tier.passages:,} vectors** ({tier.vectors}; {tier.queries} real questions one at a "
            f"time, k=50; auto picks {tier.auto_choice}; * = the product's setting):",
            "",
            "| index | search setting | build s | p50 ms | p95 ms | recall@10 | size MB |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in tier.runs:
            lines.append(
                f"| {r.index}{' *' if r.default else ''} | {r.param} | {r.build_seconds:.1f} | {r.p50_ms:.2f} | "
                f"{r.p95_ms:.2f} | {r.recall_at_10:.3f} | {_mb(r.bytes)} |"
            )
    return lines


def _cold_start(result: BenchResult) -> list[str]:
    c = result.cold_start
    if c is None:
        return []
    parts = ", ".join(f"{k} {v:.2f}" for k, v in c.breakdown.items())
    return [
        "",
        "**Cold start** (fresh interpreters, wall time, median of 3):",
        "",
        "| what | seconds |",
        "|---|---:|",
        f"| `python -c 'import rag'` | {c.import_rag_s:.2f} |",
        f"| `python -m rag --help` | {c.help_s:.2f} |",
        f"| start to first answer, bundled corpus ({parts}) | {c.first_answer_s:.2f} |",
        f"| start to process exit, same runs (interpreter teardown included) | {c.exit_s:.2f} |",
        "",
        "Heavy libraries loaded by `import rag` or `--help`: " + (", ".join(c.heavy_loaded) or "none") + ".",
    ]


def check_targets(result: BenchResult) -> list[TargetCheck]:
    """The issue's targets, each with what this run measured (a target whose figure was not run is left out)."""
    out: list[TargetCheck] = []

    def add(name: str, target: str, measured: str, met: bool | None) -> None:
        out.append(TargetCheck(name=name, target=target, measured=measured, met=met))

    if result.ingest:
        rows = {r.name: r for r in result.ingest.rows}
        ours, bare = rows[OURS], next(r for r in result.ingest.rows if r.baseline)
        ratio = bare.seconds / ours.seconds
        add("ingestion vs bare encode", f">= {TARGET_INGEST_VS_BARE}", f"{ratio:.2f}", ratio >= TARGET_INGEST_VS_BARE)
        if LLAMAINDEX in rows:
            times = rows[LLAMAINDEX].seconds / ours.seconds
            add("ingestion vs llama-index default", f">= {TARGET_VS_LLAMAINDEX:g}x", f"{times:.2f}x", times >= 2.0)
    if result.embedding:
        chosen = next((v for v in result.embedding.variants if v.default), None)
        if chosen and chosen.speedup is not None:
            ok = chosen.name == "fp32" or (chosen.min_cosine >= TARGET_COSINE and chosen.speedup > 1.0)
            add(
                "embedding faster than fp32, cosine >= 0.99",
                "faster, >= 0.99",
                f"{chosen.name}: {chosen.speedup:.2f}x, min cosine {chosen.min_cosine:.4f}",
                ok and chosen.speedup > 1.0,
            )
    tiers = {t.label: t for t in result.tiers}
    for label, limit in TARGET_P50_MS.items():
        if label in tiers:
            t = tiers[label]
            add(
                f"retrieval p50 at {label}",
                f"< {limit:g} ms",
                f"{t.retrieve.p50_ms:.1f} ms ({t.faiss_index})",
                t.retrieve.p50_ms < limit,
            )
    for tier in result.dense:
        run = auto_run(tier)
        if run is not None and tier.auto_choice != "Flat":
            add(
                f"recall@10 of the auto index at {size_label(tier.passages)}",
                f">= {TARGET_RECALL}",
                f"{run.recall_at_10:.3f} ({run.index}, {run.param})",
                run.recall_at_10 >= TARGET_RECALL,
            )
    if "1M" in tiers and tiers["1M"].rss_bytes:
        rss = tiers["1M"].rss_bytes
        add(
            "resident memory at 1M (whole process, model included)",
            "< 4 GB",
            f"{rss / 1024**3:.2f} GB",
            rss < TARGET_RSS_1M,
        )
    if result.cold_start:
        c = result.cold_start
        add(
            "import rag / --help: no heavy library, < 1 s",
            "none, < 1 s",
            f"{', '.join(c.heavy_loaded) or 'none'}; {c.import_rag_s:.2f} s / {c.help_s:.2f} s",
            not c.heavy_loaded and max(c.import_rag_s, c.help_s) < TARGET_IMPORT_S,
        )
        add(
            "cold start to first answer (bundled)",
            f"< {TARGET_FIRST_ANSWER_S:g} s",
            f"{c.first_answer_s:.2f} s",
            c.first_answer_s < TARGET_FIRST_ANSWER_S,
        )
    return out


def format_bench(result: BenchResult) -> str:
    """The whole result as Markdown, ready for the README."""
    m = result.machine
    versions = ", ".join(f"{k} {v}" for k, v in m.versions.items())
    lines = [
        f"### Measured on {m.cpu}, {m.cores} cores, {m.memory_gb:g} GB (bf16 instructions: {m.bf16})",
        "",
        f"Run {result.started}, {result.seconds / 60:.1f} min, sizes {', '.join(result.sizes)}; load average "
        f"{m.load_start} at start, {m.load_end} at end. Python {m.python}, {versions}; embedding "
        f"{result.settings.get('embedding_model')} ({result.settings.get('embedding_dtype')}).",
    ]
    lines += _ingest(result) + _embedding(result) + _tiers(result) + _dense(result) + _cold_start(result)
    if result.targets:
        lines += ["", "**Targets**", "", "| target | wanted | measured | met |", "|---|---|---|---|"]
        for t in result.targets:
            mark = "-" if t.met is None else ("yes" if t.met else "**no**")
            lines.append(f"| {t.name} | {t.target} | {t.measured} | {mark} |")
    if result.notes:
        lines += [""] + [f"- {n}" for n in result.notes]
    return "\n".join(lines)
