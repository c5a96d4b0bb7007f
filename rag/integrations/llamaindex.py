"""Drop-in llama-index components over an `Assistant`: a retriever and a query engine.

    from rag import Assistant
    from rag.integrations.llamaindex import make_query_engine, make_retriever

    assistant = Assistant.load()
    retriever = make_retriever(assistant, k=5)       # a llama-index BaseRetriever
    engine = make_query_engine(assistant)            # a llama-index CustomQueryEngine
    response = engine.query("What did the World Bank say the war cost Lebanon?")
    print(response)                                  # the verified answer, with [n] markers
    for hit in response.source_nodes:                # the cited passages
        print(hit.node.metadata["marker"], hit.node.metadata["quote"])

The retriever is our hybrid retrieval (dense + BM25, fused, reranked by best sentences); its nodes
are the passages, with the article's metadata. The query engine is the whole pipeline: its answer is
verified against the passages (or an abstention), and its source nodes are the cited passages. Both
need no LLM from llama-index: the Assistant's own generator writes the answer.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import Field
from llama_index.core.callbacks import CallbackManager
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from rag.types import Answer, Citation, Filters, ScoredPassage

if TYPE_CHECKING:
    from rag.assistant import Assistant

__all__ = [
    "NewsQueryEngine",
    "NewsRetriever",
    "answer_to_response",
    "citation_node",
    "make_query_engine",
    "make_retriever",
    "passage_node",
]

# What an LLM that reads our nodes (e.g. in a response synthesizer) sees besides the text: where the
# passage comes from. Ids, offsets and links are kept for programs, not for prompts or embeddings.
_LLM_METADATA = ("title", "publisher", "published")


def _filters(filters: Filters | dict | None) -> Filters | None:
    if filters is None or isinstance(filters, Filters):
        return filters
    return Filters.model_validate(filters)


def _node(node_id: str, text: str, metadata: dict[str, Any], start: int, end: int, article_id: str) -> TextNode:
    hidden = [key for key, value in metadata.items() if key not in _LLM_METADATA or value is None]
    return TextNode(
        id_=node_id,
        text=text,
        metadata=metadata,
        start_char_idx=start,
        end_char_idx=end,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article_id)},
        excluded_llm_metadata_keys=hidden,
        excluded_embed_metadata_keys=hidden,
    )


def passage_node(hit: ScoredPassage) -> NodeWithScore:
    """A retrieved passage as a llama-index node: its text, its article's metadata, its offsets."""
    p, a = hit.passage, hit.article
    metadata: dict[str, Any] = {
        "article_id": a.id,
        "title": a.title,
        "publisher": a.publisher,
        "published": a.published.isoformat() if a.published else None,
        "url": a.url,
        "passage_id": p.id,
        "start": p.start,
        "end": p.end,
        "dense_rank": hit.dense_rank,
        "bm25_rank": hit.bm25_rank,
    }
    return NodeWithScore(node=_node(p.id, p.text, metadata, p.start, p.end, a.id), score=hit.score)


def citation_node(citation: Citation, node_id: str | None = None) -> NodeWithScore:
    """A cited passage as a llama-index node: the passage, plus the marker and the quote that backs the claim."""
    c = citation
    end = c.passage_start + len(c.text)
    metadata: dict[str, Any] = {
        "article_id": c.article_id,
        "title": c.title,
        "publisher": c.publisher,
        "published": c.published.isoformat() if c.published else None,
        "url": c.url,
        "passage_id": c.passage_id,
        "start": c.passage_start,
        "end": end,
        "marker": c.marker,
        "quote": c.quote,
        "quote_start": c.start,
        "quote_end": c.end,
    }
    return NodeWithScore(node=_node(node_id or c.passage_id, c.text, metadata, c.passage_start, end, c.article_id))


def answer_to_response(answer: Answer) -> Response:
    """A verified `Answer` as a llama-index `Response`: text with [n] markers, the cited passages as sources."""
    seen: dict[str, int] = {}
    nodes = []
    for c in answer.citations:  # two markers may cite the same passage (different quotes): keep ids unique
        seen[c.passage_id] = seen.get(c.passage_id, 0) + 1
        nodes.append(citation_node(c, c.passage_id if seen[c.passage_id] == 1 else f"{c.passage_id}#{c.marker}"))
    return Response(
        response=answer.text,
        source_nodes=nodes,
        metadata={
            "abstained": answer.abstained,
            "kind": answer.kind,
            "generator": answer.generator,
            "verification": list(answer.verification),
            "answer": answer,
        },
    )


class NewsRetriever(BaseRetriever):
    """llama-index retriever over an Assistant's index: hybrid retrieval, then the sentence rerank."""

    def __init__(
        self,
        assistant: Assistant,
        k: int = 5,
        filters: Filters | dict | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        self.assistant = assistant
        self.k = k
        self.filters = _filters(filters)
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.assistant.retrieve(query_bundle.query_str, k=self.k, filters=self.filters)
        return [passage_node(hit) for hit in hits]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


class NewsQueryEngine(CustomQueryEngine):
    """llama-index query engine that answers with the Assistant: verified, cited, or an abstention."""

    assistant: Any = Field(exclude=True, description="The rag.Assistant that answers.")
    k: int | None = Field(None, ge=1, le=50, description="Passages shown to the generator (default: settings.top_k).")
    filters: Filters | None = Field(None, description="Restrict retrieval to some articles.")
    generator: str | None = Field(None, description="extractive, llamacpp or openai (default: the settings').")
    history: list[dict] = Field(default_factory=list, description="Earlier {role, content} turns, for follow-ups.")

    def custom_query(self, query_str: str) -> Response:
        answer = self.assistant.ask(
            query_str, history=self.history, filters=self.filters, k=self.k, generator=self.generator
        )
        return answer_to_response(answer)

    async def acustom_query(self, query_str: str) -> Response:
        return await asyncio.to_thread(self.custom_query, query_str)


def make_retriever(assistant: Assistant, k: int = 5, filters: Filters | dict | None = None) -> NewsRetriever:
    """A llama-index `BaseRetriever` returning the k best passages as `NodeWithScore`s (score: the fused score)."""
    return NewsRetriever(assistant, k=k, filters=filters)


def make_query_engine(assistant: Assistant, **kwargs: Any) -> NewsQueryEngine:
    """A llama-index query engine (`CustomQueryEngine`) over the Assistant. Keyword arguments: k, filters
    (a `Filters` or a dict of one), generator, history, callback_manager."""
    if "filters" in kwargs:
        kwargs["filters"] = _filters(kwargs["filters"])
    return NewsQueryEngine(assistant=assistant, **kwargs)
