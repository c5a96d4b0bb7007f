"""Read articles from .txt, .md, .html, .json and .jsonl files and folders.

A file `NAME.meta.json` beside `NAME` gives that file's metadata (title, publisher,
published, url, id); JSON records carry their own. Anything unreadable becomes a
`Problem` naming the file (and line); the rest of the batch is still read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from index.errors import Problem
from index.types import Article, content_hash

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
SIDECAR_SUFFIX = ".meta.json"
_WESTERN = ("cp1252", "latin_1", "iso8859_15")
_BOMS = [
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]
_HAS_TEXT = re.compile(r"[^\W_]")  # a letter or digit: zero-width and invisible characters are not text

# Field names accepted in JSON records and sidecars, first match wins.
_ALIASES = {
    "text": ("text", "content", "body"),
    "title": ("title", "headline"),
    "publisher": ("publisher", "site_name", "sitename", "outlet"),
    "published": ("published", "date", "published_at", "publishedAt", "pub_date"),
    "url": ("url", "link"),
    "id": ("id", "article_id", "doc_id"),
}


class ReadResult(BaseModel):
    articles: list[Article] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)

    def extend(self, other: ReadResult) -> None:
        self.articles.extend(other.articles)
        self.problems.extend(other.problems)


def read_paths(paths: Iterable[Path | str]) -> ReadResult:
    """Read every supported file under the given files and folders (recursively)."""
    result = ReadResult()
    for path in paths:
        path = Path(path)
        if not path.exists():
            result.problems.append(Problem(source=str(path), reason="no such file or folder"))
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _is_article_file(p))
            if not files:
                result.problems.append(
                    Problem(source=str(path), reason=f"folder holds no {'/'.join(sorted(SUPPORTED_SUFFIXES))} files")
                )
            for file in files:
                result.extend(read_file(file))
        else:
            result.extend(read_file(path))
    _reject_duplicate_ids(result)
    return result


def _is_article_file(path: Path) -> bool:
    name = path.name
    return not name.startswith(".") and not name.endswith(SIDECAR_SUFFIX) and path.suffix.lower() in SUPPORTED_SUFFIXES


def read_file(path: Path) -> ReadResult:
    """Read one file into zero or more articles."""
    source = str(path)
    suffix = path.suffix.lower()
    if path.name.endswith(SIDECAR_SUFFIX):
        return _fail(source, "a metadata sidecar, not an article (it is read with the file it describes)")
    if suffix not in SUPPORTED_SUFFIXES:
        return _fail(
            source, f"unsupported file type '{suffix or path.name}'; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _fail(source, f"cannot read: {exc.strerror or exc}")
    text, problem = decode(data)
    if problem:
        return _fail(source, problem)
    if not _HAS_TEXT.search(text):
        return _fail(source, "empty file (no letters or digits)")
    try:
        sidecar = _read_sidecar(path)
    except ValueError as exc:
        return _fail(source, str(exc))

    if suffix in JSON_SUFFIXES:
        return _read_records(path, text, sidecar)
    if suffix in HTML_SUFFIXES:
        body, found = _html_to_text(text)
    elif suffix in MARKDOWN_SUFFIXES:
        body, found = _markdown_to_text(text)
    else:
        body, found = text, {}
    if not _HAS_TEXT.search(body):
        return _fail(source, "no article text found" if suffix in HTML_SUFFIXES else "empty file")
    fields = {**found, **{k: v for k, v in sidecar.items() if v is not None}}
    try:
        article = _make_article(fields, body, default_id=path.stem, source=source)
    except ValueError as exc:
        return _fail(source, str(exc))
    return ReadResult(articles=[article])


def decode(data: bytes) -> tuple[str, str | None]:
    """Bytes -> text, or a reason it is not text. UTF-8 first, then the best detected charset."""
    if not data.strip():
        return "", "empty file"
    for bom, codec in _BOMS:  # UTF-16/32 text holds NUL bytes: recognise it by its byte-order mark first
        if data.startswith(bom):
            try:
                return data.decode(codec), None
            except UnicodeDecodeError:
                return "", f"undecodable bytes: starts like {codec} but is not"
    if b"\x00" in data[:8192]:
        return "", "binary file (contains NUL bytes), not text"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.chaos > 0.2:
        return "", "undecodable bytes: not UTF-8 and no other text encoding fits"
    # Short texts often fit several code pages equally well; prefer the common Western ones then.
    ties = [m for m in matches if m.chaos <= best.chaos + 0.01]
    preferred = next((m for m in ties if m.encoding in _WESTERN), best)
    return str(preferred), None


def _read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        raw = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"its metadata file {sidecar.name} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"its metadata file {sidecar.name} must hold a JSON object")
    return _pick_fields(raw)


def _pick_fields(record: dict[str, Any]) -> dict[str, Any]:
    picked: dict[str, Any] = {}
    for field, names in _ALIASES.items():
        for name in names:
            if name in record and record[name] not in (None, ""):
                value = record[name]
                # JSON may carry lone surrogates ("\ud800"), which cannot be stored as UTF-8
                picked[field] = value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else value
                break
    return picked


def _read_records(path: Path, text: str, sidecar: dict[str, Any]) -> ReadResult:
    """A .jsonl file holds one record a line; a .json file one record, a list, or {"articles": [...]}."""
    result = ReadResult()
    source = str(path)
    records: list[tuple[int | None, Any]] = []
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return _fail(source, f"malformed JSON: {exc.msg}", line=exc.lineno)
        except RecursionError:
            return _fail(source, "malformed JSON: nested too deeply")
        if isinstance(data, dict) and isinstance(data.get("articles"), list):
            data = data["articles"]
        records = [(None, r) for r in data] if isinstance(data, list) else [(None, data)]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                result.problems.append(Problem(source=source, line=number, reason=f"malformed JSON record: {exc.msg}"))
            except RecursionError:
                result.problems.append(
                    Problem(source=source, line=number, reason="malformed JSON record: nested too deeply")
                )
    for index, (number, record) in enumerate(records):
        where = f"{source}:{number}" if number is not None else f"{source}#{index}"
        if not isinstance(record, dict):
            result.problems.append(Problem(source=source, line=number, reason="record is not a JSON object"))
            continue
        fields = {**sidecar, **_pick_fields(record)}
        body = fields.pop("text", None)
        if isinstance(body, str):
            body = body.encode("utf-8", "replace").decode("utf-8")
        if not isinstance(body, str) or not _HAS_TEXT.search(body):
            result.problems.append(
                Problem(source=source, line=number, reason="record has no 'text' field (or it is empty)")
            )
            continue
        default_id = content_hash(str(fields["url"])) if fields.get("url") else content_hash(body)
        try:
            result.articles.append(_make_article(fields, body, default_id=default_id, source=where))
        except ValueError as exc:
            result.problems.append(Problem(source=source, line=number, reason=str(exc)))
    if not records and not result.problems:
        result.problems.append(Problem(source=source, reason="no records found"))
    return result


def _make_article(fields: dict[str, Any], body: str, default_id: str, source: str) -> Article:
    article_id = _clean_id(str(fields.get("id") or default_id))
    published = fields.get("published")
    return Article(
        id=article_id,
        title=_str_or_none(fields.get("title")),
        publisher=_str_or_none(fields.get("publisher")),
        published=parse_date(published) if published is not None else None,
        url=_str_or_none(fields.get("url")),
        source=source,
        text=body,
    )


def _clean_id(raw: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", raw.strip()).strip("-.")
    if not cleaned:
        raise ValueError(f"unusable article id {raw!r}")
    return cleaned[:120]


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def parse_date(value: Any) -> date:
    """An ISO date or datetime (or anything dateparser understands) -> date; ValueError otherwise."""
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    import dateparser

    parsed = dateparser.parse(text, settings={"STRICT_PARSING": True})
    if parsed is None:
        raise ValueError(f"unreadable publication date {text!r} (use YYYY-MM-DD)")
    return parsed.date()


def _html_to_text(html: str) -> tuple[str, dict[str, Any]]:
    """Main text of a page (not navigation, scripts or footers) and the metadata the page states."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    found: dict[str, Any] = {}
    text = ""
    if doc is not None:
        data = doc.as_dict()
        text = data.get("text") or ""
        found = {
            "title": data.get("title"),
            "publisher": data.get("sitename"),
            "published": data.get("date"),
            "url": data.get("url"),
        }
    if not text.strip():  # very short pages fall below trafilatura's main-text threshold
        text = trafilatura.baseline(html)[1]
    return text, {k: v for k, v in found.items() if v}


def _markdown_to_text(markdown: str) -> tuple[str, dict[str, Any]]:
    """Markdown -> plain paragraphs (markup, link targets and images dropped); the first heading is the title."""
    from markdown_it import MarkdownIt

    blocks: list[str] = []
    title: str | None = None
    tokens = MarkdownIt().parse(markdown)
    for i, token in enumerate(tokens):
        if token.type != "inline":
            continue
        text = "".join(
            " " if child.type in ("softbreak", "hardbreak") else child.content
            for child in token.children or []
            if child.type in ("text", "code_inline", "softbreak", "hardbreak")
        ).strip()
        if not text:
            continue
        if title is None and i > 0 and tokens[i - 1].type == "heading_open" and tokens[i - 1].tag == "h1":
            title = text
        blocks.append(text)
    return "\n\n".join(blocks), ({"title": title} if title else {})


def _fail(source: str, reason: str, line: int | None = None) -> ReadResult:
    return ReadResult(problems=[Problem(source=source, line=line, reason=reason)])


def _reject_duplicate_ids(result: ReadResult) -> None:
    """Two different inputs with one id would overwrite each other: keep the first, report the rest."""
    seen: dict[str, Article] = {}
    kept: list[Article] = []
    for article in result.articles:
        first = seen.get(article.id)
        if first is None:
            seen[article.id] = article
            kept.append(article)
        elif first.content_hash != article.content_hash:
            result.problems.append(
                Problem(
                    source=article.source,
                    reason=f"duplicate article id '{article.id}' (also {first.source}); "
                    "give one an 'id' in its metadata",
                )
            )
    result.articles = kept


def iter_supported(paths: Iterable[Path]) -> Iterator[Path]:
    """The article files a folder walk would read (for progress bars)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and _is_article_file(p))
        else:
            yield path
