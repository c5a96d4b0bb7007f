"""Errors that name what went wrong and what to do about it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


class Problem(BaseModel):
    """One input that could not be indexed; the rest of the batch still is."""

    source: str
    line: int | None = None
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


class IndexError_(Exception):
    """Base of the index errors (named so as not to shadow the builtin IndexError)."""


class NoIndexError(IndexError_):
    def __init__(self, path: Path) -> None:
        super().__init__(f"No index at {path}. Build one with: python -m rag index build")


class IndexMismatchError(IndexError_):
    def __init__(self, path: Path, differences: dict[str, tuple[object, object]]) -> None:
        self.differences = differences
        lines = ", ".join(f"{k}: index has {a!r}, settings ask for {b!r}" for k, (a, b) in differences.items())
        super().__init__(
            f"The index at {path} was built with other settings ({lines}). "
            f"Rebuild it with: python -m rag index build --rebuild "
            f"(or point RAG_INDEX_DIR elsewhere, or change the settings back)."
        )


class CorruptIndexError(IndexError_):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The index at {path} is damaged ({detail}). Rebuild it with: python -m rag index build --rebuild"
        )


class NothingIndexedError(Exception):
    """Raised when a batch held no article that could be indexed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        detail = "\n".join(f"  {p}" for p in problems) or "  (no input files found)"
        super().__init__(f"Nothing could be indexed:\n{detail}")
