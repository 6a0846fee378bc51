"""Search: the rows and FTS5 indexes it keeps, the query-text rules, ranking and its caches.

Read side (what `app.query` calls):
- `ranker`: `Ranker.page`, the one entry point, and the `Plan` that picks how a page is ranked.
- `text`: what typed text means to FTS5 (`fts_query`), and `QueryError`.
- `split`: a large ranking on both cores.

Import side (what `app.etl.load` calls, in its write transactions):
- `rows`: each paper's search text (the view `paper_search`, its author labels stored);
  `index`: the FTS5 indexes kept in batches.
- `lists`: `search_top`, the best papers of every common word, ranked in full or updated,
  with the postings (`postings_upkeep`) written beside them.

Shared by both, importing neither side:
- `bm25`: the weights, the ranking SQL and FTS5's arithmetic; `fts`: FTS5's own records
  (index totals, paper lengths); `scratch`: an in-memory index for a few papers.
- `caches`: each cache's tables and format version, and when a search may read it;
  `postings`: the postings' format and the ranking from them.
"""
