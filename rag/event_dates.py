"""When a report's sentences say things happened: days, weeks and months read back from the report's date
("on Saturday", "last month", "three weeks ago"), the dates a sentence names ("Sept. 27", "late September"),
and whether a sentence speaks of a period a question asks about."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache

from pydantic import BaseModel

from rag.dates import MONTH_REF, PART_OF_MONTH, DateScope, date_label, span_in_month

_RELATIVE_DAY = re.compile(
    r"\b(?:on|late on|early on|since|by|last)\s+(?P<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(?P<rel>yesterday|today|tonight|overnight)\b",
    re.I,
)
_NUMBER = r"(?:\d{1,2}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen)"
# "last month", "three weeks ago", "earlier this month", "last year" (not "over the last year": a duration)
_RELATIVE_SPAN = re.compile(
    rf"\b(?P<ago>{_NUMBER}\s+(?P<unit>day|week|month|year)s?\s+ago)\b"
    r"|(?<!the )(?<!over )(?<!past )\b(?P<last>last (?P<last_unit>week|month|year))\b"
    r"|\b(?P<this>(?:earlier )?this (?P<this_unit>week|month|year))\b",
    re.I,
)


class EventSpan(BaseModel):
    """When a sentence's event happened, as read from words relative to its report's date."""

    start: date
    end: date  # the same day when the sentence names the day
    rule: str

    @property
    def label(self) -> str:
        """How a reader would name the span: "19 October 2024", "July 2024", "late September 2024", "2023"."""
        start, end = self.start, self.end
        if start == end:
            return date_label(start)
        if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
            return str(start.year)
        if start.day == 1 and end == start.replace(day=calendar.monthrange(start.year, start.month)[1]):
            return f"{start:%B %Y}"
        if (start.year, start.month) == (end.year, end.month):
            part = {1: "early", 11: "mid", 21: "late"}.get(start.day) if end.day in (10, 20) or end.day >= 28 else None
            return f"{part} {start:%B %Y}" if part else f"{start.day}-{end.day} {start:%B %Y}"
        return f"{start.day} {start:%B} - {end.day} {end:%B %Y}"


def _calendar_span(day: date, unit: str) -> tuple[date, date]:
    """The week (Monday to Sunday), month or year that holds `day`."""
    if unit == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if unit == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if unit == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def _day_named(phrase: str, published: date, ahead: bool = False) -> date | None:
    """The day `phrase` names, read back from the report's date (or ahead of it, for what is still to come)."""
    import datetime as dt

    import dateparser

    base = dt.datetime.combine(published, dt.time(0, 1) if ahead else dt.time(23, 59))
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future" if ahead else "past"}
    parsed = dateparser.parse(phrase, settings=settings)  # type: ignore[arg-type]
    if parsed is None:
        return None
    return parsed.date() if (parsed.date() >= published if ahead else parsed.date() <= published) else None


# "Barnea will travel to Doha on Sunday", "is due to meet ... on Thursday": a day still to come
_FUTURE = re.compile(
    r"(\bwill|\bshall|’ll|'ll|\b(?:is|are)\s+(?:due|expected|set|scheduled)\s+to)\b[^.;:!?]{0,80}$", re.I
)


def _day_span(m: re.Match[str], published: date) -> EventSpan | None:
    phrase = m.group("day") or m.group("rel")
    said = m.group(0).strip()
    if phrase.lower() in ("today", "tonight", "overnight"):
        return EventSpan(start=published, end=published, rule=f"'{said}' = the day of publication")
    if m.group("day") and published.strftime("%A").lower() == phrase.lower():
        return EventSpan(start=published, end=published, rule=f"'{said}' = the publication day, a {phrase.title()}")
    ahead = bool(m.group("day")) and bool(_FUTURE.search(m.string[max(0, m.start() - 80) : m.start()]))
    found = _day_named(phrase, published, ahead=ahead)
    if found is None:
        return None
    how = "read ahead from" if ahead else "read back from"
    return EventSpan(start=found, end=found, rule=f"'{said}' {how} publication on {published:%a %-d %b %Y}")


def _wider_span(m: re.Match[str], published: date) -> EventSpan | None:
    said = m.group(0)
    if m.group("this"):
        first, _ = _calendar_span(published, m.group("this_unit").lower())
        return EventSpan(
            start=first, end=published, rule=f"'{said}' = from {first:%-d %b} to the report's {published:%-d %b %Y}"
        )
    unit = (m.group("unit") or m.group("last_unit")).lower()
    anchor = _day_named(re.sub(r"^(an?|one) ", "1 ", said.lower()), published)
    if anchor is None:
        return None
    start, end = _calendar_span(anchor, unit)
    if m.group("ago") and unit == "week":  # "three weeks ago": that many weeks back, give or take half a week
        start, end = anchor - timedelta(days=3), min(anchor + timedelta(days=3), published)
    return EventSpan(start=start, end=end, rule=f"'{said}' read back from publication on {published:%a %-d %b %Y}")


@lru_cache(maxsize=16384)
def event_spans(sentence: str, published: date | None) -> tuple[EventSpan, ...]:
    """When a sentence's events happened, where it says so relative to the report, in the order it says them:
    a day ("on Thursday", "yesterday", "two days ago"), a week ("last week", "three weeks ago"), a month ("last
    month", "earlier this month") or a year ("last year"). dateparser reads each phrase back from the
    publication date, never ahead; the span is the calendar week, month or year around the day it gives."""
    if published is None:
        return ()
    found = [(m.start(), _day_span(m, published)) for m in _RELATIVE_DAY.finditer(sentence)]
    found += [(m.start(), _wider_span(m, published)) for m in _RELATIVE_SPAN.finditer(sentence)]
    return tuple(span for _, span in sorted(found, key=lambda f: f[0]) if span is not None)


def event_date(sentence: str, published: date | None) -> tuple[date, str] | None:
    """The day a sentence's event happened, where it names the day relative to the report ("on Thursday")."""
    spans = event_spans(sentence, published)
    return (spans[0].start, spans[0].rule) if spans and spans[0].start == spans[0].end else None


AHEAD_MONTHS = 2  # a month without a year this far after a report's own may be coming ("the Nov. 5 election")


@lru_cache(maxsize=12)
def _month_pattern(month: int) -> re.Pattern[str]:
    name = date(2000, month, 1).strftime("%B")
    return re.compile(
        rf"(?:\b(?P<part>early|mid|late|end of|beginning of|start of)[\s-]+)?(?:\b(?P<day1>\d{{1,2}})\s+)?"
        rf"\b{name[:3]}[a-z]*\.?(?:\s+(?P<day2>\d{{1,2}})\b)?(?:,?\s+(?P<year>(?:19|20)\d\d))?",
        re.I if month != 5 else 0,
    )


@lru_cache(maxsize=16384)
def mentioned_spans(text: str, published: date, month: int) -> tuple[tuple[date, date], ...]:
    """The spans of `month` a passage speaks of: "Sept. 27", "27 September 2024", "late September"; a month
    without a year is the latest one on or before the report's date, or one of the next AHEAD_MONTHS."""
    spans = []
    for m in _month_pattern(month).finditer(text):
        if month == 5 and not (m.group("day1") or m.group("day2") or m.group("year")):
            continue  # the verb "may"
        if m.group("year"):
            years = [int(m.group("year"))]
        else:
            years = [published.year - (month > published.month)]
            if 0 < month - published.month <= AHEAD_MONTHS:  # "the Nov. 5 election" in October: this year's
                years.append(published.year)
        spans += [span_in_month(year, month, m.group("day1") or m.group("day2"), m.group("part")) for year in years]
    return tuple(spans)


def mentions_scope(text: str, published: date | None, scope: DateScope) -> bool:
    """Does the text speak of a day inside the scope, no more vaguely than the scope itself ("Sept. 27" and
    "late September" of late September; "last month" in a report of August of July; "October" not of 19 October)?"""
    if published is None:
        return False
    return any(
        within(start, end, scope) for month in _months(scope) for start, end in mentioned_spans(text, published, month)
    ) or any(within(span.start, span.end, scope) for span in event_spans(text, published))


def _months(scope: DateScope) -> list[int]:
    """The months of the year a scope runs through ("from June to late October": June to October)."""
    if (scope.end - scope.start).days >= 365:
        return list(range(1, 13))
    first, last = scope.start.month, scope.end.month + 12 * (scope.end.year - scope.start.year)
    return sorted({(m - 1) % 12 + 1 for m in range(first, last + 1)})


def within(start: date, end: date, scope: DateScope) -> bool:
    """Does the span from start to end fall in the scope, and is it no vaguer than it? "two months ago" (all of
    September) does not speak of early September; "on Saturday" speaks of 19 October."""
    longest = 2 * (scope.end - scope.start).days + 1
    return start <= scope.end and end >= scope.start and (end - start).days <= longest


_SINCE = re.compile(r"\bsince(\s+\w+){0,3}\s*$", re.I)
# A date naming a thing ("the group's Oct. 7, 2023 attack", "Iran's Oct. 1 missile barrage"), or one inside an
# aside ("- blamed for ... the assault on Oct. 7 last year -", "(...)"), does not date the statement.
_ASIDE = re.compile(r"(\b(the|its|their|his|her|[\w]+[’']s)\s+$)|(\s[–—-]\s(?:(?!\s[–—-]\s).)*$)|(\([^)]*$)", re.I)
# "... awaiting the retaliation Israel has vowed for an Iranian missile barrage on 1 October": the barrage's date
_OF_A_THING = re.compile(r"\b(for|of|after|over|against)\s+(an?|the)\s+(?:[\w’'-]+\s+){0,6}on\s+$", re.I)
_LAST_YEAR = re.compile(r"\s*,?\s*(of )?last year\b", re.I)


_MONTHS = {date(2000, n, 1).strftime("%b").lower(): n for n in range(1, 13)}


@lru_cache(maxsize=4096)
def statement_date(text: str, published: date | None) -> EventSpan | None:
    """When a report's statement happened, where its words say so: the first date it names ("on 8 October 2023",
    "late September", "Sept. 27") or reads from the report's date ("last month", "on Saturday"; ahead of it for
    what "will" happen "on Sunday"), if that is not the report's own day; not when a span began ("since 8
    October"). A timeline orders statements by it, so that a November report's account of late September
    comes before an October report's news."""
    if published is None:
        return None
    found: list[tuple[int, EventSpan]] = []
    for m in MONTH_REF.finditer(text):
        if m.group("month").lower() == "may" and not (m.group("day1") or m.group("day2") or m.group("year")):
            continue  # the verb "may"
        before = text[: m.start()]
        if _SINCE.search(before) or _ASIDE.search(before) or _OF_A_THING.search(before):
            continue  # "exchanged fire since 8 October": when a span began, not when the statement happened
        month = _MONTHS[m.group("month").lower()[:3]]
        if m.group("year"):
            year = int(m.group("year"))
        elif 0 < month - published.month <= AHEAD_MONTHS:
            continue  # "the Nov. 5 election" in October: still to come
        else:  # "Oct. 7 last year": the year before the report's
            year = published.year - (month > published.month) - bool(_LAST_YEAR.match(text, m.end()))
        part = PART_OF_MONTH.search(text[: m.start()])
        start, end = span_in_month(year, month, m.group("day1") or m.group("day2"), part.group(1) if part else None)
        said = text[part.start() if part and start != end else m.start() : m.end()].strip()
        found.append((m.start(), EventSpan(start=start, end=end, rule=f"'{said}' named in the report")))
    for span in event_spans(text, published):
        said = span.rule.split("'")[1]
        position = text.find(said)
        before = text[:position]
        of_a_thing = _OF_A_THING.search(before + ("on " if said.lower().startswith("on ") else ""))
        if not (_SINCE.search(before) or _ASIDE.search(before) or of_a_thing):
            found.append((position, span))
    # The first day named dates the statement, even where it is the report's own day ("on Sunday ... to avenge
    # the killing of a commander last month" is Sunday's news, not July's).
    first = min(found, key=lambda f: f[0], default=None)
    return first[1] if first and first[1].start != published else None
