"""Datasette metadata for a paperdb database: descriptions from `app.docs`, search, facets, queries.

`python -m app.datasette_metadata` writes `data/metadata.json` (for the default
`data/papers.db`); `paperdb serve` builds the same for whatever database it serves.
The format is Datasette 0.65's metadata.json.
"""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

from app.docs import tables

METADATA_JSON = Path(__file__).resolve().parent.parent / "data" / "metadata.json"

VIEW = "paper_view"
VIEW_SUMMARY = "One row per paper: title, year, venue, authors in order and abstract."
VIEW_DESCRIPTION = (
    f"{VIEW_SUMMARY} Its search box searches titles, author names and abstracts at once and shows "
    "the best matches first, on the search page; searched with a sort or a filter, it stays a table."
)
# The view's columns are documented by the model columns they show (see migration 0003),
# or here where no table holds them as shown.
VIEW_COLUMNS = {
    "paper_id": ("papers", "id"),
    "title": ("papers", "title"),
    "year": ("papers", "year"),
    "venue": ("papers", "venue"),
    "authors": "The paper's authors in order, display names joined by `, `.",
    "abstract": "The paper's abstracts, joined by a blank line.",
}

# Not for browsing: the schema version, import bookkeeping, the search text the view shows
# better, and the precomputed one-word searches.
# Datasette hides the FTS tables and their shadow tables by itself.
HIDDEN = (
    "alembic_version",
    "fts_deferred",
    "deferred_indexes",
    "search_authors",
    "pending_blocks",
    "search_terms",
    "search_top",
    "search_top_source",
    "search_changes",
    "search_postings",
    "search_lengths",
    "search_formats",
    "override_blocks",
    "resolver_rules",
    "paper_vectors",
    "vector_model",
)

# The database page lists the tables in the order a person needs them, under these headings;
# tables not named here (and not hidden) follow under "Other tables".
SECTIONS = (
    ("Papers", (VIEW, "papers", "abstracts", "paper_ids", "paper_sources")),
    ("Authors", ("authors", "authorships", "author_names", "author_candidates", "author_merges", "name_repairs")),
    ("Imports", ("import_runs", "source_files", "rejects")),
)

TABLE_OPTIONS = {
    VIEW: {"fts_table": "paper_search_fts", "fts_pk": "paper_id", "facets": ["year", "venue"], "sort": "paper_id"},
    "papers": {"label_column": "title", "facets": ["year", "venue"]},
    # The abstracts' search box finds the abstracts of the papers the combined index finds:
    # abstracts are indexed once, there (migration 0016).
    "abstracts": {"fts_table": "paper_search_fts", "fts_pk": "paper_id"},
    "authors": {"label_column": "name", "facets": ["is_organization"], "sort_desc": "paper_count"},
    "authorships": {"facets": ["is_organization"]},
    "import_runs": {"facets": ["status"], "sort_desc": "id"},
    "source_files": {"facets": ["format"]},
    "rejects": {"facets": ["reason"], "sort_desc": "id"},
    "author_merges": {"facets": ["rule"]},
    "name_repairs": {"facets": ["kind"]},
}

# The authors a `:name` means: anyone ever spelled exactly so (case aside), or whose
# display name contains those words (accents aside, through authors_fts).
_AUTHOR = """with author as (
  select author_id as id from author_names where name = :name collate nocase
  union
  select rowid from authors_fts where authors_fts match '"' || replace(:name, '"', '""') || '"'
)
"""
_NAME_HELP = (
    "Type a name as any spelling seen (case ignored) or words of the display name "
    "(accents ignored): `Josh Achiam`, `david mely`, `Schulman`."
)

QUERIES = {
    "papers_of_author": {
        "title": "Papers of an author",
        "description": f"Every paper of an author, with their position and the spelling on that paper. {_NAME_HELP}",
        "params": ["name"],
        "sql": _AUTHOR
        + """select p.id as paper_id, p.title, p.year, s.position, s.name as listed_as, a.name as author
from author join authors a on a.id = author.id
join authorships s on s.author_id = a.id
join papers p on p.id = s.paper_id
order by p.year is null, p.year desc, p.id""",
    },
    "coauthors": {
        "title": "Co-authors of an author",
        "description": f"The people an author wrote with, and on how many papers. {_NAME_HELP}",
        "params": ["name"],
        "sql": _AUTHOR
        + """select co.id as author_id, co.name, count(*) as papers_together
from author join authorships mine on mine.author_id = author.id
join authorships other on other.paper_id = mine.paper_id
join authors co on co.id = other.author_id
where co.id not in (select id from author)
group by co.id
order by papers_together desc, co.name""",
    },
    "papers_sharing_authors": {
        "title": "Papers sharing authors with a paper",
        "description": "Other papers with at least one author of the given paper (its id), most shared authors first.",
        "params": ["paper_id"],
        "sql": """select paper_id, title, year, count(*) as shared_authors, group_concat(name, ', ') as shared
from (
  select p.id as paper_id, p.title, p.year, a.name
  from authorships mine
  join authorships other on other.author_id = mine.author_id and other.paper_id != mine.paper_id
  join papers p on p.id = other.paper_id
  join authors a on a.id = mine.author_id
  where mine.paper_id = :paper_id
  order by p.id, mine.position
)
group by paper_id
order by shared_authors desc, paper_id""",
    },
    "last_imports": {
        "title": "Last imports",
        "description": "The 20 most recent imports, newest first, with what each loaded, changed and rejected.",
        "sql": """select id, started_at, finished_at, status, files_seen, files_loaded, files_skipped,
  papers_added, papers_updated, papers_removed, authors_added, records_rejected
from import_runs
order by id desc
limit 20""",
    },
    "rejected_records": {
        "title": "Rejected records",
        "description": "Records that could not be loaded, newest first: file, line, why, and the raw text.",
        "sql": """select r.id, r.run_id, r.path, r.line, r.reason, r.raw, r.created_at
from rejects r
order by r.id desc""",
    },
}


def code_html(text: str) -> str:
    """Plain text with `code` spans, as HTML."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def metadata(database: str = "papers", title: str | None = None) -> dict:
    """Datasette metadata for a paperdb database served under the name `database` (the file's
    name without `.db`); the title is `title`, or the database's name."""
    docs = {name: (doc, {c: d for c, _, d in cols}) for name, doc, cols in tables()}
    tables_meta = {
        VIEW: {
            "description_html": code_html(VIEW_DESCRIPTION),
            "columns": {
                col: shown if isinstance(shown, str) else docs[shown[0]][1][shown[1]]
                for col, shown in VIEW_COLUMNS.items()
            },
        },
    }
    for name, (doc, cols) in docs.items():
        tables_meta[name] = {"description_html": code_html(doc), "columns": cols}
    for name in HIDDEN:
        tables_meta.setdefault(name, {})["hidden"] = True
    for name, options in TABLE_OPTIONS.items():
        tables_meta[name].update(options)
    about = {
        "title": title or f"{database} (paperdb)",
        "description": (
            "Research papers loaded from paper dumps by paperdb: titles, authors resolved into "
            "people, abstracts, and the import ledger. Search titles, authors and abstracts at once, "
            "best matches first, or start from one of the tables or queries."
        ),
        "source": f"Files loaded by paperdb into {database}.db: the source_files table lists each one",
        "license": "Titles, author lists and abstracts remain under their authors' and publishers' terms",
    }
    # A copy: Datasette writes into the metadata it is given (query names).
    return copy.deepcopy({**about, "databases": {database: {**about, "tables": tables_meta, "queries": QUERIES}}})


def metadata_json(database: str = "papers", title: str | None = None) -> str:
    """The metadata as the JSON text Datasette reads."""
    return json.dumps(metadata(database, title), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    METADATA_JSON.write_text(metadata_json(), encoding="utf-8")
