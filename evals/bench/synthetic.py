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
from collections.abc import Callable, Sequence
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
    records: Sequence[Record],
    passages: int,
    real_index: Path,
    work: Path,
    settings,  # noqa: ANN001
    name: str,
    progress: Callable[[str, float], None] | None = None,
) -> tuple[Path, float, int, int]:
    """A synthetic index of about `passages` passages through the real Indexer with looked-up vectors.

    Returns (index folder, build seconds, articles, vectors the lookup missed)."""
    from index.build import Indexer

    table, _ = vector_table(real_index)
    per_record = passages_per_record(records, work, settings)
    corpus, index_dir = work / "corpus", work / "index"
    articles = write_synthetic(corpus, records, math.ceil(passages / per_record))
    lookup = LookupEmbedder(name, table)
    started = time.perf_counter()
    Indexer(index_dir, lookup, settings.chunking(), settings.faiss_index).add([corpus], rebuild=True, progress=progress)
    seconds = time.perf_counter() - started
    shutil.rmtree(corpus, ignore_errors=True)
    return index_dir, seconds, articles, lookup.misses


# Settings a synthetic build depends on, handed to the fresh interpreter that runs it.
BUILD_SETTINGS = {"embedding_model", "faiss_index", "chunk_max_words", "chunk_min_words", "chunk_overlap_sentences"}

_BUILD_CODE = """
import json, resource, sys, time
from pathlib import Path
from evals.bench.data import load_records
from evals.bench.synthetic import build_synthetic_index
from rag.settings import Settings
settings = Settings(**json.loads(sys.argv[1]))
passages, real, work, seed = int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
started, last = time.perf_counter(), [None]
def progress(what, _fraction):
    if what != last[0]:
        last[0] = what
        print(f"  [build {time.perf_counter() - started:6.0f}s] {what}", file=sys.stderr, flush=True)
found = build_synthetic_index(load_records(seed), passages, real, work, settings, settings.embedding_model, progress)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(dict(zip(("index_dir", "seconds", "articles", "misses"), map(str, found), strict=True), peak=peak)))
"""


def build_synthetic_index_apart(
    passages: int, real_index: Path, work: Path, settings, seed: int = 0, timeout: float = 6 * 3600
) -> tuple[Path, float, int, int, int] | str:  # noqa: ANN001
    """`build_synthetic_index` over `load_records(seed)` in a fresh interpreter, so that the Indexer's peak
    memory (the cleaned articles, passage texts and the FAISS build grow with the corpus) is measured alone and
    is not added to this process's. Its stage lines go to stderr.

    Returns (index folder, build seconds, articles, lookup misses, peak resident bytes), or why it failed."""
    import json
    import subprocess
    import sys

    from evals.bench.machine import ROOT

    chosen = json.dumps(settings.model_dump(mode="json", include=BUILD_SETTINGS))
    args = [chosen, str(passages), str(real_index), str(work), str(seed)]
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BUILD_CODE, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        killed = " (killed: out of memory?)" if done.returncode in (-9, 137) else ""
        return f"exit status {done.returncode}{killed}"
    data = json.loads(lines[-1])
    return (
        Path(data["index_dir"]),
        float(data["seconds"]),
        int(data["articles"]),
        int(data["misses"]),
        int(data["peak"]),
    )
