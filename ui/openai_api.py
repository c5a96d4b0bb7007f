"""An OpenAI-compatible chat API (`/v1`) for the Assistant, served by the same FastAPI app as the Gradio UI.

    from openai import OpenAI
    client = OpenAI(base_url="http://127.0.0.1:7860/v1", api_key="not-needed")   # or RAG_API_KEY's value
    reply = client.chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": "Who heads the Mossad?"}]
    )

Routes: `GET /v1/models`, `GET /v1/models/{id}`, `POST /v1/chat/completions` (JSON, or server-sent events
with `"stream": true`). The model names the assistant: `newsrag` (the configured generator), or
`newsrag-extractive`, `newsrag-llamacpp`, `newsrag-openai` to pick one.

The reply's `content` is the verified answer with [n] markers, then a plain-text list of its sources
("Sources:\\n[1] Title — Publisher, 2024-11-20: “quote”"); an abstention says the articles do not say.
The structured citations are in `choices[0].message.citations` (in a stream: the last chunk's
`choices[0].delta.citations`), and `newsrag` holds `abstained`, `kind`, `generator`, `verification`.
The conversation in `messages` drives follow-ups: the last user message is the question, earlier user
and assistant messages are the history, system messages are ignored. Two extensions are accepted in the
body: `filters` ({"publishers": [...], "since": "YYYY-MM-DD", "until": "YYYY-MM-DD"}) and `k`.

A stream sends the verified text only (a draft can change when it is checked): the role chunk at once,
SSE comments while the answer is being written and checked, then the answer, then `data: [DONE]`.

Every error is an OpenAI-style object {"error": {"message", "type", "param", "code"}} with a 4xx status
(5xx only when answering itself fails); an API key, when set, is required on every /v1 request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from rag.types import Answer, Citation, Filters
from ui.render import safe_url

if TYPE_CHECKING:
    from rag.assistant import Assistant

log = logging.getLogger(__name__)

PREFIX = "/v1"
MODEL = "newsrag"
MODELS: dict[str, str | None] = {  # model name -> generator (None: the one the settings name)
    MODEL: None,
    f"{MODEL}-extractive": "extractive",
    f"{MODEL}-llamacpp": "llamacpp",
    f"{MODEL}-openai": "openai",
}
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024
MAX_TOKENS_LIMIT = 4096  # the same bound as Settings.max_new_tokens
MAX_MESSAGES = 200
MAX_K = 20
MAX_CONCURRENT = 2  # answers computed at once for the API (the UI has its own queue)
KEEP_ALIVE_SECONDS = 5.0
STREAM_PIECE_CHARS = 48
SOURCES_HEADING = "Sources:"
RELATED_HEADING = "Closest articles (they do not answer it):"
_REPLY_TAIL = re.compile(rf"\n\n(?:{re.escape(SOURCES_HEADING)}|{re.escape(RELATED_HEADING)})\n.*\Z", re.S)

T = TypeVar("T")


# ---------------------------------------------------------------- errors


class OpenAIError(Exception):
    """An error to send as {"error": {...}} with an HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",  # noqa: A002 - the OpenAI field name
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


# ---------------------------------------------------------------- request


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ...: accepted, not used

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """The fields we read; any other OpenAI field (temperature, top_p, user, ...) is accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = Field(False, strict=True)
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT, strict=True)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT, strict=True)
    n: int | None = Field(None, ge=1, le=1, strict=True, description="Only one answer per request.")
    filters: Filters | None = Field(None, description="newsrag extension: restrict retrieval.")
    k: int | None = Field(None, ge=1, le=MAX_K, strict=True, description="newsrag extension: passages shown.")


def _param(loc: tuple) -> str | None:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _validation_error(exc: ValidationError) -> OpenAIError:
    first = exc.errors(include_url=False)[0]
    param = _param(tuple(first.get("loc", ())))
    message = first.get("msg", "Invalid request")
    return OpenAIError(400, f"Invalid request: {param + ': ' if param else ''}{message}.", param=param)


def _text(message: ChatMessage, index: int) -> str:
    content = message.content
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        if part.get("type") != "text" or not isinstance(part.get("text"), str):
            raise OpenAIError(
                400,
                "Only text content is supported (parts of type 'text').",
                param=f"messages[{index}].content",
            )
        texts.append(part["text"])
    return "\n".join(texts)


def strip_reply_tail(content: str) -> str:
    """Our own earlier reply without the sources list we appended: the answer text the Assistant wrote."""
    return _REPLY_TAIL.sub("", content).strip()


def conversation(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """(question, history): the last user message, and the user/assistant messages before it."""
    turns = [(i, m) for i, m in enumerate(messages) if m.role in ("user", "assistant")]
    if not turns or turns[-1][1].role != "user":
        raise OpenAIError(400, "The last message must be the user's question.", param="messages")
    index, last = turns[-1]
    question = _text(last, index).strip()
    if not question:
        raise OpenAIError(400, "The question (the last user message) is empty.", param=f"messages[{index}].content")
    history = []
    for i, m in turns[:-1]:
        text = _text(m, i)
        text = strip_reply_tail(text) if m.role == "assistant" else text.strip()
        if text:
            history.append({"role": m.role, "content": text})
    return question, history


# ---------------------------------------------------------------- reply


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _source_line(marker: int | None, title: str | None, publisher: str | None, published: Any, url: str | None) -> str:
    meta = ", ".join([publisher or "publisher unknown", published.isoformat() if published else "date unknown"])
    head = f"[{marker}] " if marker is not None else "- "
    link = safe_url(url)
    return f"{head}{_one_line(title or 'Untitled article')} — {meta}" + (f" <{link}>" if link else "")


def reply_text(answer: Answer) -> str:
    """The answer text with [n] markers, then its sources as plain text (an abstention: the closest articles)."""
    lines = [answer.text.strip()]
    if answer.citations:
        lines += ["", SOURCES_HEADING]
        for c in answer.citations:
            lines.append(f"{_source_line(c.marker, c.title, c.publisher, c.published, c.url)}: “{_one_line(c.quote)}”")
    elif answer.related:
        seen: set[str] = set()
        lines += ["", RELATED_HEADING]
        for hit in answer.related:
            a = hit.article
            if a.id not in seen:
                seen.add(a.id)
                lines.append(_source_line(None, a.title, a.publisher, a.published, a.url))
    return "\n".join(lines)


def _citation_json(c: Citation) -> dict[str, Any]:
    return c.model_dump(mode="json")


def _extras(answer: Answer) -> dict[str, Any]:
    return {
        "abstained": answer.abstained,
        "kind": answer.kind,
        "generator": answer.generator,
        "verification": list(answer.verification),
        "related": [
            {k: v for k, v in hit.article.model_dump(mode="json").items() if k != "source"} for hit in answer.related
        ],
    }


def _pieces(text: str, size: int = STREAM_PIECE_CHARS) -> list[str]:
    """The text cut at word boundaries into pieces of about `size` characters; joined, they give the text."""
    pieces, current = [], ""
    for word in re.findall(r"\s*\S+\s*", text):
        if current and len(current) + len(word) > size:
            pieces.append(current)
            current = ""
        current += word
    if current:
        pieces.append(current)
    return pieces


def _sse(data: dict[str, Any] | str) -> str:
    return f"data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}\n\n"


# ---------------------------------------------------------------- the API


class OpenAIChatAPI:
    """The /v1 routes for one Assistant. `install(app)` adds them to a FastAPI app (Gradio's own)."""

    def __init__(
        self,
        assistant: Assistant,
        *,
        api_key: str | None = None,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        max_concurrent: int = MAX_CONCURRENT,
    ) -> None:
        self.assistant = assistant
        self.api_key = api_key or None
        self.max_request_bytes = max_request_bytes
        self.created = int(time.time())
        self._slots = asyncio.Semaphore(max_concurrent)
        self.router = self._make_router()

    @classmethod
    def from_settings(cls, assistant: Assistant) -> OpenAIChatAPI:
        """Key and limits from the Assistant's settings (`api_key`, `max_request_bytes`), when it has them."""
        settings = assistant.settings
        key = getattr(settings, "api_key", None)
        if key is not None and hasattr(key, "get_secret_value"):
            key = key.get_secret_value()
        size = getattr(settings, "max_request_bytes", None) or DEFAULT_MAX_REQUEST_BYTES
        return cls(assistant, api_key=(key or None), max_request_bytes=int(size))

    def install(self, app: FastAPI) -> None:
        app.include_router(self.router)

    # ---- checks
    def _check_key(self, request: Request) -> None:
        if self.api_key is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), self.api_key.encode()):
            raise OpenAIError(
                401,
                "Incorrect API key provided. Send it as 'Authorization: Bearer <key>'.",
                code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )

    async def _read_json(self, request: Request) -> Any:
        too_large = OpenAIError(
            413, f"The request body is larger than {self.max_request_bytes} bytes.", code="request_too_large"
        )
        length = request.headers.get("content-length")
        if length is not None:
            try:
                if int(length) > self.max_request_bytes:
                    raise too_large
            except ValueError:
                raise OpenAIError(400, "Invalid Content-Length header.") from None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_request_bytes:
                raise too_large
        if not body:
            raise OpenAIError(400, "The request has no body: send a JSON object.")
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise OpenAIError(400, "The request body is not valid JSON.", code="invalid_json") from None

    def _generator(self, model: str) -> str | None:
        if model not in MODELS:
            raise OpenAIError(
                404,
                f"The model '{model}' does not exist. Available: {', '.join(MODELS)}.",
                param="model",
                code="model_not_found",
            )
        return MODELS[model]

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """fn in a worker thread, at most `max_concurrent` at once; the slot is held until fn returns."""
        await self._slots.acquire()
        task = asyncio.ensure_future(run_in_threadpool(fn, *args, **kwargs))
        task.add_done_callback(lambda _: self._slots.release())
        return await asyncio.shield(task)

    def _load_generator(self, name: str | None) -> None:
        settings = self.assistant.settings
        if name is not None:
            settings = settings.model_copy(update={"generator": name})
        self.assistant.generator_for(settings)

    # ---- responses
    def _model_card(self, model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": self.created, "owned_by": MODEL}

    def _completion(self, model: str, answer: Answer) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": reply_text(answer),
                        "citations": [_citation_json(c) for c in answer.citations],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            MODEL: _extras(answer),
        }

    async def _stream(
        self,
        model: str,
        question: str,
        history: list[dict],
        filters: Filters | None,
        k: int | None,
        generator: str | None,
    ) -> AsyncIterator[str]:
        base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": int(time.time())}
        base["model"] = model

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            return _sse({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})

        yield chunk({"role": "assistant", "content": ""})
        task = asyncio.ensure_future(
            self._run(self.assistant.ask, question, history=history, filters=filters, k=k, generator=generator)
        )
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # a client that left: nothing to report
        try:
            while not task.done():
                done, _ = await asyncio.wait({task}, timeout=KEEP_ALIVE_SECONDS)
                if not done:
                    yield ": answering\n\n"  # an SSE comment: keeps proxies and clients waiting
            answer = task.result()
        except Exception as exc:  # the status line is sent: report it the way OpenAI streams report errors
            log.exception("answering %r failed", question)
            yield _sse(OpenAIError(500, f"Answering failed: {exc}", type="server_error").body())
            return
        for piece in _pieces(reply_text(answer)):
            yield chunk({"content": piece})
        yield chunk({"citations": [_citation_json(c) for c in answer.citations]}, "stop", **{MODEL: _extras(answer)})
        yield _sse("[DONE]")

    # ---- routes
    def _make_router(self) -> APIRouter:
        router = APIRouter(prefix=PREFIX, tags=["OpenAI-compatible API"])

        @router.get("/models")
        async def list_models(request: Request) -> JSONResponse:
            try:
                self._check_key(request)
            except OpenAIError as err:
                return err.response()
            return JSONResponse({"object": "list", "data": [self._model_card(m) for m in MODELS]})

        @router.get("/models/{model_id:path}")
        async def get_model(model_id: str, request: Request) -> JSONResponse:
            try:
                self._check_key(request)
                self._generator(model_id)
            except OpenAIError as err:
                return err.response()
            return JSONResponse(self._model_card(model_id))

        @router.post("/chat/completions", response_model=None)
        async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
            try:
                return await self._chat(request)
            except OpenAIError as err:
                return err.response()
            except Exception as exc:  # never a traceback to the client
                log.exception("/v1/chat/completions failed")
                return OpenAIError(500, f"Answering failed: {exc}", type="server_error").response()

        @router.api_route(
            "/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], include_in_schema=False
        )
        async def not_found(path: str, request: Request) -> JSONResponse:
            try:
                self._check_key(request)
            except OpenAIError as err:
                return err.response()
            known = {"models", "chat/completions"} | {f"models/{m}" for m in MODELS}
            if path.strip("/") in known:
                return OpenAIError(
                    405, f"{request.method} is not allowed on {PREFIX}/{path}.", code="method_not_allowed"
                ).response()
            return OpenAIError(
                404,
                f"Unknown endpoint {PREFIX}/{path}: this server has {PREFIX}/models and {PREFIX}/chat/completions.",
                code="unknown_url",
            ).response()

        return router

    async def _chat(self, request: Request) -> JSONResponse | StreamingResponse:
        self._check_key(request)
        data = await self._read_json(request)
        try:
            body = ChatCompletionRequest.model_validate(data)
        except ValidationError as exc:
            raise _validation_error(exc) from None
        generator = self._generator(body.model)
        question, history = conversation(body.messages)
        filters = body.filters if body.filters is not None and not body.filters.is_empty() else None
        if filters and filters.since and filters.until and filters.since > filters.until:
            raise OpenAIError(400, "The date range is empty: filters.since is after filters.until.", param="filters")
        try:
            await self._run(self._load_generator, generator)
        except Exception as exc:
            name = generator or self.assistant.settings.generator
            log.warning("generator %s unavailable: %s", name, exc)
            raise OpenAIError(
                503,
                f"The {name} generator is not available here ({exc}). Use the model '{MODEL}-extractive', "
                "which needs no language model.",
                type="server_error",
                code="generator_unavailable",
            ) from None
        if body.stream:
            return StreamingResponse(
                self._stream(body.model, question, history, filters, body.k, generator),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        answer = await self._run(
            self.assistant.ask, question, history=history, filters=filters, k=body.k, generator=generator
        )
        return JSONResponse(self._completion(body.model, answer))


def install(app: FastAPI, assistant: Assistant) -> OpenAIChatAPI:
    """Add the /v1 routes for `assistant` to `app` (e.g. the FastAPI app Gradio's launch() returns)."""
    api = OpenAIChatAPI.from_settings(assistant)
    api.install(app)
    return api
