"""The data every indexing stage passes on: articles, their passages and sentences, the manifest."""

from __future__ import annotations

import hashlib
from datetime import date

from pydantic import BaseModel, Field


def content_hash(*parts: str, length: int = 16) -> str:
    """A stable short id: sha256 over the parts, separated so that ("ab", "c") != ("a", "bc")."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


class ArticleInfo(BaseModel):
    """What a reader of news needs to know about an article, without its text."""

    id: str = Field(description="Stable id: the file stem, or a record's `id`/url hash.")
    title: str | None = None
    publisher: str | None = None
    published: date | None = Field(default=None, description="Publication date, where known.")
    url: str | None = None
    source: str = Field(description="Where the text came from: a file path, or path:line for a record.")

    @property
    def display_title(self) -> str:
        return self.title or self.id


class Article(ArticleInfo):
    """An article after cleaning; every offset in the index points into `text`."""

    text: str
    removed: list[str] = Field(default_factory=list, description="What cleaning dropped, and why.")

    @property
    def content_hash(self) -> str:
        """Changes when the text or the metadata changes: a changed article is re-indexed."""
        return content_hash(
            self.text, self.title or "", self.publisher or "", str(self.published or ""), self.url or ""
        )

    def info(self) -> ArticleInfo:
        return ArticleInfo.model_validate(self.model_dump(include=set(ArticleInfo.model_fields)))


class Sentence(BaseModel):
    """One sentence of an article, with its character offsets in the article text."""

    start: int
    end: int
    text: str


class Passage(BaseModel):
    """A retrievable chunk: a run of whole sentences of one article."""

    id: str
    article_id: str
    ordinal: int = Field(description="Position of the passage within its article, from 0.")
    start: int
    end: int
    text: str
    sentences: list[Sentence]


class BuildParams(BaseModel):
    """Everything that decides what an index contains; an index only loads with the same values."""

    embedding_model: str
    dimension: int | None = Field(default=None, description="None when not known yet (model not loaded): not compared.")
    chunk_max_words: int
    chunk_min_words: int
    chunk_overlap_sentences: int
    cleaner_version: int
    chunker_version: int = 1
    embedding_version: int = Field(
        default=1,
        description="How vectors are made from text (index.embed.EMBEDDING_VERSION); 1 before it was recorded.",
    )


class Manifest(BaseModel):
    """The self-description written beside every index snapshot."""

    format_version: int
    params: BuildParams
    faiss_index: str = Field(description="FAISS factory string of the dense index, e.g. 'Flat'.")
    articles: int
    passages: int
    created: str
    updated: str
    corpus_hashes: dict[str, str] = Field(description="article id -> content hash")
    files: dict[str, str] = Field(description="file name -> sha256, checked at load")
