"""Our llama-index components inside real llama-index objects, on the bundled index with the real model:
the retriever in a RetrieverQueryEngine and fused with a llama-index vector index by QueryFusionRetriever,
the query engine on its own and as a QueryEngineTool. No OpenAI: every LLM is set explicitly (MockLLM)."""

from __future__ import annotations

import asyncio
import os
import re

import pytest
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.llms.mock import MockLLM
from llama_index.core.query_engine import CustomQueryEngine, RetrieverQueryEngine
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import MetadataMode, NodeRelationship, NodeWithScore, TextNode
from llama_index.core.tools import QueryEngineTool

from rag import Assistant
from rag.integrations.llamaindex import NewsQueryEngine, NewsRetriever, make_query_engine, make_retriever

pytestmark = pytest.mark.slow

WORLD_BANK = "What did the World Bank say the war cost Lebanon?"
PASSAGE_KEYS = {"article_id", "title", "publisher", "published", "url", "passage_id", "start", "end"}


def check_passage_node(assistant: Assistant, hit: NodeWithScore) -> None:
    node = hit.node
    assert isinstance(node, TextNode)
    meta = node.metadata
    assert set(meta) >= PASSAGE_KEYS
    article = assistant.snapshot.article(meta["article_id"])
    assert article is not None
    assert article.text[meta["start"] : meta["end"]] == node.text
    assert (node.start_char_idx, node.end_char_idx) == (meta["start"], meta["end"])
    assert meta["title"] == article.title and meta["publisher"] == article.publisher
    assert meta["published"] == (article.published.isoformat() if article.published else None)
    assert node.node_id == meta["passage_id"]
    assert node.relationships[NodeRelationship.SOURCE].node_id == article.id


# ------------------------------------------------------------ the retriever


def test_retriever_returns_our_passages_as_nodes(assistant: Assistant) -> None:
    retriever = make_retriever(assistant, k=4)
    assert isinstance(retriever, BaseRetriever) and isinstance(retriever, NewsRetriever)
    hits = retriever.retrieve(WORLD_BANK)
    expected = assistant.retrieve(WORLD_BANK, k=4)
    assert [h.node.node_id for h in hits] == [p.passage.id for p in expected]
    assert [h.score for h in hits] == pytest.approx([p.score for p in expected])
    assert any("$8.5bn" in h.node.text for h in hits)
    for hit in hits:
        check_passage_node(assistant, hit)
    # what an LLM sees: the source, not ids and offsets; nothing that is unknown ("publisher: None")
    shown = hits[0].node.get_content(metadata_mode=MetadataMode.LLM)
    assert "title:" in shown and "passage_id" not in shown and "None" not in shown.split("\n\n")[0]

    again = asyncio.run(retriever.aretrieve(WORLD_BANK))
    assert [h.node.node_id for h in again] == [h.node.node_id for h in hits]


def test_retriever_filters(assistant: Assistant) -> None:
    reuters = make_retriever(assistant, k=3, filters={"publishers": ["Reuters"]}).retrieve("Who heads the Mossad?")
    assert reuters and {h.node.metadata["publisher"] for h in reuters} == {"Reuters"}
    assert "Barnea" in " ".join(h.node.text for h in reuters)


def test_retriever_in_a_retriever_query_engine(assistant: Assistant) -> None:
    # MockLLM echoes its prompt: the synthesizer's prompt is built from our nodes
    engine = RetrieverQueryEngine.from_args(make_retriever(assistant, k=3), llm=MockLLM(), response_mode="compact")
    response = engine.query(WORLD_BANK)
    assert [n.node.node_id for n in response.source_nodes] == [
        p.passage.id for p in assistant.retrieve(WORLD_BANK, k=3)
    ]
    assert "The World Bank said the conflict had so far cost Lebanon $8.5bn." in str(response)
    assert "passage_id" not in str(response)


def test_retriever_fused_with_a_llamaindex_vector_index(assistant: Assistant, corpus_settings) -> None:  # noqa: ANN001
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from index.embed import resolve_model_path

    embed_model = HuggingFaceEmbedding(model_name=resolve_model_path(corpus_settings.embedding_model), device="cpu")
    files = sorted(str(p) for p in corpus_settings.corpus_dir.glob("*.txt"))
    documents = SimpleDirectoryReader(input_files=files).load_data()
    vector_index = VectorStoreIndex.from_documents(
        documents, embed_model=embed_model, transformations=[SentenceSplitter(chunk_size=256, chunk_overlap=20)]
    )
    fused = QueryFusionRetriever(
        [make_retriever(assistant, k=5), vector_index.as_retriever(similarity_top_k=5)],
        llm=MockLLM(),
        mode="reciprocal_rerank",
        num_queries=1,  # the query as asked: no LLM writes variants
        similarity_top_k=6,
        use_async=False,
    )
    hits = fused.retrieve(WORLD_BANK)
    assert len(hits) == 6
    ours = [h for h in hits if "passage_id" in h.node.metadata]
    theirs = [h for h in hits if "file_name" in h.node.metadata]
    assert ours and theirs and len(ours) + len(theirs) == len(hits)
    assert "$8.5bn" in hits[0].node.get_content()
    for hit in ours:
        check_passage_node(assistant, hit)


# ------------------------------------------------------------ the query engine


def test_query_engine_answers_with_verified_cited_passages(assistant: Assistant) -> None:
    engine = make_query_engine(assistant)
    assert isinstance(engine, BaseQueryEngine) and isinstance(engine, CustomQueryEngine)
    assert isinstance(engine, NewsQueryEngine)
    response = engine.query(WORLD_BANK)
    answer = assistant.ask(WORLD_BANK)
    assert str(response) == answer.text and "8.5bn" in str(response)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", str(response))}
    assert markers == {n.node.metadata["marker"] for n in response.source_nodes} == {1}
    for hit in response.source_nodes:
        meta = hit.node.metadata
        assert PASSAGE_KEYS | {"marker", "quote", "quote_start", "quote_end"} <= set(meta)
        assert hit.node.text[meta["quote_start"] - meta["start"] : meta["quote_end"] - meta["start"]] == meta["quote"]
        check_passage_node(assistant, hit)
    assert response.metadata["abstained"] is False and response.metadata["answer"].citations

    again = asyncio.run(engine.aquery(WORLD_BANK))
    assert str(again) == str(response)


def test_query_engine_abstains_filters_and_follows_up(assistant: Assistant) -> None:
    abstained = make_query_engine(assistant).query("What happened in Lebanon in March 2023?")
    assert str(abstained).startswith("The articles don't say") and not abstained.source_nodes
    assert abstained.metadata["abstained"] is True

    reuters = make_query_engine(assistant, filters={"publishers": ["Reuters"]}, k=3).query("Who heads the Mossad?")
    assert "Barnea" in str(reuters) and {n.node.metadata["publisher"] for n in reuters.source_nodes} == {"Reuters"}

    first = assistant.ask(WORLD_BANK)
    history = [{"role": "user", "content": WORLD_BANK}, {"role": "assistant", "content": first.text}]
    follow = make_query_engine(assistant, history=history).query("and how many people did it displace?")
    assert "1.2 million" in str(follow)


def test_query_engine_as_a_llamaindex_tool(assistant: Assistant) -> None:
    tool = QueryEngineTool.from_defaults(
        make_query_engine(assistant), name="news", description="Cited answers from the indexed news articles."
    )
    output = tool.call(WORLD_BANK)
    assert "8.5bn" in output.content and output.raw_output.source_nodes
