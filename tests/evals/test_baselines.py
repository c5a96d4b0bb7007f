"""The plain llama-index baseline: built offline over the bundled corpus and scored like our pipeline.

The scripted-LLM test checks the pipeline and the conversion to our Answer in seconds; the SmolLM2 test
runs the real packaged model through LlamaCPP on two gold questions (the slow one: ~1 minute on 2 cores).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from evals.baselines import NAME, BaselineConfig, abstained, chatml_prompt, run_llamaindex_baseline
from evals.gold import load_gold
from evals.run import EvalRun
from rag.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"


def test_abstention_is_read_from_the_first_sentence() -> None:
    assert abstained("")
    assert abstained("Empty Response")
    assert abstained("None of the sources provide information about the vote.")
    assert abstained("The sources do not mention when the talks resumed.")
    assert abstained("I'm sorry, but the provided sources don't say. [1]")
    assert not abstained("Amos Hochstein [1]. The sources do not say when he arrived.")
    assert not abstained("The envoy said there was positive progress [2].")


def test_chatml_prompt_is_smollm2s_template() -> None:
    prompt = chatml_prompt("Query: who?")
    assert prompt.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert prompt.endswith("<|im_start|>user\nQuery: who?<|im_end|>\n<|im_start|>assistant\n")


def _gold(tmp_path: Path, ids: list[str]) -> Path:
    wanted = {q.id: q for q in load_gold()}
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(wanted[i].model_dump_json() for i in ids) + "\n", encoding="utf-8")
    return path


def _scripted_llm(replies: dict[str, str]):  # noqa: ANN202 - a llama-index LLM answering from a script
    from llama_index.core.llms import CompletionResponse
    from llama_index.core.llms.mock import MockLLM

    class ScriptedLLM(MockLLM):
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:  # noqa: ANN401
            query = re.findall(r"Query: (.*)", prompt)[-1]
            return CompletionResponse(text=replies.get(query.strip(), "None of the sources say."))

    return ScriptedLLM()


@pytest.mark.slow  # the real embedding model
def test_baseline_scores_a_scripted_llm_like_our_pipeline(tmp_path: Path) -> None:
    gold = load_gold(_gold(tmp_path, ["q001", "q002"]))
    unanswerable = next(q for q in load_gold() if not q.answerable)
    path = tmp_path / "gold.jsonl"
    path.write_text(path.read_text() + unanswerable.model_dump_json() + "\n", encoding="utf-8")
    llm = _scripted_llm({gold[0].question: f"It was {gold[0].answer} [1]."})

    run = run_llamaindex_baseline(Settings(corpus_dir=CORPUS), gold_path=path, llm=llm)

    assert isinstance(run, EvalRun) and run.name == NAME
    assert [r.id for r in run.results] == ["q001", "q002", unanswerable.id]
    first, second, third = run.results
    assert first.scores["correct"] == 1.0 and not first.answer.abstained
    assert second.answer.abstained and second.scores["correct"] == 0.0
    assert third.answer.abstained and third.scores["correct"] == 1.0
    for key in ("hit@1", "hit@5", "mrr", "citation_recall", "dangling_markers"):
        assert key in first.scores
    assert first.scores["hit@10"] == 1.0  # the evidence is in the bundled corpus: the retriever finds it
    citations = first.answer.citations
    assert [c.marker for c in citations] == list(range(1, len(citations) + 1)) == list(range(1, 6))
    for c in citations:
        article = (CORPUS / f"{c.article_id}.txt").read_text(encoding="utf-8")
        assert c.text == c.quote and not c.quote.startswith("Source ")
        assert article[c.start : c.end] == c.quote  # offsets point into the article file
    overall = run.summary["overall"]
    assert overall["questions"] == 3 and overall["answer_accuracy"] == 0.5 and overall["abstention_recall"] == 1.0
    assert set(run.summary) == {"overall"} | {r.type for r in run.results}
    assert EvalRun.model_validate_json(run.model_dump_json()).summary == run.summary
    json.loads(run.model_dump_json())


@pytest.mark.slow  # the real SmolLM2 through llama.cpp: the slow test of this file
def test_baseline_with_packaged_smollm2_on_two_gold_questions() -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python (the 'llm' extra) is not installed")
    config = BaselineConfig(max_new_tokens=64)  # bounded: each reply takes a few seconds
    run = run_llamaindex_baseline(Settings(corpus_dir=CORPUS), limit=2, config=config)
    assert run.name == NAME and "SmolLM2-135M-Instruct" in run.generator
    assert len(run.results) == 2
    for r in run.results:
        assert r.seconds > 0 and r.answer.generator == "llama-index"
        assert r.scores["correct"] in (0.0, 1.0) and "hit@5" in r.scores
        assert r.answer.abstained or r.answer.text.strip()
        assert len(r.answer.citations) == 5
    assert run.summary["overall"]["questions"] == 2
    assert run.summary["overall"]["answer_accuracy"] is not None
