"""Search: the rows and FTS5 indexes it keeps, the query-text rules, ranking and its caches."""
