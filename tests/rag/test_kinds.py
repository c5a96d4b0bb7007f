"""Which sentences hold the kind of answer a question asks for (model-free logic of rag/kinds.py)."""

from __future__ import annotations

from datetime import date

from rag.event_dates import mentioned_spans
from rag.kinds import answer_names, dates_the_thing, full_name_surnames, has_answer_type
from rag.question import analyze, answer_type, expand_shorthand
from rag.slots import holds_figure


def _typed(question: str, sentence: str, known: frozenset[str] = frozenset()) -> bool:
    info = analyze(question, date(2024, 11, 20))
    return has_answer_type(sentence, info.answer_type, info, "", known)


def test_a_name_counts_by_its_head_word_not_its_kind_word() -> None:
    sentence = "Israel has said it wants Hezbollah to be pushed back beyond the Litani River, 20 miles away."
    assert _typed("Beyond which river does Israel want Hezbollah pushed back?", sentence)
    assert _typed(
        "Who is the caretaker prime minister of Lebanon?", "Lebanon's caretaker Prime Minister Najib Mikati said so."
    )
    assert not _typed("Who met Benjamin Netanyahu?", "He met Prime Minister Benjamin Netanyahu on Tuesday.")


def test_a_person_after_an_office_is_no_place_and_a_first_word_may_be_a_name() -> None:
    where = analyze("From which Gulf capital was Blinken speaking?", date(2024, 11, 20))
    assert not _typed("From which Gulf capital was Blinken speaking?", "He met the group's leader Yahya Sinwar.")
    assert _typed("From which Gulf capital was Blinken speaking?", "Blinken said, speaking in Doha.")
    assert where.answer_type == "place"
    # "Blinken was ...": a word no English dictionary holds, or a possessive, names someone; "Trace" does not
    assert "blinken" in analyze("Blinken was on his 11th trip. Where was he two days later?").names
    assert "hezbollah" in analyze("Hezbollah's leader said what?").names
    assert analyze("Trace the talks in Cairo.").names == ["cairo"]


def test_an_outlet_or_a_place_is_no_person() -> None:
    sentence = "A delegation of Hamas leaders met in Cairo, Egypt's state-affiliated Al Qahera News TV said."
    assert not _typed("Who led the Hamas delegation in Cairo?", sentence.replace("Cairo, Egypt's", "the capital,"))


def test_a_figure_the_question_states_is_a_term_but_a_lone_digit_is_not() -> None:
    assert "16" in analyze("Where was the school hit in the strike that killed at least 16 Palestinians?").terms
    assert "7" not in analyze("What happened to the 7 hostages?").terms


def test_a_date_far_from_the_asked_event_dates_something_else() -> None:
    far = "They exchanged near-daily fire since 8 October, but the conflict ratcheted up in June after Israel"
    far += " killed him."
    assert not _typed("On exactly which day in June 2024 was he killed?", far)
    assert _typed("When was Taleb Abdullah killed?", "Israel killed Taleb Abdullah on 11 June, officials said.")
    # a sentence that does not speak of the event cannot say which date is its
    assert _typed("When was Nasrallah killed?", "Hezbollah lost Hassan Nasrallah in a Sept. 27 airstrike.")


def test_a_day_before_a_thing_the_question_names_dates_that_thing() -> None:
    election = analyze("On what date was the US presidential election?", date(2024, 11, 20))
    assert dates_the_thing("before the Nov. 5 election between Harris and Trump", election)
    strike = analyze("When did the airstrike that killed Nasrallah take place?", date(2024, 11, 20))
    assert dates_the_thing("Hezbollah lost Hassan Nasrallah in a Sept. 27 airstrike.", strike)
    assert not dates_the_thing("In a speech on Thursday, Hezbollah's leader spoke of an airstrike.", strike)
    talks = analyze("On what day did the Cairo talks get underway?", date(2024, 11, 20))
    assert dates_the_thing("The official called the recent talks, which began Thursday in Cairo", talks)
    plans = analyze("On what date did Israel say it had plans against Hezbollah?", date(2024, 11, 20))
    assert not dates_the_thing("In a speech on Thursday, Hezbollah leader Hassan Nasrallah said", plans)


def test_a_quoted_word_or_phrase_is_looked_for_verbatim() -> None:
    assert analyze("Who called the resolution 'cynically' designed?").quoted == ["cynically"]
    assert analyze("Who said 'no sane person' would agree?").quoted == ["no sane person"]
    assert analyze("What did he call 'it'?").quoted == []


def test_a_month_or_a_weekday_is_no_name() -> None:
    sentence = "The conflict ratcheted up in June after Israel killed Taleb Sami Abdullah, a senior member, on Sunday."
    assert not _typed("Who did Hezbollah appoint to replace Taleb Sami Abdullah after Israel killed him?", sentence)
    assert not _typed("Where did Israel kill Taleb Sami Abdullah?", sentence)


def test_an_office_named_with_its_qualifier_needs_its_holder_beside_it() -> None:
    unnamed = (
        "Blinken, who held talks with Qatar's prime minister, has been on his first trip to the region since Israel"
        " killed Hamas leader Yahya Sinwar."
    )
    assert not _typed("What is the name of the Qatari prime minister Blinken held talks with?", unnamed)
    # another person joined to the office by "and" is not its holder
    joined = "Barnea will meet with CIA director William Burns and Qatar's prime minister."
    assert not _typed("What is the name of the Qatari prime minister Barnea will meet?", joined)
    assert _typed("Which US envoy said there was progress?", "The US envoy Amos Hochstein said on Tuesday.")
    named = "In a speech, Naim Qassem, Hezbollah's secretary general, said the group would fight on."
    assert _typed("Who is Hezbollah's secretary general?", named)
    # an office without the question's qualifier is another one: the names elsewhere still count
    other = "Israel killed several leaders of Hamas and Hezbollah, which lost Hassan Nasrallah in a Sept. 27 strike."
    assert _typed("Which Hezbollah leader was killed in late September?", other)


def test_a_name_is_read_without_its_title_and_a_quote_holds_no_office_holder() -> None:
    question = analyze("Which US defense secretary warned of a regional war?", date(2024, 11, 20))
    said = '"It could become a regional war for the Middle East," US Defence Secretary Lloyd Austin said.'
    assert answer_names(said, "person", question) == ["Lloyd Austin"]
    where = analyze("Where did the two ministers meet?", date(2024, 11, 20))
    assert answer_names("State Department spokesman Matthew Miller said they met at the Pentagon.", "place", where) == [
        "Pentagon"
    ]


def test_an_organisation_before_an_office_or_a_nationality_is_no_place() -> None:
    where = analyze("Where in Gaza was Yahya Sinwar killed?", date(2024, 11, 20))
    sentence = "The death of Hamas leader Yahya Sinwar, who planned the assault from Gaza on Israeli territory, helps."
    assert answer_names(sentence, "place", where) == []
    backed = "Blinken spoke a month into Israel's onslaught against the Iranian-backed Lebanese group Hezbollah."
    assert "Iranian-backed Lebanese" not in answer_names(backed, "place", where)
    yater = "An Israeli strike killed three Lebanese soldiers in the border village of Yater, the Lebanese army said."
    assert answer_names(yater, "place", where) == ["Yater"]
    assert answer_names("Hezbollah said it could strike the Mediterranean.", "place", where) == ["Mediterranean"]
    # nor is whoever was killed or spoke
    killed = "Hezbollah's leader, Hassan Nasrallah, said the killing of Fouad Shukur in Beirut would be avenged."
    assert answer_names(killed, "place", where) == ["Beirut"]
    # a surname of someone the passages name in full is no place
    government = "Allies see it as a breakthrough for Netanyahu’s government, said a source in Sabra."
    assert answer_names(government, "place", where, surnames=frozenset({"Netanyahu"})) == ["Sabra"]


def test_a_region_is_no_person_and_running_a_group_is_leading_it() -> None:
    asked = analyze("Which Israeli minister did Lloyd Austin meet?", date(2024, 11, 20))
    quote = '"It could become a regional war for the Middle East," US Defence Secretary Lloyd Austin said.'
    assert answer_names(quote, "person", asked) == []
    assert "leader" in analyze("who's running hezbollah now?").terms
    assert "run" in analyze("how long has hezbollah been running lebanese politics").terms
    # a pronoun stands for someone already named: no word the evidence must hold
    assert "he" not in analyze("Where was Blinken two days later, and what was he saying about Lebanon?").terms


def test_a_leading_by_the_time_clause_names_no_subject_of_the_figure() -> None:
    asked = analyze("By the time of Blinken's Doha remarks, how long ago had Israel's ground operation started?")
    assert asked.clause_names == ["israel"] and "blinken" in asked.names


def test_an_unnamed_source_answers_who() -> None:
    sentence = "Almost 44,000 people have been killed in Gaza, according to the health ministry in Gaza."
    assert _typed("Who is the source of the figure of almost 44,000 killed in Gaza?", sentence)


def test_a_sentence_may_open_with_the_name_asked_for_when_it_is_a_known_name() -> None:
    sentence = "Qatar announced earlier this month that it was quitting its mediation role."
    question = "Which country announced it was stepping away from mediating between Israel and Hamas?"
    assert not _typed(question, sentence)
    assert _typed(question, sentence, frozenset({"Qatar"}))
    assert not _typed(question, "However, the talks went on.", frozenset({"Qatar"}))


def test_parts_of_months_and_times_of_day_are_dates() -> None:
    assert _typed("When did the air campaign start?", "Fighting went on until late September, when it began.")
    assert _typed("At what time of day did the attack come?", "Hezbollah attacked early in the morning.")


def test_a_question_asking_what_date_or_day_wants_a_day_not_a_part_of_a_month() -> None:
    vague = "Qatar announced earlier this month that it was quitting its mediation role."
    assert _typed("When did Qatar announce it was quitting its mediation role?", vague)
    assert not _typed("On what date did Qatar announce it was quitting its mediation role?", vague)
    assert _typed("On what day did the talks begin?", "The talks, which began Thursday in Cairo, ended Sunday.")


def test_one_of_counts_nothing() -> None:
    info = analyze("How many people in Israel were killed by the barrage?")
    assert not holds_figure("It fired rockets to avenge the killing of one of its top commanders in Israel.", info)
    assert holds_figure("Two people were killed in Israel by the barrage.", info)


def test_shorthand_and_question_words() -> None:
    assert expand_shorthand("hows many ppl got killed") == "how many people got killed"
    assert analyze("hows many ppl got killed").answer_type == "number"
    assert answer_type("What did Mossad chief David Barnea agree?") == "open"
    assert answer_type("Which Israeli military chief said it?") == "person"
    assert not analyze("Which spokesman said a diplomatic outcome was preferred?").outcome
    assert analyze("What was the outcome of the talks?").outcome
    # who a named person is asks for what they are, not for another name; an office asks for its holder
    assert answer_type("Who is Amos Hochstein?") == "open"
    assert answer_type("who was yahya sinwar exactly, like what was his role") == "open"
    assert answer_type("who is hezbollahs leader") == "person"
    assert answer_type("Who is the mossad chief?") == "person"


def test_a_month_soon_after_a_report_may_be_ahead_of_it() -> None:
    spans = mentioned_spans("the Nov. 5 election", date(2024, 10, 22), 11)
    assert (date(2024, 11, 5), date(2024, 11, 5)) in spans and (date(2023, 11, 5), date(2023, 11, 5)) in spans
    assert mentioned_spans("in June", date(2024, 10, 22), 6) == ((date(2024, 6, 1), date(2024, 6, 30)),)


def test_a_role_only_a_person_holds_needs_a_person() -> None:
    commander = analyze("Who was the Hezbollah commander killed in Beirut?")
    assert commander.wants_person and not analyze("Which group claimed the attack?").wants_person
    country = "Israel launched strikes across southern Lebanon, as the militant group avenged one of its commanders."
    assert not has_answer_type(country, "person", commander)
    assert has_answer_type("Israel killed Fouad Shukur in Beirut last month.", "person", commander)
    # a surname alone is a person when the candidates name that person in full elsewhere
    surnames = full_name_surnames(["US envoy Amos Hochstein arrived.", "Iran-backed Hezbollah fired rockets."])
    assert surnames == frozenset({"Hochstein"})
    assert has_answer_type("Talks went on, Hochstein said.", "person", commander, surnames=surnames)
    assert not has_answer_type("Talks went on, Hezbollah said.", "person", commander, surnames=surnames)


def test_a_time_frame_is_a_duration() -> None:
    info = analyze("Within what time frame did Israel plan to pause fighting in Gaza?")
    assert (info.answer_type, info.unit) == ("number", "duration")
    assert holds_figure("Israel plans to pause wide-scale fighting in Gaza in the next five weeks.", info)


def test_the_thing_a_which_question_asks_to_identify() -> None:
    assert analyze("What specific new conditions did Israel put forward in Cairo?").asked_thing == "condit"
    assert analyze("Which five military bases in Haifa did Hezbollah attack?").asked_thing == "base"
    assert analyze("What did the US veto at the UN?").asked_thing == ""
    assert analyze("What exactly were the new conditions that Hamas rejected?").asked_thing == "condit"
    assert analyze("What precisely did Hochstein warn?").asked_thing == ""
    assert analyze("What kind of government does Netanyahu run?").asked_thing == ""


def test_a_sentence_that_names_the_asked_thing_only_in_the_question_words_echoes_it() -> None:
    from rag.abstain import echoes

    q = analyze("Which five military bases in Haifa did Hezbollah attack?")
    assert echoes("Hezbollah launched missiles at Tel Aviv and attacked five military bases in Haifa.", q)
    assert not echoes("Hezbollah attacked five bases in Haifa, including the Stella Maris naval base.", q)
    assert not echoes("Hezbollah fired rockets at Haifa.", q)  # not mentioned: another check's business
