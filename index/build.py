"""Incremental indexing: read, clean, chunk and embed only what is new or changed, then write a snapshot."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from index.chunk import CHUNKER_VERSION, chunk_article
from index.clean import CLEANER_VERSION, clean_article
from index.embed import EMBEDDING_VERSION, Embedder
from index.errors import NoIndexError, NothingIndexedError, Problem
from index.readers import read_paths
from index.store import IndexStore, NewArticle, check_params
from index.types import Article, BuildParams, Passage

Progress = Callable[[str, float], None]  # (what is happening, fraction done 0..1)
GROUP_PASSAGES = 20_000  # passages chunked and embedded at a time (an embedder may ask for more per call)


class ChunkParams(BaseModel):
    max_words: int = 120
    min_words: int = 50
    overlap_sentences: int = 1


class BuildReport(BaseModel):
    """What one indexing call did."""

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    passages_embedded: int = 0
    seconds: float = 0.0
    snapshot_written: bool = False

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.removed)} removed",
            f"{self.passages_embedded} passages embedded",
            f"{self.seconds:.1f}s",
        ]
        text = ", ".join(parts)
        if self.problems:
            text += f"\n{len(self.problems)} problem(s):\n" + "\n".join(f"  {p}" for p in self.problems)
        return text


class Indexer:
    """Writes to one index folder with one embedder and one set of chunking parameters."""

    def __init__(self, folder: Path | str, embedder: Embedder, chunking: ChunkParams, faiss_type: str = "auto") -> None:
        self.store = IndexStore(folder)
        self.embedder = embedder
        self.chunking = chunking
        self.faiss_type = faiss_type

    def params(self, *, with_dimension: bool = True) -> BuildParams:
        """The build parameters; the dimension needs the model loaded, so it can be left out for checks."""
        return BuildParams(
            embedding_model=self.embedder.name,
            dimension=self.embedder.dimension if with_dimension else None,
            chunk_max_words=self.chunking.max_words,
            chunk_min_words=self.chunking.min_words,
            chunk_overlap_sentences=self.chunking.overlap_sentences,
            cleaner_version=CLEANER_VERSION,
            chunker_version=CHUNKER_VERSION,
            embedding_version=EMBEDDING_VERSION,
        )

    def add(
        self,
        paths: Iterable[Path | str],
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
        require_some: bool = True,
    ) -> BuildReport:
        """Index the articles under `paths`: new ones are added, changed ones replaced, the same ones skipped.

        With `rebuild`, the new snapshot holds only these articles. Raises NothingIndexedError when
        no input could be read at all (and `require_some`); otherwise problems are in the report.
        """
        started = time.perf_counter()
        say = progress or (lambda _what, _frac: None)
        say("reading", 0.0)
        result = read_paths(paths)
        report = BuildReport(problems=list(result.problems))
        if require_some and not result.articles:
            raise NothingIndexedError(result.problems)
        return self._apply(result.articles, set(), rebuild, report, say, started, require_some=require_some)

    def add_articles(self, articles: list[Article], *, progress: Progress | None = None) -> BuildReport:
        """Index articles made in code (already read; they are still cleaned and chunked)."""
        return self._apply(
            articles, set(), False, BuildReport(), progress or (lambda _w, _f: None), time.perf_counter()
        )

    def remove(self, article_ids: Iterable[str]) -> BuildReport:
        """Remove articles by id; unknown ids are reported as problems."""
        started = time.perf_counter()
        manifest = self.store.read_manifest()
        report = BuildReport()
        present = set()
        for article_id in article_ids:
            if article_id in manifest.corpus_hashes:
                present.add(article_id)
            else:
                report.problems.append(Problem(source=article_id, reason="no article with this id in the index"))
        if present:
            return self._apply([], present, False, report, lambda _w, _f: None, started)
        report.seconds = time.perf_counter() - started
        return report

    def _apply(
        self,
        articles: list[Article],
        remove: set[str],
        rebuild: bool,
        report: BuildReport,
        say: Progress,
        started: float,
        require_some: bool = False,
    ) -> BuildReport:
        base = None
        if not rebuild:
            try:
                base = self.store.read_manifest()
            except NoIndexError:
                base = None
        if base is not None:
            check_params(self.store.folder, base.params, self.params(with_dimension=False))
        known = base.corpus_hashes if base else {}

        todo: list[Article] = []  # cleaned, new or changed; chunked and embedded a group at a time below
        for article in articles:
            article = clean_article(article)
            if not article.text.strip():
                report.problems.append(Problem(source=article.source, reason="nothing left after removing boilerplate"))
                continue
            old = known.get(article.id)
            if old == article.content_hash:
                report.unchanged.append(article.id)
                continue
            (report.updated if old is not None else report.added).append(article.id)
            todo.append(article)
        report.removed = sorted(remove & set(known))
        if require_some and articles and not todo and not report.unchanged:
            # every article was cleaned away: nothing to index, and a rebuild must not wipe the index
            raise NothingIndexedError(report.problems)

        if not todo and not report.removed and not rebuild:
            report.seconds = time.perf_counter() - started
            return report

        params = self.params()
        if base is not None:
            check_params(self.store.folder, base.params, params)
        say("embedding", 0.1)
        stages = {"store": 0.1, "dense": 0.93, "bm25": 0.96, "commit": 0.99}  # embedding runs within "store"
        self.store.write(
            params,
            self.faiss_type,
            remove=set(report.removed),
            add=self._embedded(todo, report, say),
            base=base,
            on_stage=lambda name: say(f"writing {name}", stages.get(name, 0.95)),
        )
        report.snapshot_written = True
        say("done", 1.0)
        report.seconds = time.perf_counter() - started
        return report

    def _embedded(self, todo: list[Article], report: BuildReport, say: Progress) -> Iterator[NewArticle]:
        """The articles chunked and embedded a group at a time (about GROUP_PASSAGES passages), so that a build
        holds one group's passages and vectors in memory, not the whole corpus's; the store writes each as it
        comes."""
        group: list[tuple[Article, list[Passage]]] = []
        size = max(GROUP_PASSAGES, getattr(self.embedder, "passages_per_call", 0))
        done = 0

        def flush() -> Iterator[NewArticle]:
            spans = [_unique_sentences(passages) for _, passages in group]
            passage_vectors, sentence_vectors = self._embed(group, spans)
            report.passages_embedded += len(passage_vectors)
            p_at = s_at = 0
            for (article, passages), article_spans in zip(group, spans, strict=True):
                yield NewArticle(
                    article=article,
                    passages=passages,
                    passage_vectors=passage_vectors[p_at : p_at + len(passages)],
                    sentences=article_spans,
                    sentence_vectors=sentence_vectors[s_at : s_at + len(article_spans)],
                )
                p_at += len(passages)
                s_at += len(article_spans)
            say("embedding", 0.1 + 0.8 * done / max(len(todo), 1))

        count = 0
        for article in todo:
            chunks = chunk_article(
                article, self.chunking.max_words, self.chunking.min_words, self.chunking.overlap_sentences
            )
            group.append((article, chunks))
            count += len(chunks)
            done += 1
            if count >= size:
                yield from flush()
                group, count = [], 0
        if group:
            yield from flush()

    def _embed(
        self, todo: list[tuple[Article, list[Passage]]], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of every passage (float32) and of every article's unique sentences (float16, as stored; rows
        in `spans` order), each batch written into place as it comes so that a build holds them once.

        With an embedder that offers `embed_with_spans`, passages go with their sentences' spans and both
        kinds of vector come from one model pass (see index.embed); a sentence it leaves NaN is encoded alone.
        """
        passages = [p for _, article_passages in todo for p in article_passages]
        sentence_texts = [
            article.text[s:e] for (article, _), article_spans in zip(todo, spans, strict=True) for s, e in article_spans
        ]
        dim = self.embedder.dimension if passages or sentence_texts else 0
        passage_vectors = np.empty((len(passages), dim), dtype=np.float32)
        sentence_vectors = np.empty((len(sentence_texts), dim), dtype=np.float16)
        if not passages and not sentence_texts:
            return passage_vectors, sentence_vectors
        batch = getattr(self.embedder, "passages_per_call", 256)  # a distributed embedder takes more at once
        with_spans = getattr(self.embedder, "embed_with_spans", None)
        if with_spans is None:
            for texts, out in (([p.text for p in passages], passage_vectors), (sentence_texts, sentence_vectors)):
                for i in range(0, len(texts), batch):
                    out[i : i + batch] = self.embedder.embed(texts[i : i + batch], progress=False)
            return passage_vectors, sentence_vectors

        # Each passage goes with its sentences' spans; a sentence (passages overlap) takes its vector from
        # the first passage that holds it.
        passage_spans = [[(s.start - p.start, s.end - p.start) for s in p.sentences] for p in passages]
        # For each passage, the sentence rows it is the first to hold: (index among its spans, sentence row).
        firsts: list[list[tuple[int, int]]] = [[] for _ in passages]
        row, at = 0, 0
        for (_, article_passages), article_spans in zip(todo, spans, strict=True):
            where: dict[tuple[int, int], tuple[int, int]] = {}
            for offset, p in enumerate(article_passages):
                for j, s in enumerate(p.sentences):
                    where.setdefault((s.start, s.end), (at + offset, j))
            for span in article_spans:
                p, j = where[span]
                firsts[p].append((j, row))
                row += 1
            at += len(article_passages)
        sentence_vectors[:] = np.nan
        for i in range(0, len(passages), batch):
            vectors, span_vectors = with_spans([p.text for p in passages[i : i + batch]], passage_spans[i : i + batch])
            passage_vectors[i : i + len(vectors)] = vectors
            for offset, pooled in enumerate(span_vectors):
                for j, row in firsts[i + offset]:
                    sentence_vectors[row] = pooled[j]
        missing = np.flatnonzero(np.isnan(sentence_vectors[:, 0])) if len(sentence_vectors) else np.zeros(0, np.int64)
        if len(missing):
            sentence_vectors[missing] = self.embedder.embed([sentence_texts[r] for r in missing], progress=False)
        return passage_vectors, sentence_vectors


def _unique_sentences(passages: list[Passage]) -> list[tuple[int, int]]:
    """Each sentence of an article once (passages overlap), in order."""
    return sorted({(s.start, s.end) for p in passages for s in p.sentences})
