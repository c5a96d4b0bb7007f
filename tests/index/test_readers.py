import json
from datetime import date
from pathlib import Path

from index.readers import read_file, read_paths


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_txt_with_sidecar_metadata(tmp_path: Path) -> None:
    f = write(tmp_path / "story.txt", "Talks resumed in Doha on Sunday.")
    write(
        tmp_path / "story.txt.meta.json", json.dumps({"title": "Talks", "publisher": "Wire", "published": "2024-10-24"})
    )
    [article] = read_file(f).articles
    assert (article.id, article.title, article.publisher, article.published) == (
        "story",
        "Talks",
        "Wire",
        date(2024, 10, 24),
    )


def test_html_takes_main_text_and_page_metadata(tmp_path: Path) -> None:
    html = """<html><head><title>Gaza talks</title><meta property="og:site_name" content="Example News">
    <meta property="article:published_time" content="2024-10-24T10:00:00Z"></head><body>
    <nav>Home | World</nav><script>alert('x')</script><style>p{}</style>
    <article><h1>Gaza talks resume</h1><p>Negotiators met in Doha on Sunday to restart talks on a ceasefire deal.</p>
    <p>The Mossad chief travelled to Doha to meet the CIA director and Qatar's prime minister.</p></article>
    <footer>Copyright Example News</footer></body></html>"""
    [article] = read_file(write(tmp_path / "page.html", html)).articles
    assert "Negotiators met in Doha" in article.text
    assert "alert" not in article.text and "p{}" not in article.text and "Home | World" not in article.text
    assert article.publisher == "Example News" and article.published == date(2024, 10, 24)


def test_markdown_drops_markup_and_takes_heading_as_title(tmp_path: Path) -> None:
    md = "# Ceasefire talks\n\nTalks **resumed** in [Doha](http://x.example) on Sunday.\n\n- Egypt mediated.\n"
    [article] = read_file(write(tmp_path / "a.md", md)).articles
    assert article.title == "Ceasefire talks"
    assert "Talks resumed in Doha on Sunday." in article.text
    assert "http" not in article.text and "**" not in article.text


def test_jsonl_reads_good_records_and_names_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a1", "text": "First story text.", "publisher": "Wire", "date": "2024-06-25"}),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps(["a", "list"]),
        json.dumps({"text": "Second story text.", "url": "https://example.com/2"}),
    ]
    result = read_file(write(tmp_path / "feed.jsonl", "\n".join(lines)))
    assert [a.text for a in result.articles] == ["First story text.", "Second story text."]
    assert result.articles[0].published == date(2024, 6, 25)
    assert [(p.line, p.reason.split(":")[0]) for p in result.problems] == [
        (2, "malformed JSON record"),
        (3, "record has no 'text' field (or it is empty)"),
        (4, "record is not a JSON object"),
    ]
    assert all(p.source.endswith("feed.jsonl") for p in result.problems)


def test_json_list_and_wrapper(tmp_path: Path) -> None:
    f = write(
        tmp_path / "batch.json",
        json.dumps({"articles": [{"id": "x", "content": "Body one."}, {"id": "y", "body": "Body two."}]}),
    )
    assert [a.id for a in read_file(f).articles] == ["x", "y"]


def test_bad_files_give_specific_reasons(tmp_path: Path) -> None:
    cases = {
        "empty.txt": b"",
        "blank.txt": b"   \n\t\n",
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR",
        "image.png": b"\x89PNG",
        "broken.json": b'{"text": "unterminated',
    }
    for name, data in cases.items():
        write(tmp_path / name, data)
    reasons = {Path(p.source).name: p.reason for p in read_paths([tmp_path / n for n in cases]).problems}
    assert reasons["empty.txt"] == "empty file" and reasons["blank.txt"] == "empty file"
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["image.png"].startswith("unsupported file type '.png'")
    assert reasons["broken.json"].startswith("malformed JSON")


def test_legacy_encoding_is_decoded(tmp_path: Path) -> None:
    text = "Le président Macron a réuni une conférence à Paris pour le Liban, où l'aide humanitaire a été promise."
    [article] = read_file(write(tmp_path / "fr.txt", text.encode("latin-1"))).articles
    assert article.text == text


def test_folder_is_read_recursively_and_missing_paths_reported(tmp_path: Path) -> None:
    write(tmp_path / "a" / "one.txt", "One.")
    write(tmp_path / "a" / "b" / "two.md", "Two.")
    write(tmp_path / "a" / "one.txt.meta.json", "{}")
    write(tmp_path / "a" / ".hidden.txt", "Hidden.")
    result = read_paths([tmp_path / "a", tmp_path / "nope.txt"])
    assert sorted(a.id for a in result.articles) == ["one", "two"]
    assert [p.reason for p in result.problems] == ["no such file or folder"]


def test_duplicate_ids_keep_the_first_and_report_the_second(tmp_path: Path) -> None:
    write(tmp_path / "x" / "news.txt", "One story.")
    write(tmp_path / "y" / "news.txt", "Another story.")
    result = read_paths([tmp_path / "x", tmp_path / "y"])
    assert [a.text for a in result.articles] == ["One story."]
    assert "duplicate article id 'news'" in result.problems[0].reason


def test_bundled_corpus_metadata(tmp_path: Path) -> None:
    from tests.conftest import CORPUS

    articles = {a.id: a for a in read_paths([CORPUS]).articles}
    assert len(articles) == 5
    assert articles["002_0c6b4b250ced8e37"].publisher == "Reuters"
    assert articles["004_290ddbd9adc3a4b1"].published == date(2024, 6, 25)
    assert all(a.published is not None for a in articles.values())
