"""The public API: load an index, retrieve from it, answer from it, and keep it up to date."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from index.build import BuildReport, Indexer
from index.embed import Embedder, SentenceTransformerEmbedder
from index.errors import IndexMismatchError
from index.store import IndexStore, Snapshot
from rag.retrieve import HybridRetriever
from rag.settings import Settings
from rag.types import ArticleInfo, Filters, ScoredPassage


def default_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        batch_size=settings.embedding_batch_size,
        dtype=settings.embedding_dtype,
        offline=settings.offline,
    )


class Assistant:
    """Answers questions from the articles of one index. Safe to share between threads: a call
    works on the snapshot that was current when it started, and index updates swap in a new one."""

    def __init__(self, settings: Settings, embedder: Embedder, snapshot: Snapshot) -> None:
        self.settings = settings
        self.embedder = embedder
        self._snapshot = snapshot
        self._write_lock = threading.Lock()
        self._dimension_checked = False

    @classmethod
    def load(
        cls, settings: Settings | None = None, *, embedder: Embedder | None = None, build_if_missing: bool = True
    ) -> Assistant:
        """Open the index of `settings` (default settings if None); build it from the corpus folder if missing."""
        settings = settings or Settings()
        embedder = embedder or default_embedder(settings)
        store = IndexStore(settings.index_dir)
        if not store.exists() and build_if_missing:
            Indexer(settings.index_dir, embedder, settings.chunking(), settings.faiss_index).add([settings.corpus_dir])
        return cls(settings, embedder, store.open(settings.build_params()))

    # ---- reading
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[ScoredPassage]:
        """The k best passages for the question (dense + BM25, fused), optionally filtered by metadata."""
        snapshot = self._snapshot
        self._check_dimension(snapshot)
        retriever = HybridRetriever(snapshot, self.embedder, self.settings.candidates, self.settings.rrf_k)
        return retriever.retrieve(question, k or self.settings.top_k, filters)

    def articles(self) -> list[ArticleInfo]:
        return self._snapshot.articles()

    def stats(self) -> dict[str, object]:
        m = self._snapshot.manifest
        return {
            "index_dir": str(self.settings.index_dir),
            "articles": m.articles,
            "passages": m.passages,
            "embedding_model": m.params.embedding_model,
            "dimension": m.params.dimension,
            "faiss_index": m.faiss_index,
            "chunking": f"{m.params.chunk_min_words}-{m.params.chunk_max_words} words, "
            f"{m.params.chunk_overlap_sentences} sentence overlap",
            "created": m.created,
            "updated": m.updated,
        }

    def _check_dimension(self, snapshot: Snapshot) -> None:
        if self._dimension_checked:
            return
        built = snapshot.params.dimension
        if built is not None and built != self.embedder.dimension:
            raise IndexMismatchError(self.settings.index_dir, {"dimension": (built, self.embedder.dimension)})
        self._dimension_checked = True

    # ---- writing
    def indexer(self) -> Indexer:
        return Indexer(self.settings.index_dir, self.embedder, self.settings.chunking(), self.settings.faiss_index)

    def add(self, paths: Iterable[Path | str], **kwargs: object) -> BuildReport:
        """Index more articles (files or folders); answers use them as soon as this returns."""
        with self._write_lock:
            report = self.indexer().add(paths, **kwargs)  # type: ignore[arg-type]
            self.reload()
        return report

    def remove(self, article_ids: Iterable[str]) -> BuildReport:
        with self._write_lock:
            report = self.indexer().remove(article_ids)
            self.reload()
        return report

    def reload(self) -> None:
        """Switch to the index's current snapshot (after another process changed it)."""
        self._snapshot = IndexStore(self.settings.index_dir).open(self.settings.build_params())
