"""The default generator: no language model. The answer is the best evidence sentences, each cited,
led by the short answer (a number, name, date or place) where the best sentence holds exactly one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from rag.dates import date_label
from rag.evidence import EvidenceSentence, EvidenceSet, answer_lead, answer_sentences
from rag.kinds import answer_names
from rag.question import QuestionInfo
from rag.slots import UNIT_WORDS, matching_figures
from rag.timeline import dated_line, own_date, select_dated, source_label
from rag.types import ScoredPassage, Turn

DISAGREE_DEPTH = 8  # sentences searched for another report's figure
DISAGREE_SPREAD = 0.15  # ... scoring at most this far below the best sentence
DISAGREE_COVERAGE = 0.8  # ... and holding at least this share of its question-term coverage

_NUMBER_PHRASE = re.compile(
    r"(?:(?:more than|almost|nearly|about|around|at least|approximately|some|over|up to)\s+)?"
    r"[$£€]?\d[\d,.]*\d?(?:\s*(?:million|billion|thousand|per cent|percent|bn|m)\b|%)?"
    r"(?:\s+(?:[a-z’'-]+\s+){0,2}?(?:people|miles|km|kilometres|soldiers|troops|children|civilians|hostages|times"
    r"|rockets|projectiles|drones|days|weeks|months|years|members|palestinians|wounded|injured|killed))?",
    re.I,
)


def short_answer(question: QuestionInfo, sentence: str, context: str = "") -> str | None:
    """The one number/name the question asks for, when the sentence holds exactly one new candidate."""
    asked = question.text.lower()
    if question.answer_type == "number":
        answering = {re.sub(r"\D", "", f) for f in matching_figures(sentence, question, context)}
        found = [
            m.group(0).strip()
            for m in _NUMBER_PHRASE.finditer(sentence)
            if re.search(r"\d", m.group(0))
            and re.sub(r"\D", "", re.search(r"[\d,.]+", m.group(0)).group(0)) in answering
        ]
        found = [f for f in found if re.sub(r"[^\d]", "", f) not in {re.sub(r"[^\d]", "", n) for n in question.numbers}]
        if question.unit == "duration":  # "how long ago": "three weeks", not "at least 25 soldiers" beside it
            found = [f for f in found if UNIT_WORDS["duration"].search(f)]
        return found[0] if len(found) == 1 else None
    if question.answer_type in ("person", "place"):
        asked_words = set(re.findall(r"\w+", asked))
        # names of two words or more ("Hamas leader X" is no place; "US Defence Secretary X" is X)
        candidates = answer_names(sentence, question.answer_type, question)
        names = list(
            dict.fromkeys(
                n for n in candidates if len(n.split()) > 1 and not set(re.findall(r"\w+", n.lower())) & asked_words
            )
        )
        return names[0] if len(names) == 1 else None
    return None


class ExtractiveGenerator:
    name = "extractive"

    def choose(self, question: QuestionInfo, evidence: EvidenceSet) -> list[EvidenceSentence]:
        """The sentences the answer quotes (see rag.evidence.answer_sentences)."""
        return answer_sentences(question, evidence)

    def answer_values(self, question: QuestionInfo, evidence: EvidenceSet) -> list[str]:
        """What a one-fact answer to a figure, person or place question must state: the short answer it leads
        with, or else the figures or names its leading sentences hold. Empty for other questions."""
        if question.shape != "fact" or question.answer_type not in ("number", "person", "place"):
            return []
        values = []
        for e in answer_lead(question, self.choose(question, evidence)):
            if not e.typed:
                continue
            short = short_answer(question, e.sentence.text.strip(), e.context)
            if short:
                return [short]
            if question.answer_type == "number":
                values += matching_figures(e.sentence.text, question, e.context)
            else:
                values += answer_names(e.sentence.text, question.answer_type, question)
        return values

    def draft(
        self, question: QuestionInfo, evidence: EvidenceSet, shown: list[ScoredPassage], history: list[Turn]
    ) -> Iterator[str]:
        if question.shape != "fact":
            yield from _dated_lines(question, evidence, shown)
            return
        chosen = self.choose(question, evidence)
        differing = disagreeing_figures(question, evidence, chosen[0]) if chosen else []
        if differing:
            yield from _side_by_side(question, [chosen[0], *differing], shown)
            return
        parts = []
        typed = next((e for e in answer_lead(question, chosen) if e.typed), None)
        lead = short_answer(question, typed.sentence.text.strip(), typed.context) if typed else None
        if lead:
            parts.append(f"{lead[0].upper()}{lead[1:]} [{_index_of(shown, typed.source) + 1}].")
        for e in chosen:
            parts.append(f"{e.sentence.text.strip()} [{_index_of(shown, e.source) + 1}]")
        for i, part in enumerate(parts):
            yield part if i == 0 else "\n" + part


def _digits(figure: str) -> str:
    return re.sub(r"\D", "", figure)


def disagreeing_figures(
    question: QuestionInfo, evidence: EvidenceSet, best: EvidenceSentence
) -> list[EvidenceSentence]:
    """Other reports that give a different figure for what the question counts, about as relevant as the best
    sentence: an older and a newer death toll, two estimates of the displaced."""
    if question.answer_type != "number" or not best.typed:
        return []
    figure = short_answer(question, best.sentence.text, best.context)
    if not figure:
        return []
    articles, figures, found = {best.source.article.id}, {_digits(figure)}, []
    for e in evidence.sentences[:DISAGREE_DEPTH]:
        if e.score < best.score - DISAGREE_SPREAD or not e.typed or e.source.article.id in articles:
            continue
        other = short_answer(question, e.sentence.text, e.context)
        if other and _digits(other) not in figures and e.coverage >= DISAGREE_COVERAGE * best.coverage:
            found.append(e)
            articles.add(e.source.article.id)
            figures.add(_digits(other))
    return found


def _side_by_side(question: QuestionInfo, figures: list[EvidenceSentence], shown: list[ScoredPassage]) -> Iterator[str]:
    """The best figure first, then every report's figure with its date and source, oldest first."""
    best = figures[0]
    yield f"{short_answer(question, best.sentence.text, best.context)} [{_index_of(shown, best.source) + 1}]."
    for e in sorted(figures, key=lambda e: (e.source.article.published or date.max, e.sentence.start)):
        n = _index_of(shown, e.source) + 1
        article = e.source.article
        yield f"\n- {date_label(article.published)}, {source_label(article)}: {e.sentence.text.strip()} [{n}]"


def _dated_lines(question: QuestionInfo, evidence: EvidenceSet, shown: list[ScoredPassage]) -> Iterator[str]:
    for i, e in enumerate(select_dated(question, evidence)):
        n = _index_of(shown, e.source) + 1
        article = e.source.article
        said = own_date(e, question)
        line = dated_line(
            date_label(article.published),
            source_label(article),
            f"{e.sentence.text.strip()} [{n}]",
            said.label if said else None,
        )
        yield line if i == 0 else "\n" + line


def _index_of(shown: list[ScoredPassage], source: ScoredPassage) -> int:
    for i, p in enumerate(shown):
        if p.passage.id == source.passage.id:
            return i
    shown.append(source)
    return len(shown) - 1
