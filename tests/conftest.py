"""Shared fixtures: the real embedding model and bundled-corpus index (built once per session),
and a fast keyword embedder for tests of logic."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"


class KeywordEmbedder:
    """Bag of hashed words: texts sharing words are close. Fast and deterministic, for logic tests."""

    name = "test/keyword-embedder"

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension
        self.calls: list[int] = []

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self._dimension] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out


@pytest.fixture
def keyword_embedder() -> KeywordEmbedder:
    return KeywordEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    from index.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("index") / "bundled", corpus_dir=CORPUS)


@pytest.fixture(scope="session")
def assistant(corpus_settings: Settings, real_embedder):  # noqa: ANN001, ANN201
    """The bundled corpus indexed with the real model, real FAISS and BM25."""
    from rag import Assistant

    return Assistant.load(corpus_settings, embedder=real_embedder)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
