"""What a question asks for: the kind of answer, its key terms, and whether it leans on the conversation."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import date
from typing import Literal

from pydantic import BaseModel

from index.lexical import is_english, stem, tokenize
from rag.dates import TimeReference, find_time_references, strip_spans

AnswerType = Literal["number", "date", "person", "place", "open"]

_PLACES = (
    r"(city|cities|town|village|country|countries|place|area|region|camp|river|capital|border|building|hospital"
    r"|school|site|base|facility|street|suburb|province|territory|state|nation)s?"
)
# Offices only a person holds: "which Lebanese politician", "who was the Hezbollah commander", "Hamas leader X".
OFFICES = (
    r"official|leader|minister|envoy|president|spokes(man|woman|person)|commander|chief|general|secretary|diplomat"
    r"|negotiator|mediator|politician|speaker|lawmaker|ambassador|director|premier|mayor|governor|king|prince"
)
ROLES = rf"({OFFICES}|man|woman|person)s?"
_PERSON_ROLE = re.compile(
    rf"\b(which|what) ([\w’'-]+ ){{0,2}}{ROLES}\b"
    rf"|\b(who (is|was|are|were)|names? of) (the |a |an )?([\w’'-]+ ){{0,3}}{ROLES}\b"
    # "who led Hezbollah", "who's running it now": the one holding a post, a person
    r"|\bwho(?:'s| is| was| has been)?\s+(?:\w+\s+)?(led|leads|leading|heads|headed|heading|runs|ran|running"
    r"|commands|commanded)\b"
    r"|\bwhose (killing|death|assassination|murder|funeral)\b",  # a person died, not a country
    re.I,
)
_ROLE = re.compile(rf"\b{ROLES}\b", re.I)


def person_role(question: str) -> str:
    """The office a "which <role>" / "who is the <role>" / "name of the <role>" question opens with, with the
    word before it: "which US envoy" -> "us envoy". Not a later clause's ("ahead of which diplomats said")."""
    m = _PERSON_ROLE.search(question)
    first = re.search(r"\b(who|which|what)\b", question, re.I)
    if not m or not first or (m.start() > first.start() and re.match(r"(who|which|what)\b", m.group(0), re.I)):
        return ""
    words = re.findall(r"[\w’'-]+", m.group(0).lower())
    at = max((i for i, w in enumerate(words) if _ROLE.fullmatch(w)), default=0)
    if at == 0 or words[at - 1] in ("the", "a", "an", "which", "what", "of", "is", "was", "are", "were"):
        return ""  # an office with no qualifier ("who was the commander"): any mention of it may be another's
    return f"{words[at - 1]} {re.sub(r's$', '', words[at])}"


def asked_office(question: str) -> str:
    """The office a person question asks about, with or without a qualifier ("which commander" -> "commander")."""
    m = _PERSON_ROLE.search(question)
    words = re.findall(r"[\w’'-]+", m.group(0).lower()) if m else []
    return next((re.sub(r"s$", "", w) for w in reversed(words) if _ROLE.fullmatch(w)), "")


_WANTS_NAME = re.compile(r"\b(what|which) (is|was|are|were) the names? of\b|\bname (the|of)\b", re.I)
_TYPE_PATTERNS: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        "number",
        re.compile(
            r"\bhow (many|much|far|long|old|big|large|often)\b|\b(what|which) (time ?frame|timescale)\b"
            # "how did the number of people displaced change": a figure, over time
            r"|\bhow (did|has|have|had) the (death |reported )?(number|toll|figure|count|tally|total)\b"
            r"|\b(what|which) (number|percentage|share|proportion|figure|amount|sum|toll|count|total|tally)\b"
            r"|\b(death toll|vote count)\b|\b(population|casualty|casualties|death|fatality|displacement|funding|aid"
            r"|budget|economic|cost|damage|turnout|refugee|troop)\s+(figures?|estimates?|numbers?|tally|count)\b"
            r"|\bwhat\b.{0,60}\b(cost|costs|price|worth|spend|spent)\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"^\W*(so |and |but |ok |okay )?when\b|\bwhen (did|was|were|is|are|will|had|has|do|does)\b"
            r"|\b(what|which) ((exact|precise|specific) )?(date|day|month|year|time)\b",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\b(what|which) (is|was|are|were) the (number|figure|total|population|size|toll|death toll|count|tally"
            r"|amount|sum|cost)\b",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(rf"\b(what|which) (is|was|are|were) the names? of (the |a )?([\w’'-]+ ){{0,3}}{_PLACES}\b", re.I),
    ),
    ("person", re.compile(r"\b(what|which) (is|was|are|were) the names? of\b", re.I)),
    (
        "person",
        re.compile(
            r"\bwho(m|se)?\b|\b(which|what) ((?!(?:did|does|do|is|was|were|are|has|have|had|will|would|could|can)\b)"
            rf"[\w’'-]+ ){{0,2}}({OFFICES}|man|woman|person|head|group|organi[sz]ation|militant|figure)s?\b"
            # "how did Hezbollah's top leadership change": who held the post, over time
            r"|\bhow (did|has|have|had) [\w’' -]{0,40}\b(leadership|leaders?|chiefs?|heads?)\s+(change|shift|evolve)",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            r"\bwhere\b|\b(which|what) ((?!(?:did|does|do|is|was|were|are|has|have|had)\b)[\w’'-]+ )?"
            r"(city|cities|town|village|country|countries|place|area|region|camp"
            r"|river|capital|border|building|hospital|school|site|base|facility|street|suburb|province|territory|state"
            r"|nation)s?\b",
            re.I,
        ),
    ),
]

# Words that say how to answer rather than what about; they need not appear in the evidence.
_FRAME_WORDS = set(
    tokenize(
        [
            "what which who whom whose when where why how many much did does do is are was were has have had "
            "say said says according report reported reports article articles story stories news coverage "
            "tell told mention put outline arrange them him me you he she they we "
            "mentioned describe described give given exactly specific specifically ultimately eventually actually "
            "the a an of in on at to for from by with about as and or so any some there their its his her "
            "date day number figure name kind type happen happened change changed evolve evolved compare compared "
            "comparison differ difference between over time per latest recent most newest current now ago"
        ]
    )[0]
)

_FOLLOW_UP = re.compile(
    r"^(and|also|but|what about|how about|and what|so)\b|\b(he|she|they|them|him|her|his|their|its|it|that|this"
    r"|those|these|there|then)\b",
    re.I,
)


# Chat shorthand, expanded before anything else looks at the question.
SHORTHAND = {
    "wat": "what",
    "wot": "what",
    "wut": "what",
    "whats": "what is",
    "wats": "what is",
    "thats": "that is",
    "didnt": "did not",
    "doesnt": "does not",
    "dont": "do not",
    "isnt": "is not",
    "wasnt": "was not",
    "whos": "who is",
    "wheres": "where is",
    "hows": "how is",
    "ppl": "people",
    "hw": "how",
    "b4": "before",
    "u": "you",
    "r": "are",
    "ur": "your",
    "abt": "about",
    "govt": "government",
    "thru": "through",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "w/": "with",
    "w/o": "without",
    "yr": "year",
    "yrs": "years",
    "mil": "million",
    "k": "thousand",
    "pls": "please",
    "plz": "please",
    "tho": "though",
    "idk": "i do not know",
    "rn": "right now",
    "atm": "at the moment",
}
_WORDISH = re.compile(r"[\w/']+")


_QUOTED = re.compile(r"[‘'\"“]([^‘’'\"“”]{3,120})[’'\"”]")


# Words news uses interchangeably; a question term counts as present when any of its group is.
_EQUIVALENT_WORDS = [
    "death deaths dead died die dies killed kill killing killings toll fatalities casualties",
    "injured injuries wounded wounding hurt",
    "displaced displacement fled flee evacuated evacuation uprooted",
    "ceasefire truce cease-fire",
    "talks negotiations negotiating negotiate",
    "money cost costs funds funding aid raised",
    "leader leaders leadership lead leads led leading chief head heads headed",
    "army military troops forces soldiers",
    "attack attacks strike strikes airstrike airstrikes bombardment",
    "children child kids kid minors",
    "hostages hostage captives abducted abduction kidnapped",
    "war wars fighting conflict hostilities",
    "avenge avenging revenge retaliation retaliate retaliated retaliating reprisal",
    # a country and its people: "the Lebanese death toll" is Lebanon's
    "lebanon lebanese",
    "israel israeli israelis",
    "palestine palestinian palestinians",
    "egypt egyptian egyptians",
    "qatar qatari qataris",
    "iran iranian iranians",
    "syria syrian syrians",
    "france french",
    "britain british",
    "russia russian russians",
    "turkey turkish",
    "jordan jordanian jordanians",
    # American and British spellings ("defense secretary" / "Defence Secretary")
    "defense defence",
    "center centre",
    "organization organisation",
    # irregular verbs, whose past forms no stemmer joins to the present ("met" / "meet")
    "meet met meeting meetings",
    "hold held holding",
    "begin began begun beginning start started starting",
    "end ended ending finish finished conclude concluded conclusion",
    "fight fought",
    "strike struck",
    "take took taken",
    "give gave given",
    "send sent",
    "leave left",
    "win won",
    "lose lost",
    "shoot shot",
    "fly flew flown",
    "seek sought",
    "bring brought",
    "think thought",
    "find found",
    "keep kept",
    "build built",
    "spend spent",
    "rise rose risen",
    "fall fell fallen",
    "break broke broken",
    "choose chose chosen",
    "speak spoke spoken",
    "write wrote written",
    "go went gone",
    "come came",
    "see saw seen",
    "know knew known",
    "grow grew grown",
    "draw drew drawn",
    "throw threw thrown",
    "withdraw withdrew withdrawn",
    "stand stood",
    "pay paid",
    "sell sold",
    "run ran",
    "become became",
    "bear bore born",
    "hide hid hidden",
    "wake woke woken",
    "catch caught",
    "teach taught",
    "buy bought",
    "overtake overtook overtaken",
    "forbid forbade forbidden",
]
# What happens to the people a generic count asks about ("how many people were wounded").
HAPPENED = set(tokenize([" ".join(_EQUIVALENT_WORDS[:3]) + " abducted kidnapped captured arrested detained"])[0])
# Offices of two words that name a group's leader: a sentence holding one speaks of its "leader"
# ("Naim Qassem, Hezbollah's secretary general" answers "who leads Hezbollah"; "secretary" alone is a minister)
_LEADER_OFFICE = re.compile(r"\bsecretary[\s-]+general\b", re.I)
LEADER_TOKEN = tokenize(["leader"])[0][0]


def office_tokens(text: str) -> frozenset[str]:
    """Tokens a sentence holds by naming an office in two words ("secretary general" -> leader)."""
    return frozenset({LEADER_TOKEN}) if _LEADER_OFFICE.search(text) else frozenset()


EQUIVALENTS: dict[str, set[str]] = {}
for _group in _EQUIVALENT_WORDS:
    _stems = set(tokenize([_group])[0]) - {""}
    for _word in _stems:
        EQUIVALENTS.setdefault(_word, set()).update(_stems)


def with_equivalents(terms: Iterable[str]) -> set[str]:
    """The terms and every word that stands for one of them ("died" -> "killed", "death", ...)."""
    found = set(terms)
    return found.union(*(EQUIVALENTS.get(t, set()) for t in found))


class QuestionInfo(BaseModel):
    text: str  # as asked, shorthand expanded
    answer_type: AnswerType
    terms: list[str]  # stemmed content terms, frame words and dates removed, in order, unique
    numbers: list[str]  # numbers written in the question (an answer must bring a new one)
    time: TimeReference
    quoted: list[str] = []  # phrases the question quotes ('no sane person'): the evidence should hold them
    why: bool = False  # a why/how question, whose answer often runs into the next sentence
    shape: Literal["fact", "timeline", "comparison"] = "fact"  # what the answer should look like
    # What a "how many X" question counts: the figure must stand before X; "~kill": what happened to them, the
    # event word nearest the figure (alone for "how many people were killed", after X for "soldiers were killed").
    focus: list[str] = []
    unit: str | None = None  # money / distance / duration: the figure must come in that unit
    exact: bool = False  # "exactly how many": "hundreds" does not answer it
    total: bool = False  # "how many in total": a running count answers it, not one strike's toll
    outcome: bool = False  # asks what came of something ("what did they agree", "was it signed")
    wants_name: bool = False  # "what is the name of ...": only a name in full answers it
    wants_person: bool = False  # "which official", "who was the commander": a person, not a group or a country
    asked_thing: str = ""  # the stemmed noun of a "which/what <noun>" phrase: "what new conditions did" -> condit
    role: str = ""  # the office a person question asks about, with its qualifier ("which US envoy" -> "us envoy")
    names: list[str] = []  # places, people, groups the question names (lower case), attributions left out
    # publishers the question names ("the 24 October Reuters report"): which report, not words its text must hold
    sources: list[str] = []
    # the names of the clause that asks for the typed answer: "What did the US do at the UN, and how many people
    # did medics say were killed in Gaza?" -> gaza; a figure sentence need not name the UN
    clause_names: list[str] = []
    mixed: bool = False  # joins asks of different kinds: a timeline lists more than the statements of one kind
    by_report: bool = False  # its periods are of reports ("in the August report"): when told, not when it happened

    @property
    def about_period(self) -> bool:
        """Asks only what happened in a period ("What happened on Saturday 19 October 2024?"): no topic words."""
        return not self.terms and bool(self.time.scopes)


_OF_REPORTS = re.compile(r"\b(reports?|articles?|stor(y|ies)|coverage|reporting)\b", re.I)
_TIMELINE = re.compile(
    r"\b(chang(e|ed|es|ing)|evolv(e|ed|ing)|develop(ed|ing)?|shift(ed)?|over time|timeline|chronolog\w*"
    r"|in what order|sequence|progressed|trajectory|since (then|june|july|august|september|october)"
    r"|trace|across the (articles|reports|stories)|(main|key|successive) (steps|events|moments)"
    r"|(what|which) (were|are) the (steps|moves|milestones)|the steps (of|in|taken)"
    r"|phases|stages|milestones|walk me through|step by step"
    r"|(over|in|during) the (following|next|coming|subsequent) (days|week|weeks|month|months)"
    r"|from (june|july|august|september|october|november|\w+ \d{4}) on(wards)?"
    r"|how did (it|things|we|they) (get|come) (there|here|to this)"
    r"|how (did|has|have|had) .{1,80}\b(escalat\w*|unfold\w*|intensif\w*|worsen\w*|progress\w*)"
    r"|how (the|a|an|its|their) [\w\s’'-]{1,60}\b(escalated|unfolded|intensified|worsened|progressed|evolved|developed)"
    r"|in (chronological )?order(?! to))\b",
    re.I,
)
_COMPARISON = re.compile(
    r"\b(compar(e|ed|ison)|differ(ed|ence|ent)?|versus|vs\.?|than (in|on|at|the)|both|each report|the two reports"
    r"|contrast|the \w+ reports|according to the \w+ (reports|articles))\b",
    re.I,
)


# "What happened in June 2024?", "what did Israel do in Lebanon in September?": a period's events, not one fact.
_HAPPENINGS = re.compile(
    r"\bwhat (else )?(happened|took place|went on|occurred|events|developments)\b"
    r"|\bwhat (did|has|have|had) .{1,40}\b(do|done)\b"
    r"|\bwhat (was|were|is|has been|had been) (reported|said|written)\b"
    r"|\bwhat did (the )?(reports?|articles?|coverage|stories|story|press|media) (say|report)\b",
    re.I,
)


def answer_shape(question: str, time: TimeReference) -> Literal["fact", "timeline", "comparison"]:
    """A change over time, a sequence or a period's events want a dated list; two periods or reports side by
    side, a comparison."""
    if _TIMELINE.search(question) or (time.scopes and _HAPPENINGS.search(question)):
        return "timeline"
    if _COMPARISON.search(question) or len(time.scopes) >= 2:
        return "comparison"
    return "fact"


_HOWS = re.compile(r"\bhows (many|much|far|long|old|often)\b", re.I)  # "hows many ppl": how many, not how is


def expand_shorthand(question: str) -> str:
    question = _HOWS.sub(lambda m: f"how {m.group(1)}", question)
    return _WORDISH.sub(lambda m: SHORTHAND.get(m.group(0).lower(), m.group(0)), question)


def answer_type(question: str) -> AnswerType:
    """The kind of answer the question's leading wh-phrase asks for ("which official ... when he went" is
    a person question: the earliest match wins, ties go to the order of _TYPE_PATTERNS)."""
    if _names_a_person(question):
        return "open"
    found = [(m.start(), i, kind) for i, (kind, p) in enumerate(_TYPE_PATTERNS) if (m := p.search(question))]
    return min(found)[2] if found else "open"


# "who's amos hochstein exactly, like whats his job?": who a named person is (his office), not another name
_WHO_IS = re.compile(
    r"^\s*who(?:’s|'s| is| was)\s+(?P<name>[\w’'-]+(?:\s+(?!exactly|really|again)[\w’'-]+){0,2})"
    r"\s*(?:[?,.!]|$|\s+(?:exactly|really|again)\b)",
    re.I,
)


def _names_a_person(question: str) -> bool:
    """Does the question ask who a person it names is: "who is" and one to three words, each a name
    (capitalised, or no English word) and no office ("who is hezbollahs leader" asks for a name)?"""
    m = _WHO_IS.match(question)
    if not m:
        return False
    words = m.group("name").split()
    return not _ROLE.search(m.group("name")) and all(
        w[0].isupper() or not is_english(re.sub(r"[’']s$", "", w.lower())) for w in words
    )


_HOW_MANY = re.compile(r"\bhow many\s+(?P<rest>[\w’'\-/ ]+)", re.I)
# Where the counted noun phrase ends: a verb, an auxiliary, a preposition or a determiner.
_PHRASE_END = set(
    [
        "were",
        "was",
        "did",
        "do",
        "does",
        "have",
        "has",
        "had",
        "are",
        "is",
        "would",
        "will",
        "could",
        "can",
        "should",
        "might",
        "may",
        "must",
        "remain",
        "remained",
        "in",
        "on",
        "at",
        "of",
        "for",
        "from",
        "by",
        "with",
        "to",
        "during",
        "since",
        "before",
        "after",
        "among",
        "than",
        "that",
        "who",
        "which",
        "according",
        "the",
        "a",
        "an",
        "been",
        "being",
        "get",
        "got",
        "killed",
        "died",
    ]
)
# Counted nouns that say nothing about what was counted; the figure need not stand next to them.
IRREGULAR_PLURALS = {"people", "ppl", "children", "men", "women", "police", "personnel", "staff", "militia"}
GENERIC_COUNT = {"people", "ppl", "persons", "person", "individuals", "lives"}
_UNITS = {
    "money": re.compile(
        r"\bhow much (money|aid|funding|funds|cash)\b|\bhow much\b.{0,60}\b(raise|raised|cost|costs|"
        r"pay|paid|spend|spent|worth|fund|funded|pledge|pledged|donate|donated)\b|\bwhat\b.{0,40}"
        r"\b(sum|amount) of money\b",
        re.I,
    ),
    "distance": re.compile(r"\bhow (far|close)\b|\b(what|which) distance\b", re.I),
    "duration": re.compile(
        r"\bhow long\b|\bfor how many (days|weeks|months|years|hours)\b|\b(time ?frame|timescale)\b",
        re.I,
    ),
}
_TOTAL = re.compile(
    r"\b(in total|total number|altogether|all told|cumulative(ly)?|so far|to date"
    r"|since the (war|conflict|fighting) (began|started|erupted|broke out)|since the (start|beginning) of)\b",
    re.I,
)
_EXACT = re.compile(r"\b(exact(ly)?|precise(ly)?|specific (number|figure|count|total))\b", re.I)
# The question asks what came of something: its outcome, not its plan.
_OUTCOME = re.compile(
    r"\b(outcome|result(ed)?|ultimately|eventually|in the end|end(ed)? up|what did .{1,80}\bagree"
    r"|what (came|comes|has come|will come) (out )?of"
    r"|\b(produce|produced|yield|yielded|achieve|achieved|end with|ended with)\b"
    r"|(was|were) .{1,60}\b(signed|agreed|approved|reached|concluded|implemented)\b)",
    re.I,
)


# "how many of the 3,544 people killed in Lebanon were children?": a part of a total the question states
_PART_OF_TOTAL = re.compile(
    r"\bhow many of (?:the|those|these) [\d,.]+\b[^?]*?\b(?:were|are)\s+(?:\w+\s+)?"
    r"(?P<noun>\w{3,}[^s\W]s|children|women|men)\b",
    re.I,
)
EVENT_MARK = "~"  # marks a focus that is what happened ("killed"), not what was counted ("soldiers")


def counted_focus(question: str) -> list[str]:
    """Stemmed words a "how many X" question counts: the plural nouns after "how many" ("how many Hamas
    fighters" -> fighter, "rockets and drones" -> rocket, drone). When X is generic ("how many people were
    wounded") the figure must stand by what happened to them instead: the verb that follows."""
    part = _PART_OF_TOTAL.search(question)
    if part:  # "how many of the 3,544 people killed were children": children are counted
        return [t for t in tokenize([part.group("noun")])[0] if t]
    m = _HOW_MANY.search(question)
    if not m:  # "what is the death toll", "the number displaced": the figure goes with that event
        event = next((t for t in tokenize([question])[0] if t in HAPPENED), None)
        return [EVENT_MARK + event] if event and answer_type(question) == "number" else []
    rest = m.group("rest").replace("/", " and ")  # "rockets/projectiles": either
    words = re.sub(r"^(of (the|those|these|its|their) )", "", rest.strip(), flags=re.I).split()[:8]
    heads: list[str] = []
    rest: list[str] = []
    for i, word in enumerate(words):
        low = word.lower()
        plural = low in IRREGULAR_PLURALS or (len(low) > 3 and low.endswith("s") and not low.endswith("ss"))
        if low in _PHRASE_END or (heads and not plural and low != "and") or (i >= 4 and not heads):
            rest = words[i:]
            break
        if plural:
            if heads and words[i - 1].lower() != "and":
                heads.pop()  # "Hamas fighters": the last plural of the phrase is the noun
            heads.append(low)
    if not heads:
        return []
    # "were wounded" after the noun, else "injured people" before it
    verbs = [w.lower() for w in rest[:8] + words[: len(words) - len(rest)] if stem(w.lower()) in HAPPENED]
    event = [EVENT_MARK + stem(verbs[0])] if verbs else []
    if set(heads) & GENERIC_COUNT:
        return event
    # "how many soldiers were wounded": soldiers counted, and the count must be of the wounded, not the killed
    return [t for t in tokenize([" ".join(heads)])[0] if t] + event


_CAPITALISED = re.compile(r"(?<!^)(?<![.?!] )\b([A-Z][\w’'.\-]*[\w])")
_ATTRIBUTION = re.compile(r"\b(according to|said|says|reported by|in the) [^,?]*", re.I)
_SPEAKER = re.compile(r"\b[A-Z][\w’'.\-]* (say|said|says|tell|told|claim|claimed|estimate|estimated)\b")
_NOT_NAMES = {"i", "us", "un", "u.n", "ok", "exactly", "about", "approximately", "roughly"}


def named(question: str) -> list[str]:
    """Capitalised words of the question: what it is about (Gaza, Israeli, Hezbollah), not who says it
    ("according to the World Bank"); the first word only where it is no English word or is possessive
    ("Blinken was ...", "Hezbollah's leader ...", not "Trace ...")."""
    text = _SPEAKER.sub(" ", _ATTRIBUTION.sub(" ", question.strip()))
    words = [re.sub(r"[’']s$", "", w.lower()) for w in _CAPITALISED.findall(text)]
    first = _FIRST_NAME.match(text)
    word = first.group(1).lower() if first else ""
    if word and word not in _FRAME_WORDS and (first.group(2) or not is_english(word)):
        words.insert(0, word)
    return list(dict.fromkeys(w for w in words if w not in _NOT_NAMES and w not in _FRAME_WORDS))


_FIRST_NAME = re.compile(r"\s*([A-Z][a-z][\w-]*)([’']s)?\b")


def answer_unit(question: str) -> str | None:
    """'money', 'distance' or 'duration' when the question wants a quantity in that unit."""
    return next((unit for unit, pattern in _UNITS.items() if pattern.search(question)), None)


# "what specific new conditions did ...", "which five military bases in Haifa ...", "what was the target of ..."
_WH_NOUN = re.compile(
    r"\b(?:what|which)\s+(?:(?:exactly|precisely|specifically)\s+)?(?:(?:is|was|are|were)\s+the\s+)?"
    r"(?!(?:did|does|do|is|was|were|are|has|have|had|exactly|precisely|specifically)\b)"
    r"(?P<phrase>(?:[\w’'-]+\s+){0,3}?[\w’'-]+?)"
    r"\s+(?:did|does|do|is|was|were|are|has|have|had|will|would|could|can|in|of|on|at|for|from|by|with|that)\b",
    re.I,
)
# "what were the new conditions Israel put forward": the thing, then the clause's subject by name
_WH_THE_NOUN = re.compile(
    r"\b(?:[Ww]hat|[Ww]hich)\s+(?:is|was|are|were)\s+the\s+(?P<phrase>(?:[a-z][\w’'-]*\s+){0,2}?[a-z][\w’'-]*)"
    r"\s+(?=[A-Z][a-z])"
)
_NOT_THINGS = {"kind", "type", "sort", "happen", "happened", "time", "way", "role", "reason", "extent"}
_NOT_THINGS |= {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several", "many", "few"}


def asked_thing(question: str) -> str:
    """The stemmed noun a "which/what <noun>" question asks to be identified, or "" if there is none."""
    m = _WH_NOUN.search(question) or _WH_THE_NOUN.search(question)
    if not m:
        return ""
    word = m.group("phrase").split()[-1].lower()
    if word in _NOT_THINGS or word in _FRAME_WORDS:
        return ""
    return stem(word)


def named_sources(question: str, publishers: Collection[str]) -> list[str]:
    """The publishers of indexed articles that the question names."""
    lowered = question.lower()
    return [p for p in publishers if p.lower() in lowered and re.search(rf"\b{re.escape(p)}\b", question, re.I)]


_NEXT_CLAUSE = re.compile(r"[,;]?\s+(?:and|but)\s+(?=(?:what|how|which|who|whom|where|when)\b)", re.I)


_LEADING_CLAUSE = re.compile(
    r"^\s*(?:by|at|around) the time (?:of|that|when)\b[^,?]{3,80},\s+(?=(?:what|which|who|whom|when|where|why|how)\b)",
    re.I,
)


def _clauses(undated: str, kind: AnswerType, names: list[str]) -> tuple[list[str], bool]:
    """Where the question joins two asks: the names of the clause whose wh-phrase sets the answer type, and
    whether an ask of another kind comes first ("What did the US do ..., and how many ..."; not "What is the
    latest toll, and how does it compare ...", whose second ask is about the first's figure)."""
    # "By the time of Blinken's Doha remarks, how long ago ...": a leading clause only says when
    lead = _LEADING_CLAUSE.match(undated)
    if lead:
        names = [n for n in named(undated[lead.end() :]) if n in names]
        undated = undated[lead.end() :]
    clauses = _NEXT_CLAUSE.split(undated)
    asking = next((c for c in clauses if answer_type(c) == kind), None)
    if len(clauses) < 2 or asking is None:
        return names, False
    return [n for n in named(asking) if n in names], answer_type(clauses[0]) != kind


_WHO_RUNS = re.compile(r"\bwho(?:'s| is| was| has been)?\s+(?:\w+\s+)?(runs|ran|running)\b", re.I)
_RUN_TOKEN = stem("running")


def analyze(question: str, reference: date | None = None, publishers: Collection[str] = ()) -> QuestionInfo:
    """The question's answer type, key terms and time references (months without a year are
    read relative to `reference`, normally the newest article's date). A publisher of `publishers` that
    the question names is a source, not a name the evidence must hold."""
    question = expand_shorthand(" ".join(question.split()))
    sources = named_sources(question, publishers)
    source_words = {w.lower() for p in sources for w in p.split()}
    source_terms = set(tokenize([" ".join(sources)])[0])
    time = find_time_references(question, reference)
    undated = strip_spans(question, time.spans)
    # A figure the question states ("the strike that killed at least 16") is a term like a name: it says
    # which event; one digit alone is too common to.
    terms = [
        t
        for t in dict.fromkeys(tokenize([undated])[0])
        if t and t not in _FRAME_WORDS and not (t.isdigit() and len(t) < 2) and t not in source_terms
    ]
    if _WHO_RUNS.search(question):  # "who's running Hezbollah now": its leader, not a sentence about running
        terms = [LEADER_TOKEN if t == _RUN_TOKEN else t for t in terms]
    kind = answer_type(question)
    names = [n for n in named(undated) if n not in source_words]
    clause_names, mixed = _clauses(undated, kind, names)
    return QuestionInfo(
        text=question,
        answer_type=kind,
        terms=terms,
        numbers=re.findall(r"\d[\d,.]*", undated),
        time=time,
        quoted=[q for q in _QUOTED.findall(question) if len(q.split()) >= 2 or (len(q) >= 4 and q.isalpha())],
        why=bool(re.match(r"\s*(why|for what reason|what (is|was) the reason)\b", question, re.I)),
        shape=answer_shape(question, time),
        focus=counted_focus(undated),
        unit=answer_unit(undated),
        exact=bool(_EXACT.search(question)),
        # "how many of the 3,544 killed were children": a part of a total, counted over the same span
        total=bool(_TOTAL.search(question) or _PART_OF_TOTAL.search(question)),
        # "who said a diplomatic outcome was preferred" asks for a person, not for what came of something
        outcome=kind in ("open", "date") and bool(_OUTCOME.search(question)),
        names=names,
        clause_names=clause_names,
        mixed=mixed,
        by_report=bool(_OF_REPORTS.search(question)),
        sources=sources,
        wants_name=bool(_WANTS_NAME.search(question)),
        wants_person=kind == "person" and bool(_PERSON_ROLE.search(question)),
        role=person_role(question) if kind == "person" else "",
        asked_thing=asked_thing(undated),
    )


def is_follow_up(question: str) -> bool:
    """Short questions or ones that point back ("and what did he say?") need the previous turn."""
    return len(question.split()) <= 4 or bool(_FOLLOW_UP.search(question.strip()))
