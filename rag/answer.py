"""One question, start to end: read the question, find evidence, abstain or draft, verify."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from index.lexical import respellings, stem
from index.store import Snapshot
from rag.abstain import out_of_range, weak_evidence
from rag.anchors import date_shift
from rag.evidence import EvidenceSet
from rag.generators import Generator
from rag.generators.extractive import ExtractiveGenerator
from rag.prompts import CANNOT_ANSWER
from rag.question import QuestionInfo, analyze, expand_shorthand, is_follow_up
from rag.types import Answer, Filters, ScoredPassage, Turn
from rag.verify import verify

if TYPE_CHECKING:
    from rag.assistant import Assistant

MAX_QUESTION_CHARS = 1000  # longer input is cut: a question, not a document


def clean_question(question: str) -> str:
    """Control characters out, white space folded, length bounded."""
    question = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]|\x1b\[[0-9;]*m", " ", question or "")
    return " ".join(question.split())[:MAX_QUESTION_CHARS]


def _respelled(
    snapshot: Snapshot, info: QuestionInfo, query: str, evidence: EvidenceSet
) -> tuple[QuestionInfo, str] | None:
    """The question and query with their misspelt words spelt as the passages found spell them, or None."""
    fixes = respellings(snapshot.bm25, query, [p.passage.text for p in evidence.passages])
    if not fixes:
        return None
    for word, near in fixes.items():
        query = re.sub(rf"\b{re.escape(word)}\b", near, query)
    by_stem = {stem(word): stem(near) for word, near in fixes.items()}
    fixed = info.model_copy(deep=True)
    fixed.terms = list(dict.fromkeys(by_stem.get(t, t) for t in info.terms))
    return fixed, query


def latest_date(snapshot: Snapshot) -> date | None:
    dates = snapshot.published_dates
    return dates[-1] if dates else None


def _retrieval_query(question: str, history: list[Turn]) -> str:
    """A follow-up ("and what did Hezbollah say?") is searched together with the question before it."""
    previous = [t.content for t in history if t.role == "user"]
    if previous and is_follow_up(question):
        return f"{clean_question(previous[-1])} {question}"[: 2 * MAX_QUESTION_CHARS]
    return question


def answer_question(
    assistant: Assistant,
    question: str,
    history: list[Turn],
    filters: Filters | None,
    k: int,
    generator_name: str | None,
) -> Iterator[str | Answer]:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    settings = assistant.settings
    snapshot = assistant.snapshot
    asked = clean_question(question)
    generator = _generator(assistant, generator_name)

    def finish(answer: Answer) -> Answer:
        timings["total"] = time.perf_counter() - started
        answer.timings = {key: round(value, 4) for key, value in timings.items()}
        answer.settings_hash = settings.fingerprint()
        answer.generator = generator.name
        return answer

    if not re.search(r"\w{2,}", asked):
        yield finish(_abstain(question, "Please ask a question about the articles, in words.", []))
        return

    query = _retrieval_query(expand_shorthand(asked), history)
    reference = latest_date(snapshot)
    # Evidence is scored on the question's own words; a follow-up with hardly any ("and what did he
    # say?") borrows those of the conversation. Retrieval always searches with the whole query.
    info = analyze(asked, reference, snapshot.publishers)
    if query != expand_shorthand(asked) and len(info.terms) < 2:
        info.terms = analyze(query, reference).terms
    # "two days after meeting Netanyahu": date the meeting, then search the day it points to without its words
    shifted = date_shift(assistant, snapshot, info, reference)
    if info.time.shift is not None:
        query = query.replace(info.time.shift.text, " ")
    reason = out_of_range(info, snapshot)
    if reason:
        yield finish(_abstain(question, reason, []))
        return

    _, evidence = assistant._evidence(snapshot, info, query, filters)
    reason = weak_evidence(info, evidence)
    if reason:  # a misspelt question ('wat aproach did us oficials base there hezbolla stratergy on'): try it spelt
        respelled = _respelled(snapshot, info, query, evidence)
        if respelled is not None:
            fixed_info, fixed_query = respelled
            _, fixed = assistant._evidence(snapshot, fixed_info, fixed_query, filters)
            if weak_evidence(fixed_info, fixed) is None:
                info, query, evidence, reason = fixed_info, fixed_query, fixed, None
    timings["retrieve"] = time.perf_counter() - started
    if reason:
        yield finish(_abstain(question, reason, evidence.passages[:3]))
        return

    shown = list(evidence.passages[:k])
    draft_parts: list[str] = []
    failure = None
    try:
        for delta in generator.draft(info, evidence, shown, history):
            draft_parts.append(delta)
            yield delta
    except Exception as exc:  # noqa: BLE001 - a model server down, a timeout: answer from the evidence
        failure = f"{generator.name} generator failed ({type(exc).__name__}: {str(exc)[:120]})"
    timings["generate"] = time.perf_counter() - started - timings["retrieve"]
    draft = "".join(draft_parts)
    checked = verify(draft, shown)
    notes = ([shifted] if shifted else []) + list(checked.notes)

    declined = draft.strip().startswith(CANNOT_ANSWER)
    evidence_writer = ExtractiveGenerator()
    why = None
    if generator.name != "extractive":
        # The evidence passed the abstention checks, so a refusal, an unsupported draft, one that leaves out the
        # answer or a failed call is the model's failure, not the articles': answer from the evidence instead.
        # ("Who heads the Mossad?" -> "The Mossad is the head of the intelligence agency [1]" is supported and says
        # nothing: a draft must state the figure or name the evidence answers with.)
        if failure or declined or checked.kept == 0:
            why = failure or f"{generator.name} draft {'declined' if declined else 'unsupported'}"
        elif omitted := _omitted_answer(checked.text, evidence_writer.answer_values(info, evidence)):
            why = f"{generator.name} draft leaves out the answer the evidence gives ({omitted})"
    if why:
        notes.append(f"{why}; answered from the evidence sentences instead")
        shown = list(evidence.passages[:k])
        checked = verify("".join(evidence_writer.draft(info, evidence, shown, history)), shown)
        notes.extend(checked.notes)
    timings["verify"] = time.perf_counter() - started - timings["retrieve"] - timings["generate"]

    if not checked.citations:
        yield finish(
            _abstain(
                question,
                "No sentence of the answer could be verified against the articles.",
                evidence.passages[:3],
                notes,
            )
        )
        return
    # Dated lines in a fact answer: reports that disagree on a figure, shown side by side.
    kind = ("comparison" if info.shape == "fact" else info.shape) if len(checked.events) >= 2 else "fact"
    yield finish(
        Answer(
            question=question,
            text=checked.text,
            citations=checked.citations,
            events=checked.events,
            kind=kind,
            verification=notes,
        )
    )


def _omitted_answer(text: str, values: list[str]) -> str | None:
    """The answer values (figures, names) the text states none of, joined for a note; None if it states one."""
    if not values or any(re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text, re.I) for v in values):
        return None
    return " / ".join(values[:3])


def _generator(assistant: Assistant, name: str | None) -> Generator:
    settings = assistant.settings if name is None else assistant.settings.model_copy(update={"generator": name})
    return assistant.generator_for(settings)


def _abstain(question: str, reason: str, related: list[ScoredPassage], notes: list[str] | None = None) -> Answer:
    return Answer(
        question=question,
        text=f"{CANNOT_ANSWER} {reason}",
        abstained=True,
        kind="abstained",
        related=related,
        verification=notes or [],
    )
