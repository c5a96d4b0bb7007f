"""Scores for one answered question and their aggregation: retrieval, answers, citations
(ALCE-style), abstention, time-ordered facts and latency."""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter

from index.lexical import tokenize
from rag.dates import date_label
from rag.timeline import parse_line
from rag.types import Answer, ScoredPassage
from rag.verify import MARKER, split_answer

K_VALUES = (1, 3, 5, 10)
JUDGE = "lexical: numbers and names of the statement in the cited quotes, >= 70% of its content words"


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def contains_answer(text: str, answers: list[str]) -> bool:
    norm = f" {normalize(text)} "
    return any(f" {normalize(a)} " in norm for a in answers if normalize(a))


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def _holds(passage_text: str, evidence: str) -> bool:
    return evidence in passage_text or (len(evidence) > 80 and evidence[:80] in passage_text)


def retrieval_scores(passages: list[ScoredPassage], evidence: list[str]) -> dict[str, float]:
    """hit@k (some evidence sentence in the top k), recall@k (share of evidence sentences found), MRR."""
    scores: dict[str, float] = {}
    first = next((i for i, p in enumerate(passages, 1) if any(_holds(p.passage.text, e) for e in evidence)), None)
    for k in K_VALUES:
        top = [p.passage.text for p in passages[:k]]
        found = [e for e in evidence if any(_holds(t, e) for t in top)]
        scores[f"hit@{k}"] = float(bool(found))
        scores[f"recall@{k}"] = len(found) / len(evidence)
    scores["mrr"] = 1.0 / first if first else 0.0
    return scores


def supports(statement: str, quotes: list[str]) -> bool:
    """The default citation judge (lexical): the quotes hold the statement's numbers, names and most words."""
    evidence = " ".join(quotes)
    numbers = set(re.findall(r"\d[\d,.]*\d|\d", statement))
    if any(n not in evidence for n in numbers):
        return False
    names = set(re.findall(r"(?<!^)\b[A-Z][a-z]+", statement))
    if any(n not in evidence for n in names):
        return False
    words = set(tokenize([statement])[0]) - {""}
    return not words or len(words & set(tokenize([evidence])[0])) / len(words) >= 0.7


def citation_scores(answer: Answer, evidence: list[str]) -> dict[str, float | None]:
    """ALCE citation recall and precision, and the share of citations whose passage holds gold evidence."""
    if answer.abstained or not answer.citations:
        return {"citation_recall": None, "citation_precision": None, "citation_evidence": None}
    quote = {c.marker: c.quote for c in answer.citations}
    statements = []
    for claim in split_answer(answer.text):
        refs = [int(n) for group in MARKER.findall(claim) for n in re.split(r"\s*,\s*", group)]
        statement = MARKER.sub("", claim).strip()
        dated = parse_line(statement)  # "- 24 October 2024, Reuters: ..." -> the statement itself
        statements.append((dated[2] if dated else statement, [r for r in refs if r in quote]))
    supported = [bool(refs) and supports(s, [quote[r] for r in refs]) for s, refs in statements]
    precise, total = 0, 0
    for (statement, refs), ok in zip(statements, supported, strict=True):
        for r in refs:
            total += 1
            alone = supports(statement, [quote[r]])
            others = [quote[o] for o in refs if o != r]
            if alone or (ok and not (others and supports(statement, others))):
                precise += 1
    with_evidence = sum(any(_holds(c.text, e) for e in evidence) for c in answer.citations) if evidence else None
    return {
        "citation_recall": sum(supported) / len(statements) if statements else 0.0,
        "citation_precision": precise / total if total else 0.0,
        "citation_evidence": with_evidence / len(answer.citations) if with_evidence is not None else None,
    }


def fact_scores(answer: Answer, facts: list[str], article_ids: list[str]) -> dict[str, float | None]:
    """For change/timeline questions: each fact is matched to the answer statement that holds most of its
    words (found: at least half); in order when the matched statements follow the facts' order."""
    if not facts:
        return {"facts_found": None, "facts_in_order": None, "articles_cited": None}
    claims = [set(tokenize([MARKER.sub("", c)])[0]) for c in split_answer(answer.text)] or [set()]
    positions = []
    for fact in facts:
        body = re.sub(r"^[^:]{0,40}:\s*", "", fact)  # "24 Oct 2024: ..." -> the fact itself
        words = set(tokenize([body])[0]) - {""}
        overlap = [len(words & c) / len(words) if words else 0.0 for c in claims]
        best = max(range(len(claims)), key=lambda i: overlap[i])
        positions.append(best if overlap[best] >= 0.5 else None)
    found = [p for p in positions if p is not None]
    cited = {c.article_id for c in answer.citations}
    return {
        "facts_found": len(found) / len(facts),
        "facts_in_order": float(len(found) == len(facts) and found == sorted(found)),
        "articles_cited": len(cited & set(article_ids)) / len(article_ids) if article_ids else None,
    }


def misdated_statements(answer: Answer) -> int:
    """Dated answer lines ("- 24 October 2024, Reuters: ... [1]") whose date is not the publication date of
    any report they cite: a statement attributed to the wrong date. Must be 0."""
    published = {c.marker: date_label(c.published) for c in answer.citations}
    wrong = 0
    for claim in split_answer(answer.text):
        dated = parse_line(MARKER.sub("", claim).strip())
        refs = [int(n) for group in MARKER.findall(claim) for n in re.split(r"\s*,\s*", group)]
        if dated and refs and not any(published.get(r) == dated[0] for r in refs):
            wrong += 1
    return wrong


def mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 4) if present else None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 4)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1], 4)
