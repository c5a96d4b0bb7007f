"""Sentence-level evidence: score every sentence of the candidate passages against the question,
rerank the passages by their best sentences, and measure how well the best evidence covers the question."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, ConfigDict

from index.lexical import idf_table, nearest_spelling, token_set, unseen_idf
from index.store import Snapshot
from rag.dates import DateScope
from rag.event_dates import mentions_scope, statement_date
from rag.kinds import NAME, dates_the_thing, full_name_surnames, has_answer_type, speaks_of_office
from rag.question import EQUIVALENTS, EVENT_MARK, QuestionInfo, asked_office, office_tokens, with_equivalents
from rag.types import ScoredPassage, Sentence

# Sentences addressed to an assistant rather than to readers: never evidence, never support.
AIMED_AT_ASSISTANT = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|passages?|prompts?|rules|context)\b"
    r"|\banswer (every|all|each|any) questions?\b|\bsystem (notice|prompt|message|override)\b"
    r"|\bnote to (the )?(ai|assistant|model|chatbot)\b|\bcite (only )?this (passage|article)\b"
    r"|\b(you are|act as) (an? )?(ai|assistant|language model)\b",
    re.I,
)

# A group referred to by description ("the Lebanese group", "the militant group") rather than by name.
# ("the Palestinian group Hamas" names it)
_GROUP_REF = re.compile(r"\b[Tt]he (?:[\w-]+ ){0,3}(?:group|movement|militia|organi[sz]ation)\b(?!,? [A-Z])")

W_LEXICAL = 0.35  # weight of IDF-weighted term coverage of a sentence
W_TYPED = 0.08  # bonus for a sentence that holds the kind of answer asked for
W_PASSAGE = 0.04  # weight of the passage's first-stage (fused) rank
W_PASSAGE_DENSE = 0.0  # weight of a passage's own cosine when passages are reranked (0: hurt hit@5)
# a sentence sharing four words in a row with the question ("by far the best way") and holding the kind of
# answer asked for: evidence-holding citations +0.5 to +2.8 points on ten of twelve sets, fresh2 +1 question
W_PHRASE = 0.1
PHRASE_WORDS = 4
W_QUOTED = 0.3  # a sentence holding a phrase the question quotes
W_DATED = 0.25  # a sentence published in, or speaking of, the period the question names
W_SOURCE = 0.1  # a sentence of a publisher the question names ("according to Reuters")
W_CAUSE = 0.1  # for a why question, a sentence that gives a reason or purpose ("because", "to give talks a chance")
# for a where question, a sentence that places something ("speaking in Doha", "at the Pentagon"): +1 accuracy on
# bundled and fresh6 with day-shifted questions, no set lower; 0.1 cost an abstention
W_LOCATIVE = 0.05
_LOCATIVE = re.compile(r"\b(in|at|near|inside|outside|beyond)\s+(the\s+)?[A-Z][a-z]")
_CAUSE = re.compile(
    r"\b(because|due to|owing to|in order to|so as to|so that|as a result|in retaliation|to avenge|aimed at|in a bid to"
    r"|in an effort to|to give|to allow|to prevent|to avoid|to force|to ensure|for fear|the reason|why)\b",
    re.I,
)
W_RECENT = 0.15  # the newest report's sentences, when the question asks for the latest
DATE_SLACK_DAYS = 7  # reports a few days after a period still speak of it
MAX_SENTENCES = 3  # sentences an answer quotes
SWAP_WINDOW = 0.16  # ... and scores within this of it
RUNNER_COVERAGE = 0.7  # a runner-up joins the answer if it covers this share of what the best one covers
THING_DEPTH = 12  # sentences searched for one that dates the thing a when-question asks about
SWAP_COVERAGE = 0.7  # a sentence with the asked kind of answer replaces the best one if it covers this share of it
# "..., and what did Israel launch?", "... signed, and on what date?": a question asking two things
_TWO_PART = re.compile(r"\band (?:(?:on|in|at|by|for|from|to|with) )?(?:what|who|when|where|which|how|why)\b", re.I)
_PRONOUN_SAID = re.compile(r"\b(he|she)\s+(said|says|added|told|warned|wrote)\b", re.I)
_BARE_QUOTE = re.compile(r"^[\"“][^\"“”]+[\"”]$")  # a paragraph that is all quote: its speaker is named before it
SENTENCE_GAP = 4  # characters between one sentence's end and the next one's start (spaces, a paragraph break)
# A runner-up from another passage that holds no answer joins a typed answer only if it speaks of more than
# twice as much of the question as the best sentence (which may then be the wrong one: "over the past two days"
# for "how long has Hezbollah been running Lebanese politics"). One-fact evidence-holding citations +1.2 to +3.8
# points on ten of thirteen sets, no answer lost (without the exception: heldout -1).
APART = 0.5
CLOSE = 0.08  # a further sentence joins the answer when its score is this close to the best one's
FAR = 0.2  # ... or this close, when it speaks of MORE_COVERAGE times as much of the question
MORE_COVERAGE = 1.4


class EvidenceSentence(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    sentence: Sentence
    source: ScoredPassage  # the passage it is cited from
    dense: float
    coverage: float  # share of the question's term weight present in the sentence
    typed: bool
    score: float
    context: str = ""  # the sentence before it (for a figure question, across a passage boundary too)
    dated: float = 0.0  # 1 when its report is from, or it speaks of, the period the question names
    speaks_of_period: bool = False  # its words date it there ("on Saturday", "Sept. 27", "last month")


class EvidenceSet(BaseModel):
    """Candidate passages reranked, their sentences ranked, and what the best evidence covers."""

    passages: list[ScoredPassage]
    sentences: list[EvidenceSentence]
    missing_terms: list[str]  # question terms found in no candidate sentence (after typo correction)
    window_coverage: float  # term weight covered by the best sentence and its neighbours


def _previous(sentence: Sentence, source: ScoredPassage, snapshot: Snapshot, across: bool) -> str:
    """The sentence before, in its passage or, for a passage's first sentence and when `across`, in its article
    (a read of the store, so only for the figure questions that look at it)."""
    before = [s.text for s in source.passage.sentences if s.end <= sentence.start]
    if before:
        return before[-1]
    return snapshot.sentence_before(source.passage.article_id, sentence.start) if across and sentence.start else ""


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _in_scope(source: ScoredPassage, question: QuestionInfo) -> float:
    """1 for a report published in a period the question names, half that for one in the days after it."""
    published = source.article.published
    if published is None or not question.time.scopes:
        return 0.0
    scopes = question.time.scopes
    if any(s.start - timedelta(days=1) <= published <= s.end for s in scopes):
        return 1.0
    return 0.5 * any(s.end < published <= s.end + timedelta(days=DATE_SLACK_DAYS) for s in scopes)


def _report_in_scope(sentence: Sentence, source: ScoredPassage, question: QuestionInfo) -> float:
    """A sentence counts as of its report's period unless it says it happened outside every period asked
    about ("... the killing of Fouad Shukur in Beirut last month" in an August report is of July)."""
    in_scope = _in_scope(source, question)
    if not in_scope or question.shape == "fact":  # "the August barrage avenged which commander?": July's killing
        return in_scope
    said = statement_date(sentence.text, source.article.published)
    if said is not None and not any(said.start <= s.end and said.end >= s.start for s in question.time.scopes):
        return 0.0
    return in_scope


def asked_span(question: QuestionInfo) -> DateScope:
    """All the time a question with periods spans: from the start of its first period to the end of its last
    ("from June to November", "between the October and November reports"), open-ended for "... and the latest"."""
    scopes = question.time.scopes
    end = date.max if question.time.recent else max(s.end for s in scopes)
    return DateScope(start=min(s.start for s in scopes), end=end, text="")


def in_span(e: EvidenceSentence, question: QuestionInfo) -> bool:
    """Was the sentence's report published within the time the question spans, or does it speak of a day in it?"""
    if not question.time.scopes:
        return True
    hull = asked_span(question)
    published = e.source.article.published
    slack = timedelta(days=DATE_SLACK_DAYS)
    return (
        published is not None
        and hull.start - timedelta(days=1) <= published
        and (hull.end == date.max or published <= hull.end + slack)
    ) or mentions_scope(e.sentence.text, published, hull)


def _recency(candidates: list[ScoredPassage]) -> dict[str, float]:
    """0 for the oldest candidate report, 1 for the newest: "latest", "most recent", "now" prefer new ones."""
    dates = {c.article.id: c.article.published for c in candidates if c.article.published}
    if not dates:
        return {}
    first, last = min(dates.values()), max(dates.values())
    span = (last - first).days or 1
    return {article: (day - first).days / span for article, day in dates.items()}


@lru_cache(maxsize=8)
def _idf_for(snapshot: Snapshot) -> tuple[dict[str, float], float]:
    return idf_table(snapshot.bm25), unseen_idf(snapshot.bm25)


def _respelled(focus: str, matched: dict[str, str | None]) -> str:
    mark = EVENT_MARK if focus.startswith(EVENT_MARK) else ""
    word = focus.removeprefix(EVENT_MARK)
    return mark + (matched.get(word) or word)


def _match_terms(terms: list[str], vocabulary: set[str], corpus_idf: dict[str, float]) -> dict[str, str | None]:
    """Each question term -> the evidence token it stands for: itself, a near spelling
    (typos: 'hezbolah', 'militery'), or None when nothing in the evidence is close."""
    matched: dict[str, str | None] = {}
    pool = sorted(vocabulary)
    for term in terms:
        if term in vocabulary:
            matched[term] = term
        elif EQUIVALENTS.get(term, set()) & vocabulary:
            matched[term] = sorted(EQUIVALENTS[term] & vocabulary)[0]
        elif len(term) >= 4:
            matched[term] = nearest_spelling(term, pool)
        else:
            matched[term] = None
    return matched


def _from_named_source(sentence: Sentence, source: ScoredPassage, question: QuestionInfo) -> bool:
    """A one-fact question naming a publisher ("according to Reuters") is answered from that publisher's reports,
    or from a sentence that names it ("... told Reuters"); a timeline may set it beside other reports."""
    if not question.sources or question.shape != "fact" or source.article.publisher in question.sources:
        return True
    return any(re.search(rf"\b{re.escape(name)}\b", sentence.text, re.I) for name in question.sources)


def select_evidence(
    question: QuestionInfo, query_vector: np.ndarray, candidates: list[ScoredPassage], snapshot: Snapshot
) -> EvidenceSet:
    """Score each sentence of the candidates; rerank passages by their best sentence."""
    if not candidates:
        return EvidenceSet(passages=[], sentences=[], missing_terms=list(question.terms), window_coverage=0.0)
    corpus_idf, unseen = _idf_for(snapshot)

    # Each sentence once (passages overlap), remembering the best-ranked passage that holds it.
    seen: dict[tuple[str, int], tuple[Sentence, ScoredPassage]] = {}
    for candidate in candidates:
        for sentence in candidate.passage.sentences:
            if AIMED_AT_ASSISTANT.search(sentence.text) or not _from_named_source(sentence, candidate, question):
                continue
            seen.setdefault((candidate.passage.article_id, sentence.start), (sentence, candidate))
    keys = list(seen)
    if not keys:
        return EvidenceSet(passages=[], sentences=[], missing_terms=list(question.terms), window_coverage=0.0)
    vectors = snapshot.sentence_vectors_for(keys)
    dense = vectors @ query_vector.astype(np.float32)
    tokens = [token_set(seen[k][0].text) | office_tokens(seen[k][0].text) for k in keys]
    vocabulary = {t for sentence_tokens in tokens for t in sentence_tokens}
    matched = _match_terms(question.terms, vocabulary, corpus_idf)
    # a misspelt counted noun ("how many civillians") counts what its nearest spelling in the evidence does; the
    # question is corrected in place, so that the answer's writer counts the same thing
    question.focus = [_respelled(f, matched) for f in question.focus]
    weight = {t: corpus_idf.get(matched[t] or t, unseen) for t in question.terms}
    total = sum(weight.values()) or 1.0

    accepted = {t: ({matched[t]} if matched[t] else set()) | EQUIVALENTS.get(t, set()) for t in question.terms}

    def coverage(token_set: set[str]) -> float:
        return sum(weight[t] for t in question.terms if accepted[t] & token_set) / total

    rank_of = {id(c): i for i, c in enumerate(candidates)}
    known = (  # names seen inside sentences; only name and place questions look at them
        frozenset(
            re.sub(r"[’']s$", "", word) for key in keys for n in NAME.findall(seen[key][0].text) for word in n.split()
        )
        if question.answer_type in ("person", "place")
        else frozenset()
    )
    # surnames of people named in full: what holds an office, and what is no place ("Netanyahu's government")
    wants_surnames = question.wants_person or question.answer_type == "place"
    surnames = full_name_surnames([seen[key][0].text for key in keys]) if wants_surnames else frozenset()
    recency = _recency(candidates) if question.time.recent else {}
    name_tokens = set(token_set(" ".join(question.names)))
    words = _norm(question.text).split()
    phrases = {f" {' '.join(words[i : i + PHRASE_WORDS])} " for i in range(len(words) - PHRASE_WORDS + 1)}
    scored = []
    for i, key in enumerate(keys):
        sentence, source = seen[key]
        context = _previous(sentence, source, snapshot, across=question.answer_type == "number")
        words = set(tokens[i])
        # "The group responded by launching ...": the group the sentence before names
        if _GROUP_REF.search(sentence.text):
            words |= set(token_set(context)) & name_tokens
        cov = coverage(words)
        typed = question.answer_type != "open" and has_answer_type(
            sentence.text, question.answer_type, question, context, known, surnames
        )
        prior = 1.0 / (1.0 + rank_of[id(source)])
        normed = f" {_norm(sentence.text)} "
        quoted = any(_norm(q) in normed for q in question.quoted)
        echoed = any(g in normed for g in phrases)
        speaks = any(mentions_scope(sentence.text, source.article.published, s) for s in question.time.scopes)
        dated = float(speaks) or _report_in_scope(sentence, source, question)
        score = (
            float(dense[i])
            + W_LEXICAL * cov
            + W_TYPED * typed
            + W_PASSAGE * prior
            + W_QUOTED * quoted
            + W_PHRASE * (echoed and (typed or question.answer_type == "open"))
            + W_DATED * dated
            + W_SOURCE * (source.article.publisher in question.sources)
            + W_RECENT * recency.get(source.article.id, 0.0)
            + W_CAUSE * (question.why and bool(_CAUSE.search(sentence.text)))
            + W_LOCATIVE * (question.answer_type == "place" and typed and bool(_LOCATIVE.search(sentence.text)))
        )
        scored.append(
            EvidenceSentence(
                sentence=sentence,
                source=source,
                dense=float(dense[i]),
                coverage=cov,
                typed=typed,
                score=score,
                context=context,
                dated=dated,
                speaks_of_period=speaks,
            )
        )
    if question.about_period:  # "What happened on 19 October?": what the reports date to it, then the rest
        scored.sort(key=lambda e: (-e.dated, -e.speaks_of_period, -e.score))
    else:
        scored.sort(key=lambda e: -e.score)

    # A passage ranks by its best sentence (plus a little for its other good ones).
    best: dict[str, float] = {}
    by_article: dict[str, list[ScoredPassage]] = {}
    for candidate in candidates:
        by_article.setdefault(candidate.passage.article_id, []).append(candidate)
    for e in scored:
        for candidate in by_article[e.source.passage.article_id]:
            if candidate.passage.start <= e.sentence.start < candidate.passage.end:
                pid = candidate.passage.id
                best[pid] = best.get(pid, 0.0) + (e.score if pid not in best else 0.1 * e.score)
    # The passage's own similarity keeps context that no single sentence carries.
    reranked = sorted(
        candidates, key=lambda c: -(best.get(c.passage.id, 0.0) + W_PASSAGE_DENSE * (c.dense_score or 0.0))
    )

    top = scored[0]
    window = set()
    for i, key in enumerate(keys):
        if key[0] == top.source.passage.article_id and abs(seen[key][0].start - top.sentence.start) <= 400:
            window.update(tokens[i])
    missing = [t for t in question.terms if matched[t] is None]
    return EvidenceSet(passages=reranked, sentences=scored, missing_terms=missing, window_coverage=coverage(window))


def answer_sentences(question: QuestionInfo, evidence: EvidenceSet) -> list[EvidenceSentence]:
    """The sentences an answer quotes: the best one (preferring one that holds the kind of answer asked for),
    the sentence after it where that holds the reason or the figure asked for, and close runners-up that add
    something new. Abstention asks of these same sentences whether they hold the answer."""
    ranked = evidence.sentences
    if not ranked:
        return []
    best = ranked[0]
    names = set(token_set(" ".join(question.names)))
    # "When was the election ...?": a sentence whose day stands before the thing asked ("the Nov. 5 election"),
    # where the best one gives no day or none of that thing (then it must name whom the question names)
    if question.answer_type == "date" and not (best.typed and dates_the_thing(best.sentence.text, question)):
        thing = next(
            (
                e
                for e in ranked[:THING_DEPTH]
                if e.typed
                and dates_the_thing(e.sentence.text, question)
                and (not best.typed or names <= set(token_set(e.sentence.text)))
            ),
            None,
        )
        best = thing or best
    if question.answer_type != "open" and not best.typed:
        near = [e for e in ranked[:5] if e.typed and e.score >= best.score - SWAP_WINDOW]
        # (one naming the office asked about first: "which parliament speaker" -> "the speaker of the house, Berri")
        near.sort(key=lambda e: not speaks_of_office(e.sentence.text, question.role))
        # ... if it is about as close and speaks of most of what the best one does
        if near and near[0].coverage >= SWAP_COVERAGE * best.coverage:
            best = near[0]
        # ... or the best one speaks of the office asked about without naming its holder ("to avenge the killing
        # of one of its top commanders"): the same report names the holder in another sentence
        elif speaks_of_office(best.sentence.text, question.role or asked_office(question.text)):
            same_report = [e for e in near if e.source.article.id == best.source.article.id]
            best = max(same_report, key=lambda e: e.coverage, default=best)
    chosen = [best]
    # "Who warned that the storm ...?": the quote ends "... he said", or is a paragraph of its own that goes on
    # from a quote; the sentence before names him
    if (
        question.answer_type == "person"
        and not best.typed
        and (_PRONOUN_SAID.search(best.sentence.text) or _BARE_QUOTE.match(best.sentence.text.strip()))
    ):
        before = _sentence_before(best, ranked)
        if before is not None and before.typed:
            chosen = [before, best]
    following = _next_sentence(best, ranked)
    # The reason, or the figure or name asked for, often follows the sentence that matches the question
    # ("... a strike on a vehicle on the Beirut-Bekaa highway. A security source said one person was killed.").
    # A quote often runs on into the next sentence, which then holds words of the question the best one lacks
    # ("... bank of targets. 'The enemy should expect us on land, sea and air,'" for "where did Nasrallah say
    # Israel should expect Hezbollah?").
    run_on = following or _opening_next_passage(best, ranked)
    continues = run_on is not None and bool(
        (set(question.terms) - names) & (set(token_set(run_on.sentence.text)) - set(token_set(best.sentence.text)))
    )
    # ... where it speaks of something the question asks about, not only of a place or person it names
    # (a figure across a passage boundary too: "... the US vetoed a UN security council vote. | Members of the
    # council voted 14-1 ...")
    after = run_on if question.answer_type == "number" else following
    typed_next = (
        question.answer_type != "open"
        and not best.typed
        and after is not None
        and after.typed
        # (in the question's words or their equivalents: "how many died" of "one person was killed")
        and bool(with_equivalents(set(question.terms) - names) & token_set(after.sentence.text))
    )
    if following is not None and question.why:
        chosen.append(following)
    elif typed_next or continues:
        chosen.append(run_on)
    covered = set().union(*(token_set(e.sentence.text) for e in chosen))
    two_part = bool(_TWO_PART.search(question.text))
    for e in ranked:
        if len(chosen) >= MAX_SENTENCES or e.score < best.score - FAR:
            break
        # further down, only a sentence that speaks of much more of the question than the best one
        if e.score < best.score - CLOSE and e.coverage < MORE_COVERAGE * best.coverage:
            continue
        words = token_set(e.sentence.text)
        if e is best or len(words - covered) < 3 or e.coverage < RUNNER_COVERAGE * best.coverage:
            continue
        # The best sentence holds the kind of answer asked for: another report's sentence that holds none only
        # mixes reports into a one-fact answer (heldout accuracy +1, evidence-holding citations 0.813 -> 0.819).
        # A question asking two things ("which leader was killed, and what did Israel launch?") keeps it.
        other_report = e.source.article.id != best.source.article.id
        # ... and so does another passage's sentence that speaks of little more of the question than the best one
        apart = other_report or (e.source.passage.id != best.source.passage.id and APART * e.coverage <= best.coverage)
        if best.typed and question.answer_type != "open" and apart and not e.typed and not two_part:
            continue
        chosen.append(e)
        covered |= words
    return chosen


def answer_lead(question: QuestionInfo, chosen: list[EvidenceSentence]) -> list[EvidenceSentence]:
    """Of the answer's sentences, those that answer: the best one and, where it was taken for that, the one after
    it. Runners-up only add context; a name or figure in them answers nothing."""
    if len(chosen) > 1 and (
        chosen[1] is _next_sentence(chosen[0], [chosen[1]])
        or chosen[1] is _opening_next_passage(chosen[0], [chosen[1]])
    ):
        return chosen[:2]
    return chosen[:1]


def _sentence_before(e: EvidenceSentence, ranked: list[EvidenceSentence]) -> EvidenceSentence | None:
    """The scored sentence right before `e` in its passage."""
    before = [s for s in e.source.passage.sentences if s.end <= e.sentence.start]
    if not before:
        return None
    article = e.source.passage.article_id
    return next(
        (r for r in ranked if r.sentence.start == before[-1].start and r.source.passage.article_id == article), None
    )


def _next_sentence(e: EvidenceSentence, ranked: list[EvidenceSentence]) -> EvidenceSentence | None:
    """The sentence right after `e` in the same passage, if it was scored."""
    sentences = e.source.passage.sentences
    index = next((i for i, s in enumerate(sentences) if s.start == e.sentence.start), None)
    if index is None or index + 1 >= len(sentences):
        return None
    after = sentences[index + 1]
    return next(
        (
            r
            for r in ranked
            if r.sentence.start == after.start and r.source.passage.article_id == e.source.passage.article_id
        ),
        None,
    )


def _opening_next_passage(e: EvidenceSentence, ranked: list[EvidenceSentence]) -> EvidenceSentence | None:
    """For a passage's last sentence: the scored sentence that follows it in the article, across the whitespace
    between them, opening the next passage."""
    if e.sentence.start != e.source.passage.sentences[-1].start:
        return None
    article = e.source.passage.article_id
    after = [
        r
        for r in ranked
        if r.source.passage.article_id == article and 0 <= r.sentence.start - e.sentence.end <= SENTENCE_GAP
    ]
    return min(after, key=lambda r: r.sentence.start, default=None)
