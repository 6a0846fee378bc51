"""Author-list parsing and name keys: what the parser repairs and which names may match."""

from __future__ import annotations

import random
from itertools import combinations
from pathlib import Path

import pytest

from app.text.clean import repair_text
from app.text.names import (
    Compatibility,
    NameParseError,
    block_key,
    coauthor_key,
    coauthor_key_in_block,
    compatible_candidates,
    fold,
    given_compatibility,
    given_tokens,
    name_tokens,
    nickname_table,
    parse_author_pairs,
    parse_flat_authors,
    token_compatibility,
)
from app.text.records import Mention, NameRepair, ParsedAuthors

PROFILE_DUMP = Path(__file__).resolve().parent.parent / "data" / "samples" / "003_813f7c278c729ce1.txt"


def seed_author_lines() -> list[str]:
    """The flat author lines of the profile dump, text-repaired as the loader does."""
    lines = PROFILE_DUMP.read_text(encoding="utf-8").splitlines()
    return [repair_text(line) for line in lines[2::3]]


def test_flat_list_pairs_family_and_given_with_null_givens():
    assert parse_flat_authors("Hurst, Aaron, Chung, Hyung Won, Plato, null") == ParsedAuthors(
        mentions=(
            Mention("Hurst", "Aaron", "Hurst, Aaron"),
            Mention("Chung", "Hyung Won", "Chung, Hyung Won"),
            Mention("Plato", None, "Plato, null"),
        )
    )


def test_organisation_is_flagged_and_stray_colon_dropped():
    assert parse_flat_authors("OpenAI, null, :, null, Hurst, Aaron") == ParsedAuthors(
        mentions=(
            Mention("OpenAI", None, "OpenAI, null", is_organization=True),
            Mention("Hurst", "Aaron", "Hurst, Aaron"),
        ),
        repairs=(NameRepair("stray-token", "dropped ':, null'"),),
    )


@pytest.mark.parametrize("org", ["OpenAI", "Google DeepMind", "Gemini Team", "BigScience Workshop", "NVIDIA"])
def test_organisations_by_table_and_by_heuristic(org):
    assert parse_flat_authors(f"{org}, null").mentions[0].is_organization


def test_stray_token_without_null_partner_is_dropped_alone():
    parsed = parse_flat_authors("Smith, John, :, Doe, Jane")
    assert [m.display for m in parsed.mentions] == ["John Smith", "Jane Doe"]
    assert [r.kind for r in parsed.repairs] == ["stray-token"]


def test_person_split_into_two_given_less_entries_is_joined():
    parsed = parse_flat_authors("Shuaiqi, null, Xia, null, Phene, Sonia, Michael, null, Pokorny, null")
    assert [(m.family, m.given) for m in parsed.mentions] == [
        ("Xia", "Shuaiqi"),
        ("Phene", "Sonia"),
        ("Pokorny", "Michael"),
    ]
    assert parsed.repairs == (
        NameRepair("joined-split-name", "'Shuaiqi, null, Xia, null' read as Shuaiqi Xia"),
        NameRepair("joined-split-name", "'Michael, null, Pokorny, null' read as Michael Pokorny"),
    )


def test_same_string_twice_is_kept_once_but_different_spellings_stay():
    parsed = parse_flat_authors(
        "O'Connell, Ian, O'Connell, Ian, Tootoochian, Amin, Tootoonchian, Amin, Kirillov, Alex, Kirillov, Alexander"
    )
    assert [m.display for m in parsed.mentions] == [
        "Ian O'Connell",
        "Amin Tootoochian",
        "Amin Tootoonchian",
        "Alex Kirillov",
        "Alexander Kirillov",
    ]
    assert parsed.repairs == (NameRepair("duplicate-mention", 'dropped repeated "O\'Connell, Ian"'),)


def test_swapped_order_is_left_as_written():
    assert parse_flat_authors("Karina, Nguyen").mentions == (Mention("Karina", "Nguyen", "Karina, Nguyen"),)


def test_odd_token_count_raises_with_the_position():
    with pytest.raises(NameParseError, match=r"odd number of name parts: 'Doe' \(token 3 of 3\)"):
        parse_flat_authors("Smith, John, Doe")


def test_empty_author_list_has_no_mentions():
    assert parse_flat_authors("") == ParsedAuthors(mentions=())


def test_seed_gpt4o_author_list_is_repaired():
    gpt4o = parse_flat_authors(seed_author_lines()[2])
    displays = [m.display for m in gpt4o.mentions]
    assert displays[:2] == ["OpenAI", "Aaron Hurst"]
    assert gpt4o.mentions[0].is_organization
    assert ":" not in displays
    assert displays.count("Ian O'Connell") == 1
    assert "Shuaiqi Xia" in displays
    assert "Aleksander Mądry" in displays
    assert {"Amin Tootoochian", "Amin Tootoonchian", "Phil Tillet", "Philippe Tillet"} <= set(displays)
    assert sorted(r.kind for r in gpt4o.repairs) == ["duplicate-mention", "joined-split-name", "stray-token"]


def test_seed_gpt4_author_list_joins_michael_pokorny():
    gpt4 = parse_flat_authors(seed_author_lines()[3])
    displays = [m.display for m in gpt4.mentions]
    assert "Michael Pokorny" in displays
    assert "Łukasz Kaiser" in displays
    assert "Michael" not in displays and "Pokorny" not in displays


def test_author_pairs_handle_null_givens_strays_orgs_and_duplicates():
    parsed = parse_author_pairs(
        [
            ("OpenAI", None),
            (":", "null"),
            ("Gelderloos", "Lieke"),
            ("Gelderloos", "Lieke"),
            ("Plato", ""),
            ("", "Kumar"),
        ]
    )
    assert [(m.family, m.given, m.is_organization) for m in parsed.mentions] == [
        ("OpenAI", None, True),
        ("Gelderloos", "Lieke", False),
        ("Plato", None, False),
        ("Kumar", None, False),
    ]
    assert [r.kind for r in parsed.repairs] == ["stray-token", "duplicate-mention"]


def test_fold_removes_case_accents_and_punctuation():
    assert fold("Łukasz Mély-Straße O'Connell Jr.") == "lukasz mely strasse oconnell jr"
    assert fold("Prud’hommeaux") == fold("Prudhommeaux")


def test_given_tokens_join_hyphenated_parts_but_keep_initials():
    assert given_tokens("Xin-Yu") == given_tokens("Xinyu") == ("xinyu",)
    assert given_tokens("J. R.") == given_tokens("J.R.") == ("j", "r")
    assert given_tokens("J.-P.") == ("j", "p")
    assert given_tokens(None) == ()


@pytest.mark.parametrize(
    "a, b",
    [
        (("Gontijo-Lopes", "Rapha"), ("Lopes", "Rapha Gontijo")),
        (("Al Khatib", "Khalid"), ("Al-Khatib", "Khalid")),
        (("Ovesdotter Alm", "Cecilia"), ("Alm", "Cecilia O.")),
        (("Logan IV", "Robert L."), ("Logan", "Robert")),
        (("Mély", "David"), ("Mely", "David")),
    ],
)
def test_block_key_joins_compound_and_hyphenated_family_names(a, b):
    assert block_key(*a) == block_key(*b)


def test_name_tokens_move_family_parts_before_the_key_into_the_name():
    assert name_tokens("Gontijo-Lopes", "Rapha") == name_tokens("Lopes", "Rapha Gontijo") == ("rapha", "gontijo")
    assert name_tokens("de Castro", "Miguel") == name_tokens("Castro", "Miguel") == ("miguel",)


def test_coauthor_key_is_block_key_and_first_given_name():
    assert coauthor_key("Achiam", "Joshua") == "achiam joshua"
    assert coauthor_key("Gontijo-Lopes", "Rapha") == "lopes rapha"
    assert coauthor_key("OpenAI", None) == "openai"
    assert coauthor_key_in_block("lopes", "Rapha") == "lopes rapha"
    assert coauthor_key_in_block("openai", None) == "openai"


COMPATIBLE_GIVEN_NAMES = [
    ("Lukasz", "Łukasz", "folded-equal"),
    ("Xin-Yu", "Xinyu", "folded-equal"),
    ("Xin Yu", "Xinyu", "hyphen-space"),
    ("Samuel", "Samuel R.", "middle-initial"),
    ("Cecilia O.", "Cecilia Ovesdotter", "middle-initial"),
    ("Nitish", "Nitish Shirish", "middle-name"),
    ("Josh", "Joshua", "nickname"),
    ("Liam", "William", "nickname"),
    ("Mia", "Amelia", "nickname"),
    ("Mo", "Mohammad", "nickname"),
    ("Nik", "Nikolas", "nickname"),
    ("J.", "John", "initial"),
    ("J. R.", "John Ronald", "initial"),
    ("Joy", "Yunxin Joy", "second-name"),
    ("Avi", "Avirup", "prefix"),
]


@pytest.mark.parametrize("g1, g2, rule", COMPATIBLE_GIVEN_NAMES)
def test_compatible_given_names(g1, g2, rule):
    found = given_compatibility(g1, g2)
    assert found is not None and found.rule == rule
    assert given_compatibility(g2, g1) == found


@pytest.mark.parametrize(
    "g1, g2",
    [("Roy", "Ruby"), ("Yu", "Yuchen"), ("Jiahui", "Jieqi"), ("John A.", "John B."), ("J.", "K."), ("Ian", None)],
)
def test_incompatible_given_names(g1, g2):
    assert given_compatibility(g1, g2) is None


@pytest.mark.parametrize(
    "a, b, score",
    [
        (name_tokens("Zadeh", "Amir"), name_tokens("Bagher Zadeh", "AmirAli"), 0.63),  # prefix and an extra name
        (("j",), ("john", "r"), 0.736),  # initial and an extra initial
    ],
)
def test_a_different_first_name_with_an_extra_name_is_compound(a, b, score):
    assert token_compatibility(a, b) == token_compatibility(b, a) == Compatibility("compound", score)


def test_identical_given_names_score_highest():
    assert given_compatibility("Daniel", "daniel") == Compatibility("folded-equal", 1.0)


def test_nickname_table_has_the_package_and_the_curated_pairs():
    table = nickname_table()
    assert "joshua" in table["josh"]  # from the nicknames package
    assert {"william"} <= table["liam"] and {"amelia"} <= table["mia"]  # from nicknames.csv
    assert "mohammad" in table["mo"] and "nikolas" in table["nik"]


def random_token_tuples(count: int, seed: int = 0) -> set[tuple[str, ...]]:
    """Given-name token tuples of every shape the rules care about: initials, syllables that
    prefix one another or regroup (`xin yu`/`xinyu`), nicknames, one to three tokens."""
    rng = random.Random(seed)
    syllables = ["an", "bo", "chen", "hao", "jun", "jie", "li", "ming", "qi", "wei", "xin", "yu", "zhi"]
    nicknames = ["josh", "joshua", "bob", "robert", "liam", "william", "will", "mia", "amelia", "alex"]

    def token() -> str:
        kind = rng.random()
        if kind < 0.2:
            return rng.choice("abjlmqrwxyz")
        if kind < 0.4:
            return rng.choice(nicknames)
        return "".join(rng.choices(syllables, k=rng.choice((1, 1, 2, 3))))

    found = {()}
    while len(found) < count:
        found.add(tuple(token() for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))))
    return found


def test_compatible_candidates_hold_every_compatible_pair_and_few_others():
    examples = {given_tokens(g) for g1, g2, _ in COMPATIBLE_GIVEN_NAMES for g in (g1, g2)}
    names = sorted(random_token_tuples(600) | examples)
    all_pairs = list(combinations(names, 2))
    compatible = {(a, b) for a, b in all_pairs if token_compatibility(a, b) is not None}
    found = compatible_candidates(names)
    assert compatible <= found
    assert all(a < b for a, b in found)
    assert len(found) < len(all_pairs) / 10
