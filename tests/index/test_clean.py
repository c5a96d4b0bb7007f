from index.clean import clean_text
from tests.conftest import CORPUS


def seed(name: str) -> tuple[str, list[str], dict[str, str]]:
    return clean_text(next(CORPUS.glob(f"{name}_*.txt")).read_text(encoding="utf-8"))


def test_photo_caption_with_credit_is_dropped() -> None:
    text, removed, _ = seed("000")
    assert "REUTERS/" not in text and "Displaced Palestinians make their way" not in text
    assert text.startswith("The United States does not want a protracted Israeli campaign")


def test_caption_repeated_without_credit_is_dropped_too() -> None:
    text, removed, _ = seed("001")
    assert "Smoke rises from the town of Khiam" not in text and "Photograph:" not in text
    assert sum(r.startswith("photo caption") for r in removed) == 2


def test_source_line_becomes_publisher() -> None:
    text, _, found = seed("002")
    assert found["publisher"] == "Reuters" and "[Source" not in text


def test_newsletter_promo_and_footer_are_dropped_and_headline_found() -> None:
    text, removed, found = seed("004")
    assert "newsletter" not in text.lower() and "Sign up" not in text
    assert "republishing" not in text and "Middle East Eye delivers" not in text
    assert found["title"] == "US pushes for halt in Lebanon fighting in meeting with Israeli defence minister"
    assert text.rstrip().endswith("the senior Arab official told MEE.")


def test_standfirst_repeated_in_body_keeps_the_body_sentence() -> None:
    text, removed, _ = seed("003")
    assert text.count("The heavy exchange of fire") == 1
    assert "The heavy exchange of fire threatened to trigger an all-out war" in text


def test_exact_repeats_dropped_and_story_text_kept() -> None:
    raw = "Talks resumed in Doha.\nMediators were hopeful.\nTalks resumed in Doha.\nMore about us can be found here."
    text, removed, _ = clean_text(raw)
    assert text == "Talks resumed in Doha.\n\nMediators were hopeful."
    assert [r.split(":")[0] for r in removed] == ["publisher footer", "repeated line"]


def test_prose_mentioning_a_newsletter_is_kept() -> None:
    raw = (
        "The ministry said in its weekly newsletter, which it asked residents to sign up for, that shelters in the "
        "south were full and that families displaced from the border villages would be housed in schools until "
        "the fighting stopped, a process officials expected to take at least several more weeks."
    )
    assert clean_text(raw)[0] == raw
