"""Who writes the answer. Each generator drafts text whose [n] markers refer to the passages it
was shown; every draft then goes through the same verifier (rag/verify.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from rag.evidence import EvidenceSet
from rag.question import QuestionInfo
from rag.types import ScoredPassage, Turn


class Generator(Protocol):
    name: str

    def draft(
        self, question: QuestionInfo, evidence: EvidenceSet, shown: list[ScoredPassage], history: list[Turn]
    ) -> Iterator[str]:
        """Stream the draft answer; [n] refers to shown[n-1]. `shown` may be extended by the generator."""
        ...


def make_generator(settings) -> Generator:  # noqa: ANN001 - rag.settings.Settings
    """The generator the settings name (LLM libraries are imported only for the LLM generators)."""
    if settings.generator == "extractive":
        from rag.generators.extractive import ExtractiveGenerator

        return ExtractiveGenerator()
    from rag.generators.llm import LLMGenerator

    return LLMGenerator.from_settings(settings)
