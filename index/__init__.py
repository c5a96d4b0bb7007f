"""Articles -> a searchable index folder. Knows nothing of questions, screens or scores."""

from index.build import BuildReport, ChunkParams, Indexer
from index.errors import CorruptIndexError, IndexMismatchError, NoIndexError, NothingIndexedError, Problem
from index.store import IndexStore, Snapshot
from index.types import Article, ArticleInfo, BuildParams, Manifest, Passage, Sentence

__all__ = [
    "Article",
    "ArticleInfo",
    "BuildParams",
    "BuildReport",
    "ChunkParams",
    "CorruptIndexError",
    "IndexMismatchError",
    "IndexStore",
    "Indexer",
    "Manifest",
    "NoIndexError",
    "NothingIndexedError",
    "Passage",
    "Problem",
    "Sentence",
    "Snapshot",
]
