"""Strip what is not the story from news text: photo captions and credits, repeated lines,
newsletter promos and publisher footers. The cleaned text is the article's text from then on.

Bump CLEANER_VERSION whenever a rule changes what is kept: indexes record it, and an index
built by another version asks to be rebuilt rather than pointing offsets at the wrong text.
"""

from __future__ import annotations

import re

from index.types import Article

CLEANER_VERSION = 2

# "[Source: Reuters]", "Source: AP" on a line of its own names the publisher.
_SOURCE_LINE = re.compile(r"^\[?\s*(?:source|via)\s*:\s*(?P<name>[^\]]{2,60}?)\s*\]?$", re.IGNORECASE)

# A photo credit marks its line as a caption: "Photograph: Name/Agency", "REUTERS/Name",
# "/File Photo", "(Photo by ...)", "Image: ...", "Getty Images".
_CREDIT = re.compile(
    r"(\bPhotograph(?:er)?\s*:|\bPhoto(?:s)?\s*(?:by|credit)?\s*:|\bImage(?: credit)?\s*:|\bPicture\s*:|\bCredit\s*:"
    r"|\b(?:REUTERS|AFP|AP|EPA|ANADOLU|XINHUA)/\s*\w|/File Photo\b|\(Photo by [^)]*\)|\bGetty Images\b"
    r"|\bvia Getty\b|\bAFP via\b)",
)

# Calls to subscribe or follow, wherever they stand.
_PROMO = re.compile(
    r"(\bsign up\b.*\b(newsletter|newsletters|inbox|alerts|updates)\b"
    r"|\bsubscribe\b.*\b(newsletter|newsletters|podcast|channel)\b"
    r"|^new\b.{0,40}\bnewsletter\b"
    r"|^(read more|related|recommended|advertisement|most read)\b\s*:?"
    r"|\bfollow us on\b)",
    re.IGNORECASE,
)

# Publisher footers: only at the end of an article.
_FOOTER = re.compile(
    r"(\ball rights reserved\b|\bcopyright\b|©|\brepublish(?:ing)?\b|\bfill out this form\b"
    r"|\bcan be found here\b|\bdelivers independent\b|\breporting by\b.*\bediting by\b"
    r"|^\(?(?:reporting|writing|editing) by\b|\bour standards\b|\bthomson reuters trust principles\b)",
    re.IGNORECASE,
)

_PROMO_MAX_WORDS = 40  # a longer line is prose that mentions a newsletter, not a promo


def clean_article(article: Article) -> Article:
    """The article with its text cleaned, publisher/title filled in where the text states them."""
    text, removed, found = clean_text(article.text)
    update: dict[str, object] = {"text": text, "removed": removed}
    if article.publisher is None and found.get("publisher"):
        update["publisher"] = found["publisher"]
    if article.title is None:
        update["title"] = found.get("title") or _first_line_title(text)
    return article.model_copy(update=update)


def clean_text(raw: str) -> tuple[str, list[str], dict[str, str]]:
    """Cleaned text (paragraphs separated by a blank line), what was removed and why, and metadata found."""
    lines = [" ".join(line.split()) for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    found: dict[str, str] = {}
    removed: list[str] = []
    keep = [True] * len(lines)

    def drop(i: int, why: str) -> None:
        if keep[i]:
            keep[i] = False
            removed.append(f"{why}: {lines[i]}")

    for i, line in enumerate(lines):
        source = _SOURCE_LINE.match(line)
        if source and len(line.split()) <= 8:
            found.setdefault("publisher", source.group("name"))
            drop(i, "source line")
        elif _CREDIT.search(line):
            drop(i, "photo caption/credit")
        elif _PROMO.search(line) and len(line.split()) <= _PROMO_MAX_WORDS:
            drop(i, "promo")

    # A caption often stands twice: once bare, once with its credit.
    captions = [_norm(line) for line in lines if _CREDIT.search(line)][:20]  # a page has few photos
    for i, line in enumerate(lines):
        if keep[i] and any(_norm(line) in caption for caption in captions):
            drop(i, "photo caption (repeated)")

    for i in range(len(lines) - 1, -1, -1):
        if not keep[i]:
            continue
        if _FOOTER.search(lines[i]):
            drop(i, "publisher footer")
        else:
            break

    # A repeated line is dropped where it repeats, except that a standfirst (a summary at the top
    # that the body repeats nearly word for word) gives way to the body's own sentence.
    kept_idx = [i for i in range(len(lines)) if keep[i]]
    seen: dict[int, set[str]] = {}
    exact: dict[frozenset[str], int] = {}
    buckets: dict[str, list[int]] = {}  # min-hash word -> lines: near twins share one with p >= 0.99
    for i in kept_idx:
        words = set(_norm(lines[i]).split())
        twin = exact.get(frozenset(words))
        if twin is None and len(words) >= 8:
            candidates = {j for key in _minhash_keys(words) for j in buckets.get(key, ())}
            twin = next((j for j in sorted(candidates) if j in seen and _jaccard(words, seen[j]) >= 0.8), None)
        if twin is None:
            seen[i] = words
            exact.setdefault(frozenset(words), i)
            for key in _minhash_keys(words):
                bucket = buckets.setdefault(key, [])
                if len(bucket) < _BUCKET_MAX:  # a key most lines share (a common word) tells nothing
                    bucket.append(i)
        elif twin == kept_idx[0] and words != seen[twin]:
            drop(twin, "standfirst repeated in the body")
            del seen[twin]
            seen[i] = words
        else:
            drop(i, "repeated line")

    kept = [line for i, line in enumerate(lines) if keep[i]]
    if kept and _looks_like_headline(kept[0]) and len(kept) > 1:
        found.setdefault("title", kept[0])
    return "\n\n".join(kept), removed, found


def _first_line_title(text: str, words: int = 12) -> str | None:
    """Where no headline is known, the opening words stand in for one."""
    first = text.split("\n", 1)[0].split()
    if not first:
        return None
    title = " ".join(first[:words])
    if len(first) > words or len(title) > 100:  # unspaced scripts: a "word" can be a whole line
        title = title[:100].rstrip() + "…"
    return title


_BUCKET_MAX = 32  # lines kept per min-hash key: bounds the comparisons per line, so the check stays linear


def _minhash_keys(words: set[str], bands: int = 3) -> list[str]:
    """For each of a few hash functions, the word with the smallest hash: sets with Jaccard >= 0.8
    agree on each with probability >= 0.8, so near twins share some key with probability >= 0.99."""
    import hashlib

    return (
        [
            min(words, key=lambda w, b=b: hashlib.blake2b(f"{b}:{w}".encode(), digest_size=8).digest())
            for b in range(bands)
        ]
        if words
        else []
    )


def _norm(line: str) -> str:
    return re.sub(r"[^\w\s]", "", line.lower()).strip()


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _looks_like_headline(line: str) -> bool:
    """A short first line without closing punctuation reads as a headline."""
    return 3 <= len(line.split()) <= 20 and not re.search(r"[.!?:;\"'”’)]$", line)
