"""Run the Assistant over a gold set and score every question.

from evals.run import run_eval
run = run_eval(Assistant.load())            # the bundled gold set
print(run.summary["overall"])
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from evals.gold import BUNDLED_GOLD, GoldQuestion, load_gold
from evals.metrics import (
    citation_scores,
    contains_answer,
    fact_scores,
    mean,
    misdated_statements,
    percentile,
    retrieval_scores,
    token_f1,
)
from rag.assistant import Assistant
from rag.types import Answer, ScoredPassage


class QuestionResult(BaseModel):
    id: str
    type: str
    question: str
    answerable: bool
    gold_answer: str | None
    answer: Answer
    scores: dict[str, float | None]
    seconds: float


class EvalRun(BaseModel):
    name: str
    gold: str
    generator: str
    settings_hash: str
    git_revision: str
    started: str
    results: list[QuestionResult] = Field(default_factory=list)
    summary: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)


def score_question(q: GoldQuestion, answer: Answer, retrieved: list, seconds: float) -> dict[str, float | None]:
    scores: dict[str, float | None] = {"abstained": float(answer.abstained), "seconds": seconds}
    if q.answerable:
        scores |= retrieval_scores(retrieved, q.evidence) if q.evidence else {}
        correct = not answer.abstained and contains_answer(answer.text, [q.answer or "", *q.variants])
        scores["correct"] = float(correct)
        scores["f1"] = 0.0 if answer.abstained else max(token_f1(answer.text, a) for a in [q.answer or "", *q.variants])
        scores |= citation_scores(answer, q.evidence)
        scores |= fact_scores(answer, q.facts, q.article_ids)
    else:
        scores["correct"] = float(answer.abstained)
    scores["dangling_markers"] = float(_dangling(answer))
    scores["misdated_statements"] = float(misdated_statements(answer))
    return scores


def _dangling(answer: Answer) -> bool:
    from rag.verify import MARKER

    markers = {int(n) for group in MARKER.findall(answer.text) for n in group.replace(" ", "").split(",")}
    return markers != {c.marker for c in answer.citations} and not answer.abstained


def summarize(results: list[QuestionResult]) -> dict[str, float | int | None]:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    abstained = [r for r in results if r.answer.abstained]

    def avg(key: str, rows: list[QuestionResult]) -> float | None:
        return mean([r.scores.get(key) for r in rows])

    summary: dict[str, float | int | None] = {
        "questions": len(results),
        "answer_accuracy": avg("correct", answerable),
        "answer_f1": avg("f1", answerable),
        "abstention_recall": avg("correct", unanswerable),
        "abstention_precision": round(sum(not r.answerable for r in abstained) / len(abstained), 4)
        if abstained
        else None,
        "false_abstention_rate": avg("abstained", answerable),
        "citation_recall": avg("citation_recall", answerable),
        "citation_precision": avg("citation_precision", answerable),
        "citation_evidence": avg("citation_evidence", answerable),
        # one-fact questions (#3's target) apart from change-over-time ones, whose dated lists cite every report
        "citation_evidence_fact": avg(
            "citation_evidence", [r for r in answerable if r.scores.get("facts_found") is None]
        ),
        "citation_evidence_change": avg(
            "citation_evidence", [r for r in answerable if r.scores.get("facts_found") is not None]
        ),
        "dangling_markers": sum(int(r.scores["dangling_markers"] or 0) for r in results),
        "misdated_statements": sum(int(r.scores.get("misdated_statements") or 0) for r in results),
        "latency_p50": percentile([r.seconds for r in results], 50),
        "latency_p95": percentile([r.seconds for r in results], 95),
    }
    for key in (
        "hit@1",
        "hit@3",
        "hit@5",
        "hit@10",
        "recall@5",
        "recall@10",
        "mrr",
        "facts_found",
        "facts_in_order",
        "articles_cited",
    ):
        summary[key] = avg(key, answerable)
    return summary


def run_eval(
    assistant: Assistant,
    questions: list[GoldQuestion] | None = None,
    *,
    gold_path: Path | None = None,
    generator: str | None = None,
    name: str = "newsrag",
    progress: Callable[[int, int], None] | None = None,
) -> EvalRun:
    """Ask every gold question, score it, and summarise overall and per question type."""
    gold_path = gold_path or BUNDLED_GOLD
    questions = questions if questions is not None else load_gold(gold_path)
    run = EvalRun(
        name=name,
        gold=str(gold_path),
        generator=generator or assistant.settings.generator,
        settings_hash=assistant.settings.fingerprint(),
        git_revision=_git_revision(),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    for i, q in enumerate(questions):
        started = time.perf_counter()
        answer = assistant.ask(q.question, generator=generator)
        seconds = time.perf_counter() - started
        retrieved = assistant.retrieve(q.question, k=max(10, assistant.settings.top_k)) if q.answerable else []
        run.results.append(question_result(q, answer, retrieved, seconds))
        if progress:
            progress(i + 1, len(questions))
    summarize_run(run)
    return run


def question_result(q: GoldQuestion, answer: Answer, retrieved: list[ScoredPassage], seconds: float) -> QuestionResult:
    """One scored question of a run."""
    return QuestionResult(
        id=q.id,
        type=q.type,
        question=q.question,
        answerable=q.answerable,
        gold_answer=q.answer,
        answer=answer,
        scores=score_question(q, answer, retrieved, seconds),
        seconds=seconds,
    )


def summarize_run(run: EvalRun, **extra: float) -> None:
    """The run's summary: overall (plus `extra` figures) and per question type."""
    run.summary = {"overall": summarize(run.results) | extra}
    for kind in sorted({r.type for r in run.results}):
        run.summary[kind] = summarize([r for r in run.results if r.type == kind])


def _git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"
