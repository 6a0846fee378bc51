"""The `paperdb` command: a few lines per command over the library."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from dataclasses import replace
from functools import wraps
from pathlib import Path

import click

from app.db import DB_ENV, DEFAULT_DB, DatabaseError, migrate, refusal, upgrade_notice
from app.etl.load import run_import
from app.export import FORMATS as EXPORT_FORMATS
from app.export import export_pieces
from app.lock import import_lock
from app.progress import TerminalLine
from app.query import HIGHLIGHT, MODES, ORDERS, AuthorLookup, Hit, PaperDB, PaperDetail, QueryError
from app.serve import serve_datasette  # Datasette itself is imported only when serving

FORMATS = ("table", "json", "csv")
# Widest a table cell gets before it is cut with `…`; the whole value is in json and csv.
MAX_CELL = 60


class UserError(click.ClickException):
    """An error the user can act on: one line (`Error: …`) and its exit code, 2 for a mistake
    in the command line or the query."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def friendly_errors(func):
    """Turn the errors a user can fix, and the database's refusals, into one clear line and the
    exit code the README lists, never a traceback."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (QueryError, FileNotFoundError, ValueError) as e:
            raise UserError(str(e)) from None
        except BrokenPipeError:
            raise  # the reader stopped reading (`paperdb sql … | head`): click ends quietly
        except (DatabaseError, sqlite3.Error, OSError) as e:
            refused = refusal(e, click.get_current_context().obj)
            if refused is None:
                raise
            raise UserError(str(refused), refused.exit_code) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    envvar=DB_ENV,
    default=DEFAULT_DB,
    show_default=True,
    help=f"The database file (also ${DB_ENV}).",
)
@click.pass_context
def main(ctx, db):
    """paperdb: a research paper database built from messy dumps.

    \b
    Example:
        paperdb import data/samples/
        paperdb search "process supervision"
    """
    ctx.obj = Path(db)


@main.command("migrate")
@click.option(
    "--revision",
    default="head",
    show_default=True,
    help="Target revision: an earlier one downgrades (`base` fully, `-1` one step).",
)
@click.pass_obj
@friendly_errors
def migrate_cmd(db, revision):
    """Create or upgrade the database schema, keeping its data.

    \b
    Example:
        paperdb --db papers.db migrate
    """
    with import_lock(db):  # one writer at a time: never migrate under a running import
        if revision == "head" and (notice := upgrade_notice(db)):
            click.echo(notice, err=True)
        migrate(db, revision)
    click.echo(f"{db}: schema at {revision}")


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--overrides",
    type=click.Path(dir_okay=False),
    default=None,
    help="Author overrides file (default: overrides.txt beside the database, if present).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
@click.option("--wait", is_flag=True, help="Wait for a running import instead of exiting with code 75.")
@click.option(
    "--rehash",
    is_flag=True,
    help="Compare the content of files loaded before even when their size and time are unchanged.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary: no line per file, no progress.")
@click.pass_obj
@friendly_errors
def import_cmd(db, paths, overrides, as_json, wait, rehash, quiet):
    """Load dump files (or folders of them) into the database.

    Each file's format is detected from its content: profile and abstracts dumps,
    JSON Lines, BibTeX/BibLaTeX, RIS, CSL-JSON, arXiv snapshots, OpenAlex and
    Crossref works, PubMed XML; any of them gzip-compressed. A file that fits no
    format is rejected whole.
    Files already loaded are skipped (same size and modification time, or same
    content); a changed file replaces what it gave before.
    Bad records are kept in the `rejects` table and reported; the rest loads.
    On a terminal, one line shows where the import is: records into the file being
    loaded, then author blocks resolved, with the rate and the time left.
    Exit code: 0 loaded, 1 some records or files rejected, 75 another import
    or program is writing the database (try again later); the README lists the
    codes for a read-only, corrupt, full or newer database.

    \b
    Example:
        paperdb import data/samples/
    """

    line = TerminalLine(sys.stderr) if sys.stderr.isatty() and not quiet else None

    def show(result):
        if line:
            line.clear()
        if not as_json and not quiet:
            extra = f", {len(result.rejects)} rejected" if result.rejects else ""
            click.echo(f"{result.status:>8}  {result.path}  ({result.records} records{extra})", err=True)
            for r in result.rejects[:5]:
                click.echo(f"          {r.file}:{r.line or '-'}: {r.reason}", err=True)

    with import_lock(db, wait=wait):
        if notice := upgrade_notice(db):
            click.echo(notice, err=True)
        try:
            report = run_import(db, paths, overrides_path=overrides, progress=show, watch=line, rehash=rehash)
        finally:
            if line:
                line.clear()
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.summary())
    sys.exit(0 if report.status == "ok" else 1)


# --- output: table on a terminal, JSON lines for scripts, or CSV -------------------------


def on_terminal() -> bool:
    """Whether stdout is a terminal: tables and colour there, JSON lines otherwise."""
    return sys.stdout.isatty()


def style(text: str, **styles) -> str:
    """`click.style` on a terminal, the plain text otherwise."""
    return click.style(text, **styles) if on_terminal() else text


def output_format(func):
    """Add `--format table|json|csv` (and `--json`, short for `--format json`) as `fmt`."""

    @click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        help="Output format  [default: table on a terminal, else json: one object per line]",
    )
    @click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
    @wraps(func)
    def wrapper(*args, fmt, as_json, **kwargs):
        return func(*args, fmt="json" if as_json else fmt or ("table" if on_terminal() else "json"), **kwargs)

    return wrapper


def limit_option(default: int | None, what: str):
    """`--limit N`: how many results (`what`) to show."""
    return click.option(
        "--limit",
        default=default,
        show_default=default is not None,
        type=click.IntRange(0, None),
        help=f"How many {what}.",
    )


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(map(_cell, value))
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _json_default(value):
    return value.hex() if isinstance(value, bytes) else str(value)


def echo_json(obj) -> None:
    """One JSON object on one line."""
    click.echo(json.dumps(obj, ensure_ascii=False, default=_json_default))


def echo_rows(rows: list[dict], columns: list[str], fmt: str) -> None:
    """Rows as an aligned table, JSON lines (all keys) or CSV with a header (`columns`)."""
    if fmt == "json":
        for row in rows:
            echo_json(row)
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        click.echo(out.getvalue(), nl=False)
    else:
        cells = [[_cell(row.get(c)).replace("\n", " ") for c in columns] for row in rows]
        widths = [min(MAX_CELL, max([len(c), *(len(r[i]) for r in cells)])) for i, c in enumerate(columns)]
        click.echo(style("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(), bold=True))
        for r in cells:
            fitted = [v if len(v) <= w else v[: w - 1] + "…" for v, w in zip(r, widths)]
            click.echo("  ".join(v.ljust(w) for v, w in zip(fitted, widths)).rstrip())


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def finish(found: bool, nothing: str) -> None:
    """Exit 0 when something was found, else say so on stderr and exit 1."""
    if not found:
        click.echo(nothing, err=True)
        sys.exit(1)


# --- query commands -------------------------------------------------------------------

HIT_COLUMNS = ["paper_id", "title", "year", "authors", "score", "snippet"]


@main.command()
@click.argument("text")
@click.option("--author", help="Only papers by this author (a name as you would type it, or an id).")
@click.option("--year-from", type=int, help="Only papers from this year on (papers with a known year).")
@click.option("--year-to", type=int, help="Only papers up to this year (papers with a known year).")
@click.option("--venue", help="Only papers of this venue, written as in the papers' venue column.")
@click.option("--raw", is_flag=True, help='Pass FTS5 query syntax through (`verif*`, `"a b"`, `NEAR`, `OR`, `NOT`).')
@click.option(
    "--sort",
    type=click.Choice(ORDERS),
    default="relevance",
    show_default=True,
    help="Best match first, or by year (papers without one last).",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="text",
    show_default=True,
    help="text: bm25 over the words; semantic: nearest in meaning; hybrid: both fused (these two need the extra).",
)
@limit_option(20, "results")
@click.option("--offset", default=0, type=click.IntRange(0, None), help="Skip this many results first.")
@output_format
@click.pass_obj
@friendly_errors
def search(db, text, author, year_from, year_to, venue, raw, sort, mode, limit, offset, fmt):
    """Search titles, author names and abstracts at once, best match first.

    Words are plain words, all of which must match; case and accents are ignored.
    `--mode semantic` ranks papers by the meaning of their title and abstract instead
    (no word need match), `--mode hybrid` fuses both rankings; they need the optional
    extra, pip install 'paperdb[semantic]', and an import run with it.
    Exit code 0 with results, 1 when nothing matches, 2 for a bad query.

    \b
    Example:
        paperdb search "process supervision"
        paperdb search verify --author "John Schulman" --format csv
        paperdb search translation --sort newest --venue "Mémoires du livre"
        paperdb search "checking each reasoning step" --mode hybrid
    """
    with PaperDB(db) as pdb:
        hits = pdb.search(
            text,
            limit=limit,
            offset=offset,
            author=author,
            year_from=year_from,
            year_to=year_to,
            venue=venue,
            raw=raw,
            order=sort,
            mode=mode,
        )
    if fmt == "table":
        show_hits(hits)
    else:
        echo_rows([h.as_dict() for h in hits], HIT_COLUMNS, fmt)
    finish(bool(hits), f"no papers match {text!r}")


SHOWN_AUTHORS = 6


def show_listed(measure: str, paper_id: int, title: str | None, year: int | None, authors: list[str]) -> None:
    """A listed paper on the terminal: its score or similarity, title, id and year; then its first authors."""
    click.echo(
        f"{style(measure, dim=True)}  {style(title or '(abstract only)', bold=True)}"
        f"  [{paper_id}]{f'  {year}' if year else ''}"
    )
    if authors:
        more = f" … (+{len(authors) - SHOWN_AUTHORS})" if len(authors) > SHOWN_AUTHORS else ""
        click.echo(f"        {', '.join(authors[:SHOWN_AUTHORS])}{more}")


def show_hits(hits: list[Hit]) -> None:
    for hit in hits:
        show_listed(f"{hit.score:6.2f}", hit.paper_id, hit.title, hit.year, hit.authors)
        marks = click.style("\0", fg="yellow", bold=True).split("\0") if on_terminal() else HIGHLIGHT
        click.echo(f"        {hit.highlight(*marks)}")


RELATED_COLUMNS = ["paper_id", "title", "year", "venue", "authors", "similarity"]


@main.command()
@click.argument("paper_name", metavar="PAPER")
@limit_option(10, "papers")
@output_format
@click.pass_obj
@friendly_errors
def related(db, paper_name, limit, fmt):
    """The papers nearest in meaning to one paper, most similar first.

    PAPER is a paper id, an external id (`doi:10.…`, `arxiv:2305.20050`) or words of a
    title, as `paperdb paper` reads it. Similarity is the cosine of the two papers'
    vectors (title and abstract). Needs the optional extra, pip install
    'paperdb[semantic]', and an import run with it. Exit code 1 when no paper matches.

    \b
    Example:
        paperdb related "Let's Verify Step by Step"
        paperdb related 2 --limit 5 --format json
    """
    with PaperDB(db) as pdb:
        found = pdb.related(paper_name, limit=limit)
    if found is None:
        finish(False, f"no paper matches {paper_name!r}")
    if fmt == "table":
        for r in found:
            show_listed(f"{r.similarity:5.3f}", r.paper_id, r.title, r.year, r.authors)
    else:
        echo_rows([r.as_dict() for r in found], RELATED_COLUMNS, fmt)
    finish(bool(found), "no other paper has a vector")


@main.command()
@click.argument("name")
@limit_option(20, "papers and co-authors")
@output_format
@click.pass_obj
@friendly_errors
def author(db, name, limit, fmt):
    """An author's papers (newest first), name variants and co-authors.

    NAME is typed as you like: `schulman`, `John Schulman`, `Schulman, J.`, `Lukasz
    Kaiser`, a typo (`Shulman`), an author id, or an ORCID. A name that fits several
    authors lists them instead. A found author shows their ORCID when they have one,
    and is followed by the larger authors of compatible name it may belong to, with
    their papers and the co-authors both share. JSON is one object: query, status
    (`found`, `ambiguous`, `not found`), rule, author (with `orcid`), candidates,
    part_of. CSV is the author's papers, or the candidates.
    Exit code 0 when found or ambiguous, 1 when no author matches.

    \b
    Example:
        paperdb author "Liam Fedus"
        paperdb author Zhang
        paperdb author 0000-0002-1825-0097
    """
    with PaperDB(db) as pdb:
        found = pdb.author(name, limit=limit)
    finish(found.status != "not found", f"no author matches {name!r}")
    found = replace(found, candidates=found.candidates[:limit])
    if fmt == "json":
        echo_json(found.as_dict())
    elif fmt == "csv" and found.author:
        echo_rows(
            [{"author_id": found.author.id, "author": found.author.name, **p.as_dict()} for p in found.author.papers],
            ["author_id", "author", "paper_id", "year", "title", "position", "listed_as"],
            fmt,
        )
    elif fmt == "csv":
        echo_rows(
            [c.as_dict() for c in found.candidates],
            ["id", "name", "paper_count", "is_organization", "rule", "score"],
            fmt,
        )
    else:
        show_author(found)


def show_author(found: AuthorLookup) -> None:
    if found.status == "ambiguous":
        click.echo(f"{found.query!r} fits several authors; give more of the name, or an id:")
        for c in found.candidates:
            click.echo(f"  [{c.id}] {style(c.name, bold=True)}  ({plural(c.paper_count, 'paper')}; {c.rule})")
        return
    a = found.author
    click.echo(f"{style(a.name, bold=True)}  [{a.id}]  {plural(a.paper_count, 'paper')}  (matched: {found.rule})")
    if a.orcid:
        click.echo(f"ORCID: https://orcid.org/{a.orcid}")
    others = [v for v in a.variants if v.name != a.name]
    if others:
        click.echo("also written: " + ", ".join(f"{v.name} ({v.count})" for v in others))
    click.echo(style("\nPapers", bold=True))
    for p in a.papers:
        click.echo(f"  {p.year or '    '}  {p.title or '(abstract only)'}  [{p.paper_id}]")
    if a.coauthors:
        click.echo(style("\nCo-authors", bold=True))
        for c in a.coauthors:
            click.echo(f"  {c.papers:4d}  {c.name}  [{c.id}]")
    for other in found.part_of:
        shared = ", ".join(other.shared_coauthors[:5]) or "none"
        click.echo(
            f"\nmay be the same person as {style(other.name, bold=True)}  [{other.id}]  "
            f"{plural(other.paper_count, 'paper')} ({other.rule}); shared co-authors "
            f"({len(other.shared_coauthors)}): {shared}"
        )


@main.command()
@click.argument("name")
@limit_option(20, "co-authors")
@output_format
@click.pass_obj
@friendly_errors
def coauthors(db, name, limit, fmt):
    """The co-authors of an author, with the number of papers shared, most first.

    NAME is resolved like `paperdb author` does; a name that fits several authors
    is an error (exit code 2) that lists them: use one's id. Exit code 1 when there
    is no such author or no co-author.

    \b
    Example:
        paperdb coauthors "John Schulman" --limit 10
    """
    with PaperDB(db) as pdb:
        rows = pdb.coauthors(name, limit=limit)
    echo_rows([c.as_dict() for c in rows], ["id", "name", "papers"], fmt)
    finish(bool(rows), f"no co-authors found for {name!r}")


@main.command()
@click.argument("id_or_title")
@output_format
@click.pass_obj
@friendly_errors
def paper(db, id_or_title, fmt):
    """One paper: title, authors in order (with the names as written), abstracts,
    external ids and the files (and lines) it was loaded from.

    ID_OR_TITLE is a paper id, an external id (`doi:10.…`, `arxiv:2305.20050`), a
    title, or words of a title (the best match is shown). Exit code 1 when nothing matches.

    \b
    Example:
        paperdb paper "Let's Verify Step by Step"
        paperdb paper 2 --format json
    """
    with PaperDB(db) as pdb:
        found = pdb.paper(id_or_title)
    if found is None:
        finish(False, f"no paper matches {id_or_title!r}")
    elif fmt == "json":
        echo_json(found.as_dict())
    elif fmt == "csv":
        echo_rows(
            [
                {
                    "id": found.id,
                    "title": found.title,
                    "year": found.year,
                    "venue": found.venue,
                    "url": found.url,
                    "authors": [a.name for a in found.authors],
                    "raw_names": [a.raw_name for a in found.authors],
                    "abstract": "\n\n".join(found.abstracts),
                    "ids": [f"{i['scheme']}:{i['value']}" for i in found.ids],
                    "sources": [f"{s.path}:{s.line}" for s in found.sources],
                }
            ],
            ["id", "title", "year", "venue", "url", "authors", "raw_names", "abstract", "ids", "sources"],
            fmt,
        )
    else:
        show_paper(found)


def show_paper(p: PaperDetail) -> None:
    click.echo(f"{style(p.title or '(abstract only: no title yet)', bold=True)}  [{p.id}]")
    facts = [str(x) for x in (p.year, p.venue, p.url) if x]
    if facts:
        click.echo("  ".join(facts))
    if p.authors:
        click.echo(style("\nAuthors", bold=True))
    for a in p.authors:
        click.echo(f"  {a.position:3d}. {a.name}  [{a.author_id}]  {style('as written: ' + a.raw_name, dim=True)}")
    for text in p.abstracts:
        click.echo(style("\nAbstract", bold=True))
        click.echo(text)
    if p.ids:
        click.echo(style("\nIds", bold=True))
        for i in p.ids:
            click.echo(f"  {i['scheme']}:{i['value']}")
    click.echo(style("\nSources", bold=True))
    for s in p.sources:
        click.echo(f"  {s.path}:{s.line}  ({s.format})")


@main.command()
@output_format
@click.pass_obj
@friendly_errors
def stats(db, fmt):
    """Row counts per table, the most prolific authors, papers per year, the last imports.

    JSON is one object: counts, top_authors, papers_per_year, last_imports. CSV is the
    counts, one `section,name,value` row each (also for authors and years).

    \b
    Example:
        paperdb stats
    """
    with PaperDB(db) as pdb:
        result = pdb.stats()
    if fmt == "json":
        echo_json(result)
        return
    rows = (
        [{"section": "count", "name": t, "value": n} for t, n in result["counts"].items()]
        + [{"section": "author", "name": a["name"], "value": a["paper_count"]} for a in result["top_authors"]]
        + [{"section": "year", "name": y["year"], "value": y["papers"]} for y in result["papers_per_year"]]
    )
    if fmt == "csv":
        echo_rows(rows, ["section", "name", "value"], fmt)
        return
    for table, n in result["counts"].items():
        click.echo(f"{table:>22}  {n}")
    click.echo(style("\nMost papers", bold=True))
    for a in result["top_authors"]:
        click.echo(f"{a['paper_count']:6d}  {a['name']}  [{a['id']}]")
    if result["papers_per_year"]:
        click.echo(style("\nPapers per year", bold=True))
        for y in result["papers_per_year"]:
            click.echo(f"  {y['year']}  {y['papers']}")
    click.echo(style("\nLast imports", bold=True))
    for run in result["last_imports"]:
        click.echo(
            f"import #{run['id']} {run['started_at']} {run['status']}: {run['files_loaded']} files loaded, "
            f"{run['files_skipped']} skipped, {run['papers_added']} papers added, "
            f"{run['records_rejected']} rejected"
        )


@main.command()
@click.argument("query")
@click.option("-p", "--param", "params", multiple=True, help="A value for the next `?` in QUERY (repeatable).")
@limit_option(None, "rows (default: all)")
@output_format
@click.pass_obj
@friendly_errors
def sql(db, query, params, limit, fmt):
    """Run one read-only SQL statement; anything that would write is refused (exit code 2).

    Values are bound with `?` and `-p VALUE`, never pasted into the SQL. Exit code 1
    when the query returns no rows. The schema is in docs/schema.md.

    \b
    Example:
        paperdb sql "SELECT name, paper_count FROM authors ORDER BY paper_count DESC LIMIT 5"
        paperdb sql "SELECT title FROM papers WHERE year >= ?" -p 2023 --format csv
    """
    with PaperDB(db) as pdb:
        result = pdb.sql(query, params, limit=limit)
    echo_rows(result.as_dicts(), result.columns, fmt)
    finish(bool(result.rows), "no rows")


@main.command()
@click.option("--candidates", is_flag=True, help="List pairs kept apart that may be one person, for review.")
@limit_option(20, "rows")
@output_format
@click.pass_obj
@friendly_errors
def authors(db, candidates, limit, fmt):
    """The most prolific authors, or (--candidates) pairs worth a human look.

    A candidate pair was not merged because the evidence was not enough (or both
    names are on one paper). Pairs an override can join come first, most alike names
    first, then those whose smaller side has the most papers. To decide, add a `merge:` or `split:` line to
    data/overrides.txt; the next import applies it.

    \b
    Example:
        paperdb authors --candidates
    """
    with PaperDB(db) as pdb:
        rows = pdb.candidates(limit=limit) if candidates else pdb.authors(limit=limit)
    if fmt != "table":
        echo_rows(
            rows,
            ["name_a", "name_b", "score", "reason", "author_a", "author_b", "papers_a", "papers_b", "shared_coauthors"]
            if candidates
            else ["id", "name", "paper_count", "is_organization", "variants"],
            fmt,
        )
    elif candidates:
        for row in rows:
            click.echo(
                f"{row['score']:.2f}  {row['name_a']} ({row['papers_a']} papers)  ~  "
                f"{row['name_b']} ({row['papers_b']} papers), {row['shared_coauthors']} shared co-authors: "
                f"{row['reason']}"
            )
    else:
        for row in rows:
            variants = f"  (also {row['variants']})" if row["variants"] else ""
            click.echo(f"{row['paper_count']:5d}  {row['name']}{variants}")
    finish(bool(rows), "no authors" if not candidates else "no candidate pairs")


@main.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="bibtex",
    show_default=True,
    help="bibtex and biblatex for LaTeX, csl-json for pandoc and Zotero, ris for EndNote, "
    "jsonl for paperdb's own import.",
)
@click.option("--search", "text", help="Only papers matching these words (as `paperdb search`).")
@click.option("--author", help="Only papers by this author (a name as you would type it, or an id).")
@click.option("--year-from", type=int, help="Only papers from this year on (papers with a known year).")
@click.option("--year-to", type=int, help="Only papers up to this year (papers with a known year).")
@click.option(
    "--ids",
    "ids_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Only the papers named in this file: one paper id or external id (doi:…, arxiv:…) a line.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.pass_obj
@friendly_errors
def export_cmd(db, fmt, text, author, year_from, year_to, ids_file, output):
    """Write papers as BibTeX, BibLaTeX, CSL-JSON, RIS or JSON Lines.

    Every paper, or those meeting all the conditions given. Citation keys are
    `familyYEARfirstword` (`lightman2023lets`), with a, b, … when two papers would share
    one. Papers known only from an abstract have nothing to cite: only jsonl writes
    them. Exit code 1 when no paper is selected.

    \b
    Example:
        paperdb export --format bibtex --author "John Schulman" -o schulman.bib
        paperdb export --format csl-json --search "process supervision" --year-from 2020
    """
    ids = Path(ids_file).read_text(encoding="utf-8").splitlines() if ids_file else None
    with PaperDB(db) as pdb:
        paper_ids = pdb.select(search=text, author=author, year_from=year_from, year_to=year_to, ids=ids)
        count, pieces = export_pieces(pdb.conn, fmt, paper_ids)
        finish(count > 0, "no papers selected" + (" (with a title)" if paper_ids else ""))
        if output is None:
            for piece in pieces:
                click.echo(piece, nl=False)
            return
        partial = Path(f"{output}.partial")  # a file half written is never left under the name asked for
        try:
            with partial.open("w", encoding="utf-8", newline="\n") as out:
                out.writelines(pieces)
            partial.replace(output)
        except OSError as e:
            raise OSError(e.errno, e.strerror, output) from None  # the error names the file asked for
        finally:
            partial.unlink(missing_ok=True)
    click.echo(f"{output}: {plural(count, 'paper')}", err=True)


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--title", default=None, help="The title on every page  [default: the database file's name]")
@click.argument("datasette_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
@friendly_errors
def serve(db, host, port, title, datasette_args):
    """Browse and search the database in Datasette.

    Serves the database with paperdb's metadata: descriptions of every table and
    column, search boxes, facets and canned queries. The nightly import can keep
    writing while it serves. Extra arguments go to `datasette serve`. Needs the
    optional extra: pip install '.[datasette]'. Exit code: Datasette's, or the
    database's refusal codes above.

    \b
    Example:
        paperdb serve --port 8001 --title "Our lab's papers"
        paperdb --db data/papers.db serve --setting sql_time_limit_ms 5000
    """
    sys.exit(serve_datasette(db, host, port, datasette_args, title))
