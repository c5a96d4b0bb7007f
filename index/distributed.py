"""Embedding spread over Ray workers (a local Ray, or a cluster at RAY_ADDRESS), for archives too big for one machine.

`RayEmbedder` is an `Embedder`: `Indexer(folder, RayEmbedder(...), chunking)` writes the very same index (manifest,
FAISS, BM25, SQLite store) as with `SentenceTransformerEmbedder`; only where the model runs changes. Each call cuts
its texts (and their sentence spans) into blocks of `block_size` and runs them through a Ray Data `map_batches`;
every block is embedded by a `SentenceTransformerEmbedder` built from the local one's `config`, so vectors
are those of the single-process path (cosine >= 0.999: only batch shapes differ).

Why pooled worker tasks rather than an actor pool: Ray Data starts an actor pool for each execution and stops it at
the end, and the Indexer makes one call per 256 passages, so every call would pay for importing torch and loading
the model in each actor (measured on 2 cores: 13 s a call). Ray keeps task worker processes alive for the whole
session, and each keeps its embedder in `_WORKER_EMBEDDERS`: the model loads once per worker process, and later
calls cost 0.1-0.4 s of Ray Data overhead each. Ray Data does not keep block order by default, so every row
carries its index and results are put back in input order.

Ray is imported only when first needed; `pip install "ray[data]"` (the `scale` extra).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.embed import SentenceTransformerEmbedder, Span

# In each Ray worker process: (constructor arguments, torch threads) -> its loaded embedder.
_WORKER_EMBEDDERS: dict[tuple, SentenceTransformerEmbedder] = {}
_INIT_LOCK = threading.Lock()


def ensure_ray(num_cpus: int | None = None) -> None:
    """Connect to Ray unless already connected: the cluster at RAY_ADDRESS when set ('auto': the one `ray start` made
    on this machine), else a new local Ray on `num_cpus` CPUs (None: all). Dashboard off, Ray's own logs at WARNING,
    worker output kept out of the console."""
    import ray

    with _INIT_LOCK:
        if ray.is_initialized():
            return
        quiet: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
        if os.environ.get("RAY_ADDRESS"):
            ray.init(**quiet)  # a cluster's size is its own: num_cpus may not be given
        else:
            ray.init(address="local", num_cpus=num_cpus, **quiet)  # never a stray cluster `ray start` left here
        import ray.data  # sets up its own loggers on import: quieten them after

        logging.getLogger("ray.data").setLevel(logging.WARNING)  # two INFO lines per execution otherwise
        ray.data.DataContext.get_current().enable_progress_bars = False  # the Indexer reports progress


def shutdown() -> None:
    """Disconnect from Ray (and stop the local Ray that `ensure_ray` started, if any)."""
    import ray

    with _INIT_LOCK:
        if ray.is_initialized():
            ray.shutdown()


def _worker_embedder(config: dict[str, Any], threads: int) -> SentenceTransformerEmbedder:
    """This worker process's embedder for `config`, loaded on first use and kept for the process's life."""
    key = (tuple(sorted(config.items())), threads)
    embedder = _WORKER_EMBEDDERS.get(key)
    if embedder is None:
        import torch

        torch.set_num_threads(threads)  # read by the embedder at load as its batch thread count
        embedder = _WORKER_EMBEDDERS[key] = SentenceTransformerEmbedder(**config)
        embedder.model  # noqa: B018 - load now, not inside the first encode
    return embedder


def _embed_block(batch: dict[str, np.ndarray], config: dict[str, Any], threads: int) -> dict[str, np.ndarray]:
    """Ray Data UDF: one block of rows {idx, text[, spans]} -> {idx, vector[, pooled]}.

    Spans travel as int64 (start, end) pairs and each text's pooled sentence vectors as float32 bytes: both are
    ragged, and plain binary columns survive Arrow conversion exactly."""
    embedder = _worker_embedder(config, threads)
    texts = [str(text) for text in batch["text"]]
    if "spans" not in batch:
        return {"idx": batch["idx"], "vector": embedder.embed(texts)}
    spans = [[(s, e) for s, e in np.frombuffer(raw, dtype=np.int64).reshape(-1, 2).tolist()] for raw in batch["spans"]]
    vectors, pooled = embedder.embed_with_spans(texts, spans)
    packed = np.array([np.ascontiguousarray(p, dtype=np.float32).tobytes() for p in pooled], dtype=object)
    return {"idx": batch["idx"], "vector": vectors, "pooled": packed}


class RayEmbedder:
    """The batch work of `local` (a SentenceTransformerEmbedder; default: the default model) run on Ray workers,
    each building the same embedder from `local.config`: same vectors.

    `workers` caps the concurrent tasks (None: as many as the cluster's CPUs allow), each on `cpus_per_worker` CPUs
    and as many torch threads. `num_cpus` sizes a local Ray started here (ignored with RAY_ADDRESS or a Ray already
    initialised). Calls of at most `block_size` texts (questions, small updates) run in this process, on `local`,
    which also gives `dimension`. With dtype='auto' each worker picks bf16 or float32 for its own CPU, as a
    single machine does; pass an explicit dtype for one precision across a mixed cluster.
    """

    passages_per_call = 16_384  # the indexer hands over this many at once, so that many blocks run in parallel

    def __init__(
        self,
        local: SentenceTransformerEmbedder | None = None,
        *,
        workers: int | None = None,
        cpus_per_worker: int = 1,
        block_size: int = 64,
        num_cpus: int | None = None,
    ) -> None:
        if importlib.util.find_spec("ray") is None:  # say so now, not after reading and chunking a whole archive
            raise RuntimeError('RayEmbedder needs Ray: pip install "ray[data]" (the `scale` extra)')
        self.local = local or SentenceTransformerEmbedder()
        self.name = self.local.name
        self.config: dict[str, Any] = dict(self.local.config)  # each worker builds the same embedder from it
        self.workers = workers
        self.cpus_per_worker = max(1, cpus_per_worker)
        self.block_size = max(1, block_size)
        self.num_cpus = num_cpus

    @property
    def dimension(self) -> int:
        return self.local.dimension

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, in input order."""
        if len(texts) <= self.block_size:
            return self.local.embed(texts, progress=progress)
        vectors, _ = self._run([{"idx": i, "text": t} for i, t in enumerate(texts)])
        return vectors

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As SentenceTransformerEmbedder.embed_with_spans: text vectors, and per text an array of its spans' vectors.

        A sentence shared by passages in two blocks is encoded in each (the same vector); within a block, once."""
        if len(texts) != len(spans):
            raise ValueError(f"{len(texts)} texts but {len(spans)} span lists")
        if len(texts) <= self.block_size:
            return self.local.embed_with_spans(texts, spans)
        rows = [
            {"idx": i, "text": t, "spans": np.asarray(s, dtype=np.int64).reshape(-1, 2).tobytes()}
            for i, (t, s) in enumerate(zip(texts, spans, strict=True))
        ]
        vectors, pooled = self._run(rows)
        assert pooled is not None
        return vectors, pooled

    def _run(self, rows: list[dict[str, Any]]) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """Embed the rows on Ray, one block per task; results back in `idx` order."""
        ensure_ray(self.num_cpus)
        import ray.data

        dim = self.dimension
        dataset = ray.data.from_items(rows, override_num_blocks=math.ceil(len(rows) / self.block_size)).map_batches(
            _embed_block,
            batch_size=None,  # a whole block per call: its sentences are deduplicated and batched by length
            batch_format="numpy",
            compute=ray.data.TaskPoolStrategy(size=self.workers),
            num_cpus=self.cpus_per_worker,
            fn_kwargs={"config": self.config, "threads": self.cpus_per_worker},
        )
        vectors = np.zeros((len(rows), dim), dtype=np.float32)
        pooled: list[np.ndarray] = [np.zeros((0, dim), np.float32)] * len(rows)
        seen = np.zeros(len(rows), dtype=bool)
        with_spans = "spans" in rows[0]
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            at = np.asarray(batch["idx"], dtype=np.int64)
            vectors[at] = np.asarray(batch["vector"], dtype=np.float32).reshape(len(at), dim)
            seen[at] = True
            if with_spans:
                for i, raw in zip(at.tolist(), batch["pooled"], strict=True):
                    pooled[i] = np.frombuffer(raw, dtype=np.float32).reshape(-1, dim).copy()
        if not seen.all():
            raise RuntimeError(f"Ray returned no vectors for {int((~seen).sum())} of {len(rows)} texts")
        return vectors, pooled if with_spans else None
