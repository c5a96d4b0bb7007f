"""Hybrid retrieval: dense (FAISS) and BM25 candidates fused by reciprocal rank, with metadata filters."""

from __future__ import annotations

import numpy as np

from index.embed import Embedder
from index.lexical import corrected_terms, search_bm25, tokenize
from index.store import IVF_NPROBE, Snapshot
from rag.question import LEADER_TOKEN, with_equivalents
from rag.types import Filters, ScoredPassage

# Who leads a group is often said by its office alone ("Naim Qassem, Hezbollah's secretary general"): a question
# about its leader searches for the office too (fresh2 +1 question, no set lower; adding every equivalent word to
# the search cost two sets a question each).
_LEADER_WORDS = with_equivalents([LEADER_TOKEN])


def _offices(question: str) -> list[str]:
    """Words of the offices a question about a leader stands for."""
    return ["secretary general"] if _LEADER_WORDS & set(tokenize([question])[0]) else []


def dense_search(
    snapshot: Snapshot, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """(position, cosine) pairs from FAISS, best first, only among `allowed` positions if given."""
    import faiss

    if len(snapshot) == 0 or k <= 0:
        return []
    k = min(k, len(snapshot))
    params = None
    if allowed is not None:
        selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        if "HNSW" in snapshot.manifest.faiss_index:
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(128, k))
        elif "IVF" in snapshot.manifest.faiss_index:
            params = faiss.SearchParametersIVF(sel=selector, nprobe=IVF_NPROBE)
        else:
            params = faiss.SearchParameters(sel=selector)
    scores, ids = snapshot.dense.search(query_vector.reshape(1, -1).astype(np.float32), k, params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def fuse(rankings: list[list[tuple[int, float]]], rrf_k: int) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion: each list adds 1 / (rrf_k + rank) for each item it ranks."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (position, _score) in enumerate(ranking, start=1):
            fused[position] = fused.get(position, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


class HybridRetriever:
    """Retrieves passages from one snapshot with one embedder."""

    def __init__(
        self, snapshot: Snapshot, embedder: Embedder, candidates: int = 50, rrf_k: int = 60, each_top: int = 3
    ) -> None:
        self.snapshot = snapshot
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.each_top = each_top

    def retrieve(
        self,
        question: str,
        k: int = 5,
        filters: Filters | None = None,
        query_vector: np.ndarray | None = None,
        per_article: int = 0,
    ) -> list[ScoredPassage]:
        """The k best passages for the question, each with its dense and BM25 rank (fused, not reranked)."""
        snapshot = self.snapshot
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = snapshot.positions_where(filters.publishers, filters.since, filters.until, filters.article_ids)
            if len(allowed) == 0:
                return []
        pool = max(self.candidates, k) * (3 if per_article else 1)
        if query_vector is None:
            query_vector = self.embedder.embed([question])[0]
        dense = dense_search(snapshot, query_vector, pool, allowed)
        mask = None
        if allowed is not None:
            mask = np.zeros(len(snapshot), dtype=np.float32)
            mask[allowed] = 1.0
        lexical_query = " ".join([question, *corrected_terms(snapshot.bm25, question), *_offices(question)])
        lexical = search_bm25(snapshot.bm25, lexical_query, pool, mask) if snapshot.bm25 is not None else []
        ranked = fuse([dense, lexical], self.rrf_k)
        fused = _spread(ranked, k, per_article, [p for p, _ in ranked], snapshot) if per_article else ranked[:k]
        fused = _with_each_top(fused, ranked, [dense, lexical], self.each_top)

        dense_at = {p: (rank, score) for rank, (p, score) in enumerate(dense, start=1)}
        bm25_at = {p: (rank, score) for rank, (p, score) in enumerate(lexical, start=1)}
        found = snapshot.passages_at([p for p, _ in fused])
        results = []
        for (position, score), (passage, article) in zip(fused, found, strict=True):
            d_rank, d_score = dense_at.get(position, (None, None))
            b_rank, b_score = bm25_at.get(position, (None, None))
            results.append(
                ScoredPassage(
                    passage=passage,
                    article=article,
                    score=score,
                    dense_rank=d_rank,
                    dense_score=d_score,
                    bm25_rank=b_rank,
                    bm25_score=b_score,
                )
            )
        return results


def _with_each_top(
    chosen: list[tuple[int, float]], fused: list[tuple[int, float]], rankings: list[list[tuple[int, float]]], n: int
) -> list[tuple[int, float]]:
    """The chosen passages plus any of each ranking's first `n` they lack. Fusion punishes a passage one
    retriever misses: the passage closest in meaning, holding none of the question's words ("killed 3,544" for
    "death toll"), fell to 44th of 77 behind every passage holding one of them."""
    have = {p for p, _ in chosen}
    wanted = {p for ranking in rankings for p, _ in ranking[:n]} - have
    return chosen + [(p, score) for p, score in fused if p in wanted]


def _spread(
    fused: list[tuple[int, float]], k: int, per_article: int, positions: list[int], snapshot: Snapshot
) -> list[tuple[int, float]]:
    """The top k, plus each further article's best `per_article` passages from the pool: questions
    about change over time need every report that speaks to them, not only the top-ranked one."""
    articles = dict(zip(positions, snapshot.article_ids_at(positions), strict=True))
    chosen = list(fused[:k])
    count: dict[str, int] = {}
    for p, _ in chosen:
        count[articles[p]] = count.get(articles[p], 0) + 1
    for p, score in fused[k:]:
        if count.get(articles[p], 0) < per_article:
            chosen.append((p, score))
            count[articles[p]] = count.get(articles[p], 0) + 1
    return chosen
