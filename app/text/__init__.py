"""Shared domain code, pure functions over plain values: text repair (`clean`), name parsing
and keys (`names`), record normalisation (`normalize`) and the record types (`records`).
The import and the query layer both use it; it imports nothing else of paperdb."""
