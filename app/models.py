"""The schema: SQLModel tables, one per entity, each column described.

This is a public contract: people write SQL against these tables. The column
descriptions here are the single source for docs/schema.md and the
Datasette metadata (`app.docs`). FTS5 tables and their triggers are not models:
they live as literal SQL in the migrations (see `app.fts`).
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def _fk(target: str, description: str, *, nullable: bool = False, cascade: bool = True, index: bool = True):
    # index=False where a unique constraint's index starts with the column: it serves the lookups.
    return Field(
        foreign_key=target,
        ondelete="CASCADE" if cascade else "RESTRICT",
        nullable=nullable,
        index=index,
        description=description,
    )


def _zero(description: str):
    # A server default too, so plain SQL inserts (the loader's) get 0 rather than NULL.
    return Field(default=0, sa_column_kwargs={"server_default": "0"}, description=description)


class Paper(SQLModel, table=True):
    """One paper, merged from every source record that describes it."""

    __tablename__ = "papers"
    # The papers known from abstract-only records so far: the only ones a titled record's abstract may complete.
    __table_args__ = (Index("ix_papers_untitled", "id", sqlite_where=text("title IS NULL")),)
    id: int | None = Field(default=None, primary_key=True, description="Paper id.")
    title: str | None = Field(
        default=None,
        description="Title, repaired. NULL only while the paper is known from abstract-only records.",
    )
    year: int | None = Field(default=None, index=True, description="Publication year, when a source gives it.")
    venue: str | None = Field(default=None, description="Venue (journal, proceedings), when a source gives it.")
    url: str | None = Field(default=None, description="A URL for the paper, when a source gives it.")
    title_key: str | None = Field(
        default=None,
        index=True,
        description="Normalised title (case, accents, punctuation and whitespace folded) used to match papers across files.",
    )
    created_at: str = Field(description="When the paper was first loaded (UTC, ISO 8601).")
    updated_at: str = Field(description="When the paper last changed (UTC, ISO 8601).")


class PaperId(SQLModel, table=True):
    """External identifiers of a paper; each identifier belongs to one paper."""

    __tablename__ = "paper_ids"
    __table_args__ = (UniqueConstraint("scheme", "value"),)
    id: int | None = Field(default=None, primary_key=True, description="Row id.")
    paper_id: int = _fk("papers.id", "The paper.")
    scheme: str = Field(
        description="Identifier scheme: `doi`, `arxiv`, `pmid`, `pmcid`, `openalex` or `source` (a source's own key)."
    )
    value: str = Field(description="The identifier, normalised (DOIs lower-cased, arXiv ids without version).")


class Author(SQLModel, table=True):
    """One person or organisation, resolved from the mentions on papers."""

    __tablename__ = "authors"
    __table_args__ = (
        # Covering: resolution reads a batch of blocks' authors as one stretch of the index.
        Index(
            "ix_authors_block",
            "block_key",
            "id",
            "name",
            "family_name",
            "given_name",
            "is_organization",
            "paper_count",
            "orcid",
        ),
    )
    id: int | None = Field(
        default=None, primary_key=True, description="Author id; stable across imports while the person is unchanged."
    )
    name: str = Field(index=True, description="Display name, `Given Family`, in the most informative spelling seen.")
    family_name: str = Field(description="Family name of the display spelling (the whole name for organisations).")
    given_name: str | None = Field(
        default=None, description="Given name(s) of the display spelling; NULL when no source gives one."
    )
    is_organization: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "0"},
        description="1 for organisations listed as authors (e.g. `OpenAI`), 0 for people.",
    )
    block_key: str = Field(description="Normalised family-name key; authors are resolved within one key.")
    paper_count: int = _zero("Number of papers the author is on.")
    orcid: str | None = Field(
        default=None,
        index=True,
        description="The author's ORCID (`0000-0002-1825-0097`) when their mentions carry exactly one; NULL otherwise.",
    )
    created_at: str = Field(description="When the author was first created (UTC, ISO 8601).")
    updated_at: str = Field(description="When the author last changed (UTC, ISO 8601).")


class AuthorName(SQLModel, table=True):
    """Every spelling seen for an author, with how often it was seen."""

    __tablename__ = "author_names"
    __table_args__ = (
        UniqueConstraint("author_id", "name"),
        Index("ix_author_names_author", "author_id", "name", "family_name", "given_name", "count"),  # covering
        # Author lookup reads only the spellings a typed name may match (`app.query.authors`).
        Index("ix_author_names_lookup", "block_key", "first_token"),
        Index("ix_author_names_later", "block_key", sqlite_where=text("later_tokens IS NOT NULL")),
    )
    id: int | None = Field(default=None, primary_key=True, description="Row id.")
    author_id: int = _fk("authors.id", "The author.", index=False)
    name: str = Field(index=True, description="The spelling, `Given Family`, repaired.")
    family_name: str = Field(description="Family name of this spelling.")
    given_name: str | None = Field(default=None, description="Given name(s) of this spelling.")
    count: int = Field(description="Number of papers that list the author under this spelling.")
    block_key: str = Field(
        description="This spelling's own family-name block key (`names.block_key`); the author's "
        "`block_key` is its group's when family names are linked."
    )
    first_token: str = Field(description="The spelling's first folded name token (`names.name_tokens`); '' if none.")
    later_tokens: str | None = Field(
        default=None, description="Its later folded name tokens, space-separated; NULL if none."
    )


class Authorship(SQLModel, table=True):
    """An author on a paper, in the paper's order."""

    __tablename__ = "authorships"
    __table_args__ = (
        UniqueConstraint("paper_id", "position"),
        UniqueConstraint("paper_id", "author_id"),
        # Covering, for resolution: a batch of blocks' mentions is one stretch of the first, and
        # each paper's co-author keys come from the second without reading the table.
        Index(
            "ix_authorships_block",
            "block_key",
            "id",
            "paper_id",
            "name",
            "family_name",
            "given_name",
            "is_organization",
            "author_id",
            "orcid",
        ),
        Index("ix_authorships_paper_block", "paper_id", "block_key", "given_name"),
    )
    id: int | None = Field(default=None, primary_key=True, description="Row id.")
    paper_id: int = _fk("papers.id", "The paper.", index=False)
    author_id: int | None = _fk(
        "authors.id",
        "The resolved author (set by every import; NULL only inside an import).",
        nullable=True,
        cascade=False,
    )
    position: int = Field(description="1-based position in the author list, contiguous per paper.")
    raw_name: str = Field(description="The mention exactly as the source wrote it (before repair).")
    name: str = Field(description="The mention repaired, `Given Family`.")
    family_name: str = Field(description="Family name of the mention, repaired.")
    given_name: str | None = Field(default=None, description="Given name(s) of the mention, repaired; NULL if none.")
    is_organization: bool = Field(
        default=False, sa_column_kwargs={"server_default": "0"}, description="1 when the mention is an organisation."
    )
    block_key: str = Field(description="Normalised family-name key of the mention (see `authors.block_key`).")
    orcid: str | None = Field(
        default=None,
        description="The ORCID the source gives for this mention, in bare form (`0000-0002-1825-0097`); "
        "NULL when it gives none or an invalid one.",
    )


class Abstract(SQLModel, table=True):
    """One distinct abstract text of a paper."""

    __tablename__ = "abstracts"
    __table_args__ = (
        UniqueConstraint("paper_id", "text_key"),
        # With the paper: matching finds the papers of the abstracts sharing a key from the index alone.
        *(Index(f"ix_abstracts_{key}", key, "paper_id") for key in ("text_key", "head_key", "tail_key")),
    )
    id: int | None = Field(default=None, primary_key=True, description="Abstract id.")
    paper_id: int = _fk("papers.id", "The paper.", index=False)
    text: str = Field(description="The abstract, repaired (mojibake, LaTeX escapes, whitespace).")
    text_key: str = Field(description="Hash of the normalised text, used to match abstract-only records to papers.")
    head_key: str = Field(
        description="Hash of the first words of the normalised text: finds near-duplicates to compare."
    )
    tail_key: str = Field(
        description="Hash of the last words of the normalised text: finds near-duplicates to compare."
    )


class ImportRun(SQLModel, table=True):
    """One run of `paperdb import` or the nightly job."""

    __tablename__ = "import_runs"
    id: int | None = Field(default=None, primary_key=True, description="Run id.")
    started_at: str = Field(description="Start time (UTC, ISO 8601).")
    finished_at: str | None = Field(
        default=None,
        description="End time; NULL while running, or if the run was "
        "killed or stopped by the database refusing (its status stays `running`).",
    )
    status: str = Field(description="`running`, `ok`, `rejects` (some records rejected) or `failed`.")
    files_seen: int = _zero("Files looked at.")
    files_loaded: int = _zero("Files loaded (new or changed).")
    files_skipped: int = _zero("Files skipped as already loaded (same size and modification time, or same content).")
    papers_added: int = _zero("Papers created by this run.")
    papers_updated: int = _zero("Existing papers this run changed.")
    papers_removed: int = _zero("Papers removed because a changed file no longer supplies them.")
    authors_added: int = _zero("Authors created by this run.")
    records_rejected: int = _zero("Records put in `rejects` by this run.")


class SourceFile(SQLModel, table=True):
    """The import ledger: each file loaded, with its content hash."""

    __tablename__ = "source_files"
    id: int | None = Field(default=None, primary_key=True, description="File id.")
    path: str = Field(unique=True, description="Absolute path of the file when it was loaded.")
    content_hash: str = Field(
        index=True, description="SHA-256 of the file's bytes, compared when its size or time changed."
    )
    format: str = Field(
        description="Detected format: `profile`, `abstracts`, `jsonl`, `bibtex`, `ris`, "
        "`csl-json`, `crossref`, `openalex`, `arxiv` or `pubmed`."
    )
    size: int = Field(description="Size in bytes.")
    mtime_ns: int | None = Field(
        default=None,
        description=(
            "Modification time (ns since 1970) when the file was read; with the same size, the file is "
            "taken as unchanged without reading it. Empty when it was too recent to trust."
        ),
    )
    records: int = _zero("Records loaded from the file.")
    rejected: int = _zero("Records of the file put in `rejects`.")
    run_id: int = _fk("import_runs.id", "The run that last loaded the file.", cascade=False)
    loaded_at: str = Field(description="When the file was last loaded (UTC, ISO 8601).")


class PaperSource(SQLModel, table=True):
    """Provenance: one source record, the file and line it came from, and the paper it became."""

    __tablename__ = "paper_sources"
    __table_args__ = (
        UniqueConstraint("file_id", "line"),
        # Resolution reads the profile owners of many papers: from the index, not the records.
        Index("ix_paper_sources_owner", "paper_id", "profile_owner"),
    )
    id: int | None = Field(default=None, primary_key=True, description="Row id.")
    paper_id: int = _fk("papers.id", "The paper this record was matched to.", index=False)
    file_id: int = _fk("source_files.id", "The file.", index=False)
    line: int = Field(description="1-based line where the record starts.")
    record_hash: str = Field(description="Hash of the cleaned record; picks the paper's fields deterministically.")
    profile_owner: str | None = Field(
        default=None, description="Owner of the profile dump the record came from (evidence for author resolution)."
    )
    record: str = Field(
        description="The cleaned record as JSON (title, authors, abstract, ids), to rebuild the paper. Where the "
        "paper's `abstracts` row of its key holds the record's abstract, `abstract` is null and `abstract_key` "
        "is that row's `text_key` (the text is stored once)."
    )


class NameRepairRow(SQLModel, table=True):
    """What the name parser changed in an author list (stray tokens, joined names, duplicates)."""

    __tablename__ = "name_repairs"
    id: int | None = Field(default=None, primary_key=True, description="Row id.")
    source_id: int = _fk("paper_sources.id", "The source record whose author list was repaired.")
    kind: str = Field(description="`stray-token`, `joined-split-name`, `duplicate-mention`, `invalid-orcid`, ...")
    detail: str = Field(description="What was changed, with the tokens involved.")


class RejectedRecord(SQLModel, table=True):
    """Anything that could not be loaded, with its raw text: nothing is silently dropped."""

    __tablename__ = "rejects"
    id: int | None = Field(default=None, primary_key=True, description="Row id.")
    run_id: int = _fk("import_runs.id", "The run that rejected it.")
    path: str = Field(index=True, description="The file.")
    line: int | None = Field(
        default=None, description="1-based line of the record; NULL when the whole file was rejected."
    )
    raw: str = Field(description="The raw text of the record (the first 64 KiB for a whole file).")
    reason: str = Field(description="Why it was not loaded.")
    created_at: str = Field(description="When (UTC, ISO 8601).")


class AuthorMerge(SQLModel, table=True):
    """Why spellings were resolved to one author: the rule, its score and the evidence."""

    __tablename__ = "author_merges"
    id: int | None = Field(default=None, primary_key=True, description="Row id.")
    author_id: int = _fk("authors.id", "The author the spellings were merged into.")
    name_a: str = Field(description="One spelling.")
    name_b: str = Field(description="The other spelling.")
    rule: str = Field(
        description="The rule that merged them (e.g. `folded-equal`, `nickname`, `middle-name`, `override`)."
    )
    score: float = Field(description="Strength of the name match, 0-1.")
    evidence: str = Field(description="The evidence that agreed (shared co-authors, same profile).")


class AuthorCandidate(SQLModel, table=True):
    """Pairs of authors kept apart that a human may want to look at."""

    __tablename__ = "author_candidates"
    id: int | None = Field(default=None, primary_key=True, description="Row id.")
    block_key: str = Field(
        index=True, description="The family-name block both names are in (for linked blocks, the group's first key)."
    )
    author_a_id: int = _fk("authors.id", "The author with the first spelling.")
    author_b_id: int = _fk("authors.id", "The author with the second spelling.")
    name_a: str = Field(description="One spelling.")
    name_b: str = Field(description="The other spelling.")
    score: float = Field(description="How alike the names are, 0-1.")
    reason: str = Field(description="Why they were not merged.")


class SearchAuthors(SQLModel, table=True):
    """Each paper's authors as the search index holds them. The index reads a paper's text from
    the view `paper_search`: its title (`papers`), these labels and its abstracts
    (`abstracts`) joined by a blank line, rowid `paper_id` (migration 0020). A bulk load
    into an empty database writes its papers' labels once, as it builds their index at the
    end of the run; until then they have none."""

    __tablename__ = "search_authors"
    paper_id: int = Field(primary_key=True, foreign_key="papers.id", ondelete="CASCADE", description="The paper.")
    authors: str = Field(
        description="The paper's authors in order, joined by `, `: each display name with the paper's own "
        "spelling and plain-letter forms in parentheses when they differ (`William Fedus (Liam Fedus)`). "
        "Papers without authors have no row."
    )


class PendingBlock(SQLModel, table=True):
    """Author blocks queued for re-resolution at the end of an import (empty between imports)."""

    __tablename__ = "pending_blocks"
    block_key: str = Field(primary_key=True, description="The family-name block to re-resolve.")


class FtsDeferred(SQLModel, table=True):
    """Search indexes an import is filling in one batch (empty between imports, unless a bulk load was cut short).

    While a table has a row here, its FTS triggers skip rows with a key above `upto`; the
    importer indexes those rows in one statement before it commits. Batched FTS5 inserts
    are several times faster than one per trigger call. A bulk load into an empty database
    keeps its rows here for the whole run and indexes everything at the end, once author
    resolution has settled the names; one killed or failed leaves them for the next import.
    """

    __tablename__ = "fts_deferred"
    table_name: str = Field(primary_key=True, description="The content table whose new rows are indexed in a batch.")
    upto: int = Field(description="The largest key the index already holds; rows above it are the batch.")


class DeferredIndex(SQLModel, table=True):
    """Secondary indexes a bulk import dropped, to build once after loading (empty between imports, unless a bulk load was cut short).

    An import into an empty database drops the indexes loading never reads and builds them
    after the load, before author resolution: one sorted pass instead of a write per row.
    An import killed before that leaves them here, and the next import builds them.
    """

    __tablename__ = "deferred_indexes"
    name: str = Field(primary_key=True, description="The index dropped.")
    sql: str = Field(description="The statement that builds it, as `sqlite_master` held it.")


class SearchTerm(SQLModel, table=True):
    """A search word in at least `search_top_source.min_papers` papers, whose best papers are in `search_top`."""

    __tablename__ = "search_terms"
    term: str = Field(
        primary_key=True, description="The word as the search index keeps it, folded and stemmed (`model`)."
    )
    word: str = Field(description="A word that searches for exactly this term (`parsing` for `pars`).")
    papers: int = Field(
        description="How many papers contain it (in half or more, bm25 all but ignores it: it only filters)."
    )
    ceiling: float = Field(
        description="No paper outside its list has a higher bm25 saturation (the part of the score after idf); "
        "what makes an update of the list exact."
    )


class SearchTop(SQLModel, table=True):
    """The best papers of the commonest search words, best first: what a search ranked by that word returns.

    FTS5 ranks every paper that matches a search, a second for a word in most of a million
    papers. `app.search.lists` ranks each common word once instead, and keeps the lists
    exact after each import by re-scoring what changed. Used only while
    `search_top_source` matches the search index as it is.
    """

    __tablename__ = "search_top"
    term: str = Field(primary_key=True, description="The word (`search_terms.term`).")
    position: int = Field(primary_key=True, description="1 for the best paper.")
    paper_id: int = Field(
        description="The paper (no foreign key: once papers change, the lists are ignored until refreshed)."
    )
    score: float = Field(
        description="The paper's bm25 for that word alone, as `paper_search_fts` computes it (lower is better)."
    )
    hits: float | None = Field(
        default=None,
        description="The word's hits in the paper, weighted by column as bm25 counts them "
        "(NULL if FTS5's score could not be reproduced from them).",
    )
    tokens: int = Field(description="The paper's length in tokens, all columns.")


class SearchTopSource(SQLModel, table=True):
    """The state of the search index `search_top` was computed from (one row, or none before the first import)."""

    __tablename__ = "search_top_source"
    id: int = Field(primary_key=True, description="Always 1.")
    fts_structure: bytes = Field(
        description="`paper_search_fts`'s structure record then; every write to the index changes it."
    )
    papers: int = Field(description="How many papers the index held then.")
    tokens: int = Field(
        description="How many tokens the index held then, all columns (bm25's average length comes from it)."
    )
    depth: int = Field(
        description="Papers a list must hold for certain; lists keep up to `app.search.lists.TOP_SPARE` more."
    )
    min_papers: int = Field(description="Words in at least this many papers have a list.")
    changed_papers: int = Field(
        description="Papers changed since the lists were last ranked in full (updates since add up)."
    )


class SearchPosting(SQLModel, table=True):
    """Every paper of a word that has a list, with its weighted hits: one row per 65,536 paper ids.

    A search of several common words is ranked from these (`app.search.postings`) with FTS5's own
    bm25 arithmetic, instead of FTS5 scoring each of the hundred thousand papers they match.
    Kept with the lists and used only while `search_top_source` matches the search index.
    """

    __tablename__ = "search_postings"
    term: str = Field(primary_key=True, description="The word (`search_terms.term`).")
    chunk: int = Field(primary_key=True, description="Paper ids from chunk * 65536 up to the next chunk.")
    offsets: bytes = Field(description="The papers' ids minus chunk * 65536, ascending: 16-bit little-endian integers.")
    hits: bytes = Field(
        description="Each paper's weighted hits of the word, as bm25 counts them: 8-bit integers, "
        "or 16-bit little-endian when the blob is twice as long as there are papers."
    )


class SearchLength(SQLModel, table=True):
    """Every paper's length in tokens (all columns of the search index), as bm25 needs it: one row per 65,536 ids."""

    __tablename__ = "search_lengths"
    chunk: int = Field(primary_key=True, description="Paper ids from chunk * 65536 up to the next chunk.")
    tokens: bytes = Field(description="Tokens of each paper id in the chunk, 32-bit little-endian (0: no paper).")


class SearchFormat(SQLModel, table=True):
    """The format of each search cache's rows (`search_top` with its tables, `search_postings` with `search_lengths`).

    A search reads a cache only while its version here is the one the code reads
    (`app.search.caches.CACHES`); an import whose code has another ranks every cache again in full.
    """

    __tablename__ = "search_formats"
    cache: str = Field(primary_key=True, description="`search_top` or `search_postings`.")
    version: int = Field(description="The format the cache's rows were last written in.")


class SearchChange(SQLModel, table=True):
    """Papers whose search row changed since the lists in `search_top` were computed, as they were then.

    Filled by the triggers on `papers`, `abstracts` and `search_authors` (what the view
    `paper_search` reads) while `search_top_source` has a row; emptied when the lists are
    brought up to date. The old text tells which words a changed paper had.
    """

    __tablename__ = "search_changes"
    paper_id: int = Field(primary_key=True, description="The paper.")
    existed: bool = Field(description="Whether the paper had a search row when the lists were computed.")
    title: str | None = Field(default=None, description="Its title then.")
    authors: str | None = Field(default=None, description="Its authors then.")
    abstract: str | None = Field(default=None, description="Its abstract then.")


class OverrideBlock(SQLModel, table=True):
    """Author blocks the overrides file named at the last import.

    A line removed from the file must undo its merge or split: the next import re-resolves
    these blocks as well as those the file names now.
    """

    __tablename__ = "override_blocks"
    block_key: str = Field(primary_key=True, description="A family-name block an override line named.")


class ResolverRules(SQLModel, table=True):
    """The version of the author-resolution rules the authors were last resolved with (one row).

    An import whose code has other rules (`app.etl.resolve.RULES_VERSION`) queues every
    block, so a fix to the rules reaches the whole database, not only blocks touched later.
    """

    __tablename__ = "resolver_rules"
    id: int = Field(primary_key=True, description="Always 1.")
    version: int = Field(description="The rules' version when every block was last queued for re-resolution.")


class PaperVector(SQLModel, table=True):
    """One vector per paper, of its title and abstracts, for semantic search and related papers.

    Written by the import only when the optional extra `paperdb[semantic]` is installed, from the
    model `vector_model` names; the papers whose text changed are embedded again.
    """

    __tablename__ = "paper_vectors"
    paper_id: int = Field(primary_key=True, foreign_key="papers.id", ondelete="CASCADE", description="The paper.")
    text_hash: int = Field(
        description="A 64-bit hash of the text embedded (title, then abstracts): the same hash, the same vector."
    )
    vector: bytes = Field(description="The vector as 8-bit signed integers, one per dimension.")
    scale: float = Field(description="What multiplies each integer back to the model's value (max |value| / 127).")


class VectorModel(SQLModel, table=True):
    """The model the vectors in `paper_vectors` come from, and how far they are current (one row, or none)."""

    __tablename__ = "vector_model"
    id: int = Field(primary_key=True, description="Always 1.")
    model: str = Field(
        description="The model's name, dimensions and version (`wordllama l2_supercat 256 0.4.0.post1`): "
        "an import with another re-embeds every paper."
    )
    dimensions: int = Field(description="How many numbers each vector holds.")
    run_id: int = Field(
        description="The last import run whose changed papers were embedded; after a run that embedded none "
        "(killed, or without the extra) the next one checks every paper's text."
    )
