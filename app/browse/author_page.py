"""The author page, `/{database}/-/authors/{id}`: the display name, every spelling, the papers
newest first, the co-authors and the authors that may be the same person, each linked."""

from __future__ import annotations

from datasette.utils.asgi import NotFound

from app.browse.respond import database_name, read, respond
from app.browse.urls import author_url, paper_url
from app.query import AuthorLookup, LikelySame


def orcid_url(orcid: str | None) -> str | None:
    return f"https://orcid.org/{orcid}" if orcid else None


def may_be_same(part_of: list[LikelySame], pairs: list[dict]) -> list[dict]:
    """The authors kept apart that may be this one, each once: larger authors with a compatible
    name (`part_of`, with how many co-authors both have), then the other sides of its candidate
    pairs (with the pair's score and reason); an author in both has both."""
    found = {
        a.id: {
            "id": a.id,
            "name": a.name,
            "paper_count": a.paper_count,
            "reason": f"compatible name ({a.rule}), more papers",
            "score": None,
            "shared_coauthors": len(a.shared_coauthors),
        }
        for a in part_of
    }
    for pair in pairs:
        same = found.setdefault(pair["id"], {**pair, "reason": None, "shared_coauthors": None})
        same["score"] = pair["score"]
        same["reason"] = "; ".join(filter(None, [same["reason"], pair["reason"]]))
    return list(found.values())


def author_data(datasette, database: str, lookup: AuthorLookup, pairs: list[dict]) -> dict:
    """The page's data as plain values, each linked author or paper with its `url`."""
    a = lookup.author
    return {
        "id": a.id,
        "name": a.name,
        "is_organization": a.is_organization,
        "paper_count": a.paper_count,
        "orcid": a.orcid,
        "orcid_url": orcid_url(a.orcid),
        "variants": [v.as_dict() for v in a.variants],
        "papers": [{**p.as_dict(), "url": paper_url(datasette, database, p.paper_id)} for p in a.papers],
        "coauthors": [{**c.as_dict(), "url": author_url(datasette, database, c.id)} for c in a.coauthors],
        "may_be_same": [
            {**same, "url": author_url(datasette, database, same["id"])} for same in may_be_same(lookup.part_of, pairs)
        ],
    }


async def author_page(datasette, request):
    database = database_name(request)
    author_id = int(request.url_vars["id"])

    def lookup(pdb):
        found = pdb.author(author_id, limit=None)
        return (found, pdb.candidates_of(author_id)) if found.author else (None, [])

    found, pairs = await read(datasette, request, lookup)
    if found is None:
        raise NotFound(f"No author {author_id} in {database}")
    data = author_data(datasette, database, found, pairs)
    return await respond(datasette, request, "author.html", data, title=data["name"])
