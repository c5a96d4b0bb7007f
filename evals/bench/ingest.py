"""Ingestion: our whole indexing pipeline against a bare `SentenceTransformer.encode` of the same passage
texts (the model's own limit) and against llama-index's default `VectorStoreIndex.from_documents`.

All rows run in one process on the same texts with the same loaded model object (so the same precision),
after a warm-up that loads the model and every library; ours, the bare encode (and ours with sentences
encoded apart) alternate for `rounds` rounds and each keeps its best, so a busy machine hurts neither side
more than the other.
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from evals.bench.data import Record, write_real
from evals.bench.machine import Clock
from evals.bench.results import IngestResult, IngestRow

OURS = "ours: Indexer.add (read, clean, chunk, embed passages + pooled sentences, write snapshot)"
OURS_APART = "ours, sentences encoded apart (the pre-v2 recipe)"
BARE = "bare SentenceTransformer.encode of the passage texts"
LLAMAINDEX = "llama-index VectorStoreIndex.from_documents (its defaults)"


class _Apart:
    """The same embedder without `embed_with_spans`: sentences are encoded in their own pass."""

    def __init__(self, embedder) -> None:  # noqa: ANN001
        self._embedder = embedder
        self.name = embedder.name

    @property
    def dimension(self) -> int:
        return self._embedder.dimension

    def embed(self, texts: Sequence[str], *, progress: bool = False):  # noqa: ANN201
        return self._embedder.embed(texts, progress=progress)


def stored_texts(index_dir: Path) -> tuple[list[str], int]:
    """The passage texts of an index's current snapshot, and how many sentence vectors it holds."""
    from index.store import SNAPSHOTS, IndexStore

    folder = index_dir / SNAPSHOTS / IndexStore(index_dir).current_name
    db = sqlite3.connect(f"file:{folder / 'store.sqlite'}?mode=ro", uri=True)
    try:
        passages = [r[0] for r in db.execute("SELECT text FROM passages ORDER BY row")]
        sentences = db.execute("SELECT count(*) FROM sentences").fetchone()[0]
    finally:
        db.close()
    return passages, int(sentences)


def bench_ingest(
    records: Sequence[Record],
    work: Path,
    embedder,  # noqa: ANN001 - index.embed.SentenceTransformerEmbedder
    settings,  # noqa: ANN001 - rag.settings.Settings
    *,
    rounds: int = 2,
    apart: bool = True,
    llamaindex: bool = True,
    say: Callable[[str], None] = lambda _w: None,
) -> IngestResult:
    """Index `records` (one passage each) with our Indexer, `rounds` times against the bare encode."""
    from index.build import Indexer

    write_real(work / "corpus" / "records.jsonl", records)
    write_real(work / "warm" / "records.jsonl", records[:40])

    def index(into: str, with_embedder) -> float:  # noqa: ANN001
        shutil.rmtree(work / into, ignore_errors=True)
        with Clock() as clock:
            Indexer(work / into, with_embedder, settings.chunking(), settings.faiss_index).add(
                [work / "corpus"], rebuild=True
            )
        return clock.wall

    say("ingest: warm-up (model, NLTK, bm25s, FAISS)")
    Indexer(work / "warm-index", embedder, settings.chunking(), settings.faiss_index).add([work / "warm"], rebuild=True)
    index("ours", embedder)  # also yields the passage texts for the bare encode
    passages, sentences = stored_texts(work / "ours")
    model = embedder.model
    best = {OURS: float("inf"), BARE: float("inf")} | ({OURS_APART: float("inf")} if apart else {})
    for r in range(rounds):
        say(f"ingest: round {r + 1}/{rounds}: ours, bare encode{', apart' * apart} ({len(passages):,} passages)")
        best[OURS] = min(best[OURS], index("ours", embedder))
        embedder.set_threads_for(len(passages))
        with Clock() as clock:
            model.encode(passages, batch_size=settings.embedding_batch_size, normalize_embeddings=True)
        best[BARE] = min(best[BARE], clock.wall)
        if apart:  # in the rounds too: one timing of it alone caught a load spike (5x slower)
            best[OURS_APART] = min(best[OURS_APART], index("apart", _Apart(embedder)))
    rows = [IngestRow(name=OURS, seconds=round(best[OURS], 2))]
    if apart:
        rows.append(IngestRow(name=OURS_APART, seconds=round(best[OURS_APART], 2)))
    rows.append(IngestRow(name=BARE, seconds=round(best[BARE], 2), baseline=True))
    note = ""
    if llamaindex:
        say("ingest: llama-index")
        try:
            seconds, note = llamaindex_ingest(records, settings)
            rows.append(IngestRow(name=LLAMAINDEX, seconds=round(seconds, 2)))
        except ImportError as exc:
            note = f"not run ({exc.name} missing): pip install llama-index-embeddings-huggingface"
    for name in ("ours", "apart", "warm-index"):
        shutil.rmtree(work / name, ignore_errors=True)
    return IngestResult(
        passages=len(passages), sentences=sentences, dtype=embedder.dtype, rows=rows, llamaindex_note=note
    )


def llamaindex_ingest(records: Sequence[Record], settings) -> tuple[float, str]:  # noqa: ANN001
    """llama-index's default recipe over the same records: `VectorStoreIndex.from_documents` with the same
    model through `HuggingFaceEmbedding` (its defaults: float32, batches of 10, SentenceSplitter)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from index.embed import resolve_model_path

    embed = HuggingFaceEmbedding(model_name=resolve_model_path(settings.embedding_model), device="cpu")
    embed.get_text_embedding("warm up the model")
    documents = [Document(text=r.text, id_=r.id) for r in records]
    with Clock() as clock:
        index = VectorStoreIndex.from_documents(documents, embed_model=embed)
    note = (
        f"{len(index.docstore.docs):,} nodes, SentenceSplitter, embed_batch_size {embed.embed_batch_size}, "
        "float32, in-memory vector store"
    )
    del index, embed
    gc.collect()
    return clock.wall, note
