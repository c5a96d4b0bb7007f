"""Generators backed by a language model through llama-index: a local GGUF file (llama.cpp) or any
server speaking the OpenAI chat API (Ollama, vLLM, llama.cpp's server, LM Studio, OpenAI)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from rag.evidence import EvidenceSet
from rag.generators.gguf import default_gguf
from rag.prompts import ANSWER_PROMPT, HISTORY_TEMPLATE, PASSAGE_TEMPLATE, SYSTEM_PROMPT
from rag.question import QuestionInfo
from rag.types import ScoredPassage, Turn

MAX_HISTORY_TURNS = 4
MAX_PASSAGE_CHARS = 1500  # per passage: a prompt never grows with the corpus
PROMPT_BUDGET_BYTES = 3200  # all passages together: <= 3,200 tokens even at one token per UTF-8 byte


def build_messages(question: str, shown: list[ScoredPassage], history: list[Turn]) -> list[Any]:
    """System and user messages: numbered, dated passages fenced as data, the recent turns, the question."""
    from llama_index.core.llms import ChatMessage, MessageRole

    blocks, used = [], 0
    for i, p in enumerate(shown, start=1):
        text = p.passage.text[:MAX_PASSAGE_CHARS].replace(">>>", "> > >")
        room = PROMPT_BUDGET_BYTES - used
        if room <= 200:
            break  # later passages are not shown to the model (the verifier only accepts shown ones)
        text = text.encode("utf-8")[:room].decode("utf-8", "ignore")
        used += len(text.encode("utf-8"))
        blocks.append(
            PASSAGE_TEMPLATE.format(
                n=i,
                source=(p.article.publisher or p.article.display_title)[:80],
                date=p.article.published.isoformat() if p.article.published else "undated",
                text=text,
            )
        )
    del shown[len(blocks) :]
    passages = "\n\n".join(blocks)
    turns = "\n".join(f"{t.role}: {t.content[:500]}" for t in history[-MAX_HISTORY_TURNS:])
    user = ANSWER_PROMPT.format(
        passages=passages, history=HISTORY_TEMPLATE.format(turns=turns) if turns else "", question=question
    )
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
        ChatMessage(role=MessageRole.USER, content=user),
    ]


class LLMGenerator:
    """Drafts with any llama-index LLM; calls are serialised (llama.cpp models are not thread-safe)."""

    def __init__(self, llm: Any, name: str, timeout: float = 60.0, max_tokens: int = 256) -> None:
        self.llm = llm
        self.name = name
        self.timeout = timeout  # for the whole answer, not per chunk
        self.max_tokens = max_tokens
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> LLMGenerator:
        if settings.generator == "llamacpp":
            return cls(llamacpp_llm(settings), "llamacpp", settings.llm_timeout, settings.max_new_tokens)
        if settings.generator == "openai":
            return cls(openai_llm(settings), "openai", settings.llm_timeout, settings.max_new_tokens)
        raise ValueError(f"not an LLM generator: {settings.generator!r}")

    def draft(
        self, question: QuestionInfo, evidence: EvidenceSet, shown: list[ScoredPassage], history: list[Turn]
    ) -> Iterator[str]:
        messages = build_messages(question.text, shown, history)
        deadline = time.monotonic() + self.timeout
        lock = self._lock if self.name == "llamacpp" else contextlib.nullcontext()  # llama.cpp is not thread-safe
        written = 0
        with lock:
            stream = self.llm.stream_chat(messages)
            try:
                for chunk in stream:
                    if chunk.delta:
                        written += len(chunk.delta)
                        yield chunk.delta
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"no complete answer within {self.timeout:.0f} s")
                    if written > 8 * self.max_tokens:  # a server that ignores max_tokens
                        break
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()


def llamacpp_llm(settings: Any) -> Any:
    """llama-index's LlamaCPP over a local GGUF file, prompted with the file's own chat template."""
    try:
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError as exc:
        raise RuntimeError(
            "The llamacpp generator needs the 'llm' extra: "
            "CMAKE_ARGS='-DGGML_NATIVE=OFF' pip install -e '.[llm]' (see README)"
        ) from exc
    path = str(settings.gguf_path or default_gguf())
    llm = LlamaCPP(
        model_path=path,
        temperature=0.1,
        max_new_tokens=settings.max_new_tokens,
        context_window=4096,
        generate_kwargs={"top_p": 0.9, "repeat_penalty": 1.1},
        model_kwargs={"n_threads": settings.llm_threads, "n_gpu_layers": 0, "verbose": False},
        verbose=False,
    )
    template = llm._model.metadata.get("tokenizer.chat_template")
    llm.messages_to_prompt = chat_template_formatter(llm._model, template)
    return llm


def chat_template_formatter(model: Any, template: str | None):  # noqa: ANN201
    """messages -> prompt with the GGUF's Jinja chat template (ChatML when the file has none)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = template or CHATML
    eos = model.detokenize([model.token_eos()]).decode("utf-8", "ignore")
    bos = model.detokenize([model.token_bos()]).decode("utf-8", "ignore") if model.token_bos() >= 0 else ""
    formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def messages_to_prompt(messages: Sequence[Any]) -> str:
        as_dicts = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        return formatter(messages=as_dicts).prompt

    return messages_to_prompt


CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}<|im_start|>assistant\n"
)


def openai_llm(settings: Any) -> Any:
    """llama-index's OpenAI-like client for any server speaking the OpenAI chat API."""
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:
        raise RuntimeError("The openai generator needs the 'llm' extra: pip install -e '.[llm]'") from exc
    return OpenAILike(
        model=settings.openai_model,
        api_base=settings.openai_base_url,
        api_key=settings.openai_api_key.get_secret_value(),
        is_chat_model=True,
        timeout=settings.llm_timeout,
        max_retries=0,
        max_tokens=settings.max_new_tokens,
        temperature=0.1,
        context_window=8192,
    )
