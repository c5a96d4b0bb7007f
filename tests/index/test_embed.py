"""The embedder: precision choice, thread policy, sentence vectors pooled from the passage's pass, and the
embedding version that keeps indexes made one way from being mixed with another."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.build import ChunkParams, Indexer
from index.embed import EMBEDDING_VERSION, SentenceTransformerEmbedder, resolve_dtype
from index.errors import IndexMismatchError
from index.store import IndexStore
from rag.settings import Settings
from tests.conftest import CORPUS, KeywordEmbedder


def test_auto_dtype_is_bf16_only_with_bf16_matrix_instructions() -> None:
    assert resolve_dtype("auto", frozenset({"avx2", "amx_bf16", "amx_tile"})) == "bfloat16"
    assert resolve_dtype("auto", frozenset({"avx512f", "avx512_bf16"})) == "bfloat16"
    assert resolve_dtype("auto", frozenset({"avx2", "avx512f"})) == "float32"
    assert resolve_dtype("float32", frozenset({"amx_bf16"})) == "float32"  # an explicit choice wins
    assert Settings().embedding_dtype == "auto"


def test_index_of_another_embedding_version_is_refused(tmp_path: Path) -> None:
    Indexer(tmp_path / "ix", KeywordEmbedder(), ChunkParams()).add([CORPUS])
    store = IndexStore(tmp_path / "ix")
    manifest = store.open().manifest
    assert manifest.params.embedding_version == EMBEDDING_VERSION
    wanted = manifest.params.model_copy(update={"embedding_version": EMBEDDING_VERSION + 1})
    with pytest.raises(IndexMismatchError, match="embedding_version"):
        store.open(wanted)
    # A manifest written before the version was recorded reads as version 1 and is refused too.
    raw = json.loads(manifest.model_dump_json())
    del raw["params"]["embedding_version"]
    old = type(manifest).model_validate(raw)
    assert old.params.embedding_version == 1 != EMBEDDING_VERSION


@pytest.mark.slow
def test_one_pass_gives_exact_sentence_vectors_and_a_passage_vector(real_embedder: SentenceTransformerEmbedder) -> None:
    text = "The ceasefire began on Wednesday. Israel said Hezbollah must withdraw beyond the Litani River."
    spans = [(0, 33), (34, len(text))]
    vectors, pooled = real_embedder.embed_with_spans([text, "No spans here."], [spans, []])
    alone = real_embedder.embed([text[s:e] for s, e in spans])
    assert pooled[0].shape == (2, real_embedder.dimension) and pooled[1].shape == (0, real_embedder.dimension)
    assert np.allclose(pooled[0], alone, atol=1e-2)  # the vectors a separate encode gives
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[1] @ real_embedder.embed(["No spans here."])[0] > 0.99  # no spans: encoded directly
    direct = real_embedder.embed([text])[0]
    assert vectors[0] @ direct > 0.85  # a bag of its sentences, close to the passage encoded whole
    question = real_embedder.embed(["Where must Hezbollah withdraw to?"])[0]
    assert vectors[0] @ question > 0.4 and pooled[0][1] @ question > pooled[0][0] @ question


@pytest.mark.slow
def test_indexer_stores_sentence_and_passage_vectors_from_one_pass(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    Indexer(tmp_path / "ix", real_embedder, ChunkParams()).add([CORPUS / "001_fe8f77b78c9bca98.txt"])
    snapshot = IndexStore(tmp_path / "ix").open()
    sentences = np.asarray(snapshot.sentence_vectors, dtype=np.float32)
    assert len(sentences) == len(snapshot.sentence_rows) > len(snapshot)
    article = snapshot.article(snapshot.articles()[0].id)
    passages = [p for p, _ in snapshot.passages_at(range(len(snapshot)))]
    spans = sorted({(s.start, s.end) for p in passages for s in p.sentences})
    assert np.allclose(sentences, real_embedder.embed([article.text[s:e] for s, e in spans]), atol=2e-2)
    stored = np.load(snapshot.folder / "vectors.npy")
    cosine = np.sum(stored * real_embedder.embed([p.text for p in passages]), axis=1)
    assert (cosine > 0.8).all() and cosine.mean() > 0.9


@pytest.mark.slow
def test_query_encodes_run_on_one_thread_and_batches_on_all(real_embedder: SentenceTransformerEmbedder) -> None:
    import torch

    real_embedder.embed(["one question"])
    assert torch.get_num_threads() == real_embedder.query_threads == 1
    real_embedder.embed([f"text {i}" for i in range(8)])
    assert torch.get_num_threads() == real_embedder.batch_threads
