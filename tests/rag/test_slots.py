"""What a typed question needs from a sentence: a figure next to the thing counted, in the asked unit,
naming what the question names; an outcome reported as done rather than planned."""

from __future__ import annotations

import pytest

from rag.kinds import has_answer_type
from rag.question import analyze
from rag.slots import holds_figure, mentions_names, prospective


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("Exactly how many Hezbollah fighters have been killed?", ["fighter", "~kill"]),  # and what happened
        ("how many rockets and drones did they fire", ["rocket", "drone"]),
        ("About how many Hezbollah projectiles crossed into Israel?", ["projectil"]),
        ("how many hezbolah rockets/projectiles made it into israel", ["rocket", "projectil"]),  # either
        ("How many people were killed?", ["~kill"]),  # generic: the figure goes with what happened
        ("How many people did the UN estimate remained?", []),
        ("how many Hamas fighters died", ["fighter", "~die"]),
        ("hezbolah attacked how many militery bases in haifa", ["base"]),
    ],
)
def test_the_counted_noun_is_found(question: str, focus: list[str]) -> None:
    assert analyze(question).focus == focus


def test_the_earliest_wh_phrase_sets_the_answer_type() -> None:
    assert analyze("Which official was he due to meet when he went to Doha?").answer_type == "person"
    assert analyze("In which city was Blinken speaking when he said it?").answer_type == "place"
    assert analyze("What did the two agree when they met?").answer_type == "open"
    assert analyze("When did the talks start?").answer_type == "date"


def test_a_figure_must_count_the_asked_thing() -> None:
    q = analyze("How many Hezbollah fighters have been killed?")
    assert holds_figure("Israel says 2,000 Hezbollah fighters have been killed.", q)
    assert not holds_figure("The killing of thousands of its members and 3,544 people in Lebanon.", q)


def test_a_generic_count_goes_with_the_event() -> None:
    q = analyze("How many people were wounded in the strike?")
    assert holds_figure("The strike killed 3 and wounded 20 people.", q)
    assert not holds_figure("At least 16 people were killed in the strike.", q)
    children = analyze("How many children were killed in the strike?")
    assert not holds_figure("At least 16 Palestinians were killed, including children, and 32 wounded.", children)
    # a toll of people is not a count of a group the question does not name
    toll = analyze("What is the death toll in Lebanon?")
    assert holds_figure("The fighting in Lebanon has killed 3,544 people.", toll)
    assert not holds_figure("In Lebanon four more soldiers were killed.", toll)
    assert not holds_figure("An Israeli strike killed three Lebanese soldiers in Lebanon.", toll)
    assert holds_figure("In Lebanon at least 16 Palestinians were killed.", toll)  # a people: generic


def test_a_count_of_people_things_happened_to_must_be_of_that_event() -> None:
    wounded = analyze("How many Israeli soldiers had been wounded in southern Lebanon?")
    assert not holds_figure("At least 25 Israeli soldiers have been killed in southern Lebanon.", wounded)
    assert holds_figure("Israel said 40 Israeli soldiers were wounded in southern Lebanon.", wounded)
    assert holds_figure("Fighting in southern Lebanon injured 40 Israeli soldiers.", wounded)
    killed = analyze("How many Israeli soldiers have been killed in southern Lebanon?")
    assert holds_figure("At least 25 Israeli soldiers have been killed in southern Lebanon.", killed)


def test_exactly_rules_out_vague_amounts() -> None:
    assert holds_figure("It launched hundreds of rockets.", analyze("How many rockets did it launch?"))
    assert not holds_figure("It launched hundreds of rockets.", analyze("Exactly how many rockets did it launch?"))


def test_a_figure_the_question_states_is_no_answer() -> None:
    q = analyze("What was in the 2006 resolution number?")
    assert not holds_figure("A long moribund 2006 U.N. resolution.", q)


def test_units() -> None:
    money = analyze("How much money did the conference raise?")
    assert holds_figure("The conference raised $200 million.", money)
    assert not holds_figure("The conference drew 70 countries.", money)
    assert holds_figure("The river lies 20 miles away.", analyze("How far is the river from the border?"))
    assert not holds_figure("The river lies north of 20 villages.", analyze("How far is the river from the border?"))


def test_the_figure_sentence_must_name_what_the_question_names() -> None:
    q = analyze("How many Israeli soldiers have been killed inside Gaza?")
    assert not holds_figure("At least 25 Israeli soldiers have been killed in southern Lebanon.", q)
    assert holds_figure("In Gaza, 300 Israeli soldiers have been killed.", q)
    lebanon = analyze("How much has the war cost Lebanon, according to the World Bank?")
    assert mentions_names("The conflict cost the Lebanese economy $8.5bn.", lebanon)  # demonym
    us = analyze("How much aid did the United States send?")
    assert mentions_names("Washington sent $1bn.", us) and not mentions_names("France sent $1bn.", us)
    # of three names one may be left to context, but not the first, the question's subject
    pledge = analyze("How much did the United States pledge at the Paris conference on Lebanon?")
    assert not mentions_names("In Paris, a conference convened by France raised $200 million for Lebanon.", pledge)
    assert mentions_names("The United States pledged $300 million for Lebanon.", pledge)
    raised = analyze("How much did the French-convened Paris conference raise for the Lebanese military?")
    assert mentions_names("In Paris, a conference convened by France raised $200 million for the military.", raised)
    # a person the question names in full is named by the surname alone
    hochstein = analyze("Within what time frame did Amos Hochstein say Israel would pause fighting in Gaza?")
    assert holds_figure("Hochstein said Israel plans to pause fighting in Gaza in the next five weeks.", hochstein)
    assert not holds_figure("Israel plans to pause fighting in Gaza in the next five weeks.", hochstein)


def test_plans_are_not_outcomes() -> None:
    assert analyze("What did Barnea and Burns agree when they met?").outcome
    assert analyze("Was the ceasefire eventually signed?").outcome
    assert not analyze("Who did Barnea meet?").outcome
    assert prospective("Barnea will travel to Doha on Sunday to meet Burns.")
    assert prospective("The region is awaiting the retaliation Israel has vowed.")
    assert not prospective("Hezbollah indicated it had agreed to the text of the proposal.")


def test_a_name_question_needs_a_name_in_full_and_a_population_is_a_figure() -> None:
    q = analyze("What was the name of the rescue worker killed in Sabra?")
    assert q.answer_type == "person" and q.wants_name
    assert not has_answer_type("An Israeli strike killed a rescue worker in Sabra.", "person", q)
    assert has_answer_type("The strike in Sabra killed rescue worker Ali Hassan.", "person", q)
    assert analyze("What is the population of Gaza, most of whom are displaced?").answer_type == "number"


def test_an_answer_the_question_already_names_is_no_answer() -> None:
    q = analyze("Who did Blinken meet in Doha?")
    assert not has_answer_type("Blinken met officials in Doha.", "person", q)
    assert has_answer_type("Blinken met Mohammed bin Abdulrahman in Doha.", "person", q)


def test_a_count_of_one_people_is_no_count_of_another() -> None:
    lebanese = analyze("How many Lebanese soldiers were killed?")
    assert not holds_figure("At least 25 Israeli soldiers have been killed in southern Lebanon.", lebanese)
    assert holds_figure("An Israeli strike killed three Lebanese soldiers in Yater.", lebanese)


def test_a_total_is_a_running_count_not_one_strikes_toll() -> None:
    total = analyze("How many Lebanese soldiers had been killed in total by late October?")
    assert total.total and not analyze("How many Lebanese soldiers were killed?").total
    assert not holds_figure("An Israeli strike killed three Lebanese soldiers in Yater.", total)
    assert holds_figure("Some 40 Lebanese soldiers have been killed since the war began.", total)


def test_a_question_joining_two_asks_holds_the_figure_to_its_own_clause() -> None:
    joined = analyze("What did the US do at the UN Security Council, and how many people did medics say died in Gaza?")
    assert joined.answer_type == "number" and joined.mixed and joined.clause_names == ["gaza"]
    assert holds_figure("In Gaza, Israeli forces killed at least 33 people, according to medics.", joined)
    compare = analyze("What is the latest Gaza death toll, and how does it compare with the October figure?")
    assert not compare.mixed  # the second ask is about the first's figure


def test_a_part_of_a_stated_total_is_counted_over_the_same_span() -> None:
    part = analyze("How many of the 3,544 people killed in Lebanon were children?")
    assert part.focus == ["children"] and part.total
    # one strike's "four children" is no part of the 3,544
    assert not holds_figure("In Lebanon at least 18 people were killed, including four children.", part)
    assert holds_figure("Of those killed in Lebanon since October, 200 children have been killed.", part)
