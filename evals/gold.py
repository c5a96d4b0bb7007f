"""The gold-set format (documented in evals/gold/README.md) and its loader."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

BUNDLED_GOLD = Path(__file__).resolve().parent / "gold" / "bundled.jsonl"


class GoldQuestion(BaseModel):
    id: str
    question: str
    answer: str | None = Field(description="Short gold answer; null when the articles cannot answer.")
    variants: list[str] = Field(default_factory=list)
    type: str = "what"
    article_ids: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)
    notes: str = ""

    @property
    def answerable(self) -> bool:
        return self.answer is not None


class GoldError(ValueError):
    pass


def load_gold(path: Path | str = BUNDLED_GOLD) -> list[GoldQuestion]:
    """Read a gold JSONL file; a bad line raises GoldError naming the file and line."""
    path = Path(path)
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(GoldQuestion.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise GoldError(f"{path}:{number}: not a gold question: {exc}") from exc
    if not questions:
        raise GoldError(f"{path}: no questions")
    return questions
