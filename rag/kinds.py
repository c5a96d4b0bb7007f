"""What kind of answer a sentence holds: a figure, a date, a person's or a place's name that the question does
not already state. Model-free: capitalised words stand in for names, with rules for what a name cannot be (a
month, an outlet, a nationality) and for where the answer must stand (beside the office asked about, near the
event asked about)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from index.lexical import stem
from rag.question import HAPPENED, OFFICES, ROLES, AnswerType, QuestionInfo, with_equivalents
from rag.slots import holds_figure

_MONTH = (
    r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?"
    r"|dec(ember)?)"
)
_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_DATE = re.compile(
    rf"\b{_MONTH}\.?\s+\d|\b\d{{1,2}}\s+{_MONTH}\b|\b{_WEEKDAY}\b"
    rf"|\b(early|mid|late|end of|beginning of|start of|since|until|in|by)[\s-]+{_MONTH}\b"
    r"|\b(morning|afternoon|evening|overnight|at night|dawn|dusk|midnight|noon)\b"
    r"|\b(19|20)\d\d\b|\b(yesterday|today|tonight|last (week|month|year)|(earlier|later) this (week|month|year)"
    r"|(two|three|four|five|six) (days|weeks|months) ago)\b",
    re.I,
)
# "on what exact date": a day ("Oct. 7", "27 September", "on Sunday", "yesterday"), not "earlier this month"
_A_DAY = re.compile(rf"\b{_MONTH}\.?\s+\d|\b\d{{1,2}}\s+{_MONTH}\b|\b{_WEEKDAY}\b|\b(yesterday|today|tonight)\b", re.I)
_DAY_ASKED = re.compile(r"\b(what|which) (date|day)\b")  # "on what date", "which day": a day, not "this month"
# A month or a weekday alone ("in June", "on Sunday") is capitalised but names no person and no place.
_CALENDAR = re.compile(rf"{_MONTH}\.?|{_WEEKDAY}", re.I)
# Capitalised words not at the start of the sentence: a crude but model-free stand-in for names.
NAME = re.compile(r"(?<=[\w,;:’'\"“] )([A-Z][\w’'\-]+(?:\s+(?:al-|bin |de |)?[A-Z][\w’'\-]+)*)")

_FIRST_NAME = re.compile(r"^\W*([A-Z][\w’'\-]+(?:\s+[A-Z][\w’'\-]+)*)")

_DEMONYM = re.compile(
    r"(ese|ian|ean|ish)$|^(israeli|qatari|iraqi|saudi|yemeni|kuwaiti|emirati|bahraini|pakistani|somali)$", re.I
)
EVENT_REACH = 40  # characters between a date and the event a "when was X killed" question asks about
ROLE_REACH = 40  # characters between an office named in a person question and its holder's name


def has_answer_type(
    text: str,
    kind: AnswerType,
    question: QuestionInfo,
    context: str = "",
    known: frozenset[str] = frozenset(),
    surnames: frozenset[str] = frozenset(),
) -> bool:
    """Does the text hold a number / date / name / place that the question does not already state? `known` are
    words seen capitalised inside sentences: a sentence's first words count as a name when they are among them
    ("Qatar announced ...", not "However, ...")."""
    if kind == "number":
        return holds_figure(text, question, context)
    asked = question.text.lower()
    if kind == "date":
        a_day = question.exact or bool(_DAY_ASKED.search(asked))
        dates = [
            m.span()
            for m in _DATE.finditer(text)
            if m.group(0).lower() not in asked and (not a_day or _A_DAY.search(m.group(0)))
        ]
        return bool(dates) and _dates_the_event(text, dates, question)
    if kind in ("person", "place"):
        asked_words = _words(question.text)
        first = _FIRST_NAME.match(text)
        opening = [first.group(1)] if first and first.group(1).split()[0] in known else []
        # "according to the health ministry", "two Egyptian security sources told Reuters": a source, unnamed
        return bool(answer_names(text, kind, question, opening, surnames)) or (
            kind == "person" and not question.wants_person and any(w not in asked_words for w in _attributed(text))
        )
    return True


# "the talks, which began Thursday": a thing, then a verb of its start or end, then the day
_BEGAN = re.compile(
    r"\b([a-z][\w-]*)\b,?(?:\s+(?:which|that|had|have|has|were|was))*\s+"
    r"(?:began|begun|started|opened|ended|finished|concluded|resumed|took place|kicked off|got underway)\s+(?:on\s+)?$"
)


def dates_the_thing(text: str, question: QuestionInfo) -> bool:
    """Does a day stand before a thing the question names ("the Nov. 5 election", "a Sept. 27 airstrike"), or
    after it and a verb of its start or end ("the talks, which began Thursday")? Then the sentence says when that
    thing was, however little else of the question it speaks of."""
    terms = set(question.terms)
    for m in _A_DAY.finditer(text):
        rest = re.sub(r"^\d+(st|nd|rd|th)?\b", "", text[m.end() : m.end() + 40])  # past the day's own digits
        # the thing right after it, or one word on ("the Oct. 7 militant attack"); not "on Thursday, Hezbollah"
        thing = re.match(r"(?:[’']s)?\s+(?:([a-z][\w-]*)\s+)?([a-z][\w-]*)", rest)
        if thing and any(w and stem(w) in terms for w in thing.groups()):
            return True
        began = _BEGAN.search(text[max(0, m.start() - 60) : m.start()])  # "the talks, which began Thursday"
        if began and stem(began.group(1)) in terms:
            return True
    return False


def _dates_the_event(text: str, dates: list[tuple[int, int]], question: QuestionInfo) -> bool:
    """When was someone killed, wounded, displaced or taken: where the sentence speaks of that event, a date far
    from it dates something else ("the death of Yahya Sinwar - blamed for ... the assault on Oct. 7 last year")."""
    events = {t for t in question.terms if t in HAPPENED}
    if not events:
        return True
    wanted = with_equivalents(events)
    mentions = [m.span() for m in re.finditer(r"[\w’'-]+", text) if stem(m.group(0).lower()) in wanted]
    return not mentions or any(
        d_start - EVENT_REACH <= e_end and e_start - EVENT_REACH <= d_end
        for d_start, d_end in dates
        for e_start, e_end in mentions
    )


def answer_names(
    text: str,
    kind: AnswerType,
    question: QuestionInfo,
    extra: Sequence[str] = (),
    surnames: frozenset[str] = frozenset(),
) -> list[str]:
    """The names inside the text (and `extra` ones) that could answer a person or place question."""
    asked_words = _words(question.text)
    found = [_untitled(m.group(1), m.start(1), m.end(1)) for m in NAME.finditer(text)] + [(n, 0, len(n)) for n in extra]
    roles = _role_mentions(text, question.role)
    names = [
        re.sub(r"[’']s\b", "", n)
        for n, start, end in found
        if not _DATE.fullmatch(n)
        and not _CALENDAR.fullmatch(n)
        # where the sentence names the office asked about, the holder is named beside it ("US envoy Amos
        # Hochstein", "Naim Qassem, Hezbollah's secretary general"), not elsewhere ("talks with Qatar's prime
        # minister ... since Israel killed Yahya Sinwar")
        and (not roles or any(_beside(text, start, end, r_start, r_end) for r_start, r_end in roles))
        and not (kind == "place" and _names_someone(text, start, end))
    ]
    return [n for n in names if _head(n).lower() not in asked_words and fits_kind(n, kind, question, surnames)]


_TITLED = re.compile(rf"^(?:[\w’'-]+\s+)*(?:{OFFICES})s?\s+(?=[A-Z])", re.I)


def _names_someone(text: str, start: int, end: int) -> bool:
    """Does the text around the name at start:end make it a person's or a group's: after an office ("Hamas leader
    Yahya Sinwar") or before one ("Hamas leader"), or whoever was killed or spoke ("the killing of Fouad Shukur",
    "Hassan Nasrallah, said")?"""
    before, after = text[:start], text[end:]
    return bool(
        _OFFICE_BEFORE.search(before)
        or _PERSON_BEFORE.search(before)
        or _OFFICE_AFTER.match(after)
        or _SPEAKS_AFTER.match(after)
    )


def _untitled(name: str, start: int, end: int) -> tuple[str, int, int]:
    """A name without the office before it ("US Defence Secretary Lloyd Austin" -> "Lloyd Austin"), with its
    place in the text."""
    title = _TITLED.match(name)
    if not title:
        return name, start, end
    return name[title.end() :], start + title.end(), end


def _beside(text: str, start: int, end: int, r_start: int, r_end: int) -> bool:
    """Is the name at start:end the holder of the office at r_start:r_end: close to it, and not another person
    joined to it by "and" or "with" ("CIA director William Burns and Qatar's prime minister"), nor a name at the
    end of the quote the office holder spoke ("... for the Middle East," US Defence Secretary Lloyd Austin said)?"""
    if not (start - ROLE_REACH <= r_end and r_start - ROLE_REACH <= end):
        return False
    between = text[end:r_start] if end <= r_start else text[r_end:start]
    return not re.search(r"\b(and|with|or)\b|[\"“”]", between)


def speaks_of_office(text: str, role: str) -> bool:
    """Does the text name the office of a person question's role at all ("one of its top commanders")?"""
    return bool(role) and bool(re.search(rf"\b{re.escape(role.split()[-1])}", text, re.I))


def _role_mentions(text: str, role: str) -> list[tuple[int, int]]:
    """Where the text names the office asked about with the question's qualifier ("Qatar's prime minister" for
    "qatari prime minister"; not "several leaders" for "hezbollah leader")."""
    if not role:
        return []
    qualifier, office = role.split(" ", 1)
    wanted = with_equivalents([stem(qualifier)])
    return [
        m.span(2)
        for m in re.finditer(rf"([\w-]+)(?:[’']s)?\s+({re.escape(office)}s?)\b", text, re.I)
        if stem(m.group(1)) in wanted
    ]


@lru_cache(maxsize=1024)
def _words(text: str) -> frozenset[str]:
    """The lower-cased words of a question, once per question rather than once per candidate sentence."""
    return frozenset(re.findall(r"\w+", text.lower()))


def fits_kind(name: str, kind: AnswerType, question: QuestionInfo, surnames: frozenset[str] = frozenset()) -> bool:
    """Can this name be the answer's kind? For a person not an outlet or a place; for a role only a person
    holds ("which commander") not a lone word unless it is a known surname (`surnames`: last words of full
    names seen); for "what is the name of" a name in full, not a nationality."""
    words = name.split()
    if kind == "person" and words[-1].lower() in _KIND_WORDS - _TITLES:  # "Al Qahera News TV", "Bekaa Valley"
        return False
    # no place: a body ("the State Department said": who, not where), a nationality ("Israeli", "Iranian-backed
    # Lebanese"), the surname of someone named in full ("Netanyahu's government", where "Benjamin Netanyahu" is)
    if kind == "place" and (words[-1].lower() in _BODIES or _nationality(words[-1]) or name in surnames):
        return False
    if question.wants_person and not ((len(words) >= 2 or name in surnames) and not _DEMONYM.search(words[0])):
        return False  # "Hezbollah", "Israel": a group or a country holds no office
    return not question.wants_name or (len(words) >= 2 and not _DEMONYM.search(words[0]))


def full_name_surnames(texts: list[str]) -> frozenset[str]:
    """Last words of the names of two or more words in the texts ("Amos Hochstein" -> Hochstein), leaving out
    places and kinds ("Bekaa Valley") and names led by a nationality or a hyphenated word ("Iran-backed Hezbollah")."""
    found = set()
    for text in texts:
        for name in NAME.findall(text):
            words = re.sub(r"[’']s\b", "", name).split()
            if (
                len(words) >= 2
                and "-" not in words[0]
                and not _DEMONYM.search(words[0])
                and words[-1].lower() not in _KIND_WORDS
            ):
                found.add(words[-1])
    return frozenset(found)


# Words that say what kind of thing a name is; the word before says which one ("Litani River", "Prime Minister").
_KIND_WORDS = {
    *("river", "valley", "camp", "hospital", "city", "town", "village", "state", "states", "strip", "bank", "sea"),
    *("mountains", "hills", "road", "highway", "street", "square", "center", "centre", "council", "ministry"),
    *("minister", "president", "general", "secretary", "prime", "news", "tv", "agency", "party", "army", "forces"),
    *("force", "university", "school", "house", "office", "department"),
    *("east", "west", "north", "south", "gulf", "region"),  # "the Middle East", "the Gulf"
}
_TITLES = {"minister", "president", "general", "secretary", "prime"}
_BODIES = {"department", "ministry", "council", "agency", "party", "army", "forces", "force", "news", "tv"}
_OFFICE_BEFORE = re.compile(rf"\b{ROLES}\s+$", re.I)
_OFFICE_AFTER = re.compile(rf"\s+{ROLES}\b", re.I)
# what only befalls or is done by a person: "the killing of Fouad Shukur", "Blinken said"
_PERSON_BEFORE = re.compile(r"\b(killing|death|assassination|funeral|murder) of\s+$", re.I)
_SPEAKS_AFTER = re.compile(r"(?:[’']s)?,?\s+(said|says|told|warned|added)\b", re.I)

_ATTRIBUTED = re.compile(r"\baccording to (?:the |a |an |its |their )?([a-z][\w’'-]*(?: [a-z][\w’'-]*){0,3})", re.I)


def _nationality(word: str) -> bool:
    """ "Israeli", "Lebanese" (the last word of "Iranian-backed Lebanese"), "Palestinian"; not "Mediterranean"."""
    return bool(_DEMONYM.search(word)) and not word.lower().endswith("ean")


def _head(name: str) -> str:
    """The word of a name that says which one it is: its last, unless that only says what kind of thing."""
    words = name.split()
    while len(words) > 1 and words[-1].lower() in _KIND_WORDS:
        words.pop()
    return words[-1]


def _attributed(text: str) -> list[str]:
    """The words after "according to" (an unnamed source: "the health ministry in Gaza")."""
    return [w.lower() for m in _ATTRIBUTED.finditer(text) for w in m.group(1).split()]
