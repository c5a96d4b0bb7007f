"""Property tests of ingestion under bad input (hypothesis): random bytes, wrong encodings, huge and
many lines, empty and blank files, deeply nested and truncated JSON, lone-surrogate escapes, HTML with
scripts and styles, duplicate ids. Whatever the input: no exception escapes `read_paths`/`read_file`,
every problem names its file, the valid rest is read; `Indexer.add` (with the fast KeywordEmbedder)
raises nothing but NothingIndexedError, and what it writes loads with every checksum verified."""

from __future__ import annotations

import codecs
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from index.build import ChunkParams, Indexer
from index.clean import clean_article
from index.errors import NothingIndexedError
from index.readers import SUPPORTED_SUFFIXES, ReadResult, read_file, read_paths
from index.store import IndexStore
from rag.settings import PROJECT_ROOT
from tests.conftest import KeywordEmbedder

FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,  # no .hypothesis folder in the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=12)

SUFFIXES = sorted(SUPPORTED_SUFFIXES)
WORDS = (  # noqa: SIM905
    "talks ceasefire Doha Cairo envoy hostages Lebanon Gaza border troops minister said Sunday "
    "agreement negotiators proposal army village aid convoy river council vote delegation statement officials"
).split()

# Plain prose: what a valid article looks like (no words that the cleaner treats as boilerplate).
sentence = st.lists(st.sampled_from(WORDS), min_size=4, max_size=14).map(lambda w: " ".join(w).capitalize() + ".")
prose = st.lists(sentence, min_size=1, max_size=8).map(" ".join)
# Text with anything in it except lone surrogates (which no file can hold as UTF-8).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=400)
# Strings that may hold lone surrogates: JSON can carry them as \\udXXX escapes.
# (st.text never yields surrogates, whatever its alphabet: build the strings from characters)
json_string = st.lists(st.characters() | st.characters(categories=["Cs"]), max_size=60).map("".join)
json_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | json_string
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_string, inner, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = ["text", "content", "body", "title", "headline", "publisher", "date", "published", "url", "id"]
record = st.dictionaries(st.sampled_from(FIELD_NAMES) | json_string, json_value, max_size=6) | st.fixed_dictionaries(
    {"text": prose | json_string}, optional={name: json_value for name in FIELD_NAMES[3:]}
)


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def check_result(result: ReadResult, files: list[Path]) -> None:
    """Every problem and every article names one of the input files (with :line or #record for JSON)."""
    names = [str(f) for f in files]

    def owner(source: str) -> str | None:
        return next((n for n in names if source == n or source.startswith((n + ":", n + "#", n + "/"))), None)

    for problem in result.problems:
        assert owner(problem.source), f"problem names no input file: {problem}"
        assert problem.reason.strip(), problem
        assert str(problem).startswith(problem.source)
    for article in result.articles:
        assert owner(article.source), article.source
        assert article.text.strip() and article.id


# ------------------------------------------------------------------ read_file / read_paths never raise


@FUZZ
@given(
    data=st.binary(max_size=3000),
    suffix=st.sampled_from([*SUFFIXES, ".pdf", ""]),
    sidecar=st.none() | st.binary(max_size=200),
)
@example(data=b"\x00\x01binary", suffix=".txt", sidecar=None)
@example(data=b"   \n\t\r\n  ", suffix=".md", sidecar=None)
@example(data=b"", suffix=".json", sidecar=None)
def test_random_bytes_never_escape_and_name_the_file(data: bytes, suffix: str, sidecar: bytes | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / f"input{suffix}", data)
        if sidecar is not None:
            _write(Path(tmp) / f"input{suffix}.meta.json", sidecar)
        result = read_paths([path])
        check_result(result, [path])
        assert result.articles or result.problems


ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "iso8859_15", "cp1251", "koi8_r", "shift_jis", "gb18030"]


@FUZZ
@given(text=any_text | prose, encoding=st.sampled_from(ENCODINGS), suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_any_encoding_reads_or_says_why(text: str, encoding: str, suffix: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / f"story{suffix}", data)
        result = read_paths([path])
        check_result(result, [path])
        assert len(result.articles) + len(result.problems) == 1
        if encoding.startswith("utf-8") and suffix == ".txt" and "\x00" not in text and re.search(r"[^\W_]", text):
            assert [a.text for a in result.articles] == [text]


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_text_not_binary(tmp_path: Path, codec: str) -> None:
    """Windows tools save UTF-16 with a BOM; its NUL bytes must not make it 'binary'."""
    text = "Negotiators met in Doha on Sunday to restart talks on a ceasefire deal."
    path = _write(tmp_path / "notepad.txt", text.encode(codec))
    assert path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE))
    result = read_file(path)
    assert [a.text for a in result.articles] == [text], [str(p) for p in result.problems]


@FUZZ
@given(
    blank=st.text(
        st.sampled_from(" \t\r\n\x0b\x0c\u00a0\u2000\u2028\u3000\ufeff\u200b\u200c\u200d\u2060"), max_size=50
    ),
    suffix=st.sampled_from([".txt", ".md", ".html", ".json", ".jsonl"]),
)
def test_empty_blank_and_invisible_files_are_problems_not_articles(blank: str, suffix: str) -> None:
    content = json.dumps({"text": blank}) if suffix in (".json", ".jsonl") else blank
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / f"blank{suffix}", content)
        result = read_paths([path])
        check_result(result, [path])
        assert result.articles == [], f"an article of only white space/invisible characters: {blank!r}"
        assert result.problems


# ------------------------------------------------------------------ JSON: truncated, nested, odd records


@FUZZ
@given(records=st.lists(record, min_size=1, max_size=5), jsonl=st.booleans(), cut=st.none() | st.floats(0, 1))
def test_json_records_truncated_or_odd_never_escape(records: list, jsonl: bool, cut: float | None) -> None:
    if jsonl:
        text = "\n".join(json.dumps(r) for r in records)  # ensure_ascii: lone surrogates become \\udXXX
    else:
        text = json.dumps(records if len(records) > 1 else records[0])
    if cut is not None:
        text = text[: int(len(text) * cut)]
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / ("feed.jsonl" if jsonl else "feed.json"), text)
        result = read_paths([path])
        check_result(result, [path])
        lines = text.count("\n") + 1
        assert all(p.line is None or 1 <= p.line <= lines for p in result.problems)
        assert result.articles or result.problems
        assert len(result.articles) <= len(records)


@FEW
@given(depth=st.integers(1, 200_000), kind=st.sampled_from(["list", "dict", "field"]), jsonl=st.booleans())
@example(depth=995, kind="field", jsonl=False)
@example(depth=100_000, kind="list", jsonl=True)
def test_deeply_nested_json_is_a_problem_not_a_crash(depth: int, kind: str, jsonl: bool) -> None:
    if kind == "list":
        text = "[" * depth + '{"text": "Talks resumed."}' + "]" * depth
    elif kind == "dict":
        text = '{"a":' * depth + '{"text": "Talks resumed."}' + "}" * depth
    else:  # a valid record whose title is deeply nested
        text = '{"text": "Talks resumed.", "title": ' + "[" * depth + "1" + "]" * depth + "}"
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / ("deep.jsonl" if jsonl else "deep.json"), text)
        result = read_paths([path])
        check_result(result, [path])
        assert result.articles or result.problems
        if depth > 5000:
            assert any("nested too deeply" in p.reason for p in result.problems), result.problems


# ------------------------------------------------------------------ HTML with scripts and styles


@FUZZ
@given(
    paragraphs=st.lists(sentence, min_size=1, max_size=6),
    script=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="<"), max_size=80),
    style=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="<"), max_size=80),
    truncate=st.booleans(),
)
def test_html_scripts_and_styles_never_become_article_text(
    paragraphs: list[str], script: str, style: str, truncate: bool
) -> None:
    html = (
        "<html><head><title>Talks</title><style>.x{color:red} STYLEMARK " + style + "</style>"
        "<script>var SCRIPTMARK = 1; " + script + "</script></head><body><nav>Home | World</nav>"
        "<article>"
        + "".join(f"<p>{p}</p><script>document.write('SCRIPTMARK')</script>" for p in paragraphs)
        + "</article><noscript>Enable JavaScript.</noscript></body></html>"
    )
    if truncate:
        html = html[: len(html) * 2 // 3]
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "page.html", html)
        result = read_paths([path])
        check_result(result, [path])
        for article in result.articles:
            assert "SCRIPTMARK" not in article.text and "STYLEMARK" not in article.text
            assert "color:red" not in article.text


# ------------------------------------------------------------------ duplicate ids


@FUZZ
@given(
    files=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["news", "story", "a-b", "a b"]), prose), max_size=8)
)
def test_duplicate_ids_keep_the_first_and_name_every_other_file(files: list[tuple[int, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (folder, stem, text) in enumerate(files):
            path = Path(tmp) / f"d{folder}" / f"{i:02d}" / f"{stem}.txt"
            paths.append(_write(path, text))
        result = read_paths(paths)
        check_result(result, paths)
        ids = [a.id for a in result.articles]
        assert len(ids) == len(set(ids))
        first: dict[str, str] = {}
        for path, (_, stem, text) in zip(paths, files, strict=True):
            article_id = stem.replace(" ", "-")
            if article_id not in first:
                first[article_id] = text
                continue
            if text != first[article_id]:
                [problem] = [p for p in result.problems if p.source == str(path)]
                assert f"duplicate article id '{article_id}'" in problem.reason
        assert {a.id: a.text for a in result.articles} == first


# ------------------------------------------------------------------ Indexer.add: the valid rest is indexed

BAD_FILES = {
    "empty.txt": b"",
    "blank.md": b"  \n\t ",
    "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00",
    "broken.json": b'{"text": "unterminated',
    "list.json": b"[1, 2, 3]",
    "deep.json": b"[" * 50_000,
    "script.html": b"<html><script>alert('x')</script></html>",
    "image.png": b"\x89PNG",
    "latin1.txt": "Le pr\u00e9sident a r\u00e9uni une conf\u00e9rence \u00e0 Paris.".encode("cp1252"),
}


@FEW
@example(good=["Talks talks talks talks."], bad=[], junk=[b" &&A\xa9\x80,"])  # found by hypothesis: a footer only
@given(
    good=st.lists(prose, max_size=4),
    bad=st.lists(st.sampled_from(sorted(BAD_FILES)), max_size=5, unique=True),
    junk=st.lists(st.binary(max_size=400), max_size=3),
)
def test_indexer_add_indexes_the_valid_rest_or_raises_nothing_indexed(
    good: list[str], bad: list[str], junk: list[bytes]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        for i, text in enumerate(good):
            _write(folder / f"good{i}.txt", text)
        for name in bad:
            _write(folder / name, BAD_FILES[name])
        for i, data in enumerate(junk):
            _write(folder / f"junk{i}.txt", data)
        folder.mkdir(parents=True, exist_ok=True)
        expected = read_paths([folder])
        check_result(expected, [folder])
        readable = [p for p in folder.iterdir() if p.suffix in SUPPORTED_SUFFIXES]
        # An article the cleaner empties (a lone "© ..." line is a footer) is reported, not indexed.
        kept = [a for a in expected.articles if clean_article(a).text.strip()]
        ix = Indexer(Path(tmp) / "ix", KeywordEmbedder(), ChunkParams())
        try:
            report = ix.add([folder])
        except NothingIndexedError as exc:
            assert not kept, "NothingIndexedError although some article was readable"
            for path in readable:
                assert str(path) in str(exc), f"{path.name} not named in: {exc}"
            assert not IndexStore(Path(tmp) / "ix").exists()
            return
        assert kept, "an index was written from nothing valid"
        snapshot = IndexStore(Path(tmp) / "ix").open()  # verifies every checksum
        indexed = {a.id for a in snapshot.articles()}
        assert {f"good{i}" for i in range(len(good))} <= indexed
        assert indexed == set(report.added) == {a.id for a in kept}
        named = {p.source.split(":")[0].split("#")[0] for p in report.problems}
        assert {a.source for a in expected.articles if a not in kept} <= named
        for name in bad:
            if name not in ("latin1.txt", "image.png"):  # latin-1 is readable; a folder walk skips .png
                assert str(folder / name) in named, f"{name} not reported: {report.summary()}"
        assert len(snapshot.rows) == snapshot.dense.ntotal == snapshot.manifest.passages


def test_json_lone_surrogates_are_a_problem_or_replaced_not_a_crash(tmp_path: Path) -> None:
    """JSON may escape lone surrogates ("\\ud800"); such strings cannot be hashed or stored as UTF-8."""
    good = _write(tmp_path / "in" / "good.txt", "Negotiators met in Doha on Sunday to restart the talks.")
    _write(
        tmp_path / "in" / "feed.jsonl",
        b'{"id": "s1", "text": "Talks resumed \\ud800 in Cairo."}\n'
        b'{"id": "s2", "text": "Aid convoys crossed the border.", "title": "\\udc80 bad title"}\n',
    )
    _write(tmp_path / "in" / "side.txt", "A story about the envoy in Beirut.")
    _write(tmp_path / "in" / "side.txt.meta.json", b'{"publisher": "\\udfff Wire"}')
    report = Indexer(tmp_path / "ix", KeywordEmbedder(), ChunkParams()).add([tmp_path / "in"])
    snapshot = IndexStore(tmp_path / "ix").open()
    assert "good" in {a.id for a in snapshot.articles()} and "good" in report.added
    for a in snapshot.articles():
        for value in (a.title, a.publisher, snapshot.article(a.id).text):
            (value or "").encode("utf-8")  # stored text is valid UTF-8
    assert good.exists()


@pytest.mark.parametrize("rebuild", [False, True])
def test_nothing_left_after_cleaning_raises_nothing_indexed(tmp_path: Path, rebuild: bool) -> None:
    """Files that read but are all boilerplate leave nothing to index: the same clear error as no files,
    and the index already there is kept (a rebuild from them must not replace it with an empty one)."""
    from tests.conftest import CORPUS

    ix = Indexer(tmp_path / "ix", KeywordEmbedder(), ChunkParams())
    ix.add([CORPUS])
    a = _write(tmp_path / "footer.txt", "Copyright 2024 Example News. All rights reserved.")
    b = _write(tmp_path / "promo.txt", "Sign up for our newsletter")
    with pytest.raises(NothingIndexedError) as exc:
        ix.add([a, b], rebuild=rebuild)
    assert str(a) in str(exc.value) and str(b) in str(exc.value)
    assert IndexStore(tmp_path / "ix").open().manifest.articles == 5, "the existing index was replaced"


# ------------------------------------------------------------------ huge and many lines, in bounded time

_INDEX_ONE = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from tests.conftest import KeywordEmbedder
from index.build import ChunkParams, Indexer
from index.store import IndexStore
started = time.perf_counter()
report = Indexer({folder!r}, KeywordEmbedder(), ChunkParams()).add([{path!r}])
snap = IndexStore({folder!r}).open()
print(len(report.added), snap.manifest.passages, round(time.perf_counter() - started, 2), flush=True)
"""


def _index_in_subprocess(tmp_path: Path, path: Path, timeout: float) -> tuple[int, int, float]:
    script = _INDEX_ONE.format(root=str(PROJECT_ROOT), folder=str(tmp_path / "ix"), path=str(path))
    started = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, check=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"indexing {path.name} ({path.stat().st_size} bytes) took over {timeout}s")
    added, passages, _ = out.stdout.split()
    return int(added), int(passages), time.perf_counter() - started


def test_one_huge_line_is_indexed_in_bounded_time(tmp_path: Path) -> None:
    path = _write(tmp_path / "huge.txt", " ".join(WORDS[i % len(WORDS)] for i in range(300_000)))  # ~2.3 MB
    added, passages, _ = _index_in_subprocess(tmp_path, path, timeout=90)
    assert added == 1 and passages >= 300_000 // 120


def test_many_distinct_lines_are_indexed_in_bounded_time(tmp_path: Path) -> None:
    """A 600 KB file of 12,000 distinct lines; the cleaner's repeated-line check must not be quadratic
    (each line compared with every earlier line takes minutes here, hours at the 20 MB upload limit)."""
    lines = [
        f"Line {i} reports that envoy{i} met delegation{i * 7} near village{i * 13} on Sunday." for i in range(12_000)
    ]
    path = _write(tmp_path / "many.txt", "\n".join(lines))
    added, passages, _ = _index_in_subprocess(tmp_path, path, timeout=120)  # guards against quadratic blow-up only
    assert added == 1 and passages > 100
