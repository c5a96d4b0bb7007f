"""Which sentences an answer quotes (rag/evidence.py), on hand-built evidence."""

from __future__ import annotations

from index.types import ArticleInfo, Passage, Sentence
from rag.evidence import EvidenceSentence, EvidenceSet, answer_lead, answer_sentences
from rag.question import analyze
from rag.types import ScoredPassage

ARTICLE = ArticleInfo(id="a", source="a.txt")
FIRST = "The US vetoed a UN security council resolution on Wednesday demanding a ceasefire in Gaza."
SECOND = "Members of the council voted 14-1 in favour of the resolution."
THIRD = "Negotiations have repeatedly failed."


def _scored(passage: Passage, sentence: Sentence, score: float) -> EvidenceSentence:
    source = ScoredPassage(passage=passage, article=ARTICLE, score=1.0)
    return EvidenceSentence(sentence=sentence, source=source, dense=0.6, coverage=0.5, typed=False, score=score)


def test_the_sentence_after_the_best_one_runs_on_across_a_passage_boundary() -> None:
    one = Sentence(start=0, end=len(FIRST), text=FIRST)
    two = Sentence(start=one.end + 2, end=one.end + 2 + len(SECOND), text=SECOND)
    three = Sentence(start=two.end + 1, end=two.end + 1 + len(THIRD), text=THIRD)
    first = Passage(id="p0", article_id="a", ordinal=0, start=0, end=one.end, text=FIRST, sentences=[one])
    second = Passage(
        id="p1",
        article_id="a",
        ordinal=1,
        start=two.start,
        end=three.end,
        text=f"{SECOND} {THIRD}",
        sentences=[two, three],
    )
    ranked = [_scored(first, one, 1.0), _scored(second, three, 0.6), _scored(second, two, 0.5)]
    evidence = EvidenceSet(passages=[], sentences=ranked, missing_terms=[], window_coverage=0.5)
    question = analyze("How did the security council members vote on the resolution the US vetoed?")
    chosen = answer_sentences(question, evidence)
    assert [e.sentence.text for e in chosen[:2]] == [FIRST, SECOND]
    # and the run-on sentence is part of what answers: abstention looks for the vote count in it too
    assert [e.sentence.text for e in answer_lead(question, chosen)] == [FIRST, SECOND]
