"""The search text is read from where it lives: `paper_search` becomes a view over `papers`,
`abstracts` and a table of the author labels alone, `search_authors`.

Frozen, hand-written SQL. `paper_search` held every paper's title and abstracts a second
time, as the content of `paper_search_fts`: at 1,000,000 generated papers 1,577 MB of a
6,864 MB file. The view gives the index the same rows. Only the author labels (a paper's
authors as a reader may type them, see `app/search/rows.py`) are stored, as `paperdb`
computes them.

FTS5's `delete` needs the text it indexed, and a view has no row to keep it. So the index
is kept in step from the other side: just before any of the paper's title, abstracts or
labels changes, a trigger takes the paper out of the index with the view's row as it still
is, and logs that row for the search lists (`search_changes`, as the triggers of 0008 did);
and a trigger after it puts the paper back with its new text. Whether the index holds a paper
is read from its docsize table, so a paper out of it (by an earlier trigger, or held back by
a deferred index, which indexes it at the end) is never deleted twice or added twice.
The first are BEFORE triggers: the view still shows the old text then. An upsert fires
BEFORE INSERT even when it ends as an update (the paper is out by then, and the BEFORE
UPDATE trigger does nothing), or as nothing at all: then no AFTER trigger runs, so an
abstract's BEFORE INSERT does nothing when the same text is there already (the loader's
upsert meets it often). A new
paper is indexed and logged as new when it is inserted.

The index is filled again from the view (the rows a cut-short bulk load left for the end
stay left): its structure record changes, so the search lists go out of date and the next
import brings them up to date, as after 0016. Pages freed are reused as the database grows;
`VACUUM` gives them back to the disk.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "title, authors, abstract"
# group_concat over an ordered subquery keeps the order (SQLite < 3.44 has no ORDER BY inside it).
VIEW = """
CREATE VIEW paper_search AS
SELECT p.id AS paper_id, p.title AS title, coalesce(l.authors, '') AS authors,
  (SELECT group_concat(text, char(10) || char(10)) FROM (
      SELECT text FROM abstracts WHERE paper_id = p.id ORDER BY text_key)) AS abstract
FROM papers p LEFT JOIN search_authors l ON l.paper_id = p.id
"""


def _out_of_index(paper: str) -> str:
    """Statements taking one paper out of the index and logging its text for the search lists."""
    return (
        f"INSERT INTO paper_search_fts (paper_search_fts, rowid, {COLUMNS}) "
        f"SELECT 'delete', paper_id, {COLUMNS} FROM paper_search WHERE paper_id = {paper} "
        f"AND EXISTS (SELECT 1 FROM paper_search_fts_docsize WHERE id = {paper}); "
        f"INSERT INTO search_changes (paper_id, existed, {COLUMNS}) "
        f"SELECT paper_id, 1, {COLUMNS} FROM paper_search WHERE paper_id = {paper} "
        "AND EXISTS (SELECT 1 FROM search_top_source) ON CONFLICT DO NOTHING;"
    )


def _into_index(paper: str) -> str:
    """The statement putting one paper back into the index with its text now, unless it is
    there already or a deferred index holds it back (`fts_deferred`, migration 0004)."""
    return (
        f"INSERT INTO paper_search_fts (rowid, {COLUMNS}) SELECT paper_id, {COLUMNS} FROM paper_search "
        f"WHERE paper_id = {paper} "
        f"AND {paper} <= coalesce((SELECT upto FROM fts_deferred WHERE table_name = 'paper_search'), {paper}) "
        f"AND NOT EXISTS (SELECT 1 FROM paper_search_fts_docsize WHERE id = {paper});"
    )


# (table, event, the paper(s) its row belongs to, when): out of the index before, back in after.
# The loader's abstract upsert often meets the same text again: it then changes nothing and
# no AFTER trigger runs, so the paper must not be taken out.
SAME_ABSTRACT = (
    "NOT EXISTS (SELECT 1 FROM abstracts WHERE paper_id = new.paper_id AND text_key = new.text_key "
    "AND text IS new.text)"
)
CHANGES = [
    ("papers", "UPDATE OF title", ("old.id",), ""),
    ("papers", "DELETE", ("old.id",), ""),
    ("abstracts", "INSERT", ("new.paper_id",), SAME_ABSTRACT),
    ("abstracts", "UPDATE OF paper_id, text, text_key", ("old.paper_id", "new.paper_id"), ""),
    ("abstracts", "DELETE", ("old.paper_id",), ""),
    ("search_authors", "INSERT", ("new.paper_id",), ""),
    ("search_authors", "UPDATE OF paper_id, authors", ("old.paper_id", "new.paper_id"), ""),
    ("search_authors", "DELETE", ("old.paper_id",), ""),
]
TRIGGERS = {
    "papers_search_ai": f"AFTER INSERT ON papers BEGIN {_into_index('new.id')} END",
    "papers_search_changes_ai": "AFTER INSERT ON papers WHEN EXISTS (SELECT 1 FROM search_top_source) BEGIN "
    "INSERT INTO search_changes (paper_id, existed) VALUES (new.id, 0) ON CONFLICT DO NOTHING; END",
}
for table, event, papers, when in CHANGES:
    name = table if table == "search_authors" else f"{table}_search"
    letter = event[0].lower()
    before = f"BEFORE {event} ON {table} {f'WHEN {when} ' if when else ''}"
    TRIGGERS[f"{name}_b{letter}"] = f"{before}BEGIN {' '.join(map(_out_of_index, papers))} END"
    TRIGGERS[f"{name}_a{letter}"] = f"AFTER {event} ON {table} BEGIN {' '.join(map(_into_index, papers))} END"
del TRIGGERS["papers_search_ad"]  # a deleted paper has no text to index


# The table and its triggers as 0004 and 0008 left them, for a downgrade.
DEFERRED = "WHEN {row}.paper_id <= coalesce((SELECT upto FROM fts_deferred WHERE table_name = 'paper_search'), {row}.paper_id) "
OLD_TRIGGERS = {
    "paper_search_ai": "AFTER INSERT ON [paper_search] "
    + DEFERRED.format(row="new")
    + f"BEGIN INSERT INTO [paper_search_fts] (rowid, {COLUMNS}) VALUES (new.paper_id, new.title, new.authors, new.abstract); END",
    "paper_search_ad": "AFTER DELETE ON [paper_search] "
    + DEFERRED.format(row="old")
    + f"BEGIN INSERT INTO [paper_search_fts] ([paper_search_fts], rowid, {COLUMNS}) "
    "VALUES ('delete', old.paper_id, old.title, old.authors, old.abstract); END",
    "paper_search_au": "AFTER UPDATE OF title, authors, abstract ON [paper_search] "
    + DEFERRED.format(row="old")
    + f"BEGIN INSERT INTO [paper_search_fts] ([paper_search_fts], rowid, {COLUMNS}) "
    "VALUES ('delete', old.paper_id, old.title, old.authors, old.abstract); "
    f"INSERT INTO [paper_search_fts] (rowid, {COLUMNS}) VALUES (new.paper_id, new.title, new.authors, new.abstract); END",
    "paper_search_changes_ai": "AFTER INSERT ON paper_search WHEN EXISTS (SELECT 1 FROM search_top_source) BEGIN "
    "INSERT INTO search_changes (paper_id, existed) VALUES (new.paper_id, 0) "
    "ON CONFLICT DO NOTHING; END",
    "paper_search_changes_au": "AFTER UPDATE OF title, authors, abstract ON paper_search "
    "WHEN EXISTS (SELECT 1 FROM search_top_source) BEGIN "
    "INSERT INTO search_changes (paper_id, existed, title, authors, abstract) "
    "VALUES (old.paper_id, 1, old.title, old.authors, old.abstract) ON CONFLICT DO NOTHING; END",
    "paper_search_changes_ad": "AFTER DELETE ON paper_search WHEN EXISTS (SELECT 1 FROM search_top_source) BEGIN "
    "INSERT INTO search_changes (paper_id, existed, title, authors, abstract) "
    "VALUES (old.paper_id, 1, old.title, old.authors, old.abstract) ON CONFLICT DO NOTHING; END",
}
# FTS5's pending-postings size for a rebuild, then back to its default (as a bulk load does).
BULK_HASH_BYTES = 64 * 1024 * 1024
DEFAULT_HASH_BYTES = 1024 * 1024


def upgrade() -> None:
    op.execute(
        "CREATE TABLE search_authors (paper_id INTEGER NOT NULL, authors VARCHAR NOT NULL, "
        "PRIMARY KEY (paper_id), FOREIGN KEY (paper_id) REFERENCES papers (id) ON DELETE CASCADE)"
    )
    op.execute(
        "INSERT INTO search_authors (paper_id, authors) SELECT paper_id, authors FROM paper_search "
        "WHERE authors != '' AND paper_id IN (SELECT id FROM papers) ORDER BY paper_id"
    )
    op.execute("DROP TABLE paper_search")  # and its triggers
    op.execute(VIEW)
    # The index again, from the view: whatever the table held, the index and its content agree.
    op.execute("INSERT INTO paper_search_fts (paper_search_fts) VALUES ('delete-all')")
    op.execute(f"INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('hashsize', {BULK_HASH_BYTES})")
    op.execute(
        f"INSERT INTO paper_search_fts (rowid, {COLUMNS}) SELECT paper_id, {COLUMNS} FROM paper_search "
        "WHERE paper_id <= coalesce((SELECT upto FROM fts_deferred WHERE table_name = 'paper_search'), paper_id)"
    )
    op.execute(f"INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('hashsize', {DEFAULT_HASH_BYTES})")
    op.execute("INSERT INTO paper_search_fts (paper_search_fts) VALUES ('optimize')")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER [{name}] {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER [{name}]")
    op.execute("DROP VIEW paper_search")
    op.execute(
        "CREATE TABLE paper_search (paper_id INTEGER NOT NULL, title VARCHAR, authors VARCHAR NOT NULL, "
        "abstract VARCHAR, PRIMARY KEY (paper_id), FOREIGN KEY (paper_id) REFERENCES papers (id) ON DELETE CASCADE)"
    )
    op.execute(
        "INSERT INTO paper_search (paper_id, title, authors, abstract) "
        "SELECT p.id, p.title, coalesce(l.authors, ''), (SELECT group_concat(text, char(10) || char(10)) FROM ("
        "SELECT text FROM abstracts WHERE paper_id = p.id ORDER BY text_key)) "
        "FROM papers p LEFT JOIN search_authors l ON l.paper_id = p.id ORDER BY p.id"
    )
    op.execute("DROP TABLE search_authors")
    for name, body in OLD_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER [{name}] {body}")
