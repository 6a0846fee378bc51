"""Title words, the weak evidence resolution compares: folded, four letters or more, no function words."""

import pytest

from app.etl.title_words import title_words


@pytest.mark.parametrize(
    "title, words",
    [
        ("Let's Verify Step by Step", ("lets", "step", "verify")),
        # Letters without a decomposition (Ł, Æ) are spelled plainly; "based" says nothing.
        ("Łódź-based Évaluation of ÆSIR: the state-of-the-art", ("aesir", "evaluation", "lodz", "state")),
        ("Word2Vec embeddings for 𝐒peech", ("embeddings", "speech", "word")),
        ("What is it for, and when?", ()),
        ("", ()),
        (None, ()),
    ],
)
def test_title_words_are_folded_distinct_and_sorted(title, words):
    assert title_words(title) == words


def test_accented_and_plain_titles_give_the_same_words():
    assert (
        title_words("Naïve Bayes über Alles’ Café")
        == title_words("naive bayes uber alles' cafe")
        == (
            "alles",
            "bayes",
            "cafe",
            "naive",
            "uber",
        )
    )
