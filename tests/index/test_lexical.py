"""Near spellings of question words (index/lexical.py)."""

from __future__ import annotations

from index.lexical import nearest_spelling


def test_a_typo_finds_the_word_and_an_unrelated_word_finds_none() -> None:
    pool = ["hezbollah", "military", "ceasefire", "hochstein", "negotiations"]
    assert nearest_spelling("hezbolah", pool) == "hezbollah"
    assert nearest_spelling("militery", pool) == "military"
    assert nearest_spelling("hochstien", pool) == "hochstein"
    assert nearest_spelling("blinken", pool) is None
    assert nearest_spelling("hezbolah", []) is None
