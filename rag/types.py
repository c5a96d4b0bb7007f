"""The objects every part of the product speaks: the API returns them, the UI renders them,
the evals score them, `--json` prints them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from index.types import Article, ArticleInfo, Passage, Sentence

__all__ = [
    "Answer",
    "Article",
    "ArticleInfo",
    "Citation",
    "Filters",
    "Passage",
    "ScoredPassage",
    "Sentence",
    "Turn",
]


class Filters(BaseModel):
    """Restrict retrieval to some articles. Every given field must match."""

    publishers: list[str] | None = Field(None, description="Publisher names, case-insensitive.")
    since: date | None = Field(None, description="Published on or after this date.")
    until: date | None = Field(None, description="Published on or before this date.")
    article_ids: list[str] | None = None

    def is_empty(self) -> bool:
        return not (self.publishers or self.since or self.until or self.article_ids)


class ScoredPassage(BaseModel):
    """A retrieved passage with its article's metadata and how it ranked."""

    passage: Passage
    article: ArticleInfo
    score: float = Field(description="Fused score (reciprocal-rank fusion of the dense and BM25 ranks).")
    dense_rank: int | None = None
    dense_score: float | None = None
    bm25_rank: int | None = None
    bm25_score: float | None = None


class Citation(BaseModel):
    """One numbered source of an answer: the passage, and the sentence(s) in it that back the claim."""

    marker: int = Field(description="The n of [n] in the answer text, 1-based, in order of first use.")
    passage_id: str
    article_id: str
    title: str | None
    publisher: str | None
    published: date | None
    url: str | None = None
    text: str = Field(description="The whole passage.")
    passage_start: int = Field(description="Offset of the passage in the article text.")
    quote: str = Field(description="The supporting sentence(s), verbatim from the article.")
    start: int = Field(description="Offset of the quote in the article text.")
    end: int


class Turn(BaseModel):
    """One earlier message of a conversation."""

    role: Literal["user", "assistant"]
    content: str


class TimelineEvent(BaseModel):
    """One dated statement of a timeline or comparison answer."""

    published: date | None = Field(description="Publication date of the report that makes the statement.")
    event_date: date | None = Field(None, description="When it happened, where the sentence says ('on Thursday').")
    event_until: date | None = Field(
        None, description="Last day, when the sentence gives a week, month or year ('last month'), not a day."
    )
    event_date_rule: str | None = Field(None, description="How the event date was worked out.")
    source: str | None = Field(None, description="Publisher (or title) of the report.")
    text: str = Field(description="The statement, without its markers.")
    markers: list[int] = Field(default_factory=list)


class Answer(BaseModel):
    """A verified answer: text with [n] markers, and the citations those markers point at."""

    question: str
    text: str
    citations: list[Citation] = Field(default_factory=list)
    events: list[TimelineEvent] = Field(default_factory=list, description="Dated statements, oldest first.")
    abstained: bool = False
    kind: Literal["fact", "timeline", "comparison", "abstained"] = "fact"
    generator: str = "extractive"
    verification: list[str] = Field(default_factory=list, description="What the verifier removed or changed, and why.")
    related: list[ScoredPassage] = Field(default_factory=list, description="Closest passages, shown with abstentions.")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    settings_hash: str = ""
