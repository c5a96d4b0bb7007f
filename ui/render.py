"""Answers, drafts and index reports as HTML (for the chat transcript) and as Markdown (for export).

Everything that comes from an article, a question or a file name is HTML-escaped here, so markup
inside an article can never reach the page as markup. The transcript is shown by a `gr.HTML`
component, which sets `innerHTML` without sanitising and fills `${...}` / `{{...}}` templates, so
`esc` also turns `$`, `{` and `}` into character references (they display the same).

Ids in the transcript: answer `t` has footnote markers `nr-ref-{t}-{n}` and source entries
`nr-src-{t}-{n}`; a marker links to its source entry and the entry links back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlparse

from rag.types import Answer, ArticleInfo, Citation, ScoredPassage

MARKER = re.compile(r"\[(\d{1,3})\]")
BULLET = re.compile(r"^\s*[-*•]\s+")
_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})
RELATED_SNIPPET_CHARS = 320


def esc(text: object) -> str:
    """Text -> HTML text: escapes markup, quotes, and the characters gr.HTML's templates react to."""
    return html.escape("" if text is None else str(text), quote=True).translate(_TEMPLATE_CHARS)


def format_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "date unknown"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are shown as links (no javascript:, data:, file: ...)."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


def citation_title(citation: Citation | ArticleInfo) -> str:
    title = citation.title
    if title:
        return title
    ident = getattr(citation, "article_id", None) or getattr(citation, "id", "")
    return f"Untitled article ({ident})"


# ---------------------------------------------------------------- answer text


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def render_text(text: str, citations: Sequence[Citation], turn: int | str) -> str:
    """Answer text -> HTML: escaped, [n] markers as footnote links to the sources, paragraphs kept.

    A marker with no citation behind it stays plain text; the first use of each marker carries
    the id the source entry links back to.
    """
    known = {c.marker for c in citations}
    seen: set[int] = set()

    def inline(segment: str) -> str:
        out, last = [], 0
        for match in MARKER.finditer(segment):
            out.append(esc(segment[last : match.start()]))
            n = int(match.group(1))
            if n in known:
                ref_id = "" if n in seen else f' id="nr-ref-{turn}-{n}"'
                seen.add(n)
                out.append(
                    f'<sup class="nr-fn"><a href="#nr-src-{turn}-{n}"{ref_id} data-target="nr-src-{turn}-{n}" '
                    f'title="Source {n}">[{n}]</a></sup>'
                )
            else:
                out.append(esc(match.group(0)))
            last = match.end()
        out.append(esc(segment[last:]))
        return "".join(out)

    blocks = []
    for paragraph in _paragraphs(text):
        lines = paragraph.split("\n")
        if all(BULLET.match(line) for line in lines):
            items = "".join(f"<li>{inline(BULLET.sub('', line))}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append("<p>" + "<br>".join(inline(line) for line in lines) + "</p>")
    return "".join(blocks)


# ---------------------------------------------------------------- sources


def quote_span(citation: Citation) -> tuple[int, int] | None:
    """Where the quote sits inside the passage text: from the offsets, else found by search."""
    text = citation.text
    start = citation.start - citation.passage_start
    end = citation.end - citation.passage_start
    if 0 <= start < end <= len(text) and text[start:end].strip() == citation.quote.strip():
        return start, end
    if citation.quote:
        found = text.find(citation.quote)
        if found >= 0:
            return found, found + len(citation.quote)
    if 0 <= start < end <= len(text):  # offsets in range but the quote differs (e.g. normalised spaces)
        return start, end
    return None


def highlight(citation: Citation) -> str:
    """The passage, escaped, with the supporting quote inside <mark>."""
    span = quote_span(citation)
    text = citation.text
    if span is None:
        return esc(text)
    start, end = span
    return f'{esc(text[:start])}<mark class="nr-quote">{esc(text[start:end])}</mark>{esc(text[end:])}'


def _meta_line(publisher: str | None, published: date | None, url: str | None) -> str:
    parts = [f'<span class="nr-publisher">{esc(publisher or "publisher unknown")}</span>']
    parts.append(
        f'<time datetime="{published.isoformat()}">{esc(format_date(published))}</time>'
        if published
        else '<span class="nr-nodate">date unknown</span>'
    )
    link = safe_url(url)
    if link:
        parts.append(f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer nofollow">original</a>')
    return " · ".join(parts)


def render_sources(citations: Sequence[Citation], turn: int | str) -> str:
    if not citations:
        return ""
    items = []
    for c in citations:
        span = quote_span(c)
        fallback = (
            ""
            if span
            else f'<blockquote class="nr-quote-alone"><mark class="nr-quote">{esc(c.quote)}</mark></blockquote>'
        )
        items.append(
            f'<li id="nr-src-{turn}-{c.marker}" class="nr-source" data-marker="{c.marker}">'
            f'<div class="nr-source-head"><span class="nr-source-n">[{c.marker}]</span> '
            f'<strong class="nr-source-title">{esc(citation_title(c))}</strong> '
            f'<a class="nr-back" href="#nr-ref-{turn}-{c.marker}" data-target="nr-ref-{turn}-{c.marker}" '
            f'title="Back to the answer">↩</a></div>'
            f'<div class="nr-source-meta">{_meta_line(c.publisher, c.published, c.url)}</div>'
            f'<p class="nr-passage">{highlight(c)}</p>{fallback}</li>'
        )
    label = "source" if len(citations) == 1 else "sources"
    return (
        f'<details class="nr-sources" open><summary>{len(citations)} {label}: the passages this answer '
        f"quotes, supporting sentences highlighted</summary><ol>{''.join(items)}</ol></details>"
    )


def render_related(related: Sequence[ScoredPassage]) -> str:
    if not related:
        return ""
    items = []
    for hit in related:
        snippet = " ".join(hit.passage.text.split())
        if len(snippet) > RELATED_SNIPPET_CHARS:
            snippet = snippet[:RELATED_SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
        items.append(
            f'<li class="nr-related-item"><strong>{esc(hit.article.display_title)}</strong>'
            f'<div class="nr-source-meta">{_meta_line(hit.article.publisher, hit.article.published, hit.article.url)}'
            f'</div><p class="nr-passage">{esc(snippet)}</p></li>'
        )
    return (
        '<details class="nr-related" open><summary>Related reading: the closest passages, which do not '
        f"answer the question</summary><ul>{''.join(items)}</ul></details>"
    )


def render_checks(answer: Answer) -> str:
    """How the answer was made: generator, verifier notes, timings (collapsed)."""
    bits = [f"<li>Written by the <code>{esc(answer.generator)}</code> generator; kind: {esc(answer.kind)}.</li>"]
    bits += [f"<li>{esc(note)}</li>" for note in answer.verification]
    if answer.timings:
        timing = ", ".join(f"{esc(k)} {v * 1000:.0f} ms" for k, v in answer.timings.items())
        bits.append(f"<li>Timings: {timing}.</li>")
    return (
        f'<details class="nr-checks"><summary>How this answer was checked</summary><ul>{"".join(bits)}</ul></details>'
    )


# ---------------------------------------------------------------- whole answers


def render_answer(answer: Answer, turn: int | str) -> str:
    """One verified answer: text with footnotes, its sources (or, for an abstention, related reading),
    a copy-as-Markdown button and the verification notes."""
    markdown = answer_markdown(answer)
    copy = (
        f'<div class="nr-tools"><button type="button" class="nr-copy" data-copy="nr-md-{turn}">Copy as Markdown'
        f'</button><textarea id="nr-md-{turn}" class="nr-md" hidden readonly>{esc(markdown)}</textarea></div>'
    )
    if answer.abstained:
        return (
            f'<div class="nr-answer nr-abstained" data-turn="{turn}" data-kind="abstained">'
            f'<div class="nr-abstain-head"><span class="nr-icon" aria-hidden="true">∅</span> '
            f"No answer in the indexed articles</div>"
            f'<div class="nr-text">{render_text(answer.text, [], turn)}</div>'
            f"{render_related(answer.related)}{copy}{render_checks(answer)}</div>"
        )
    return (
        f'<div class="nr-answer" data-turn="{turn}" data-kind="{esc(answer.kind)}">'
        f'<div class="nr-text">{render_text(answer.text, answer.citations, turn)}</div>'
        f"{render_sources(answer.citations, turn)}{copy}{render_checks(answer)}</div>"
    )


def render_draft(text: str, turn: int | str) -> str:
    """The answer while it is being written: plain escaped text, markers not linked yet."""
    body = render_text(text, [], turn) if text.strip() else "<p>Searching the articles…</p>"
    return (
        f'<div class="nr-answer nr-draft" data-turn="{turn}" aria-busy="true">'
        f'<div class="nr-text">{body}</div><div class="nr-status">Writing and checking the answer…</div></div>'
    )


def render_error(message: str, turn: int | str) -> str:
    return f'<div class="nr-answer nr-error" data-turn="{turn}" role="alert"><p>{esc(message)}</p></div>'


def render_question(question: str, turn: int | str) -> str:
    return f'<div class="nr-question" data-turn="{turn}"><p>{esc(question)}</p></div>'


@dataclass
class ChatTurn:
    """One exchange in the chat transcript."""

    question: str
    answer: Answer | None = None
    draft: str = ""
    error: str | None = None
    filters: str = ""


def render_conversation(turns: Sequence[ChatTurn], *, welcome: str = "") -> str:
    """The whole transcript (re-rendered on every streamed update)."""
    if not turns:
        return f'<div class="nr-transcript nr-empty">{welcome}</div>'
    parts = []
    for i, turn in enumerate(turns, start=1):
        parts.append(render_question(turn.question, i))
        if turn.filters:
            parts.append(f'<div class="nr-filters">{esc(turn.filters)}</div>')
        if turn.error:
            parts.append(render_error(turn.error, i))
        elif turn.answer is not None:
            parts.append(render_answer(turn.answer, i))
        else:
            parts.append(render_draft(turn.draft, i))
    return f'<div class="nr-transcript">{"".join(parts)}</div>'


def render_welcome(examples: Iterable[str], stats: dict | None = None) -> str:
    count = ""
    if stats:
        count = (
            f" The index holds {esc(stats.get('articles', '?'))} articles ({esc(stats.get('passages', '?'))} passages)."
        )
    items = "".join(f"<li>{esc(q)}</li>" for q in examples)
    return (
        '<div class="nr-welcome"><h3>Ask about your news articles</h3>'
        "<p>Answers come only from the indexed articles. Every sentence carries a numbered footnote; the "
        f"sources under each answer show the passage with the supporting sentence highlighted.{count}</p>"
        f"<p>For example:</p><ul>{items}</ul>"
        "<p>Pick an example below or type a question. Follow-up questions use the conversation so far.</p></div>"
    )


# ---------------------------------------------------------------- Markdown export


def _md_escape_inline(text: str) -> str:
    return " ".join(text.split())


def answer_markdown(answer: Answer) -> str:
    """The answer with its sources as Markdown: question, text with [n], then each source and its quote."""
    lines = [f"**Q:** {_md_escape_inline(answer.question)}", "", answer.text.strip(), ""]
    if answer.citations:
        lines.append("Sources:")
        lines.append("")
        for c in answer.citations:
            meta = ", ".join(x for x in (c.publisher or "publisher unknown", format_date(c.published)) if x)
            link = safe_url(c.url)
            head = f"[{c.marker}] {_md_escape_inline(citation_title(c))} ({meta})"
            lines.append(head + (f" <{link}>" if link else ""))
            lines.append(f"> {_md_escape_inline(c.quote)}")
            lines.append("")
    elif answer.related:
        lines.append("Related reading:")
        lines.append("")
        for hit in answer.related:
            a = hit.article
            lines.append(
                f"- {_md_escape_inline(a.display_title)} ({a.publisher or 'publisher unknown'}, "
                f"{format_date(a.published)})"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def conversation_markdown(turns: Sequence[ChatTurn]) -> str:
    parts = ["# newsrag conversation", ""]
    for turn in turns:
        if turn.answer is not None:
            parts.append(answer_markdown(turn.answer))
        elif turn.error:
            parts.append(f"**Q:** {_md_escape_inline(turn.question)}\n\n(error: {turn.error})\n")
        parts.append("---")
        parts.append("")
    return "\n".join(parts)


# ---------------------------------------------------------------- index reports


@dataclass
class UploadOutcome:
    """What happened to one upload batch, in words for the Articles tab."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file name, why)
    nothing_indexed: bool = False
    seconds: float = 0.0


def render_upload_outcome(outcome: UploadOutcome) -> str:
    parts = []
    if outcome.nothing_indexed:
        parts.append('<p class="nr-bad"><strong>Nothing was added.</strong> The index is unchanged.</p>')
    else:
        done = []
        for label, ids in (("added", outcome.added), ("updated", outcome.updated), ("unchanged", outcome.unchanged)):
            if ids:
                done.append(f"{len(ids)} {label} ({', '.join(esc(i) for i in ids)})")
        summary = "; ".join(done) if done else "no change"
        parts.append(f'<p class="nr-good"><strong>Indexed:</strong> {summary} in {outcome.seconds:.1f} s.</p>')
    if outcome.problems:
        items = "".join(
            f'<li><code class="nr-file">{esc(name)}</code>: {esc(reason)}</li>' for name, reason in outcome.problems
        )
        label = "file was" if len(outcome.problems) == 1 else "files were"
        parts.append(
            f'<div class="nr-problems" role="alert"><p>Not indexed ({len(outcome.problems)} {label} '
            f"skipped):</p><ul>{items}</ul></div>"
        )
    return f'<div class="nr-upload-report">{"".join(parts)}</div>'


def render_message(text: str, *, bad: bool = False) -> str:
    return f'<div class="nr-upload-report"><p class="{"nr-bad" if bad else "nr-good"}">{esc(text)}</p></div>'


def render_stats(stats: dict) -> str:
    rows = "".join(f"<tr><th>{esc(k.replace('_', ' '))}</th><td>{esc(v)}</td></tr>" for k, v in stats.items())
    return f'<table class="nr-stats">{rows}</table>'
