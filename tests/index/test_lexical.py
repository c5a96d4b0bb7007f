"""Near spellings of question words (index/lexical.py)."""

from __future__ import annotations

from index.lexical import build_bm25, nearest_spelling, respellings


def test_a_typo_finds_the_word_and_an_unrelated_word_finds_none() -> None:
    pool = ["hezbollah", "military", "ceasefire", "hochstein", "negotiations"]
    assert nearest_spelling("hezbolah", pool) == "hezbollah"
    assert nearest_spelling("militery", pool) == "military"
    assert nearest_spelling("hochstien", pool) == "hochstein"
    assert nearest_spelling("blinken", pool) is None
    assert nearest_spelling("hezbolah", []) is None


def test_only_words_neither_the_index_nor_english_knows_are_respelt() -> None:
    texts = ["US officials pinned their strategy on a carrot-and-stick approach to Hezbollah.", "The organised talks."]
    index = build_bm25(texts)
    fixes = respellings(index, "wat kind of aproach did us oficials base there hezbolla stratergy on", texts)
    assert fixes == {"aproach": "approach", "oficials": "officials", "hezbolla": "hezbollah", "stratergy": "strategy"}
    # English words the index lacks stay as they are, British spellings too
    assert respellings(index, "Trace the place where the organised minster met", texts) == {}
