from index.chunk import chunk_article, split_sentences
from index.types import Article


def article(text: str) -> Article:
    return Article(id="a", source="test", text=text)


def test_news_abbreviations_do_not_split_sentences() -> None:
    text = "U.S. Secretary of State Antony Blinken met him on Oct. 22 in Jerusalem. Lt. Gen. Halevi spoke later."
    assert [s.text for s in split_sentences(text, 100)] == [
        "U.S. Secretary of State Antony Blinken met him on Oct. 22 in Jerusalem.",
        "Lt. Gen. Halevi spoke later.",
    ]


def test_offsets_point_into_the_text_and_passages_respect_bounds() -> None:
    paragraphs = [
        " ".join(f"Sentence {p}-{i} says something about the talks in Doha." for i in range(6)) for p in range(8)
    ]
    a = article("\n\n".join(paragraphs))
    passages = chunk_article(a, max_words=60, min_words=25, overlap=1)
    assert len(passages) > 4
    for p in passages:
        assert a.text[p.start : p.end] == p.text
        assert all(a.text[s.start : s.end] == s.text for s in p.sentences)
        assert len(p.text.split()) <= 60 * 1.25
    for before, after in zip(passages, passages[1:], strict=False):
        assert after.sentences[0] == before.sentences[-1] or after.start >= before.end  # overlap by one sentence
    assert len({p.id for p in passages}) == len(passages)


def test_run_on_line_is_cut_into_bounded_pieces() -> None:
    a = article(" ".join(["word"] * 1000))
    passages = chunk_article(a, max_words=100, min_words=40, overlap=1)
    assert all(len(p.text.split()) <= 125 for p in passages)
    assert sum(len(s.text.split()) for p in passages for s in p.sentences) >= 1000


def test_short_article_is_one_passage() -> None:
    [p] = chunk_article(article("Just one line."), max_words=120, min_words=50, overlap=1)
    assert (p.start, p.end, p.ordinal) == (0, 14, 0)
