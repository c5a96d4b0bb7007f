"""The gold set is product: its evidence must be verbatim text of the indexed (cleaned) articles."""

import json

import pytest

from index.clean import clean_article
from index.readers import read_paths
from rag.settings import PROJECT_ROOT
from tests.conftest import CORPUS

GOLD_FILES = sorted((PROJECT_ROOT / "evals" / "gold").glob("*.jsonl"))
TYPES = {
    "who",
    "what",
    "where",
    "when",
    "number",
    "why_how",
    "quote",
    "multi_article",
    "timeline",
    "comparison",
    "date_scoped",
    "casual",
    "unanswerable",
}


@pytest.fixture(scope="module", params=GOLD_FILES, ids=[p.stem for p in GOLD_FILES])
def gold(request: pytest.FixtureRequest) -> list[dict]:
    return [json.loads(line) for line in request.param.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_evidence_string_occurs_in_its_cleaned_article(gold: list[dict]) -> None:
    texts = {a.id: clean_article(a).text for a in read_paths([CORPUS]).articles}
    missing = [
        (q["id"], e[:60]) for q in gold for e in q["evidence"] if not any(e in texts[i] for i in q["article_ids"])
    ]
    assert missing == []


def test_shape_and_mix(gold: list[dict]) -> None:
    assert len(gold) >= 70 and len({q["id"] for q in gold}) == len(gold)
    assert {q["type"] for q in gold} <= TYPES
    unanswerable = [q for q in gold if q["answer"] is None]
    assert len(unanswerable) >= 0.15 * len(gold)
    assert all(q["type"] == "unanswerable" and not q["evidence"] for q in unanswerable)
    assert all(q["evidence"] and q["article_ids"] for q in gold if q["answer"] is not None)


def test_question_ids_are_unique_across_the_gold_files() -> None:
    ids = [json.loads(line)["id"] for path in GOLD_FILES for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == len(set(ids))
