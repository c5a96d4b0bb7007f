"""Retrieval on the real model, real FAISS and BM25 over the bundled corpus."""

from datetime import date

import pytest

from rag.retrieve import fuse
from rag.types import Filters

# (question, article id, words of the sentence that answers it)
QUESTIONS = [
    ("How far back does Israel want Hezbollah pushed?", "001_fe8f77b78c9bca98", "beyond the Litani River"),
    ("Who heads the Mossad?", "000_65ef04acdda28541", "David Barnea"),
    ("how much money did the paris conference raise for lebanon's army", "000_65ef04acdda28541", "$200 million"),
    ("What did Lloyd Austin say about diplomacy?", "004_290ddbd9adc3a4b1", "Diplomacy is by far the best way"),
    ("How many times has Blinken travelled to the Middle East since the war?", "002_0c6b4b250ced8e37", "11th trip"),
    ("What did the World Bank estimate the war cost Lebanon?", "001_fe8f77b78c9bca98", "$8.5bn"),
    ("vote on the UN security council gaza resolution", "001_fe8f77b78c9bca98", "14-1"),
]


@pytest.mark.parametrize(("question", "article_id", "answer_words"), QUESTIONS)
def test_answer_passage_in_top_five(assistant, question: str, article_id: str, answer_words: str) -> None:  # noqa: ANN001
    results = assistant.retrieve(question, k=5)
    assert article_id in {r.article.id for r in results}
    assert any(answer_words in r.passage.text for r in results), [r.passage.text[:80] for r in results]


def test_question_needing_two_sentences_reaches_the_evidence_stage(assistant) -> None:  # noqa: ANN001
    # "avenge ... top commander" and "Fouad Shukur" stand in different sentences: a known hard case.
    # The sentence reranker does not lift it into the top 10, but the candidates it scores hold it.
    from rag.retrieve import HybridRetriever

    question = "Which Hezbollah commander's killing was Sunday's attack avenging?"
    retriever = HybridRetriever(assistant.snapshot, assistant.embedder)
    candidates = retriever.retrieve(question, k=assistant.settings.rerank_depth)
    assert any("Fouad Shukur" in r.passage.text for r in candidates)


def test_results_carry_metadata_offsets_and_ranks(assistant) -> None:  # noqa: ANN001
    [top] = assistant.retrieve("Who heads the Mossad?", k=1)
    article = assistant.snapshot.article(top.article.id)
    assert article.text[top.passage.start : top.passage.end] == top.passage.text
    assert top.article.published == date(2024, 10, 24) and top.article.publisher == "Reuters"
    assert top.dense_rank is not None or top.bm25_rank is not None


def test_filters_by_publisher_and_date(assistant) -> None:  # noqa: ANN001
    only_mee = assistant.retrieve("ceasefire", k=10, filters=Filters(publishers=["middle east eye"]))
    assert only_mee and {r.article.publisher for r in only_mee} == {"Middle East Eye"}
    autumn = assistant.retrieve("ceasefire", k=20, filters=Filters(since=date(2024, 10, 1), until=date(2024, 10, 31)))
    assert autumn and all(date(2024, 10, 1) <= r.article.published <= date(2024, 10, 31) for r in autumn)
    assert assistant.retrieve("ceasefire", filters=Filters(since=date(2030, 1, 1))) == []


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = fuse([[(1, 0.9), (2, 0.8), (3, 0.7)], [(3, 9.0), (1, 8.0)]], rrf_k=60)
    assert [p for p, _ in fused] == [1, 3, 2]


def test_odd_questions_do_not_crash(assistant) -> None:  # noqa: ANN001
    for question in ["", "?!?!", "a" * 20000, "¿Quién es el jefe del Mossad?", "\x00\x1b[31m"]:
        assert isinstance(assistant.retrieve(question, k=3), list)
