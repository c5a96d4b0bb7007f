"""Synthetic vectors where real text runs out, made from real ones so that search behaves as on real data.

* `synthetic_vectors`: n unit vectors for the dense-index comparison, each a real passage vector plus
  Gaussian noise (|noise| = NOISE x |vector|, cosine to its centre ~0.9): every real passage becomes the
  centre of a cloud of near-duplicates, as a news archive holds many reports of one event. Random unit
  vectors would time the same but make a needlessly easy graph and a meaningless recall test.
* `LookupEmbedder`: stands in for the model when a synthetic corpus (real text repeated) goes through
  the real Indexer. Each sentence gets the vector the model gave it in a real index, each passage the
  mean of its sentences' (or its own, when known), plus noise, so copies of a text are near but distinct.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evals.bench.data import Record, write_synthetic

NOISE = 0.5


def synthetic_vectors(
    base: np.ndarray | None, n: int, noise: float = NOISE, seed: int = 0, dim: int = 384
) -> np.ndarray:
    """n float32 unit vectors: base rows cycled plus noise, or random unit vectors when there is no base."""
    rng = np.random.default_rng(seed)
    dim = base.shape[1] if base is not None else dim
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        if base is None:
            part = rng.standard_normal((stop - start, dim), dtype=np.float32)
        else:
            part = base[np.arange(start, stop) % len(base)].astype(np.float32)
            part += rng.standard_normal(part.shape, dtype=np.float32) * np.float32(noise / math.sqrt(dim))
        part /= np.linalg.norm(part, axis=1, keepdims=True)
        out[start:stop] = part
    return out


class LookupEmbedder:
    """Real vectors looked up by text, plus noise; unknown texts get a random vector (counted in `misses`)."""

    def __init__(self, name: str, table: dict[str, np.ndarray], noise: float = NOISE, seed: int = 0) -> None:
        self.name = name
        self.table = table
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        self.misses = 0
        self._dimension = len(next(iter(table.values())))

    @property
    def dimension(self) -> int:
        return self._dimension

    def _noisy(self, vectors: np.ndarray) -> np.ndarray:
        vectors = vectors + self.rng.standard_normal(vectors.shape).astype(np.float32) * (
            self.noise / math.sqrt(self._dimension)
        )
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def _lookup(self, text: str) -> np.ndarray | None:
        vector = self.table.get(text.strip())
        return None if vector is None else np.asarray(vector, dtype=np.float32)

    def _random(self) -> np.ndarray:
        self.misses += 1
        return self.rng.standard_normal(self._dimension).astype(np.float32)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        rows = [self._lookup(t) for t in texts]
        out = (
            np.stack([r if r is not None else self._random() for r in rows]) if rows else np.zeros((0, self.dimension))
        )
        return self._noisy(np.asarray(out, dtype=np.float32))

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        passages, pooled = [], []
        for text, text_spans in zip(texts, spans, strict=True):
            sentences = [self._lookup(text[s:e]) for s, e in text_spans]
            sentences = [v if v is not None else self._random() for v in sentences]
            own = self._lookup(text)
            if own is None:
                own = np.mean(sentences, axis=0) if sentences else self._random()
            passages.append(own)
            pooled.append(self._noisy(np.asarray(sentences, dtype=np.float32).reshape(-1, self.dimension)))
        return self._noisy(np.asarray(passages, dtype=np.float32)), pooled


def vector_table(index_dir: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """text -> vector for every passage and sentence of a real index; and its passage vectors."""
    from index.store import IndexStore

    snapshot = IndexStore(index_dir).open(verify=False)
    try:
        passage_vectors = np.load(snapshot.folder / "vectors.npy", allow_pickle=False)
        passages = [r[0] for r in snapshot._query("SELECT text FROM passages ORDER BY row")]
        sentences = snapshot._query(
            'SELECT a.text, s.start, s."end" FROM sentences s JOIN articles a ON a.id = s.article_id ORDER BY s.row'
        )
        table = {text[s:e].strip(): v for (text, s, e), v in zip(sentences, snapshot.sentence_vectors, strict=True)}
        table.update((t.strip(), v) for t, v in zip(passages, passage_vectors, strict=True))
    finally:
        snapshot.close()
    return table, passage_vectors


def passages_per_record(records: Sequence[Record], folder: Path, settings) -> float:  # noqa: ANN001
    """How many passages our cleaner and chunker make per record in synthetic articles (a sample)."""
    from index.chunk import chunk_article
    from index.clean import clean_article
    from index.readers import read_paths

    sample = folder / "calibrate"
    write_synthetic(sample, records, 2_000)
    articles = read_paths([sample]).articles
    shutil.rmtree(sample, ignore_errors=True)
    c = settings.chunking()
    made = sum(len(chunk_article(clean_article(a), c.max_words, c.min_words, c.overlap_sentences)) for a in articles)
    return made / 2_000


def build_synthetic_index(
    records: Sequence[Record], passages: int, real_index: Path, work: Path, settings, name: str
) -> tuple[Path, float, int, int]:  # noqa: ANN001
    """A synthetic index of about `passages` passages through the real Indexer with looked-up vectors.

    Returns (index folder, build seconds, articles, vectors the lookup missed)."""
    from index.build import Indexer

    table, _ = vector_table(real_index)
    per_record = passages_per_record(records, work, settings)
    corpus, index_dir = work / "corpus", work / "index"
    articles = write_synthetic(corpus, records, math.ceil(passages / per_record))
    lookup = LookupEmbedder(name, table)
    started = time.perf_counter()
    Indexer(index_dir, lookup, settings.chunking(), settings.faiss_index).add([corpus], rebuild=True)
    seconds = time.perf_counter() - started
    shutil.rmtree(corpus, ignore_errors=True)
    return index_dir, seconds, articles, lookup.misses
