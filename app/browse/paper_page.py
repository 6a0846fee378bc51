"""The paper page, `/{database}/-/papers/{id}`: title, year, venue, the authors in order (linked,
with the spelling the source used), abstracts, external ids as links, the files and lines it came
from, and its BibTeX."""

from __future__ import annotations

from datasette.utils.asgi import NotFound

from app.browse.respond import database_name, read, respond
from app.browse.urls import author_url, paper_url
from app.export import export
from app.query import PaperDetail, RelatedPaper
from app.search.embedding import SemanticUnavailable

# Related papers listed on a paper's page, when the papers have vectors (`paperdb[semantic]`).
RELATED_LIMIT = 10

# Where each identifier scheme of `paper_ids` resolves; a source key has no address.
ID_ADDRESSES = {
    "doi": "https://doi.org/{}",
    "arxiv": "https://arxiv.org/abs/{}",
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "pmcid": "https://www.ncbi.nlm.nih.gov/pmc/articles/{}/",
    "openalex": "https://openalex.org/{}",
}


def id_url(scheme: str, value: str) -> str | None:
    """The web address an external id names, None for a scheme without one (source keys)."""
    address = ID_ADDRESSES.get(scheme)
    return address.format(value) if address else None


def related_papers(pdb, paper_id: int) -> list[RelatedPaper]:
    """The papers nearest this one in meaning; none when it has no vector (no extra, or not embedded yet)."""
    try:
        return pdb.related(paper_id, limit=RELATED_LIMIT) or []
    except SemanticUnavailable:
        return []


def paper_data(datasette, database: str, paper: PaperDetail, bibtex: str, related: list[RelatedPaper]) -> dict:
    """The page's data as plain values, each linked author, id and download with its `url`."""
    return {
        **paper.as_dict(),
        "authors": [{**a.as_dict(), "url": author_url(datasette, database, a.author_id)} for a in paper.authors],
        "ids": [{**i, "url": id_url(i["scheme"], i["value"])} for i in paper.ids],
        "bibtex": bibtex,
        "bibtex_url": datasette.urls.row(database, "papers", str(paper.id), format="bib"),
        "sharing_authors_url": datasette.urls.query(database, "papers_sharing_authors") + f"?paper_id={paper.id}",
        "related": [{**r.as_dict(), "url": paper_url(datasette, database, r.paper_id)} for r in related],
    }


async def paper_page(datasette, request):
    database = database_name(request)
    paper_id = int(request.url_vars["id"])

    def lookup(pdb):
        paper = pdb.paper_by_id(paper_id)
        if paper is None:
            return None, "", []
        return paper, export(pdb.conn, "bibtex", [paper_id]), related_papers(pdb, paper_id)

    paper, bibtex, related = await read(datasette, request, lookup)
    if paper is None:
        raise NotFound(f"No paper {paper_id} in {database}")
    data = paper_data(datasette, database, paper, bibtex, related)
    title = paper.title or f"Paper {paper.id} (abstract only)"
    return await respond(datasette, request, "paper.html", data, title=title)
