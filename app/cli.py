"""The `paperdb` command: a few lines per command over the library."""
from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path

import click

from app.db import DB_ENV, DEFAULT_DB, DatabaseError, migrate
from app.etl.load import run_import
from app.lock import LockHeld, import_lock
from app.query import PaperDB, QueryError


def friendly_errors(func):
    """Turn the errors a user can fix into one clear line and exit code 2, never a traceback."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (DatabaseError, QueryError, FileNotFoundError, ValueError) as e:
            raise click.UsageError(str(e)) from None
        except OSError as e:
            raise click.ClickException(f"{getattr(e, 'filename', '') or ''}: {e.strerror or e}") from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db", type=click.Path(dir_okay=False), envvar=DB_ENV, default=DEFAULT_DB, show_default=True,
              help=f"The database file (also ${DB_ENV}).")
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
@click.option("--revision", default="head", show_default=True, help="Target revision (`base` to downgrade fully).")
@click.pass_obj
@friendly_errors
def migrate_cmd(db, revision):
    """Create or upgrade the database schema, keeping its data.

    \b
    Example:
        paperdb --db papers.db migrate
    """
    migrate(db, revision)
    click.echo(f"{db}: schema at {revision}")


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--overrides", type=click.Path(dir_okay=False), default=None,
              help="Author overrides file (default: overrides.txt beside the database, if present).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of text.")
@click.option("--wait", is_flag=True, help="Wait for a running import instead of exiting with code 75.")
@click.pass_obj
@friendly_errors
def import_cmd(db, paths, overrides, as_json, wait):
    """Load dump files (or folders of them) into the database.

    Formats are detected per file: profile dumps, abstracts dumps and JSON Lines.
    Files already loaded are skipped; a changed file replaces what it gave before.
    Bad records are kept in the `rejects` table and reported; the rest loads.
    Exit code: 0 loaded, 1 some records or files rejected, 75 another import
    is running on the same database.

    \b
    Example:
        paperdb import data/samples/
    """
    def show(result):
        if not as_json:
            extra = f", {len(result.rejects)} rejected" if result.rejects else ""
            click.echo(f"{result.status:>8}  {result.path}  ({result.records} records{extra})", err=True)
            for r in result.rejects[:5]:
                click.echo(f"          {r.file}:{r.line or '-'}: {r.reason}", err=True)

    try:
        with import_lock(db, wait=wait):
            report = run_import(db, paths, overrides_path=overrides, progress=show)
    except LockHeld as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(75)
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.summary())
    sys.exit(0 if report.status == "ok" else 1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
@friendly_errors
def stats(db, as_json):
    """Row counts per table and the last imports.

    \b
    Example:
        paperdb stats
    """
    with PaperDB(db) as pdb:
        result = pdb.stats()
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for table, n in result["counts"].items():
        click.echo(f"{table:>22}  {n}")
    for run in result["last_imports"]:
        click.echo(f"import #{run['id']} {run['started_at']} {run['status']}: {run['files_loaded']} files loaded, "
                   f"{run['files_skipped']} skipped, {run['papers_added']} papers added, "
                   f"{run['records_rejected']} rejected")


@main.command()
@click.argument("text")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="How many results.")
@click.option("--raw", is_flag=True, help="Pass FTS5 query syntax through (`verif*`, `NEAR`, `OR`).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@friendly_errors
def search(db, text, limit, raw, as_json):
    """Search titles, author names and abstracts, best match first.

    \b
    Example:
        paperdb search "process supervision"
    """
    with PaperDB(db) as pdb:
        hits = pdb.search(text, limit=limit, raw=raw)
    for hit in hits:
        if as_json:
            click.echo(json.dumps(hit.as_dict(), ensure_ascii=False))
        else:
            click.echo(f"{hit.score:6.2f}  {hit.title or '(abstract only)'}  [{hit.paper_id}]")
            click.echo(f"        {', '.join(hit.authors[:6])}{' …' if len(hit.authors) > 6 else ''}")
    sys.exit(0 if hits else 1)


@main.command()
@click.option("--candidates", is_flag=True, help="List pairs kept apart that may be one person, for review.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100000), help="How many rows.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@friendly_errors
def authors(db, candidates, limit, as_json):
    """The most prolific authors, or (--candidates) pairs worth a human look.

    A candidate pair was not merged because the evidence was not enough (or both
    names are on one paper). To decide, add a `merge:` or `split:` line to
    data/overrides.txt; the next import applies it.

    \b
    Example:
        paperdb authors --candidates
    """
    with PaperDB(db) as pdb:
        rows = pdb.candidates(limit=limit) if candidates else pdb.authors(limit=limit)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        elif candidates:
            click.echo(f"{row['score']:.2f}  {row['name_a']} ({row['papers_a']} papers)  ~  "
                       f"{row['name_b']} ({row['papers_b']} papers): {row['reason']}")
        else:
            variants = f"  (also {row['variants']})" if row["variants"] else ""
            click.echo(f"{row['paper_count']:5d}  {row['name']}{variants}")
    sys.exit(0 if rows else 1)
