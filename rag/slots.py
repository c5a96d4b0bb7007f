"""Does a sentence hold what a typed question asks for? A figure must come in the asked unit and stand next
to the thing counted; an outcome must be reported as having happened, not as planned."""

from __future__ import annotations

import re

from index.lexical import stem, token_set
from rag.question import (
    EQUIVALENTS,
    EVENT_MARK,
    GENERIC_COUNT,
    HAPPENED,
    IRREGULAR_PLURALS,
    QuestionInfo,
    with_equivalents,
)

_DEMONYMS = re.compile(r"(ese|ians|eans|is)$")  # "16 Palestinians", "Lebanese", "Israelis": people
# A count that runs over time ("have been killed since", "so far", "the toll"), not one event's
_RUNNING = re.compile(
    r"\b(since|so far|in total|total|in all|overall|altogether|to date|toll|tally|cumulative|(has|have|had) been)\b",
    re.I,
)
_PEOPLE = re.compile(r"(ese|is?|ians?|eans?|ish)$")  # "Lebanese", "Israeli", "Palestinian", "British"
NEAR = 4  # words between a figure and what it counts ("25 Israeli soldiers", "killed at least 33")

_WORD = re.compile(r"[$£€]?[\w’'-]+(?:[.,]\d+)*%?")
_NUMBER_WORDS = set(
    [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "billion",
        "dozen",
        "half",
        "twice",
    ]
)
# Amounts without a figure: an answer to "how many", not to "exactly how many".
_VAGUE = {"hundreds", "thousands", "dozens", "scores", "millions", "billions", "tens", "several", "many", "numerous"}
UNIT_WORDS = {  # what a figure in each unit is written with
    "money": re.compile(
        r"[$£€]\s?\d|\b\d[\d,.]*\s?(bn|billion|million|m|k)\b|\b(dollars?|euros?|pounds|shekels|usd)\b", re.I
    ),
    "distance": re.compile(r"\b(miles?|km|kilomet(re|er)s?|met(re|er)s?|yards?|feet)\b", re.I),
    "duration": re.compile(r"\b(hours?|days?|weeks?|months?|years?|decades?)\b", re.I),
}
# Reported as ahead, not as done: "will meet", "is due to travel", "awaiting the retaliation Israel has vowed".
_PROSPECTIVE = re.compile(
    r"\b(will|would|shall|going to|due to|set to|expected to|scheduled to|planning to|plans? to|aims? to"
    r"|to try to|hope[sd]? to|vow(s|ed)?|awaiting|await(s|ed)?|intends? to|is to|are to|could|may|might)\b",
    re.I,
)


_DIGIT = re.compile(r"\d")
# "Hochstein has met officials over the past two days": when the report's news happened, not a period the
# question asks about ("how many days would Israel have to withdraw?"), unless it asks of the past too
_LOOK_BACK = re.compile(r"\b(over|in|during|for|within) the (past|last|previous)\s+$", re.I)
_LOOK_BACK_ASKED = re.compile(r"\b(past|last|previous|so far|since|ago|been|(has|have|had)(?! to))\b", re.I)


def _is_figure(word: str, exact: bool) -> bool:
    word = word.lower().strip("$£€%")
    if word in _VAGUE:
        return not exact
    return bool(_DIGIT.search(word)) or word in _NUMBER_WORDS


def _partitive(words: list[str], i: int) -> bool:
    """ "one of its top commanders", "two of the hostages": picks from a group, counts nothing by itself."""
    return words[i].lower() == "one" and i + 1 < len(words) and words[i + 1].lower() == "of"


def _qualifier(question: str, counted: list[str]) -> str:
    """The people a counted noun is of in the question ("how many Lebanese soldiers" -> "leban"), or ""."""
    for noun in counted:
        m = re.search(rf"\b([A-Z][a-z]+)\s+{re.escape(noun)}\w*", question)
        if m and _PEOPLE.search(m.group(1).lower()):
            return m.group(1).lower()[:5]
    return ""


def _same_people(between: list[str], qualifier: str) -> bool:
    """Are the words between a figure and its noun free of another people's name ("25 Israeli soldiers")?"""
    return all(w.lower().startswith(qualifier) for w in between if w[:1].isupper() and _PEOPLE.search(w.lower()))


def matching_figures(text: str, question: QuestionInfo, context: str = "") -> list[str]:
    """The figures of the text that answer the question: not stated in the question, in the asked unit,
    and counting the asked thing (each figure goes with the nearest counted noun or event word). The names the
    question gives may stand in `context`, the sentence before ("... a strike on a vehicle. One person was killed.")."""
    if question.unit and not UNIT_WORDS[question.unit].search(text):
        return []
    if question.total and not _RUNNING.search(text):  # "killed three" in one strike is no total
        return []
    asked = {re.sub(r"\D", "", n) for n in question.numbers} - {""}
    asked |= {w for w in re.findall(r"[a-z]+", question.text.lower()) if w in _NUMBER_WORDS}
    found = list(_WORD.finditer(text))
    words = [m.group(0) for m in found]
    looks_back = bool(_LOOK_BACK_ASKED.search(question.text))
    figures = [
        i
        for i, w in enumerate(words)
        if _is_figure(w, question.exact)
        and (re.sub(r"\D", "", w) or w.lower()) not in asked
        and not _partitive(words, i)
        and (looks_back or not _LOOK_BACK.search(text[: found[i].start()]))
    ]
    if not figures or not mentions_names(f"{context} {text}", question):
        return []
    if not question.focus:
        return [words[f] for f in figures]
    counted = [f for f in question.focus if not f.startswith(EVENT_MARK)]
    asked_event = [f.removeprefix(EVENT_MARK) for f in question.focus if f.startswith(EVENT_MARK)]
    stems = [stem(w.lower()) for w in words]

    def positions(focus: list[str]) -> list[int]:
        wanted = with_equivalents(focus)
        return [i for i, word in enumerate(stems) if word in wanted]

    heads, event_heads = positions(counted), positions(asked_event)
    events = sorted(set(event_heads) | {i for i, word in enumerate(stems) if word in HAPPENED})

    def counts_a_group(f: int) -> bool:
        # "what is the death toll": a figure of people, not "four more soldiers were killed" (a group the question
        # does not name), in the words after it up to the next punctuation
        for i in range(f + 1, min(f + 4, len(words))):
            if re.search(r"[,.;:()]", text[found[i - 1].end() : found[i].start()]):
                return False
            low = words[i].lower()
            if low in GENERIC_COUNT or (_DEMONYMS.search(low) and low.endswith("s")):
                return False  # "3,544 people", "16 Palestinians"
            if _DEMONYMS.search(low):
                continue  # "three Lebanese soldiers": the noun after it says what is counted
            plural = low in IRREGULAR_PLURALS or (len(low) > 3 and low.endswith("s") and not low.endswith("ss"))
            if plural:
                return stems[i] not in question.terms
        return False

    qualifier = _qualifier(question.text, counted)

    def answers(f: int) -> bool:
        # "25 Israeli soldiers": the figure stands before what it counts, and is not of another people's
        # ("how many Lebanese soldiers": not "25 Israeli soldiers")
        head = next((h for h in heads if 0 < h - f <= NEAR), None)
        if counted and head is None:
            return False
        if qualifier and head is not None and not _same_people(words[f + 1 : head], qualifier):
            return False
        if not asked_event:
            return True
        if not counted and counts_a_group(f):
            return False
        # "killing at least 33": the event either side, but "killed 3,544, displaced 1.2 million": 1.2 million
        # goes with "displaced" (ties: the word before). After a counted noun the event may stand further on
        # ("25 Israeli soldiers have been killed"), and must be the asked one.
        reach = NEAR if not counted else 2 * NEAR
        near = [i for i in events if 0 < abs(i - f) <= reach]
        return bool(near) and min(near, key=lambda i: (abs(i - f), i > f)) in event_heads

    return [words[f] for f in figures if answers(f)]


def holds_figure(text: str, question: QuestionInfo, context: str = "") -> bool:
    """A figure the question does not state itself, in the asked unit, counting the asked thing."""
    return bool(matching_figures(text, question, context))


_AMERICA = {"united", "states", "america", "american", "americans", "us", "u.s", "washington"}
_AMERICA_IN_TEXT = re.compile(r"\b(United States|America|American|U\.S\.|US|USA|Washington)\b")


def _surname_after(name: str, question: str) -> str:
    """The capitalised word after a name in the question ("amos" in "did Amos Hochstein say" -> "hochstein"), or ""."""
    m = re.search(rf"\b(?i:{re.escape(name)})\s+([A-Z][\w-]{{2,}})", question)
    return m.group(1).lower() if m else ""


def mentions_names(text: str, question: QuestionInfo) -> bool:
    """Does the sentence name the places, people and groups the question names? Demonyms count
    (Lebanon ~ Lebanese: the same first five letters, or France ~ French: one group of equivalent words), the US by
    any of its usual names. A question naming three or more may leave one to context ("... when he met Netanyahu"),
    but not the first."""
    lowered = text.lower()
    wanted = list(dict.fromkeys("america" if n in _AMERICA else n for n in question.clause_names))
    words = token_set(text)

    def present(name: str) -> bool:
        if name == "america":
            return bool(_AMERICA_IN_TEXT.search(text))
        return bool(re.search(r"\b" + re.escape(name[:5]), lowered) or EQUIVALENTS.get(stem(name), set()) & words)

    # "Amos Hochstein" is named by "Hochstein": a first name is there when the surname after it is
    missing = [
        name
        for name in wanted
        if not present(name) and not ((surname := _surname_after(name, question.text)) and present(surname))
    ]
    # the first name is the question's subject ("how much did the United States pledge at the Paris conference"):
    # a figure of another party's is no answer
    # Across reports ("how did the Lebanese toll from Israel's campaign change"), a later report may leave the second
    # name to its context; a one-fact question keeps it ("how much has the war cost Gaza" is no question about Lebanon)
    enough = 3 if question.shape == "fact" else 2
    return not missing or (len(wanted) >= enough and len(missing) == 1 and missing[0] != wanted[0])


def prospective(text: str) -> bool:
    """Is the statement about something still to come (a plan, a hope, a vow)?"""
    return bool(_PROSPECTIVE.search(text))
