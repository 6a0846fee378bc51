"""A person's name written in one string (`Heather Piwowar`, `Ludwig van Beethoven`) as (family, given)."""

from __future__ import annotations

from functools import lru_cache

from bibtexparser.middlewares.names import parse_single_name_into_parts


@lru_cache(maxsize=65536)  # authors recur
def family_and_given(name: str) -> tuple[str, str | None]:
    """BibTeX's `First von Last` (or `von Last, First`) rules: the last word and its particles are the family."""
    name = " ".join(name.split())
    try:
        parts = parse_single_name_into_parts(name.replace("{", "").replace("}", ""), strict=False)
    except Exception:  # a name bibtexparser cannot split stays whole
        return name, None
    family = " ".join(parts.von + parts.last + parts.jr)
    return (family, " ".join(parts.first) or None) if family else (name, None)
