"""Check every sentence of a drafted answer against the passages it cites.

A sentence survives only if its markers point at shown passages and those passages hold its
numbers, its names and most of its words; each surviving marker gets the sentence(s) of the
passage that support the claim as its quote. Markers are renumbered 1..n in order of first use.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from index.lexical import token_set
from rag.event_dates import statement_date
from rag.evidence import AIMED_AT_ASSISTANT
from rag.timeline import attribution_error, dated_line, parse_line, source_label
from rag.types import Citation, ScoredPassage, Sentence, TimelineEvent

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-Z][a-z][\w’'\-]*)")
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "twenty": "20",
    "hundred": "100",
}

# Words that turn a statement around: a claim may use one only where its cited passage does.
_NEGATION = re.compile(r"\b(not|no|never|nothing|none|nobody|neither|nor|without|cannot|n[o’']t)\b|\w+n[’']t\b", re.I)
MIN_WORD_SUPPORT = 0.6  # share of a sentence's content words its cited passages must hold


class Verified(BaseModel):
    text: str
    citations: list[Citation]
    notes: list[str]
    kept: int  # sentences kept
    dropped: int
    events: list[TimelineEvent] = []


# Text up to a marker; an editor's bracket inside a quote ("readiness [for] every scenario") is text, not a marker.
_NOT_MARKER = r"(?:[^\[]|\[(?!\d+(?:\s*,\s*\d+)*\]))"
_CLAIM = re.compile(rf"{_NOT_MARKER}*?(?:\[\d+(?:\s*,\s*\d+)*\]\s*)+[.!?;:,]?|{_NOT_MARKER}+$|\[[^\]]*$")


def split_answer(text: str) -> list[str]:
    """Claims: each runs to the end of its citation markers (and the punctuation after them), so that
    abbreviations like "U.S." never split a claim; lines without markers stand alone."""
    from index.chunk import split_sentences

    claims = []
    for line in text.strip().splitlines():
        for m in _CLAIM.finditer(line.strip()):
            claim = m.group(0).strip()
            if claim and not MARKER.search(claim):  # unmarked prose: one claim per sentence
                claims.extend(s.text for s in split_sentences(claim, max_words=400))
            elif claim:
                claims.append(claim)
    return claims


def _numbers(text: str) -> set[str]:
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    found |= {v for w, v in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", text, re.I)}
    return found


def _names(text: str) -> set[str]:
    return {n.lower().rstrip("’'s") for n in _NAME.findall(text) if n.lower() not in _NUMBER_WORDS}


def _negations(text: str) -> set[str]:
    """'not', 'no', 'never', 'nothing' ... in a text ("didn't", "cannot" count as 'not')."""
    found = {m.group(0).lower().replace("’", "'") for m in _NEGATION.finditer(text)}
    return {"not" if w.endswith("n't") or w == "cannot" else w for w in found}


def check_sentence(claim: str, passages: list[ScoredPassage]) -> tuple[bool, str]:
    """Is the claim (markers removed) supported by these passages? Returns (ok, reason if not)."""
    evidence = " ".join(s.text for p in passages for s in p.passage.sentences if not AIMED_AT_ASSISTANT.search(s.text))
    missing_numbers = _numbers(claim) - _numbers(evidence)
    if missing_numbers:
        return False, f"number(s) {', '.join(sorted(missing_numbers))} not in the cited passage"
    lowered = evidence.lower()
    missing_names = {n for n in _names(claim) if n not in lowered}
    if missing_names:
        return False, f"name(s) {', '.join(sorted(missing_names))} not in the cited passage"
    negations = _negations(claim) - _negations(evidence)
    if negations:  # "Lebanon owes nothing" is not what "cost Lebanon $8.5bn" says, though most words match
        return False, f"negation ({', '.join(sorted(negations))}) not in the cited passage"
    words = token_set(claim) - {""}
    if words:
        held = words & token_set(evidence)
        if len(held) / len(words) < MIN_WORD_SUPPORT:
            return False, "the cited passage does not say this"
    return True, ""


def _overlap(claim: str, passage: ScoredPassage) -> int:
    return len(token_set(claim) & token_set(passage.passage.text))


def best_quote(claim: str, passage: ScoredPassage) -> list[Sentence]:
    """The sentence of the passage that shares most with the claim (and the next one if it adds to it)."""
    words = token_set(claim)
    numbers = _numbers(claim)
    sentences = [s for s in passage.passage.sentences if not AIMED_AT_ASSISTANT.search(s.text)] or [
        passage.passage.sentences[0]
    ]
    scored = [
        (len(words & token_set(s.text)) + 2 * len(numbers & _numbers(s.text)), i) for i, s in enumerate(sentences)
    ]
    best_score, best = max(scored, key=lambda x: (x[0], -x[1]))
    chosen = [sentences[best]]
    if best + 1 < len(sentences):
        covered = token_set(sentences[best].text)
        extra = (words - covered) & token_set(sentences[best + 1].text)
        if len(extra) >= 2:
            chosen.append(sentences[best + 1])
    return chosen


def verify(draft: str, shown: list[ScoredPassage]) -> Verified:
    """Keep the supported sentences of a draft whose [n] markers refer to `shown` (1-based)."""
    notes: list[str] = []
    kept_sentences: list[tuple[str, list[int]]] = []
    dropped = 0
    for sentence in split_answer(draft):
        refs = [int(n) for group in MARKER.findall(sentence) for n in re.split(r"\s*,\s*", group)]
        claim = MARKER.sub("", sentence).strip()
        claim = re.sub(r"\s+([.,;:!?])", r"\1", claim)
        if not re.search(r"\w", claim):
            continue
        dated = parse_line(claim)
        prefix = ""
        if dated:  # "- 24 October 2024, Reuters: statement": check the statement, then its attribution
            claim = dated.body
            prefix = dated_line(dated.date, dated.source, "", dated.event) if dated.source else f"- {dated.date}: "
        valid = [n for n in dict.fromkeys(refs) if 1 <= n <= len(shown)]
        if len(valid) < len(set(refs)):
            notes.append(f"dropped marker(s) {sorted(set(refs) - set(valid))} that point at no passage")
        if not refs:
            # Small models often leave markers out: cite the shown passage that best supports the claim.
            supporting = [n for n in range(1, len(shown) + 1) if check_sentence(claim, [shown[n - 1]])[0]]
            if supporting:
                valid = [max(supporting, key=lambda n: _overlap(claim, shown[n - 1]))]
                notes.append(f"cited automatically [{valid[0]}]: {claim[:80]}")
        if not valid:
            dropped += 1
            notes.append(f"removed (no citation): {claim[:80]}")
            continue
        ok, why = check_sentence(claim, [shown[n - 1] for n in valid])
        if ok and dated:
            wrong = attribution_error(dated[0], dated[1], [shown[n - 1].article for n in valid])
            ok, why = (False, wrong) if wrong else (True, "")
        if not ok:
            dropped += 1
            notes.append(f"removed ({why}): {claim[:80]}")
            continue
        kept_sentences.append((prefix, claim, valid))

    order: dict[int, int] = {}
    quotes: dict[int, list[Sentence]] = {}
    parts = []
    events = []
    for prefix, claim, refs in kept_sentences:
        for n in refs:
            order.setdefault(n, len(order) + 1)
            quote = best_quote(claim, shown[n - 1])
            quotes.setdefault(n, [])
            quotes[n] = sorted({s.start: s for s in quotes[n] + quote}.values(), key=lambda s: s.start)
        marks = "".join(f"[{order[n]}]" for n in refs)
        body = claim.rstrip()
        line = f"{body[:-1]} {marks}{body[-1]}" if body and body[-1] in ".!?" else f"{body} {marks}"
        parts.append(prefix + line)
        if prefix:
            article = shown[refs[0] - 1].article
            happened = statement_date(body, article.published)
            events.append(
                TimelineEvent(
                    published=article.published,
                    event_date=happened.start if happened else None,
                    event_until=happened.end if happened and happened.end != happened.start else None,
                    event_date_rule=happened.rule if happened else None,
                    source=source_label(article),
                    text=body,
                    markers=[order[n] for n in refs],
                )
            )
    citations = [_citation(order[n], shown[n - 1], quotes[n]) for n in sorted(order, key=order.get)]
    joiner = "\n" if events else " "
    return Verified(
        text=joiner.join(parts),
        citations=citations,
        notes=notes,
        kept=len(kept_sentences),
        dropped=dropped,
        events=events,
    )


def _citation(marker: int, source: ScoredPassage, quote: list[Sentence]) -> Citation:
    p, a = source.passage, source.article
    article_start = quote[0].start
    article_end = quote[-1].end
    text = p.text[article_start - p.start : article_end - p.start]
    return Citation(
        marker=marker,
        passage_id=p.id,
        article_id=a.id,
        title=a.title,
        publisher=a.publisher,
        published=a.published,
        url=a.url,
        text=p.text,
        passage_start=p.start,
        quote=text,
        start=article_start,
        end=article_end,
    )
