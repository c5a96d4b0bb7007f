"""Time references in questions ("in March 2024", "January 2025", "since October", "latest"):
found by pattern, turned into dates by dateparser, and checked against what the articles cover."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from pydantic import BaseModel

MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# "5 November 2024", "November 5, 2024", "November 2024", "Nov. 2024", "March"
MONTH_REF = re.compile(
    r"(?:\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+(?:the\s+)?(?=\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?"
    rf"\b(?:(?P<day1>\d{{1,2}})(?:st|nd|rd|th)?\s+)?{MONTH}\.?(?:\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,?)?"
    r"(?:,?\s+(?P<year>(?:19|20)\d\d))?\b",
    re.I,
)
# "between 22 and 24 October", "from 22 to 24 Oct", "22-24 October 2024": the days from one to the other
_DAY_RANGE = re.compile(
    r"\b(?:(?:between|from)\s+)?(?P<first>\d{1,2})(?:st|nd|rd|th)?\s*(?:-|–|to|and|until|through)\s*"
    r"(?P<last>\d{1,2})(?:st|nd|rd|th)?\s+" + MONTH + r"\b",
    re.I,
)
_YEAR_REF = re.compile(
    r"\b(?:in|during|of|for|by|since|before|after|from|until|throughout)\s+(?P<year>(?:19|20)\d\d)\b", re.I
)
_RECENT = re.compile(r"\b(latest|most recent|newest|currently|current|now|as of now|so far|to date|lately)\b", re.I)
# "until November", "through January 2025", "from its start to November" (not "according to the August report")
_UNTIL = re.compile(
    r"(?:\b(?:up to|until|till|through|thru)|\bfrom\b[^,;:?]{0,40}\bto)\s+(?:the\s+)?"
    # "... to Israel's November strikes", "... to the ceasefire talks of November 2024"
    r"(?:[\w-]+[’']s\s+|(?:[\w-]+\s+){1,4}(?:of|in)\s+)?$",
    re.I,
)
_LAST_TO = re.compile(r"\b(?:up to|until|till|through|thru|to)\b(?!.*\b(?:to|until|till|through|thru)\b)", re.I | re.S)
OPEN_START = date(1900, 1, 1)  # the start of a period the question leaves open ("... to November 2024")
_BEFORE_MONTH = re.compile(r"\b(in|since|by|until|from|before|after|during|early|mid|late)[\s-]+$", re.I)
_MAY_VERB = re.compile(r"\bmay\s+(?:be|have|not|also|still|seek|want|need|come|take|lead)\b", re.I)


class DateScope(BaseModel):
    """A span of time a question asks about."""

    start: date
    end: date
    text: str  # the words of the question that set it

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


class Shift(BaseModel):
    """A time counted from an event the question names ("two days after meeting Netanyahu"): the day is found
    when the question is answered, from the evidence for the event."""

    days: int  # after the event (negative: before it)
    event: str  # "meeting Netanyahu"
    text: str  # the question's words, "two days after meeting Netanyahu"


class TimeReference(BaseModel):
    scopes: list[DateScope]
    recent: bool  # "latest", "most recent", "now"...
    spans: list[tuple[int, int]]  # where in the question the references stand
    shift: Shift | None = None  # a time counted from an event, still to be dated


PART_OF_MONTH = re.compile(r"\b(early|mid|late|end of|beginning of|start of)[\s-]+(?:in\s+)?$", re.I)
_THIRDS = {"early": (1, 10), "beginning of": (1, 10), "start of": (1, 10), "mid": (11, 20)}


def third_of_month(first: date, last_day: int, part: str) -> tuple[date, date]:
    """Early (1-10), mid (11-20) or late (21-end) in the month that starts on `first`."""
    low, high = _THIRDS.get(part, (21, last_day))
    return first.replace(day=low), first.replace(day=min(high, last_day))


def date_label(day: date | None) -> str:
    """A day as answers and notes name it: "24 October 2024"."""
    return f"{day.day} {day:%B %Y}" if day else "undated"


def span_in_month(year: int, month: int, day: str | None, part: str | None) -> tuple[date, date]:
    """The day named ("27 September"), else the third of the month named ("late September"), else the month."""
    first = date(year, month, 1)
    last_day = calendar.monthrange(year, month)[1]
    if day and 1 <= int(day) <= last_day:
        return (first.replace(day=int(day)),) * 2
    if part:
        return third_of_month(first, last_day, part.lower())
    return first, first.replace(day=last_day)


def _parse(text: str) -> date | None:
    import dateparser

    parsed = dateparser.parse(text, languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first"})
    return parsed.date() if parsed else None


def find_time_references(question: str, reference: date | None) -> TimeReference:
    """Time spans named in the question. A month without a year is the latest such month on or
    before `reference` (the newest article's date), as a reader of those articles would mean it."""
    scopes: list[DateScope] = []
    spans: list[tuple[int, int]] = []
    ranges = {m.start("month"): m for m in _DAY_RANGE.finditer(question)}
    for m in MONTH_REF.finditer(question):
        if m.group("month").lower() == "may" and (
            _MAY_VERB.match(question, m.start()) or not (m.group("year") or m.group("day1") or m.group("day2"))
        ):
            continue  # the verb "may"
        if (
            m.group("month").lower() in ("mar", "jan", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "feb", "apr")
            and not (m.group("year") or m.group("day1") or m.group("day2"))
            and not m.group(0)[0].isupper()
            and not _BEFORE_MONTH.search(question[: m.start()])
        ):
            continue  # "mar" the verb and other lower-case look-alikes, but "in late oct" is a month
        first = _parse(
            f"1 {m.group('month')} {m.group('year') or (reference.year if reference else date.today().year)}"
        )
        if first is None:
            continue
        if not m.group("year") and reference is not None and first > reference:
            first = first.replace(year=first.year - 1)
        part = PART_OF_MONTH.search(question[: m.start()])  # "early/mid/late September": thirds of the month
        start, end = span_in_month(
            first.year, first.month, m.group("day1") or m.group("day2"), part.group(1) if part else None
        )
        begin = part.start() if part and start != end else m.start()
        days = ranges.get(m.start("month"))
        if days and not m.group("day2"):
            last_day = calendar.monthrange(first.year, first.month)[1]
            low, high = sorted(min(int(days.group(g)), last_day) for g in ("first", "last"))
            start, end, begin = first.replace(day=max(low, 1)), first.replace(day=max(high, 1)), days.start()
        until = _UNTIL.search(question[:begin])
        if until and not scopes:  # "from its start to November 2024": everything up to the end of November
            # (what it runs from stays in the question: "from the day Hezbollah first opened fire to ...")
            start, begin = OPEN_START, until.start() + _LAST_TO.search(until.group(0)).start()
        scopes.append(DateScope(start=start, end=end, text=question[begin : m.end()].strip()))
        spans.append((begin, m.end()))
    for m in _YEAR_REF.finditer(question):
        if any(s <= m.start("year") < e for s, e in spans):
            continue
        year = int(m.group("year"))
        scopes.append(DateScope(start=date(year, 1, 1), end=date(year, 12, 31), text=m.group(0)))
        spans.append(m.span("year"))
    return _shifted(question, TimeReference(scopes=scopes, recent=bool(_RECENT.search(question)), spans=spans))


_COUNT = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
# "two days after meeting Netanyahu", "a week before the Paris conference", "two days later"
_SHIFT = re.compile(
    r"\b(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|eight)\s+(?P<unit>days?|weeks?|months?)\s+"
    r"(?P<dir>after|before|later|earlier)\b(?P<event>(?:(?!\s+(?:and|but)\s+(?:what|where|who|how|which|when|why)\b)"
    r"[^,?;.])*)",
    re.I,
)


def _shifted(question: str, time: TimeReference) -> TimeReference:
    """Apply a time counted from another: "on Tuesday 22 October ... two days later" is 24 October; "two days after
    meeting Netanyahu" leaves the event to be dated from the evidence (its own dates are the event's, not the
    question's)."""
    m = _SHIFT.search(question)
    if not m:
        return time
    if m.group("unit").lower().startswith("month"):  # "in late October ... and a month later": both periods
        if len(time.scopes) != 1 or m.group("event").strip() or m.group("dir").lower() not in ("later", "earlier"):
            return time
        months = _COUNT.get(m.group("n").lower()) or int(m.group("n"))
        months = -months if m.group("dir").lower() == "earlier" else months
        first = time.scopes[0]
        start, end = _add_months(first.start, months), _add_months(first.end, months)
        start, end = start.replace(day=1), end.replace(day=calendar.monthrange(end.year, end.month)[1])  # vaguer
        shifted = DateScope(
            start=start, end=end, text=f"{m.group(0).strip()} ({date_label(start)} - {date_label(end)})"
        )
        return TimeReference(
            scopes=sorted([first, shifted], key=lambda s: s.start),
            recent=time.recent,
            spans=[*time.spans, m.span()],
        )
    days = (int(m.group("n")) if m.group("n").isdigit() else _COUNT[m.group("n").lower()]) * (
        7 if m.group("unit").lower().startswith("week") else 1
    )
    days = -days if m.group("dir").lower() in ("before", "earlier") else days
    event = m.group("event").strip()
    if m.group("dir").lower() in ("later", "earlier") or not event:
        anchors = [s for s in time.scopes if s.start == s.end]
        if len(anchors) != 1:
            return time
        day = anchors[0].start + timedelta(days=days)
        text = f"{m.group(0).strip()} ({date_label(day)})"
        return TimeReference(
            scopes=[DateScope(start=day, end=day, text=text)], recent=time.recent, spans=[*time.spans, m.span()]
        )
    inside = [i for i, (start, end) in enumerate(time.spans) if m.start() <= start and end <= m.end()]
    return TimeReference(
        scopes=[s for i, s in enumerate(time.scopes) if i not in inside],
        recent=time.recent,
        spans=[span for i, span in enumerate(time.spans) if i not in inside] + [m.span()],
        shift=Shift(days=days, event=event, text=m.group(0).strip()),
    )


def _add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or the last day of that month where it is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def strip_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text
