"""The app on a real server (127.0.0.1, free port), driven through gradio_client: asking, streaming,
uploading good and bad files, removing. It runs on a copy of the bundled index, so the shared
`assistant` fixture's index never changes."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from rag import Answer, Assistant
from ui.app import history_of, make_filters, serve, uploads_folder
from ui.render import ChatTurn
from ui.uploads import UploadStore, safe_name

pytestmark = pytest.mark.slow

NEW_ARTICLE = (
    "Zorblax Industries said on Monday that its chief executive, Mira Quandt, will step down in March after "
    "the company reported record losses in its lunar mining division.\n\n"
    "The board said an interim leader would be named within weeks. Analysts had expected the departure "
    "since the lunar mining division missed its targets for a third year."
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_assistant(assistant: Assistant, target: Path) -> Assistant:
    """An Assistant on a copy of `assistant`'s index (same model), for tests that change the index."""
    shutil.copytree(assistant.settings.index_dir, target / "index")
    settings = assistant.settings.model_copy(update={"index_dir": target / "index"})
    return Assistant.load(settings, embedder=assistant.embedder, build_if_missing=False)


@pytest.fixture(scope="module")
def app_assistant(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return copy_assistant(assistant, tmp_path_factory.mktemp("ui-app"))


@pytest.fixture(scope="module")
def server(app_assistant: Assistant):
    port = free_port()
    app = serve(app_assistant, port=port, block=False, quiet=True)
    yield app, f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture(scope="module")
def client(server) -> Client:  # noqa: ANN001
    return Client(server[1], verbose=False)


def current_snapshot(assistant: Assistant) -> str:
    return (Path(assistant.settings.index_dir) / "CURRENT").read_text()


# ------------------------------------------------------------ serving


def test_serves_on_loopback_without_share_or_analytics(server, client: Client) -> None:  # noqa: ANN001
    app, url = server
    assert url.startswith("http://127.0.0.1:")
    assert app.server_name == "127.0.0.1"
    assert not app.share and app.share_url is None
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False" and app.analytics_enabled is False
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/add_articles", "/remove_articles", "/articles", "/stats"} <= set(endpoints)


# ------------------------------------------------------------ asking


def test_ask_returns_a_cited_verified_answer(client: Client) -> None:
    result = client.predict("How far back does Israel want Hezbollah pushed?", api_name="/ask")
    assert not result["abstained"]
    assert "Litani" in result["text"]
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result["text"])}
    assert markers and markers == {c["marker"] for c in result["citations"]}
    for c in result["citations"]:
        assert c["quote"] in c["text"]
        assert c["text"][c["start"] - c["passage_start"] : c["end"] - c["passage_start"]] == c["quote"]
    assert "Sources:" in result["markdown"] and "> " in result["markdown"]


def test_ask_with_filters_follow_up_and_abstention(client: Client) -> None:
    reuters = client.predict("Who heads the Mossad?", ["Reuters"], api_name="/ask")
    assert "Barnea" in reuters["text"]
    assert {c["publisher"] for c in reuters["citations"]} == {"Reuters"}

    # The World Bank figure is in a November article: a June-to-August range keeps it out.
    early = client.predict(
        "What did the World Bank say the war cost Lebanon?", None, "2024-06-01", "2024-08-31", api_name="/ask"
    )
    assert "8.5bn" not in early["text"]
    assert all("2024-06-01" <= c["published"] <= "2024-08-31" for c in early["citations"])

    first = client.predict("What did the World Bank say the war cost Lebanon?", api_name="/ask")
    assert "8.5bn" in first["text"]
    history = [{"role": "user", "content": first["question"]}, {"role": "assistant", "content": first["text"]}]
    follow = client.predict(
        "And what did Blinken say about Israel's campaign in Lebanon?", history=history, api_name="/ask"
    )
    assert follow["citations"] or follow["abstained"]

    off_topic = client.predict("What is the capital of France?", api_name="/ask")
    assert off_topic["abstained"] and off_topic["related"]


def test_ask_rejects_bad_input_with_a_reason(client: Client) -> None:
    with pytest.raises(AppError, match="YYYY-MM-DD"):
        client.predict("Who heads the Mossad?", None, "last week", api_name="/ask")
    with pytest.raises(AppError, match="date range is empty"):
        client.predict("Who heads the Mossad?", None, "2024-10-01", "2024-09-01", api_name="/ask")
    with pytest.raises(AppError, match="Unknown generator"):
        client.predict("Who heads the Mossad?", generator="gpt-9", api_name="/ask")


def test_chat_streams_a_draft_then_the_rendered_answer(client: Client) -> None:
    job = client.submit("Who heads the Mossad?", [], None, None, "extractive", 5, api_name="/chat")
    final = job.result(timeout=120)
    outputs = job.outputs()
    assert len(outputs) >= 2 and "nr-draft" in outputs[0][0]
    transcript, _question, export, _download = final
    assert 'href="#nr-src-1-1"' in transcript and 'id="nr-src-1-1"' in transcript
    assert '<mark class="nr-quote">' in transcript and "Barnea" in transcript
    assert export.startswith("**Q:** Who heads the Mossad?") and "[1]" in export

    # the conversation is kept per session: the next question is added to the same transcript
    transcript = client.predict("Where will he travel?", [], None, None, "extractive", 5, api_name="/chat")[0]
    assert transcript.count('class="nr-question"') == 2 and 'data-turn="2"' in transcript
    assert "nr-draft" not in transcript


def test_history_holds_only_answered_turns() -> None:
    answered = Answer(question="Q1", text="A1 [1].")
    turns = [ChatTurn(question="Q1", answer=answered), ChatTurn(question="Q2", error="failed")]
    assert history_of(turns) == [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1 [1]."}]


# ------------------------------------------------------------ articles


def test_upload_a_file_then_ask_about_it_then_remove_it(
    client: Client, app_assistant: Assistant, tmp_path: Path
) -> None:
    path = tmp_path / "zorblax news (final).txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    (tmp_path / "zorblax news (final).txt.meta.json").write_text(
        '{"title": "Zorblax chief to step down", "publisher": "Lunar Times", "published": "2024-11-01"}'
    )
    before = len(client.predict(api_name="/articles"))
    report, *_ = client.predict(
        [handle_file(str(path)), handle_file(str(tmp_path / "zorblax news (final).txt.meta.json"))],
        [],
        api_name="/add_articles",
    )
    assert "1 added" in report and "zorblax_news_final" in report
    articles = {a["id"]: a for a in client.predict(api_name="/articles")}
    assert len(articles) == before + 1
    added = articles["zorblax_news_final"]
    assert added["title"] == "Zorblax chief to step down" and added["publisher"] == "Lunar Times"
    stored = Path(added["source"])
    assert stored.is_file() and stored.resolve().is_relative_to(uploads_folder(app_assistant))
    assert stored.with_name(stored.name + ".meta.json").is_file()

    answer = client.predict("Who is the chief executive of Zorblax Industries?", api_name="/ask")
    assert not answer["abstained"] and "Mira Quandt" in answer["text"]
    assert answer["citations"][0]["title"] == "Zorblax chief to step down"
    assert client.predict(api_name="/stats")["articles"] == before + 1

    # the same name again with changed text replaces the article and its stored copy
    path.write_text(NEW_ARTICLE.replace("in March", "in April"), encoding="utf-8")
    report, *_ = client.predict([handle_file(str(path))], [], api_name="/add_articles")
    assert "1 updated (zorblax_news_final)" in report
    replaced = Path({a["id"]: a for a in client.predict(api_name="/articles")}["zorblax_news_final"]["source"])
    assert replaced != stored and replaced.is_file() and not stored.exists()
    stored = replaced

    report, *_ = client.predict(["zorblax_news_final"], [], api_name="/remove_articles")
    assert "Removed 1" in report
    assert "zorblax_news_final" not in {a["id"] for a in client.predict(api_name="/articles")}
    assert not stored.exists(), "the uploaded copy goes with the article"


def test_bad_files_are_named_with_the_reason_and_the_index_is_unchanged(
    client: Client, app_assistant: Assistant, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    wrong_type = tmp_path / "tool.exe"
    wrong_type.write_bytes(b"MZ")
    snapshot = current_snapshot(app_assistant)
    count = len(client.predict(api_name="/articles"))

    report, *_ = client.predict(
        [handle_file(str(p)) for p in (empty, binary, wrong_type)], [], api_name="/add_articles"
    )
    assert "Nothing was added" in report and "The index is unchanged" in report
    assert "empty.txt</code>: empty file" in report
    assert "photo.txt</code>: binary file" in report
    assert "tool.exe</code>: file type .exe is not accepted" in report
    assert current_snapshot(app_assistant) == snapshot
    assert len(client.predict(api_name="/articles")) == count
    leftovers = [p for p in uploads_folder(app_assistant).rglob("*") if p.is_file()]
    assert leftovers == [], "rejected uploads are not kept"


def test_a_good_and_a_bad_file_together(client: Client, app_assistant: Assistant, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(
        '{"id": "quarry-1", "title": "Quarry reopens", "text": "The Blackstone quarry reopened on Tuesday after '
        'a two-year closure, its owner said, with 40 workers rehired."}\n{"id": "broken", "text": \n',
        encoding="utf-8",
    )
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    report, *_ = client.predict([handle_file(str(good)), handle_file(str(bad))], [], api_name="/add_articles")
    assert "1 added (quarry-1)" in report
    assert "good.jsonl:2</code>" in report and "malformed JSON" in report
    assert "bad.json:1</code>: malformed JSON" in report
    client.predict(["quarry-1"], [], api_name="/remove_articles")


# ------------------------------------------------------------ helpers


def test_filters_from_controls() -> None:
    assert make_filters([], None, "") is None
    f = make_filters(["Reuters"], "2024-10-01", "2024-10-31 00:00:00")
    assert f.publishers == ["Reuters"] and str(f.since) == "2024-10-01" and str(f.until) == "2024-10-31"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        make_filters(None, "yesterday", None)


@pytest.mark.parametrize(
    "given, stored",
    [
        ("story.txt", "story.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\win.md", "win.md"),
        (".hidden.HTML", "hidden.html"),
        ("a b<c>|d?.JSONL", "a_b_c_d.jsonl"),
        ("nouvelles d’été.txt", "nouvelles_d_été.txt"),
        ("x.txt.meta.json", "x.txt.meta.json"),
        ("....txt", "upload.txt"),
        ("archive.tar.gz", None),
        ("run.sh", None),
        ("noext", None),
        ("x.exe.meta.json", None),
    ],
)
def test_safe_names(given: str, stored: str | None) -> None:
    assert safe_name(given) == stored


def test_upload_store_keeps_everything_inside_its_folder(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads", max_bytes=1000)
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.txt").write_text("fine")
    (src / "big.txt").write_bytes(b"x" * 1001)
    (src / "lonely.txt.meta.json").write_text("{}")
    staged = store.stage(
        [
            (src / "ok.txt", "../../../tmp/ok.txt"),
            (src / "big.txt", "big.txt"),
            (src / "ok.txt", "OK.TXT"),
            (src / "lonely.txt.meta.json", "lonely.txt.meta.json"),
        ]
    )
    assert [p.name for p in staged.files] == ["ok.txt"]
    assert staged.files[0].parent.parent == store.root
    reasons = dict(staged.rejected)
    assert "too large" in reasons["big.txt"]
    assert "also named" in reasons["OK.TXT"]
    assert "not uploaded in the same batch" in reasons["lonely.txt.meta.json"]
    assert staged.display(f"{staged.files[0]}:3") == "ok.txt:3"
    assert all(p.resolve().is_relative_to(store.root) for p in store.root.rglob("*"))
    # nothing indexed refers to it: prune deletes the file and its folder
    assert store.prune([]) == [staged.files[0]]
    assert list(store.root.iterdir()) == []
