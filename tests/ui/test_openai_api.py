"""The OpenAI-compatible /v1 API on the real server (127.0.0.1, free port, a copy of the bundled index),
driven by the official `openai` client and by raw HTTP: answers with markers and sources, streaming,
follow-ups from the message history, abstention, the API key, malformed requests; and the Gradio UI
still answering on the same port."""

from __future__ import annotations

import json
import re
import shutil
import socket

import httpx
import openai
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from gradio_client import Client
from openai import OpenAI
from pydantic import SecretStr

from rag import Assistant
from ui.app import serve
from ui.openai_api import MODEL, MODELS, OpenAIChatAPI, conversation, install, strip_reply_tail

pytestmark = pytest.mark.slow

API_KEY = "sk-test-newsrag"
WORLD_BANK = "What did the World Bank say the war cost Lebanon?"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api_assistant(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An Assistant on a copy of the bundled index whose settings require an API key."""
    target = tmp_path_factory.mktemp("openai-api")
    shutil.copytree(assistant.settings.index_dir, target / "index")
    settings = assistant.settings.model_copy(update={"index_dir": target / "index", "api_key": SecretStr(API_KEY)})
    return Assistant.load(settings, embedder=assistant.embedder, build_if_missing=False)


@pytest.fixture(scope="module")
def base_url(api_assistant: Assistant):  # noqa: ANN201
    port = free_port()
    app = serve(api_assistant, port=port, block=False, quiet=True)
    yield f"http://127.0.0.1:{port}"
    app.close()


@pytest.fixture(scope="module")
def client(base_url: str) -> OpenAI:
    return OpenAI(base_url=f"{base_url}/v1", api_key=API_KEY, max_retries=0, timeout=120)


def ask(client: OpenAI, *messages: dict, **kwargs) -> openai.types.chat.ChatCompletion:  # noqa: ANN003
    return client.chat.completions.create(model=MODEL, messages=list(messages), **kwargs)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def check_answer(content: str, citations: list[dict]) -> None:
    answer, _, sources = content.partition("\n\nSources:\n")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
    assert markers and markers == {c["marker"] for c in citations}
    for c in citations:
        line = next(s for s in sources.splitlines() if s.startswith(f"[{c['marker']}] "))
        assert c["published"] in line and f"“{' '.join(c['quote'].split())}”" in line
        assert (c["publisher"] or "publisher unknown") in line
        assert c["text"][c["start"] - c["passage_start"] : c["end"] - c["passage_start"]] == c["quote"]


# ------------------------------------------------------------ answering


def test_models_lists_the_assistant(client: OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids[0] == MODEL and set(ids) == set(MODELS)
    assert client.models.retrieve(f"{MODEL}-extractive").owned_by == MODEL


def test_answer_has_markers_sources_and_citations(client: OpenAI) -> None:
    reply = ask(client, {"role": "system", "content": "Be brief."}, user(WORLD_BANK))
    assert reply.object == "chat.completion" and reply.model == MODEL
    choice = reply.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content
    assert "8.5bn" in content and "\n\nSources:\n[1] " in content
    citations = choice.message.citations  # the extra field, read by the official client
    check_answer(content, citations)
    assert reply.newsrag["abstained"] is False and reply.newsrag["generator"] == "extractive"


def test_streaming_sends_the_same_verified_answer(client: OpenAI) -> None:
    chunks = list(ask(client, user(WORLD_BANK), stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len([c for c in chunks if c.choices[0].delta.content]) > 1
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop"
    check_answer(content, last.delta.citations)
    assert content == ask(client, user(WORLD_BANK)).choices[0].message.content


def test_stream_is_server_sent_events_ending_with_done(base_url: str) -> None:
    body = {"model": f"{MODEL}-extractive", "messages": [user("Who heads the Mossad?")], "stream": True}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=body, headers=headers, timeout=120) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [e for e in r.read().decode().split("\n\n") if e and not e.startswith(":")]
    assert events[-1] == "data: [DONE]"
    data = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert all(e.startswith("data: ") for e in events)
    assert "Barnea" in "".join(d["choices"][0]["delta"].get("content", "") for d in data)


def test_follow_up_uses_the_message_history(client: OpenAI) -> None:
    first = ask(client, user(WORLD_BANK)).choices[0].message.content
    follow = ask(
        client, user(WORLD_BANK), {"role": "assistant", "content": first}, user("and how many people did it displace?")
    )
    assert "1.2 million" in follow.choices[0].message.content
    # without the history the same words find nothing to follow up on
    alone = ask(client, user("and how many people did it displace?")).choices[0].message.content
    assert "1.2 million" not in alone


def test_unanswerable_question_says_the_articles_do_not_say(client: OpenAI) -> None:
    reply = ask(client, user("What did Hezbollah do in March 2023?"))
    content = reply.choices[0].message.content
    assert content.startswith("The articles don't say") and "Sources:" not in content
    assert reply.choices[0].message.citations == [] and reply.newsrag["abstained"] is True
    streamed = "".join(
        c.choices[0].delta.content or "" for c in ask(client, user("What did Hezbollah do in March 2023?"), stream=True)
    )
    assert streamed == content


def test_filters_extension(client: OpenAI) -> None:
    reply = ask(client, user("Who heads the Mossad?"), extra_body={"filters": {"publishers": ["Reuters"]}, "k": 3})
    assert "Barnea" in reply.choices[0].message.content
    assert {c["publisher"] for c in reply.choices[0].message.citations} == {"Reuters"}


# ------------------------------------------------------------ safety


def test_wrong_or_missing_api_key_is_401(base_url: str) -> None:
    for key in ("sk-wrong", ""):
        wrong = OpenAI(base_url=f"{base_url}/v1", api_key=key or "x", max_retries=0)
        if not key:  # no Authorization header at all
            r = httpx.get(f"{base_url}/v1/models")
            assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
            continue
        with pytest.raises(openai.AuthenticationError) as err:
            wrong.chat.completions.create(model=MODEL, messages=[user(WORLD_BANK)])
        assert err.value.status_code == 401 and err.value.code == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        (b"{not json", 400, None),
        (b"", 400, None),
        (b"[1, 2]", 400, None),
        (json.dumps({"model": MODEL}).encode(), 400, "messages"),
        (json.dumps({"model": MODEL, "messages": []}).encode(), 400, "messages"),
        (
            json.dumps({"model": MODEL, "messages": [{"role": "robot", "content": "hi"}]}).encode(),
            400,
            "messages[0].role",
        ),
        (json.dumps({"model": MODEL, "messages": [{"role": "assistant", "content": "hi"}]}).encode(), 400, "messages"),
        (json.dumps({"model": MODEL, "messages": [user("  ")]}).encode(), 400, "messages[0].content"),
        (
            json.dumps({"model": MODEL, "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}).encode(),
            400,
            "messages[0].content",
        ),
        (json.dumps({"model": MODEL, "messages": [user("hi")], "max_tokens": 10**6}).encode(), 400, "max_tokens"),
        (json.dumps({"model": MODEL, "messages": [user("hi")], "max_tokens": 0}).encode(), 400, "max_tokens"),
        (json.dumps({"model": MODEL, "messages": [user("hi")], "n": 3}).encode(), 400, "n"),
        (json.dumps({"model": MODEL, "messages": [user("hi")], "stream": "yes"}).encode(), 400, "stream"),
        (
            json.dumps({"model": MODEL, "messages": [user("hi")], "filters": {"since": "soon"}}).encode(),
            400,
            "filters.since",
        ),
        (json.dumps({"model": "gpt-4o", "messages": [user("hi")]}).encode(), 404, "model"),
        (json.dumps({"model": MODEL, "messages": [user("x" * 70_000)]}).encode(), 413, None),
    ],
)
def test_malformed_requests_get_openai_errors(base_url: str, body: bytes, status: int, param: str | None) -> None:
    r = httpx.post(
        f"{base_url}/v1/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    assert error["param"] == param and "Traceback" not in r.text


def test_unknown_routes_and_methods_are_openai_errors(base_url: str) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    r = httpx.get(f"{base_url}/v1/chat/completions", headers=headers)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    r = httpx.post(f"{base_url}/v1/completions", headers=headers, json={})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_url"
    with pytest.raises(openai.NotFoundError):
        OpenAI(base_url=f"{base_url}/v1", api_key=API_KEY, max_retries=0).models.retrieve("gpt-4o")


def test_gradio_ui_still_answers_on_the_same_port(base_url: str) -> None:
    page = httpx.get(f"{base_url}/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    result = Client(f"{base_url}/", verbose=False).predict("Who heads the Mossad?", api_name="/ask")
    assert "Barnea" in result["text"]


# ------------------------------------------------------------ pieces


def test_without_a_key_any_bearer_is_accepted(assistant: Assistant) -> None:
    api = OpenAIChatAPI.from_settings(assistant)
    assert api.api_key is None and api.max_request_bytes == 64 * 1024
    app = FastAPI()
    install(app, assistant)
    with TestClient(app) as http:
        assert http.get("/v1/models", headers={"Authorization": "Bearer anything"}).status_code == 200
        assert http.get("/v1/models").json()["data"][0]["id"] == MODEL


def test_conversation_takes_the_last_user_message_and_earlier_turns() -> None:
    from ui.openai_api import ChatMessage

    content = "$8.5bn [1].\n\nSources:\n[1] Title — Reuters, 2024-11-20: “quote”"
    assert strip_reply_tail(content) == "$8.5bn [1]."
    messages = [
        ChatMessage(role="system", content="You are helpful."),
        ChatMessage(role="user", content="Q1"),
        ChatMessage(role="assistant", content=content),
        ChatMessage(role="user", content=[{"type": "text", "text": "Q2"}]),
    ]
    question, history = conversation(messages)
    assert question == "Q2"
    assert history == [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "$8.5bn [1]."}]
