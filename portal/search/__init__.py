"""Full-text search over corrections, solution practices and guides.

Pure Python (Whoosh + jieba + OpenCC), no Flask and no database: the app
hands in plain document dicts (see :data:`schema.DOC_KEYS`) and gets back
plain dataclasses.
"""

from .analysis import analyze, configure, fold, mixed_analyzer, english_analyzer, normalize_exact, query_words
from .index import IndexBusy, SearchIndex
from .results import Hit, SearchResults
from .schema import DOC_KEYS, KINDS

__all__ = [
    "SearchIndex", "SearchResults", "Hit", "IndexBusy", "DOC_KEYS", "KINDS",
    "analyze", "configure", "fold", "mixed_analyzer", "english_analyzer",
    "normalize_exact", "query_words",
]
