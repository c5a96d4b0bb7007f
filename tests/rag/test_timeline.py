"""Answers across time: dated statements from every report, oldest first, attributions checked."""

from datetime import date

from rag import timeline
from rag.dates import OPEN_START, DateScope
from rag.event_dates import event_date, event_spans, mentions_scope, statement_date
from rag.question import analyze
from rag.timeline import parse_line
from rag.verify import verify
from tests.rag.test_answer import check_citations
from tests.rag.test_verify import SHOWN


def test_change_question_gets_a_dated_list_from_several_reports(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask("How did the death toll in Lebanon change between October and November 2024?")
    assert answer.kind == "timeline" and len(answer.events) >= 2
    published = [e.published for e in answer.events]
    assert published == sorted(published) and len({c.article_id for c in answer.citations}) >= 2
    assert "3,544" in answer.text
    assert all(line.startswith("- ") for line in answer.text.splitlines())
    check_citations(assistant, answer)


def test_events_named_by_a_list_of_people_are_put_in_order(assistant) -> None:  # noqa: ANN001
    # "put ... in order ... as the reports tell them": words of the request, not of the evidence
    answer = assistant.ask(
        "Put in order the deaths of Yahya Sinwar, Fouad Shukur and Taleb Sami Abdullah as the reports tell them."
    )
    assert answer.kind == "timeline" and not answer.abstained
    text = answer.text
    assert text.index("Taleb Sami Abdullah") < text.index("Fouad Shukur") < text.index("Sinwar")


def test_a_timeline_keeps_its_best_statements_up_to_its_length_in_date_order(assistant, monkeypatch) -> None:  # noqa: ANN001
    question = "Trace US envoy Amos Hochstein's dealings over Lebanon from June to November 2024."
    full = assistant.ask(question)
    assert len(full.events) > 4 and "blunt" in full.events[0].text  # June's warnings first
    monkeypatch.setattr(timeline, "MAX_LINES", 4)
    short = assistant.ask(question)
    assert len(short.events) == 4 and {e.text for e in short.events} <= {e.text for e in full.events}
    assert [e.published for e in short.events] == sorted(e.published for e in short.events)


def test_reports_that_disagree_on_a_figure_are_shown_side_by_side(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask("What is the death toll in Lebanon?")
    assert answer.kind == "comparison" and answer.text.startswith("3,544 people [")
    assert [e.published.isoformat() for e in answer.events] == ["2024-10-24", "2024-11-20"]
    assert "more than 2,500" in answer.events[0].text and "3,544" in answer.events[1].text
    check_citations(assistant, answer)


def test_a_named_publisher_picks_the_report_and_is_not_a_word_its_text_must_hold(assistant) -> None:  # noqa: ANN001
    info = analyze("What did the 24 October Reuters report say?", publishers=["Reuters", "Middle East Eye"])
    assert info.sources == ["Reuters"] and "reuters" not in info.names
    # the November report is not Reuters', and its text does not say "Reuters": its figure still counts
    answer = assistant.ask(
        "How did the Lebanese death toll change between the 24 October Reuters report and the 20 November report?"
    )
    assert not answer.abstained and "more than 2,500" in answer.text and "3,544" in answer.text
    # the November report's toll does not say "Israel": across reports the second name may stand in its context
    campaign = assistant.ask(
        "How did the Lebanese death toll from Israel's campaign change between the late-October and late-November"
        " reports?"
    )
    assert "more than 2,500" in campaign.text and "3,544" in campaign.text


def test_who_led_across_reports_names_each_leader(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask("Who led Hezbollah in June 2024, and who was leading it by November 2024?")
    assert "Hassan Nasrallah" in answer.text and "Naim Qassem" in answer.text  # "Hezbollah's secretary general"
    check_citations(assistant, answer)


def test_single_fact_questions_stay_facts(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask("Who heads the Mossad?")
    assert answer.kind == "fact" and answer.events == []


def test_statement_attributed_to_the_wrong_date_or_source_is_removed() -> None:
    right = "- 20 November 2024, Wire: Mossad head David Barnea will travel to Doha on Sunday [3]."
    assert verify(right, SHOWN).events[0].published == date(2024, 11, 20)
    wrong_date = verify("- 24 October 2024, Wire: Mossad head David Barnea will travel to Doha on Sunday [3].", SHOWN)
    assert wrong_date.citations == [] and "attributed to 24 October 2024" in wrong_date.notes[0]
    wrong_source = verify("- 20 November 2024, Reuters: Mossad head David Barnea will travel to Doha [3].", SHOWN)
    assert wrong_source.citations == [] and "attributed to Reuters" in wrong_source.notes[0]


def test_relative_days_resolve_against_the_publication_date() -> None:
    assert event_date("a drone attack on his home on Saturday", date(2024, 10, 22))[0] == date(2024, 10, 19)
    assert event_date("Blinken said on Thursday", date(2024, 10, 24))[0] == date(2024, 10, 24)
    assert event_date("no day named here", date(2024, 10, 24)) is None
    assert event_date("killed two days ago", date(2024, 10, 22))[0] == date(2024, 10, 20)


def test_relative_weeks_months_and_years_resolve_to_spans() -> None:
    def span(text: str, published: date) -> tuple[date, date]:
        found = event_spans(text, published)[0]
        return found.start, found.end

    aug25, oct22, oct24, nov20 = date(2024, 8, 25), date(2024, 10, 22), date(2024, 10, 24), date(2024, 11, 20)
    assert span("the killing of Fouad Shukur in Beirut last month", aug25) == (date(2024, 7, 1), date(2024, 7, 31))
    assert span("Sinwar's killing last week", oct22) == (date(2024, 10, 14), date(2024, 10, 20))
    assert span("the ground operation three weeks ago", oct24) == (date(2024, 9, 30), date(2024, 10, 6))
    assert span("Qatar announced earlier this month", nov20) == (date(2024, 11, 1), nov20)
    assert span("since the war began 13 months ago", nov20) == (date(2023, 10, 1), date(2023, 10, 31))
    assert event_spans("29 civilians killed over the last year", oct24) == ()  # a duration, not a date
    assert event_date("Shukur was killed last month", aug25) is None  # a month is not a day
    # a span speaks of a period only when it is no vaguer than the period
    july = DateScope(start=date(2024, 7, 1), end=date(2024, 7, 31), text="July 2024")
    early_september = DateScope(start=date(2024, 9, 1), end=date(2024, 9, 10), text="early September")
    assert mentions_scope("the killing of Fouad Shukur in Beirut last month", aug25, july)
    assert not mentions_scope("the battle began two months ago", nov20, early_september)
    # ... and a month inside a period counts, not only the months it starts and ends in
    june_to_october = DateScope(start=date(2024, 6, 1), end=date(2024, 10, 31), text="from June to late October")
    assert mentions_scope("tit-for-tat fighting until late September, when Israel launched", nov20, june_to_october)


def test_statements_are_ordered_by_the_time_they_name_and_keep_their_report(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask("What happened in the Israel-Hezbollah conflict in late September 2024?")
    # the November report's "until late September" comes before the October report's "Sept. 27"
    assert answer.text.startswith("- late September 2024 (reported 20 November 2024, ")
    assert [e.event_date for e in answer.events] == [date(2024, 9, 21), date(2024, 9, 27)]
    assert [e.published for e in answer.events] == [date(2024, 11, 20), date(2024, 10, 22)]
    check_citations(assistant, answer)
    line = parse_line("- 27 September 2024 (reported 22 October 2024, Reuters): Nasrallah was killed.")
    assert line == ("22 October 2024", "Reuters", "Nasrallah was killed.", "27 September 2024")
    assert statement_date("killed since the war began 13 months ago", date(2024, 11, 20)) is None
    assert statement_date("on Oct. 7 last year", date(2024, 10, 22)).start == date(2023, 10, 7)
    # a date naming a thing, or inside an aside, does not date the statement
    assert statement_date("Sinwar, a mastermind of the group's Oct. 7, 2023 attack", date(2024, 10, 24)) is None
    assert statement_date("Sinwar - blamed for the assault on Oct. 7 last year - will", date(2024, 10, 22)) is None
    # the first day named dates it: Sunday's strikes, not July's killing they avenge
    sunday = "Israel struck Lebanon on Sunday, as Hezbollah avenged the killing of a commander last month."
    assert statement_date(sunday, date(2024, 8, 25)) is None
    # a date that names a thing the statement speaks of: "the retaliation vowed for a barrage on 1 October"
    vowed = (
        "Blinken said the region awaits the retaliation Israel has vowed for an Iranian missile barrage on 1 October."
    )
    assert statement_date(vowed, date(2024, 10, 24)) is None
    claimed = "Hezbollah ruled out talks, and it claimed responsibility for a drone attack on his home on Saturday."
    assert statement_date(claimed, date(2024, 10, 22)) is None
    assert statement_date("Hamas refused to free hostages seized in its Oct. 7, 2023 raid", date(2024, 10, 22)) is None
    # what "will" happen "on Sunday" is read ahead of the report: the Sunday after Thursday 24 October
    barnea = statement_date("Barnea will travel to Doha on Sunday to restart the talks", date(2024, 10, 24))
    assert barnea.start == date(2024, 10, 27) and "ahead" in barnea.rule
    assert statement_date("Hochstein is due to meet Netanyahu on Thursday.", date(2024, 11, 20)).start == date(
        2024, 11, 21
    )


def test_what_happened_on_a_day_is_what_the_reports_date_to_it(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask("What happened on Saturday 19 October 2024?")
    assert not answer.abstained and "holiday home" in answer.events[0].text
    assert answer.events[0].published == date(2024, 10, 22)  # told three days later, "on Saturday"
    july = assistant.ask("What happened in July 2024?")  # no report is from July; an August one says "last month"
    shukur = next(e for e in july.events if "Fouad Shukur" in e.text)
    assert (shukur.event_date, shukur.event_until) == (date(2024, 7, 1), date(2024, 7, 31))
    assert "last month" in shukur.event_date_rule
    assert assistant.ask("What happened in early September 2024?").abstained
    # a timeline of a day leaves out what its report says happened before it ("... killed in Beirut last month")
    sunday = assistant.ask("What happened between Israel and Hezbollah on Sunday 25 August 2024?")
    assert sunday.events and all(e.event_date is None for e in sunday.events)
    # ... but a question about what the reports of a period said takes their statements of whenever it happened
    leader = assistant.ask(
        "Who was Hezbollah's leader according to the August 2024 report, and who was its secretary general in the "
        "November 2024 report?"
    )
    assert any("Nasrallah" in e.text and e.published == date(2024, 8, 25) for e in leader.events)


def test_question_shapes_and_time_scopes() -> None:
    # what was made of an event "over the following week" is a development: a dated list
    assert analyze("What happened to Sinwar, and how did the US use it over the following week?").shape == "timeline"
    for asked in ("between 22 and 24 October 2024", "from 22 to 24 Oct", "22-24 October"):
        info = analyze(f"What did Blinken do {asked}?", date(2024, 11, 20))
        assert [(s.start, s.end) for s in info.time.scopes] == [(date(2024, 10, 22), date(2024, 10, 24))]
        assert info.terms == ["blinken"]  # the first day is no figure of the question
    # "from its start to November 2024": everything up to the end of November; "according to the August report"
    # is no such bound
    upto = analyze("Lay out the phases of the fighting from its start to November 2024.", date(2024, 11, 20))
    assert [(s.start, s.end) for s in upto.time.scopes] == [(OPEN_START, date(2024, 11, 30))]
    # ... also "to Israel's November strikes", and what it runs from stays a term of the question
    fire = analyze("How did it escalate from the day Hezbollah opened fire to Israel's November strikes?")
    assert [s.start for s in fire.time.scopes] == [OPEN_START] and "fire" in fire.terms
    talks = analyze("How did the war grow from its start to the ceasefire talks of November 2024?")
    assert [(s.start, s.end) for s in talks.time.scopes] == [(OPEN_START, date(2024, 11, 30))]
    # "in late October ... and a month later": both periods, the later one as vague as "a month"
    later = analyze("What was the Gaza toll in late October 2024 and what was it a month later?", date(2024, 11, 20))
    assert later.shape == "comparison"
    assert [(s.start, s.end) for s in later.time.scopes] == [
        (date(2024, 10, 21), date(2024, 10, 31)),
        (date(2024, 11, 1), date(2024, 11, 30)),
    ]
    august = analyze("How long had the war lasted, according to the August report?", date(2024, 11, 20))
    assert [(s.start, s.end) for s in august.time.scopes] == [(date(2024, 8, 1), date(2024, 8, 31))]
    casual = analyze("how many rockets made it into israel in late oct", date(2024, 11, 20))  # lower case
    assert [(s.start, s.end) for s in casual.time.scopes] == [(date(2024, 10, 21), date(2024, 10, 31))]
    assert not analyze("did they mar the record", date(2024, 11, 20)).time.scopes
    assert analyze("What were the steps of Blinken's diplomacy in late October 2024?").shape == "timeline"
    leaders = analyze("How did Hezbollah's top leadership change between June and November 2024?")
    assert (leaders.shape, leaders.answer_type) == ("timeline", "person")  # who held the post, over time
    assert analyze("How did the fighting between Israel and Hezbollah escalate, from the first fire on?").shape == (
        "timeline"
    )
    assert analyze("Which Hezbollah leaders were killed, in order?").shape == "timeline"
    assert analyze("Lay out the main phases of the fighting, as the reports describe them.").shape == "timeline"
    assert analyze("Lay out how the conflict escalated, from its first shots on.").shape == "timeline"
    displaced = analyze("How did the number of people displaced in Lebanon change?")
    assert displaced.answer_type == "number" and displaced.shape == "timeline"  # a figure over time
    assert analyze("What's the latest on Qatar's role, and how did it get there from August on?").shape == "timeline"
    assert analyze("Did Israel strike in order to push Hezbollah back?").shape == "fact"
    info = analyze("How did Hezbollah's position change from June to November 2024?", date(2024, 11, 20))
    assert info.shape == "timeline"
    assert [(s.start, s.end) for s in info.time.scopes] == [
        (date(2024, 6, 1), date(2024, 6, 30)),
        (date(2024, 11, 1), date(2024, 11, 30)),
    ]
    assert analyze("Compare the Gaza death toll in the two reports").shape == "comparison"
    assert analyze("How far back does Israel want Hezbollah pushed?").shape == "fact"
    # a period's events are a dated list; without a period "what happened" is one fact
    assert analyze("What did Israel do in Lebanon in September 2024?").shape == "timeline"
    assert analyze("What happened to the talks?").shape == "fact"
    assert analyze("What was reported about efforts to restart the talks in October 2024?").shape == "timeline"
    assert analyze("What was said about the hostages?").shape == "fact"
    # "progress", "so far", "over the past year" inside a one-figure question ask for no timeline
    assert analyze("Which US envoy said there was positive progress toward a ceasefire?").shape == "fact"
    assert analyze("What did the World Bank estimate the conflict had cost Lebanon so far?").shape == "fact"


def test_latest_prefers_the_newest_report(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask("What is the latest death toll in Gaza?")
    assert answer.text.startswith("Almost 44,000 people [")


def test_a_question_joining_a_happening_and_a_figure_gets_both(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask(
        "What did the United States do at the UN Security Council on 20 November 2024, and how many people did"
        " medics say Israeli forces killed in Gaza that day?"
    )
    assert not answer.abstained and "vetoed" in answer.text and "at least 33 people" in answer.text
    check_citations(assistant, answer)


def test_a_group_named_by_description_counts_as_named(assistant) -> None:  # noqa: ANN001
    # "The group responded by launching hundreds of drones and rockets": the sentence before names Hezbollah
    answer = assistant.ask(
        "How did Hezbollah's reported response to Israel's June 2024 killing of Taleb Sami Abdullah compare with"
        " its retaliation for Fouad Shukur's killing, reported in August?"
    )
    assert any("The group responded by launching hundreds of drones" in e.text for e in answer.events)
    check_citations(assistant, answer)


def test_a_time_counted_from_an_event_is_dated_from_the_event() -> None:
    later = analyze("Blinken met Netanyahu on Tuesday 22 October. Where was he two days later?", date(2024, 11, 20))
    assert [(s.start, s.end) for s in later.time.scopes] == [(date(2024, 10, 24), date(2024, 10, 24))]
    after = analyze("Where was Blinken speaking two days after his meeting with Netanyahu in October?")
    assert after.time.shift is not None and after.time.shift.days == 2
    assert after.time.shift.event == "his meeting with Netanyahu in October"
    assert not after.time.scopes and "netanyahu" not in after.terms  # October dates the meeting, not the answer
    before = analyze("What did Hezbollah do a week before the Paris conference?")
    assert before.time.shift is not None and before.time.shift.days == -7


def test_where_someone_was_two_days_after_an_event(assistant) -> None:  # noqa: ANN001
    answer = assistant.ask("Where was Blinken speaking two days after his Tuesday meeting with Netanyahu in October?")
    assert "Doha" in answer.text and answer.citations[0].published == date(2024, 10, 24)
    assert any("read as 24 October 2024" in note for note in answer.verification)
    check_citations(assistant, answer)


def test_a_leader_named_by_office_alone_is_found(assistant) -> None:  # noqa: ANN001
    # "Naim Qassem, Hezbollah's secretary general": the passage holds no word of "leader"
    answer = assistant.ask("Who led Hezbollah in June 2024, and who was its leader by November 2024?")
    assert "Hassan Nasrallah" in answer.text and "Naim Qassem" in answer.text
    check_citations(assistant, answer)
