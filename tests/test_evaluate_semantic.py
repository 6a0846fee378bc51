"""scripts/evaluate_semantic.py: its figures on four hand-made papers, measured through the loader."""

from __future__ import annotations

import json

import pytest

from app.search import embedding
from tests.conftest import script_module

# Two pairs of papers on one subject each; in each pair the two share an author, a venue and a year.
PAPERS = [
    {
        "source_id": "p1",
        "title": "Translating French into English",
        "abstract": "A machine translation system for French and English sentences.",
        "authors": ["Smith, John"],
        "venue": "ACL",
        "year": 2019,
    },
    {
        "source_id": "p2",
        "title": "Neural machine translation of rare words",
        "abstract": "Translation of rare words with subword units.",
        "authors": ["Smith, John", "Doe, Jane"],
        "venue": "ACL",
        "year": 2019,
    },
    {
        "source_id": "p3",
        "title": "Counting birds in winter",
        "abstract": "A survey of migrating birds.",
        "authors": ["Lee, Ann"],
        "venue": "Ecology",
        "year": 2001,
    },
    {
        "source_id": "p4",
        "title": "Where do geese fly",
        "abstract": "Migration routes of geese and other birds.",
        "authors": ["Lee, Ann"],
        "venue": "Ecology",
        "year": 2001,
    },
]


@pytest.mark.skipif(not embedding.available(), reason="needs the extra: pip install 'paperdb[semantic]'")
def test_the_figures_of_four_papers(tmp_path, capsys):
    papers = tmp_path / "papers.jsonl"
    papers.write_text("".join(json.dumps(p) + "\n" for p in PAPERS), encoding="utf-8")
    assert script_module("evaluate_semantic").main([str(papers)]) == 0
    result = json.loads(capsys.readouterr().out)
    # No abstract holds every word of its title; any of them, or the vectors, find each one first.
    assert result["title -> own abstract"]["modes"] == {
        "text": {"mrr@10": 0.0, "recall@10": 0.0},
        "text, any word": {"mrr@10": 1.0, "recall@10": 1.0},
        "semantic": {"mrr@10": 1.0, "recall@10": 1.0},
        "hybrid": {"mrr@10": 1.0, "recall@10": 1.0},
        "hybrid, any word": {"mrr@10": 1.0, "recall@10": 1.0},
    }
    # Each paper's three others are all its neighbours (one of them its partner); bm25 lists only
    # the titles sharing a word with its own, fewer and more often its partner.
    assert result["related"]["share sharing an author or venue-year"] == {
        "related (vectors)": 0.333,
        "random": 0.333,
        "bm25 on the title": 0.6,
    }
