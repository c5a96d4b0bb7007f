"""Questions that count time from an event ("where was Blinken two days after meeting Netanyahu?"): the event is
dated from its own evidence, and the question is then asked of the day it points to."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from index.store import Snapshot
from rag.dates import DateScope, date_label
from rag.event_dates import statement_date
from rag.question import QuestionInfo, analyze
from rag.timeline import source_label

if TYPE_CHECKING:
    from rag.assistant import Assistant


def date_shift(assistant: Assistant, snapshot: Snapshot, info: QuestionInfo, reference: date | None) -> str | None:
    """Date the event a shift counts from and set the question's time scope to the day it points to; a note on
    how it was read, or None when the question counts from no event (or its evidence holds no date). `reference`
    dates a month the event names without a year, as in `analyze`."""
    shift = info.time.shift
    if shift is None:
        return None
    query = " ".join([shift.event, *info.names])  # the event, with whom the question is about
    event_info = analyze(query, reference, snapshot.publishers)
    _, evidence = assistant._evidence(snapshot, event_info, query, None)
    if not evidence.sentences or evidence.sentences[0].source.article.published is None:
        return None
    top = evidence.sentences[0]
    published = top.source.article.published
    said = statement_date(top.sentence.text, published)
    day = said.start if said else published
    target = day + timedelta(days=shift.days)
    info.time.scopes = [DateScope(start=target, end=target, text=f"{shift.text} ({date_label(target)})")]
    return (
        f"'{shift.text}' read as {date_label(target)}: {source_label(top.source.article)} of "
        f'{date_label(published)} dates the event to {date_label(day)} ("{top.sentence.text[:120]}")'
    )
