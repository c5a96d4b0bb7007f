"""Answers that span time: the relevant statement of every report, dated, oldest first.

A timeline line reads "- 24 October 2024, Reuters: <statement> [n]". The verifier parses the same
line format and refuses a statement attributed to a date or source its cited passage does not have.
"""

from __future__ import annotations

import re
from datetime import date

from rag.evidence import EvidenceSentence, EvidenceSet
from rag.question import QuestionInfo
from rag.types import ArticleInfo

PER_ARTICLE = 2  # statements taken from one report at most
SPREAD = 0.3  # a statement joins if its score is within this of the best statement's
MIN_COVERAGE = 0.25  # ... and it holds at least this share of the question's term weight

_LINE = re.compile(
    r"^\s*[-•*]?\s*(?P<date>\d{1,2} [A-Z][a-z]+ \d{4}|undated)(?:,\s*(?P<source>[^:]{1,80}?))?:\s+(?P<body>.+)$"
)


def date_label(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "undated"


def source_label(article: ArticleInfo) -> str:
    return article.publisher or "unknown publisher"


def select_dated(question: QuestionInfo, evidence: EvidenceSet) -> list[EvidenceSentence]:
    """The best statements per report, oldest report first; every period the question names gets one."""
    if not evidence.sentences:
        return []
    best = evidence.sentences[0].score
    per_article: dict[str, list[EvidenceSentence]] = {}
    for e in evidence.sentences:
        if e.score < best - SPREAD:
            break
        chosen = per_article.setdefault(e.source.article.id, [])
        relevant = e.coverage >= MIN_COVERAGE or (not chosen and e is evidence.sentences[0])
        close = not chosen or e.score >= chosen[0].score - SPREAD / 2
        if len(chosen) < PER_ARTICLE and relevant and close:
            chosen.append(e)
    selected = [e for group in per_article.values() for e in group]
    for scope in question.time.scopes:  # a named period with no statement yet: its best one
        if not any(e.source.article.published and scope.contains(e.source.article.published) for e in selected):
            extra = next(
                (
                    e
                    for e in evidence.sentences
                    if e.source.article.published
                    and scope.contains(e.source.article.published)
                    and e.coverage >= MIN_COVERAGE
                ),
                None,
            )
            if extra is not None:
                selected.append(extra)
    return sorted(
        selected, key=lambda e: (e.source.article.published or date.max, e.source.article.id, e.sentence.start)
    )


def parse_line(claim: str) -> tuple[str, str | None, str] | None:
    """('24 October 2024', 'Reuters', statement) for a dated line, else None."""
    m = _LINE.match(claim)
    return (m.group("date"), m.group("source"), m.group("body")) if m else None


def attribution_error(label: str, source: str | None, articles: list[ArticleInfo]) -> str | None:
    """Why a dated line's date or source does not belong to the articles it cites, or None."""
    if not any(date_label(a.published) == label for a in articles):
        return f"attributed to {label}, but the cited report is dated {date_label(articles[0].published)}"
    if source and not any(
        source.strip().lower() in (source_label(a).lower(), (a.title or "").lower()) for a in articles
    ):
        return f"attributed to {source}, but the cited report is from {source_label(articles[0])}"
    return None
