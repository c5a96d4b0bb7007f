"""Split an article into sentences (with offsets) and pack them into overlapping passages."""

from __future__ import annotations

import re
from functools import lru_cache

from index.types import Article, Passage, Sentence, content_hash

_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")
_WORD = re.compile(r"\S+")


# Abbreviations common in news that Punkt's English model does not know (lower case, no final dot).
NEWS_ABBREVIATIONS = {
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "jan",
    "feb",
    "mar",
    "apr",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "gen",
    "lt",
    "col",
    "maj",
    "capt",
    "sgt",
    "adm",
    "gov",
    "sen",
    "rep",
    "pres",
    "dr",
    "mr",
    "mrs",
    "ms",
    "st",
    "jr",
    "sr",
    "no",
    "vs",
    "approx",
    "inc",
    "corp",
    "co",
    "ltd",
    "dept",
    "est",
    "fig",
}


@lru_cache(maxsize=1)
def _punkt():
    """NLTK's Punkt sentence tokenizer, loaded from the data llama-index ships (nothing is downloaded)."""
    import importlib.util
    from pathlib import Path

    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "_static" / "nltk_cache"
        if str(bundled) not in nltk.data.path:
            nltk.data.path.append(str(bundled))
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(NEWS_ABBREVIATIONS)
    return tokenizer


CHUNKER_VERSION = 2
MAX_QUOTE_SENTENCES = 4  # a quotation longer than this is not kept in one piece


def _open_quote(text: str) -> bool:
    """Does the text leave a quotation open ("... or “... without its closing mark)?"""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def split_sentences(text: str, max_words: int) -> list[Sentence]:
    """Sentences of `text` with offsets. Paragraphs never share a sentence; a quotation of several
    sentences stays one unit with its attribution ('"We think ... parties," Miller said.'); an overlong
    sentence (a run-on line with no punctuation) is cut into pieces of at most `max_words` words."""
    sentences: list[Sentence] = []
    tokenizer = _punkt()
    for paragraph in _PARAGRAPH.finditer(text):
        base = paragraph.start()
        spans = list(tokenizer.span_tokenize(paragraph.group()))
        i = 0
        while i < len(spans):
            start, end = spans[i]
            j = i
            while j + 1 < len(spans) and j - i + 1 < MAX_QUOTE_SENTENCES and _open_quote(paragraph.group()[start:end]):
                j += 1
                end = spans[j][1]
            if _open_quote(paragraph.group()[start:end]):
                j, end = i, spans[i][1]  # never closed: keep Punkt's sentence
            sentences.extend(_cap_length(text, base + start, base + end, max_words))
            i = j + 1
    return sentences


def _cap_length(text: str, start: int, end: int, max_words: int) -> list[Sentence]:
    words = list(_WORD.finditer(text, start, end))
    if len(words) <= max_words:
        return [Sentence(start=start, end=end, text=text[start:end])]
    pieces = []
    for i in range(0, len(words), max_words):
        chunk = words[i : i + max_words]
        s, e = chunk[0].start(), chunk[-1].end()
        pieces.append(Sentence(start=s, end=e, text=text[s:e]))
    return pieces


def _words(sentence: Sentence) -> int:
    return len(sentence.text.split())


def chunk_article(article: Article, max_words: int, min_words: int, overlap: int) -> list[Passage]:
    """Pack whole sentences into passages of about `min_words`..`max_words` words.

    A passage ends at a paragraph break once it has `min_words`, and before any sentence that
    would take it past `max_words`; the next passage repeats the last `overlap` sentences.
    """
    sentences = split_sentences(article.text, max_words)
    paragraph_ends = {m.end() for m in _PARAGRAPH.finditer(article.text)}
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    carried = 0  # how many sentences at the head of `current` repeat the previous passage

    def flush() -> None:
        nonlocal current, carried
        if len(current) > carried:
            groups.append(current)
            tail = current[-overlap:] if overlap else []
            if sum(map(_words, tail)) > max_words // 2:
                tail = []
            current, carried = list(tail), len(tail)
        # a group of carried sentences only is dropped: they are already in the previous passage

    for sentence in sentences:
        size = sum(map(_words, current))
        if current and size + _words(sentence) > max_words:
            if len(current) == carried:
                current, carried = [], 0
            else:
                flush()
                if sum(map(_words, current)) + _words(sentence) > max_words:
                    current, carried = [], 0
        current.append(sentence)
        if sentence.end in paragraph_ends and sum(map(_words, current)) >= min_words:
            flush()

    if len(current) > carried:
        new = current[carried:]
        merged = groups[-1] + new if groups else None
        # A short tail joins the previous passage when that stays within bounds.
        if (
            merged is not None
            and sum(map(_words, new)) < min_words // 2
            and sum(map(_words, merged)) <= max_words * 1.25
        ):
            groups[-1] = merged
        else:
            groups.append(current)

    passages = []
    for ordinal, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        text = article.text[start:end]
        passages.append(
            Passage(
                id=content_hash(article.id, str(start), text),
                article_id=article.id,
                ordinal=ordinal,
                start=start,
                end=end,
                text=text,
                sentences=group,
            )
        )
    return passages
