"""Decide when the articles do not answer a question, and say why."""

from __future__ import annotations

import re
from datetime import date

from index.lexical import search_bm25
from index.store import Snapshot
from rag.dates import DateScope
from rag.evidence import EvidenceSet
from rag.question import QuestionInfo

# Calibrated on the gold set (evals/gold/bundled.jsonl): see `python -m rag eval`.
MIN_DENSE = 0.3  # best sentence's cosine to the question
MIN_SUPPORT = 0.62  # dense + 0.5 * window coverage, below which the evidence is too weak


def coverage_of_dates(snapshot: Snapshot) -> tuple[date, date] | None:
    dates = [a.published for a in snapshot.articles() if a.published]
    return (min(dates), max(dates)) if dates else None


def _period_mentioned(snapshot: Snapshot, scope: DateScope) -> bool:
    """Does any passage speak of that month (and year)? E.g. 'Oct. 7, 2023' for October 2023."""
    month = scope.start.strftime("%B")
    hits = search_bm25(snapshot.bm25, f"{month} {scope.start.year}", 50) if snapshot.bm25 is not None else []
    pattern = re.compile(
        rf"\b{month[:3]}[a-z]*\.?\s+(\d{{1,2}},?\s+)?{scope.start.year}\b"
        rf"|\b\d{{1,2}}\s+{month[:3]}[a-z]*\s+{scope.start.year}\b",
        re.I,
    )
    texts = [p.text for p, _ in snapshot.passages_at([i for i, _ in hits])]
    return any(pattern.search(t) for t in texts)


def out_of_range(question: QuestionInfo, snapshot: Snapshot) -> str | None:
    """A reason to abstain when every time span the question names lies outside the articles."""
    scopes = question.time.scopes
    covered = coverage_of_dates(snapshot)
    if not scopes or covered is None:
        return None
    first, last = covered
    for scope in scopes:
        if (scope.start <= last and scope.end >= first) or _period_mentioned(snapshot, scope):
            return None
    asked = ", ".join(s.text for s in scopes)
    return f"The articles don't cover {asked}: they were published between {first:%-d %B %Y} and {last:%-d %B %Y}."


def weak_evidence(question: QuestionInfo, evidence: EvidenceSet) -> str | None:
    """A reason to abstain when the best evidence does not address the question."""
    if not evidence.sentences:
        return "No passage in the articles matches the question."
    top = evidence.sentences[0]
    if top.dense < MIN_DENSE:
        return "No passage in the articles is close to the question."
    support = top.dense + 0.5 * evidence.window_coverage
    if support < MIN_SUPPORT:
        return "The closest passages do not address what the question asks."
    if question.answer_type != "open" and not any(e.typed for e in evidence.sentences[:3]):
        return f"The closest passages give no {question.answer_type} that answers the question."
    return None
