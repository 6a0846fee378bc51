"""Shared domain code, pure functions over plain values: text repair (`clean`), name parsing
and keys (`names`), record normalisation (`normalize`), LaTeX to Unicode (`latex`) and the
record types (`records`). The import, the export and the query layer use it; it imports
nothing else of paperdb."""
