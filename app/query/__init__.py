"""The query layer: search, authors, papers, stats and read-only SQL over one read-only connection.

`PaperDB` is what the CLI, scripts and notebooks use. Results are plain frozen
dataclasses (`as_dict()` gives JSON-able dicts); a query paperdb cannot run raises
`QueryError` (`AmbiguousAuthor` when a name fits several authors where one is needed).
"""

from app.query.authors import AmbiguousAuthor
from app.query.paperdb import PaperDB
from app.query.records import (
    HIGHLIGHT,
    AuthorLookup,
    AuthorPaper,
    AuthorProfile,
    AuthorRef,
    Coauthor,
    FacetCount,
    Hit,
    LikelySame,
    ListedAuthor,
    ListedPaper,
    NameVariant,
    PaperAuthor,
    PaperDetail,
    PaperSource,
    RelatedPaper,
    SearchFacets,
    SqlResult,
)
from app.search.ranker import ORDERS
from app.search.semantic import MODES
from app.search.text import QueryError, fts_query

__all__ = [
    "HIGHLIGHT",
    "MODES",
    "ORDERS",
    "AmbiguousAuthor",
    "AuthorLookup",
    "AuthorPaper",
    "AuthorProfile",
    "AuthorRef",
    "Coauthor",
    "FacetCount",
    "Hit",
    "LikelySame",
    "ListedAuthor",
    "ListedPaper",
    "NameVariant",
    "PaperAuthor",
    "PaperDB",
    "PaperDetail",
    "PaperSource",
    "RelatedPaper",
    "SearchFacets",
    "QueryError",
    "SqlResult",
    "fts_query",
]
