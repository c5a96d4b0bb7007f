"""Answer -> HTML: footnotes, highlighted quotes at the right offsets, escaping, abstentions, export."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest

from rag.types import Answer, ArticleInfo, Citation, Passage, ScoredPassage
from ui import render

ARTICLE = (
    "Israel's army said on Monday it struck targets in Lebanon. "
    "Israel has said it wants Hezbollah pushed back beyond the Litani River, 20 miles from the border. "
    "Talks continued in Cairo."
)


def citation(
    marker: int = 1,
    quote: str = "Israel has said it wants Hezbollah pushed back beyond the Litani River, 20 miles from the border.",
    passage_start: int = 0,
    **extra,
) -> Citation:
    text = extra.pop("text", ARTICLE[passage_start:])
    start = ARTICLE.find(quote) if quote in ARTICLE else extra.pop("start", 0)
    end = start + len(quote)
    return Citation(
        marker=marker,
        passage_id=f"p{marker}",
        article_id=extra.pop("article_id", "a1"),
        title=extra.pop("title", "Israel sets out its aims"),
        publisher=extra.pop("publisher", "Reuters"),
        published=extra.pop("published", date(2024, 10, 24)),
        url=extra.pop("url", "https://example.com/story"),
        text=text,
        passage_start=passage_start,
        quote=quote,
        start=extra.pop("start", start),
        end=extra.pop("end", end),
    )


def answer(text: str, citations: list[Citation], **extra) -> Answer:
    return Answer(question=extra.pop("question", "How far back?"), text=text, citations=citations, **extra)


class TagCollector(HTMLParser):
    """Collects start tags, so tests can check what markup the HTML really holds."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = TagCollector()
    parser.feed(html)
    return parser.tags


def mark_text(html: str) -> list[str]:
    return [m for m in re.findall(r'<mark class="nr-quote">(.*?)</mark>', html, flags=re.S)]


# ------------------------------------------------------------ footnotes


def test_markers_become_footnote_links_to_their_source_entries() -> None:
    html = render.render_answer(
        answer(
            "It wants them 20 miles back [1]. Talks went on [2].",
            [citation(1), citation(2, "Talks continued in Cairo.")],
        ),
        3,
    )
    links = [attrs for tag, attrs in tags(html) if tag == "a" and (attrs.get("href") or "").startswith("#nr-src-")]
    assert [a["href"] for a in links] == ["#nr-src-3-1", "#nr-src-3-2"]
    assert [a["id"] for a in links] == ["nr-ref-3-1", "nr-ref-3-2"]
    entries = [attrs["id"] for tag, attrs in tags(html) if tag == "li" and "nr-source" in (attrs.get("class") or "")]
    assert entries == ["nr-src-3-1", "nr-src-3-2"]
    # each entry links back to its marker
    backs = [attrs["href"] for tag, attrs in tags(html) if tag == "a" and "nr-back" in (attrs.get("class") or "")]
    assert backs == ["#nr-ref-3-1", "#nr-ref-3-2"]


def test_repeated_marker_links_every_time_but_has_one_id() -> None:
    html = render.render_text("A [1]. B [1].", [citation(1)], "t")
    assert html.count('href="#nr-src-t-1"') == 2
    assert html.count('id="nr-ref-t-1"') == 1


def test_marker_without_citation_stays_plain_text() -> None:
    html = render.render_text("A [1]. B [7].", [citation(1)], 1)
    assert "#nr-src-1-7" not in html and "[7]" in html


def test_paragraphs_and_bullets() -> None:
    html = render.render_text("First [1].\n\n- one [1]\n- two", [citation(1)], 1)
    assert html.startswith("<p>First") and "<ul><li>one" in html and "<li>two</li>" in html


# ------------------------------------------------------------ quote highlighting


def test_quote_is_marked_at_its_offsets_in_the_passage() -> None:
    c = citation(1)
    html = render.highlight(c)
    assert mark_text(html) == [c.quote.replace("'", "&#x27;")]
    before = html.split("<mark")[0]
    assert before == render.esc(ARTICLE[: c.start])


def test_offsets_are_article_offsets_minus_passage_start() -> None:
    # The passage starts mid-article: the quote's offsets are article offsets.
    passage_start = ARTICLE.index("Israel has said")
    c = citation(1, "Talks continued in Cairo.", passage_start=passage_start)
    assert c.start > passage_start
    assert render.quote_span(c) == (c.start - passage_start, c.end - passage_start)
    assert mark_text(render.highlight(c)) == ["Talks continued in Cairo."]


def test_wrong_offsets_fall_back_to_finding_the_quote() -> None:
    c = citation(1, "Talks continued in Cairo.")
    c = c.model_copy(update={"start": 3, "end": 10})
    assert mark_text(render.highlight(c)) == ["Talks continued in Cairo."]


def test_quote_not_in_passage_is_shown_on_its_own() -> None:
    c = citation(1, "Nowhere in the passage.", start=500, end=523)
    html = render.render_sources([c], 1)
    assert "nr-quote-alone" in html and "Nowhere in the passage." in html


def test_source_entry_shows_title_publisher_and_date() -> None:
    html = render.render_sources([citation(1)], 1)
    assert "Israel sets out its aims" in html and "Reuters" in html and "24 October 2024" in html
    untitled = render.render_sources([citation(1, title=None, publisher=None, published=None, article_id="x9")], 1)
    assert "Untitled article (x9)" in untitled and "publisher unknown" in untitled and "date unknown" in untitled


# ------------------------------------------------------------ escaping


EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)"> ${alert(3)} {{value}} `x`'


def test_article_markup_is_escaped_everywhere() -> None:
    text = f"Before. {EVIL} The quote is here. After."
    c = Citation(
        marker=1,
        passage_id="p",
        article_id="a<b>",
        title=f"Title {EVIL}",
        publisher=f"Pub {EVIL}",
        published=None,
        url="javascript:alert(4)",
        text=text,
        passage_start=100,
        quote="The quote is here.",
        start=100 + text.index("The quote"),
        end=100 + text.index("The quote") + 18,
    )
    html = render.render_answer(answer(f"Answer {EVIL} [1].", [c], question=EVIL), 1)
    found = {tag for tag, _ in tags(html)}
    assert "script" not in found and "img" not in found
    assert not any(name.startswith("on") for _, attrs in tags(html) for name in attrs)
    assert "javascript:" not in html
    # gr.HTML fills ${...} and {{...}} templates: those characters arrive as character references
    assert "${" not in html and "{{" not in html and "`" not in html
    assert mark_text(html) == ["The quote is here."]
    # the text still reads the same once the browser decodes it
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_only_http_links_are_links() -> None:
    assert render.safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//example.com", "", None):
        assert render.safe_url(bad) is None
    html = render.render_sources([citation(1, url='https://example.com/"onmouseover="x')], 1)
    link = [attrs for tag, attrs in tags(html) if tag == "a" and attrs.get("target") == "_blank"][0]
    assert link["href"] == 'https://example.com/"onmouseover="x' and "onmouseover" not in link


def test_question_and_errors_are_escaped() -> None:
    html = render.render_conversation([render.ChatTurn(question=EVIL, error=EVIL)])
    assert "script" not in {tag for tag, _ in tags(html)}


def test_upload_report_escapes_file_names() -> None:
    outcome = render.UploadOutcome(problems=[("<img src=x onerror=alert(1)>.txt", "empty file")], nothing_indexed=True)
    html = render.render_upload_outcome(outcome)
    assert "img" not in {tag for tag, _ in tags(html)}
    assert "Nothing was added" in html and "empty file" in html


# ------------------------------------------------------------ abstention, drafts, transcript


def related_hit() -> ScoredPassage:
    passage = Passage(
        id="p9",
        article_id="a9",
        ordinal=0,
        start=0,
        end=40,
        text="Paris raised $200 million for Lebanon.",
        sentences=[],
    )
    info = ArticleInfo(
        id="a9", title="Donors meet in Paris", publisher="Reuters", published=date(2024, 10, 24), source="x.txt"
    )
    return ScoredPassage(passage=passage, article=info, score=0.1)


def test_abstention_looks_different_and_lists_related_reading() -> None:
    abstained = Answer(
        question="Capital of France?",
        text="The articles don't say. Nothing matches.",
        abstained=True,
        kind="abstained",
        related=[related_hit()],
    )
    html = render.render_answer(abstained, 2)
    assert 'class="nr-answer nr-abstained"' in html and "No answer in the indexed articles" in html
    assert "Related reading" in html and "Donors meet in Paris" in html and "&#36;200 million" in html
    assert "nr-sources" not in html and "nr-fn" not in html
    normal = render.render_answer(answer("It is 20 miles [1].", [citation(1)]), 1)
    assert "nr-abstained" not in normal and "Related reading" not in normal


def test_draft_and_transcript() -> None:
    turns = [
        render.ChatTurn(question="Q1", answer=answer("A [1].", [citation(1)])),
        render.ChatTurn(question="Q2", draft="Partial [1"),
    ]
    html = render.render_conversation(turns)
    assert html.index("Q1") < html.index("nr-src-1-1") < html.index("Q2") < html.index("nr-draft")
    assert "Partial [1" in html
    assert "nr-welcome" in render.render_conversation([], welcome=render.render_welcome(["Who?"]))


# ------------------------------------------------------------ Markdown export


def test_markdown_export_has_answer_sources_and_quotes() -> None:
    md = render.answer_markdown(
        answer(
            "It is 20 miles [1]. Talks went on [2].",
            [citation(1), citation(2, "Talks continued in Cairo.", title=None)],
        )
    )
    assert md.startswith("**Q:** How far back?")
    assert "It is 20 miles [1]. Talks went on [2]." in md
    assert "[1] Israel sets out its aims (Reuters, 24 October 2024) <https://example.com/story>" in md
    assert "> Israel has said it wants Hezbollah pushed back" in md
    assert "[2] Untitled article (a1)" in md and "> Talks continued in Cairo." in md


def test_copy_button_carries_the_markdown_escaped() -> None:
    a = answer("A <b> [1].", [citation(1)])
    html = render.render_answer(a, 4)
    area = re.search(r'<textarea id="nr-md-4"[^>]*>(.*?)</textarea>', html, flags=re.S)
    assert area and "&lt;b&gt;" in area.group(1)
    assert 'data-copy="nr-md-4"' in html


@pytest.mark.parametrize("day, text", [(date(2024, 6, 5), "5 June 2024"), (None, "date unknown")])
def test_format_date(day: date | None, text: str) -> None:
    assert render.format_date(day) == text


def test_login_is_required_when_configured(tmp_path) -> None:  # noqa: ANN001
    from types import SimpleNamespace

    from rag.settings import Settings
    from ui.app import launch_options

    settings = Settings(index_dir=tmp_path / "ix", ui_auth="editor:s3cret")
    options = launch_options(SimpleNamespace(settings=settings))
    assert options["auth"] == ("editor", "s3cret") and options["share"] is False
    assert "auth" not in launch_options(SimpleNamespace(settings=Settings(index_dir=tmp_path / "ix")))
