"""Citation-grounded answers from news articles.

    from rag import Assistant
    assistant = Assistant.load()
    assistant.retrieve("How far back does Israel want Hezbollah pushed?")

Importing this package loads no model and no heavy library; they load on first use.
"""

from rag.assistant import Assistant
from rag.settings import Settings
from rag.types import Answer, Article, ArticleInfo, Citation, Filters, Passage, ScoredPassage, Sentence, Turn

__all__ = [
    "Answer",
    "Article",
    "ArticleInfo",
    "Assistant",
    "Citation",
    "Filters",
    "Passage",
    "ScoredPassage",
    "Sentence",
    "Settings",
    "Turn",
]
