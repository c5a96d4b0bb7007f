"""BM25 over passages with bm25s: English stop words removed, words stemmed. The same
tokenizer serves indexing and queries, so both sides always agree."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop words removed, stemmed tokens for each text."""
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """One word as the index holds it (lower-cased, stemmed), or "" for a stop word."""
    tokens = tokenize([word.lower()])[0]
    return tokens[0] if tokens else ""


@lru_cache(maxsize=16384)
def token_set(text: str) -> frozenset[str]:
    """The distinct tokens of one text, cached: the verifier compares the same sentences many times."""
    return frozenset(tokenize([text])[0])


def build_bm25(texts: Sequence[str]):  # noqa: ANN201 - bm25s.BM25
    """A BM25 index whose document i is texts[i]."""
    import bm25s

    retriever = bm25s.BM25()
    # An empty document still needs a token so that positions stay aligned with the texts.
    retriever.index([tokens or [""] for tokens in tokenize(texts)], show_progress=False)
    return retriever


def save_bm25(retriever, folder: Path) -> None:  # noqa: ANN001
    retriever.save(str(folder), allow_pickle=False, show_progress=False)


def load_bm25(folder: Path):  # noqa: ANN201
    import bm25s

    return bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False, verbosity=0)


def search_bm25(retriever, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:  # noqa: ANN001
    """(document position, score) pairs, best first; documents scoring 0 are left out."""
    tokens = tokenize([query])[0]
    num_docs = int(retriever.scores["num_docs"])
    if not tokens or num_docs == 0:
        return []
    ids = retriever.get_tokens_ids(tokens)
    if not ids:
        return []
    scores = retriever.get_scores_from_ids(ids, weight_mask=mask)
    k = min(k, num_docs)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def idf_table(retriever) -> dict[str, float]:  # noqa: ANN001
    """Inverse document frequency of every indexed token (BM25's formula), from the index's postings."""
    if retriever is None:
        return {}
    indptr = np.asarray(retriever.scores["indptr"])
    n = int(retriever.scores["num_docs"])
    df = np.diff(indptr)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return {token: float(idf[i]) for token, i in retriever.vocab_dict.items() if i < len(idf)}


def unseen_idf(retriever) -> float:  # noqa: ANN001
    """The IDF a token that no document holds would have."""
    n = int(retriever.scores["num_docs"]) if retriever is not None else 1
    return float(np.log(1.0 + (n + 0.5) / 0.5))


def corrected_terms(retriever, text: str) -> list[str]:  # noqa: ANN001
    """Index tokens for the words of `text` the index does not know: a possessive written without its
    apostrophe ('netanyahus') or a near spelling ('hezbolah', 'militery'). Empty when all are known."""
    if retriever is None:
        return []
    vocab = retriever.vocab_dict
    fixes = []
    for token in tokenize([text])[0]:
        if not token or token in vocab or len(token) < 4 or token.isdigit():
            continue
        if token.endswith("s") and token[:-1] in vocab:
            fixes.append(token[:-1])
            continue
        close = _closest(retriever, token)
        if close:
            fixes.append(close)
    return fixes


@lru_cache(maxsize=1)
def _english():  # noqa: ANN202
    from spellchecker import SpellChecker

    return SpellChecker(language="en")


# The word list spells American English; a British spelling ('organised', 'defence', 'centre') is a word too.
_BRITISH = [
    (r"is(e|ed|es|ing|ation)", r"iz\1"),
    (r"our", "or"),
    (r"ence", "ense"),
    (r"tre\b", "ter"),
    (r"ll(ed|ing)", r"l\1"),
]


def is_english(word: str) -> bool:
    """Is the lower-case word an English word (American or British spelling)?"""
    return word in _english() or any(re.sub(uk, us, word) in _english() for uk, us in _BRITISH)


def respellings(retriever, text: str, texts: Sequence[str]) -> dict[str, str]:  # noqa: ANN001
    """The misspelt words of `text` ('hezbolla', 'stratergy': known neither to the index nor to English), each
    with its nearest spelling among the words of `texts` (the passages found for it). Empty when there are none."""
    if retriever is None:
        return {}
    vocab = retriever.vocab_dict

    def misspelt(word: str) -> bool:
        token = stem(word)
        return len(word) >= 4 and bool(token) and token not in vocab and not is_english(word.lower())

    words = [w for w in dict.fromkeys(re.findall(r"[A-Za-z][\w’'-]+", text)) if misspelt(w)]
    if not words:
        return {}
    pool = sorted({w.lower() for t in texts for w in re.findall(r"[A-Za-z][\w-]{3,}", t)})
    fixes = {w: nearest_spelling(w.lower(), pool) for w in words}
    return {w: near for w, near in fixes.items() if near}


class _Spellings:
    """The index's tokens by first letter and length, and the corrections found so far: the near spellings of a
    word are among a few buckets (scanning the whole vocabulary per unknown word cost 5 ms a question at 100k)."""

    def __init__(self, vocab: Iterable[str]) -> None:
        self.buckets: dict[tuple[str, int], list[str]] = {}
        for token in vocab:
            if token:
                self.buckets.setdefault((token[0], len(token)), []).append(token)
        self.found: dict[str, str | None] = {}

    def closest(self, token: str) -> str | None:
        """The index token nearest in spelling (see `nearest_spelling`), or None."""
        if token not in self.found:
            sizes = range(len(token) - 2, len(token) + 3)
            pool = [v for size in sizes for v in self.buckets.get((token[0], size), ())]
            self.found[token] = nearest_spelling(token, pool)
        return self.found[token]


SPELLING_CUTOFF = 80  # similarity (0-100, normalised edit distance) a near spelling must reach


def nearest_spelling(token: str, pool: Sequence[str]) -> str | None:
    """The word of `pool` nearest to `token` in spelling ('hezbolah' -> 'hezbollah'), or None below the cutoff.
    rapidfuzz's ratio (normalised Indel similarity) in C: difflib did the same in Python at 4-5 ms a question."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(token, pool, scorer=fuzz.ratio, score_cutoff=SPELLING_CUTOFF)
    return found[0] if found else None


# One per BM25 index, gone with it (an index update makes a new one).
_SPELLINGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _closest(retriever, token: str) -> str | None:  # noqa: ANN001
    if retriever not in _SPELLINGS:
        _SPELLINGS[retriever] = _Spellings(retriever.vocab_dict)
    return _SPELLINGS[retriever].closest(token)
