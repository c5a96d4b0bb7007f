"""What a benchmark run measured: one pydantic model per table, saved as JSON by `--json`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Machine(BaseModel):
    cpu: str
    cores: int
    memory_gb: float
    bf16: str = Field(description="bf16 matrix instructions: 'AMX', 'AVX512-BF16' or 'none'")
    python: str
    versions: dict[str, str] = Field(default_factory=dict, description="torch, faiss, sentence-transformers, ...")
    load_start: float = Field(description="1-minute load average when the run started")
    load_end: float = 0.0


class Latency(BaseModel):
    n: int
    p50_ms: float
    p95_ms: float


class IngestRow(BaseModel):
    name: str
    seconds: float = Field(description="best of the timed rounds")
    baseline: bool = Field(False, description="the row the ratios are taken against")


class IngestResult(BaseModel):
    passages: int = Field(description="passages our chunker made of the records (also the bare encode's texts)")
    sentences: int = Field(description="sentences our index also holds a vector for (the sentence rerank)")
    dtype: str = Field(description="precision of the embedding model, the same object in every row")
    rows: list[IngestRow]
    llamaindex_note: str = ""


class EmbedVariant(BaseModel):
    name: str
    passages_per_s: float | None = None
    speedup: float | None = Field(None, description="passages/s over fp32's, same texts, same run")
    min_cosine: float | None = None
    mean_cosine: float | None = None
    top10_overlap: float | None = Field(None, description="mean share of fp32's top-10 passages per question")
    default: bool = Field(False, description="what dtype='auto' picks on this machine")
    note: str = ""


class EmbedResult(BaseModel):
    passages: int
    mean_words: float
    variants: list[EmbedVariant]
    query_latency: dict[str, Latency] = Field(
        default_factory=dict, description="one question encoded, by intra-op threads ('1 thread', '2 threads')"
    )


class Tier(BaseModel):
    """The whole product (Assistant.retrieve / ask) over one corpus."""

    label: str
    passages: int
    articles: int
    source: str = Field(description="real text, or synthetic (and how)")
    faiss_index: str
    build_seconds: float | None = Field(None, description="Indexer.add wall time (synthetic: no model)")
    load_seconds: float = Field(description="Assistant.load: open the snapshot, checksums verified")
    retrieve: Latency
    ask: Latency = Field(description="extractive answer, verified")
    stages: dict[str, Latency] = Field(default_factory=dict, description="each stage of a question, timed alone")
    disk_bytes: int = 0
    rss_bytes: int | None = Field(None, description="VmRSS of a fresh process after load + one answer")
    build_peak_bytes: int | None = Field(None, description="peak RSS of the process that built it (synthetic sizes)")


class DenseRun(BaseModel):
    index: str
    param: str = Field(description="search setting: efSearch / nprobe / threads")
    default: bool = Field(False, description="the setting the product uses for this type")
    build_seconds: float
    p50_ms: float
    p95_ms: float
    recall_at_10: float = Field(description="share of exact search's top 10 found, mean over queries")
    bytes: int = Field(description="size of the serialized index")


class DenseTier(BaseModel):
    passages: int
    vectors: str
    queries: int
    auto_choice: str = Field(description="choose_faiss_type('auto', passages)")
    runs: list[DenseRun]


class ColdStart(BaseModel):
    import_rag_s: float
    help_s: float
    heavy_loaded: list[str] = Field(description="heavy modules that `import rag` or `--help` loaded (want none)")
    first_answer_s: float = Field(description="process start to the first answer: interpreter, import, load, answer")
    exit_s: float = Field(0.0, description="process start to exit of the same run (teardown included)")
    breakdown: dict[str, float] = Field(default_factory=dict)


class TargetCheck(BaseModel):
    name: str
    target: str
    measured: str
    met: bool | None


class BenchResult(BaseModel):
    started: str
    seconds: float = 0.0
    machine: Machine
    settings: dict[str, object]
    sizes: list[str]
    ingest: IngestResult | None = None
    embedding: EmbedResult | None = None
    tiers: list[Tier] = Field(default_factory=list)
    dense: list[DenseTier] = Field(default_factory=list)
    cold_start: ColdStart | None = None
    targets: list[TargetCheck] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
