"""RayEmbedder: an index built with the embedding spread over a local Ray (2 CPUs) is the index the single-process
embedder builds: same passages and sentences, vectors at cosine >= 0.999, loadable with the normal settings."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray")

from index.build import ChunkParams, Indexer  # noqa: E402
from index.distributed import RayEmbedder, shutdown  # noqa: E402
from index.embed import SentenceTransformerEmbedder  # noqa: E402
from index.store import IndexStore, Snapshot  # noqa: E402
from rag.assistant import Assistant  # noqa: E402
from rag.settings import Settings  # noqa: E402
from tests.conftest import CORPUS  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_embedder() -> Iterator[RayEmbedder]:
    # Blocks of 16 passages: the bundled corpus's 77 passages go out as 5 blocks over 2 workers.
    yield RayEmbedder(block_size=16, workers=2, num_cpus=2)
    shutdown()


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    for path in [*CORPUS.glob("*.txt"), *CORPUS.glob("*.meta.json")]:
        shutil.copy(path, folder / path.name)
    return folder


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    assert a.shape == b.shape
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _passages(snapshot: Snapshot) -> list[tuple]:
    return [
        (p.id, p.article_id, p.start, p.end, p.text, p.sentences) for p, _ in snapshot.passages_at(range(len(snapshot)))
    ]


def test_ray_index_is_the_single_process_index(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder, ray_embedder: RayEmbedder
) -> None:
    corpus = _corpus(tmp_path / "corpus")
    Indexer(tmp_path / "single", real_embedder, ChunkParams()).add([corpus])
    report = Indexer(tmp_path / "ray", ray_embedder, ChunkParams()).add([corpus])
    assert report.passages_embedded > 3 * ray_embedder.block_size  # several blocks really went through Ray

    single, spread = IndexStore(tmp_path / "single").open(), IndexStore(tmp_path / "ray").open()
    assert spread.params == single.params and spread.manifest.faiss_index == single.manifest.faiss_index
    assert spread.manifest.corpus_hashes == single.manifest.corpus_hashes
    assert _passages(spread) == _passages(single)
    assert np.array_equal(spread.sentence_rows, single.sentence_rows)
    for name in ("vectors.npy", "sentence_vectors.npy"):
        ours, theirs = np.load(spread.folder / name), np.load(single.folder / name)
        assert ours.dtype == theirs.dtype  # float32 passages, float16 sentences: the store decides
        assert _cosines(ours, theirs).min() >= 0.999, name

    # The Ray-built index opens with the normal settings and retrieves what the single-process one does.
    question = "How far back does Israel want Hezbollah pushed?"
    answers = []
    for folder in ("single", "ray"):
        settings = Settings(index_dir=tmp_path / folder, corpus_dir=corpus)
        assistant = Assistant.load(settings, embedder=real_embedder, build_if_missing=False)
        answers.append([r.passage.id for r in assistant.retrieve(question, k=3)])
    assert answers[0] == answers[1] and answers[0]


def test_ray_embed_keeps_input_order(real_embedder: SentenceTransformerEmbedder, ray_embedder: RayEmbedder) -> None:
    texts = [f"Report {i}: the ceasefire held in town number {i}." for i in range(40)]
    vectors = ray_embedder.embed(texts)  # 40 texts: 3 blocks, which may come back in any order
    assert vectors.shape == (40, real_embedder.dimension) and vectors.dtype == np.float32
    assert _cosines(vectors, real_embedder.embed(texts)).min() >= 0.999
    assert np.allclose(ray_embedder.embed(texts[:2]), real_embedder.embed(texts[:2]), atol=1e-6)  # a query: local
