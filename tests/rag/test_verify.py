"""The verifier on scripted drafts: what survives, what is removed, how markers are renumbered."""

from datetime import date

from index.types import ArticleInfo, Passage, Sentence
from rag.types import ScoredPassage
from rag.verify import split_answer, verify


def passage(pid: str, text: str, start: int = 0) -> ScoredPassage:
    sentences, offset = [], start
    for part in text.split(". "):
        part = part if part.endswith(".") else part + "."
        sentences.append(Sentence(start=offset, end=offset + len(part), text=part))
        offset += len(part) + 1
    p = Passage(
        id=pid, article_id=f"art-{pid}", ordinal=0, start=start, end=start + len(text), text=text, sentences=sentences
    )
    info = ArticleInfo(
        id=f"art-{pid}", title=f"Title {pid}", publisher="Wire", published=date(2024, 11, 20), source="test"
    )
    return ScoredPassage(passage=p, article=info, score=1.0)


SHOWN = [
    passage(
        "a", "Israel wants Hezbollah pushed beyond the Litani River, 20 miles from its border. The talks continue."
    ),
    passage("b", "The World Bank said the conflict had cost Lebanon $8.5bn. Aid groups asked for more."),
    passage("c", "Mossad head David Barnea will travel to Doha on Sunday."),
]


def test_supported_claims_survive_and_markers_are_renumbered_by_first_use() -> None:
    checked = verify(
        "The World Bank put the cost to Lebanon at $8.5bn [2]. Israel wants Hezbollah beyond the Litani River [1].",
        SHOWN,
    )
    assert checked.text == (
        "The World Bank put the cost to Lebanon at $8.5bn [1]. Israel wants Hezbollah beyond the Litani River [2]."
    )
    assert [(c.marker, c.passage_id) for c in checked.citations] == [(1, "b"), (2, "a")]
    assert checked.citations[0].quote == "The World Bank said the conflict had cost Lebanon $8.5bn."
    assert checked.dropped == 0


def test_wrong_number_is_removed() -> None:
    checked = verify("Israel wants Hezbollah 10 miles from its border [1].", SHOWN)
    assert checked.citations == [] and checked.dropped == 1
    assert "number(s) 10 not in the cited passage" in checked.notes[0]


def test_invented_name_is_removed() -> None:
    checked = verify("Mossad head Shlomo Ben-Zeira will travel to Doha [3].", SHOWN)
    assert checked.citations == [] and "name(s)" in checked.notes[0]


def test_marker_out_of_range_is_dropped_and_never_dangles() -> None:
    checked = verify("Mossad head David Barnea will travel to Doha [7]. The World Bank said $8.5bn [2][9].", SHOWN)
    assert "[7]" not in checked.text and "[9]" not in checked.text
    assert {c.marker for c in checked.citations} == {int(m) for m in "12" if f"[{m}]" in checked.text}
    assert any("point at no passage" in n for n in checked.notes)


def test_sentence_without_marker_is_cited_when_supported_else_removed() -> None:
    checked = verify("David Barnea will travel to Doha on Sunday. Hamas signed a ceasefire in Cairo.", SHOWN)
    assert checked.text == "David Barnea will travel to Doha on Sunday [1]."
    assert checked.citations[0].passage_id == "c"
    assert any(n.startswith("removed (no citation)") for n in checked.notes)


def test_claim_citing_the_wrong_passage_is_removed() -> None:
    checked = verify("The World Bank said the conflict had cost Lebanon $8.5bn [1].", SHOWN)
    assert checked.citations == []


def test_abbreviations_do_not_split_claims() -> None:
    assert split_answer("U.S. envoy Amos Hochstein met him [1]. Then he left [2].") == [
        "U.S. envoy Amos Hochstein met him [1].",
        "Then he left [2].",
    ]


def test_an_editors_bracket_in_a_quote_is_text_not_a_marker() -> None:
    line = '- 25 June 2024, Wire: "We must discuss readiness [for] every scenario," Gallant said [1].'
    assert split_answer(line + " He left [2].") == [line, "He left [2]."]
    quoted = passage("q", '"We must discuss readiness [for] every scenario," Gallant said. He left.')
    kept = verify('"We must discuss readiness [for] every scenario," Gallant said [1].', [quoted])
    assert kept.text == '"We must discuss readiness [for] every scenario," Gallant said [1].'


def test_a_claim_that_turns_the_passage_around_is_refused() -> None:
    from rag.verify import check_sentence

    cited = passage("w", "The World Bank said the conflict had so far cost Lebanon $8.5bn.")
    assert not check_sentence("The World Bank said Lebanon owes nothing.", [cited])[0]
    assert not check_sentence("The World Bank didn't say the conflict cost Lebanon anything.", [cited])[0]
    assert check_sentence("The World Bank said the conflict cost Lebanon $8.5bn.", [cited])[0]
