"""Decide when the articles do not answer a question, and say why."""

from __future__ import annotations

import re
from datetime import date, timedelta

from index.lexical import search_bm25, stem, token_set
from index.store import Snapshot
from rag.dates import OPEN_START, DateScope, date_label
from rag.event_dates import event_spans, mentioned_spans, within
from rag.evidence import EvidenceSentence, EvidenceSet, answer_lead, answer_sentences
from rag.question import HAPPENED, QuestionInfo, with_equivalents
from rag.slots import prospective
from rag.timeline import select_dated

# Calibrated on the gold set (evals/gold/bundled.jsonl): see `python -m rag eval`.
MIN_DENSE = 0.3  # best sentence's cosine to the question
MIN_SUPPORT = 0.56  # dense + 0.5 * window coverage, below which the evidence is too weak: off-topic questions
# ("what is the capital of France?" 0.55, "the weather in Beirut today?" 0.52) fall below it; of 226 answerable gold
# questions (three sets) one falls below it (0.54), and it was answered wrongly
TYPED_DEPTH = 3  # best sentences searched for the kind of answer asked for (a figure, a date, a name)
LOOKBACK_DAYS = 7  # a report speaks of its own week ("on Thursday", "last week")
RELATIVE_REACH_DAYS = 400  # "last year", "13 months ago": how far back a report's relative words reach
MENTION_SEARCH = 200  # passages searched for a mention of the month a question asks about
OUTCOME_COVERAGE = 0.5  # a sentence addresses an outcome question when it holds this share of its terms


_YES_NO = re.compile(r"\s*(so |and )?(was|were|did|does|do|is|are|has|have|had)\b", re.I)
_PARTICIPLE = {"hurt": "hurt", "injur": "injured", "wound": "wounded", "kill": "killed", "die": "killed"}
# (what the question asks, words one of the answer's sentences must hold, the reason to abstain without them)
_MUST_SAY = [
    (
        re.compile(r"\b(replac\w*|succe(ed|eded|ssor)\w*|took over|take over|taken over)\b", re.I),
        re.compile(
            r"\b(replac\w*|succe(ed|eded|ssor)\w*|took over|take over|taken over|new (leader|chief|head)|named"
            r"|appointed|secretary[\s-]+general|elected|chosen)\b",
            re.I,
        ),
        "The closest passages do not say who took over.",
    ),
    (
        re.compile(r"\bwhat did .{1,80}\bagree\b|\bwhat (was|were|had been) agreed\b", re.I),
        re.compile(r"\b(agree\w*|deal|accord|signed|accepted|approved|reached|settled|consensus)\b", re.I),
        "The closest passages report the meeting, not what was agreed.",
    ),
]


def coverage_of_dates(snapshot: Snapshot) -> tuple[date, date] | None:
    dates = snapshot.published_dates
    return (dates[0], dates[-1]) if dates else None


def _period_mentioned(snapshot: Snapshot, scope: DateScope) -> bool:
    """Does any passage speak of a day inside the scope ("Sept. 27" for late September 2024)?"""
    if snapshot.bm25 is None:
        return False
    months = {(d.year, d.month) for d in (scope.start, scope.end)}
    for _, month in sorted(months):
        name = date(2000, month, 1).strftime("%B")
        hits = search_bm25(snapshot.bm25, f"{name} {name[:3]} {name[:4]}", MENTION_SEARCH)
        for passage, article in snapshot.passages_at([i for i, _ in hits]):
            if article.published is None:
                continue
            for start, end in mentioned_spans(passage.text, article.published, month):
                if start <= scope.end and end >= scope.start:
                    return True
    # "last month" in a report of August speaks of July: reports published within a year after the scope
    hits = search_bm25(snapshot.bm25, "last month week year ago earlier", MENTION_SEARCH)
    for passage, article in snapshot.passages_at([i for i, _ in hits]):
        published = article.published
        if published is None or not scope.start <= published <= scope.end + timedelta(days=RELATIVE_REACH_DAYS):
            continue
        if any(within(span.start, span.end, scope) for span in event_spans(passage.text, published)):
            return True
    return False


def _reported_on(scope: DateScope, published: list[date]) -> bool:
    """Does a report fall in the scope, or in the days after it that a report still looks back on?"""
    return any(scope.start <= day and day - timedelta(days=LOOKBACK_DAYS) <= scope.end for day in published)


def _dates_text(published: list[date]) -> str:
    days = sorted(set(published))
    if len(days) > 6:
        return f"between {date_label(days[0])} and {date_label(days[-1])}"
    return "on " + ", ".join(date_label(d) for d in days)


def out_of_range(question: QuestionInfo, snapshot: Snapshot) -> str | None:
    """A reason to abstain when no report covers any time span the question names: none was published in it
    (or within a week after it) and no passage mentions a day inside it."""
    scopes = question.time.scopes
    published = list(snapshot.published_dates)
    if not scopes or not published:
        return None
    for scope in scopes:
        if scope.start == OPEN_START:  # "... through January 2025": the articles must reach its last month
            scope = DateScope(start=scope.end.replace(day=1), end=scope.end, text=scope.text)
        if _reported_on(scope, published) or _period_mentioned(snapshot, scope):
            return None
    asked = ", ".join(s.text for s in scopes)
    return f"The articles don't cover {asked}: they were published {_dates_text(published)}."


ECHO_BEFORE, ECHO_AFTER = 3, 4  # words either side of the asked noun that would say which it is
# Words that say nothing about which: "although with some comments", "several other conditions".
_UNSPECIFIC = {
    *("although", "though", "while", "also", "however", "still", "yet", "even", "just", "only", "own", "some"),
    *("several", "many", "other", "various", "certain", "unspecified", "further", "more", "few", "new", "its"),
    # verbs that bring a thing up without saying which ("conditions put forward in Cairo")
    *("put", "forward", "proposed", "presented", "made", "set", "laid", "raised", "offered", "tabled", "submitted"),
}


def echoes(text: str, question: QuestionInfo) -> bool:
    """Does the text name the thing a "which/what <noun>" question asks about only in the question's own words
    ("Hamas rejecting new Israeli conditions put forward in Cairo" for "what new conditions did Israel put
    forward in Cairo?")? Every mention's neighbours must then be words of the question."""
    asked = set(token_set(question.text))
    asked = with_equivalents(asked)
    wanted = with_equivalents([question.asked_thing])
    mentioned = False
    words = re.findall(r"[\w’'-]+", text)
    for i, word in enumerate(words):
        if stem(word) not in wanted:
            continue
        mentioned = True
        around = words[max(0, i - ECHO_BEFORE) : i] + words[i + 1 : i + 1 + ECHO_AFTER]
        if any(stem(w) and stem(w) not in asked and w.lower() not in _UNSPECIFIC for w in around):
            return False
    return mentioned


def weak_evidence(question: QuestionInfo, evidence: EvidenceSet) -> str | None:
    """A reason to abstain when the best evidence does not address the question."""
    if not evidence.sentences:
        return "No passage in the articles matches the question."
    top = evidence.sentences[0]
    if question.about_period:  # no topic to be close to: the evidence must speak of the period
        asked = ", ".join(s.text for s in question.time.scopes)
        return None if top.dated >= 1 else f"No passage says what happened on or in {asked}."
    if top.dense < MIN_DENSE:
        return "No passage in the articles is close to the question."
    support = top.dense + 0.5 * evidence.window_coverage
    if support < MIN_SUPPORT:
        return "The closest passages do not address what the question asks."
    # The sentences the answer would quote must hold the kind of answer asked for: a figure in a sentence
    # far down the ranking, about something else, is no answer to this question.
    # (a timeline's: the statements it would list, one of which must hold it)
    lead = (
        answer_lead(question, answer_sentences(question, evidence))
        if question.shape == "fact"
        else select_dated(question, evidence)
    )
    if question.answer_type != "open" and not any(e.typed for e in lead):
        what = "figure" if question.answer_type == "number" else question.answer_type
        return f"The closest passages give no {what} that answers the question."
    if question.asked_thing and lead and echoes(lead[0].sentence.text, question):
        return "The closest passage mentions what the question asks about but does not say which or what it is."
    if question.outcome:
        addressing = [e for e in evidence.sentences[:TYPED_DEPTH] if e.coverage >= OUTCOME_COVERAGE]
        if addressing and all(prospective(e.sentence.text) for e in addressing):
            return "The articles report this only as planned or expected, not what came of it."
    return _unsaid(question, lead)


def _unsaid(question: QuestionInfo, lead: list[EvidenceSentence]) -> str | None:
    """What the question asks that none of the answer's sentences says: who took over ("who replaced Sinwar?" of
    sentences about his death), what was agreed (of a report that they met), whether anyone was hurt (of one
    about the attack)."""
    said = " ".join(e.sentence.text for e in lead)
    for asks, says, reason in _MUST_SAY:
        if asks.search(question.text) and not says.search(said):
            return reason
    if _YES_NO.match(question.text) and question.shape == "fact":
        words = token_set(said)
        missing = [t for t in question.terms if t in HAPPENED and not with_equivalents([t]) & words]
        if missing:
            return f"The closest passages speak of it, but not of anyone {_PARTICIPLE.get(missing[0], 'affected')}."
    return None
