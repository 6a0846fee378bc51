"""Author resolution on the profile dump and small hand-made blocks."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import pytest

from app.etl import block_links, resolve
from app.etl.resolve import (
    Candidate,
    Mention,
    Overrides,
    load_overrides,
    parse_overrides,
    resolve_all,
    resolve_block,
)
from app.text.clean import repair_text
from app.text.names import block_key, coauthor_key, parse_flat_authors

PROFILE_DUMP = Path(__file__).resolve().parent.parent / "data" / "samples" / "003_813f7c278c729ce1.txt"


def seed_mentions() -> list[Mention]:
    """Mentions of the profile dump: line 1 the owner, then title / authors / abstract."""
    lines = PROFILE_DUMP.read_text(encoding="utf-8").splitlines()
    owner = lines[0].strip()
    refs = []
    for title, authors in zip(lines[1::3], lines[2::3]):
        mentions = parse_flat_authors(repair_text(authors)).mentions
        keys = [coauthor_key(m.family, m.given) for m in mentions]
        refs += [
            Mention.of(
                (title, i),
                title,
                m.family,
                m.given,
                is_organization=m.is_organization,
                coauthors=frozenset(keys[:i] + keys[i + 1 :]),
                profiles=frozenset({owner}),
            )
            for i, m in enumerate(mentions)
        ]
    return refs


@pytest.fixture(scope="module")
def seed_results():
    return resolve_all(seed_mentions())


def cluster_of(results, spelling: str):
    """The cluster holding a `Given Family` spelling."""
    [found] = [c for r in results for c in r.clusters if spelling in dict(c.spellings)]
    return found


def ref(key, paper, family, given, coauthors=(), profiles=()) -> Mention:
    return Mention.of(key, paper, family, given, coauthors=frozenset(coauthors), profiles=frozenset(profiles))


@pytest.mark.parametrize(
    "a, b",
    [
        ("Josh Achiam", "Joshua Achiam"),
        ("Liam Fedus", "William Fedus"),
        ("Mia Glaese", "Amelia Glaese"),
        ("Mo Bavarian", "Mohammad Bavarian"),
        ("Nik Tezak", "Nikolas Tezak"),
        ("Nitish Keskar", "Nitish Shirish Keskar"),
        ("Joy Jiao", "Yunxin Joy Jiao"),
        ("Rapha Gontijo-Lopes", "Rapha Gontijo Lopes"),
        ("Lukasz Kaiser", "Łukasz Kaiser"),
        ("David Mely", "David Mély"),
    ],
)
def test_seed_variants_of_one_person_merge(seed_results, a, b):
    assert cluster_of(seed_results, a) is cluster_of(seed_results, b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("Daniel Levin", "Daniel Levy"),
        ("Ruby Chen", "Roy Chen"),
        ("Yu Zhang", "Yuchen Zhang"),
        ("Jiahui Yu", "Jieqi Yu"),
        ("Amin Tootoochian", "Amin Tootoonchian"),
        ("Alex Kirillov", "Alexander Kirillov"),
        ("Phil Tillet", "Philippe Tillet"),
    ],
)
def test_seed_lookalikes_stay_apart(seed_results, a, b):
    assert cluster_of(seed_results, a) is not cluster_of(seed_results, b)


def test_seed_spellings_on_one_paper_are_candidates_not_merges(seed_results):
    [kirillov] = [r for r in seed_results if r.key == "kirillov"]
    assert kirillov.candidates == [
        Candidate("Alex Kirillov", "Alexander Kirillov", 0.85, "both on one paper (GPT-4o System Card)")
    ]


def test_seed_openai_is_one_organisation(seed_results):
    openai = cluster_of(seed_results, "OpenAI")
    assert (openai.name, openai.is_organization, len(openai.members)) == ("OpenAI", True, 2)


def test_seed_repairs_reach_resolution(seed_results):
    names = {c.name for r in seed_results for c in r.clusters}
    assert {"Shuaiqi Xia", "Michael Pokorny"} <= names
    assert ":" not in names
    assert cluster_of(seed_results, "Ian O'Connell").spellings == (("Ian O'Connell", 1),)


@pytest.mark.parametrize(
    "spelling, display",
    [
        ("Lukasz Kaiser", "Łukasz Kaiser"),
        ("David Mely", "David Mély"),
        ("Josh Achiam", "Joshua Achiam"),
        ("Liam Fedus", "William Fedus"),
        ("Nitish Keskar", "Nitish Shirish Keskar"),
        ("Joy Jiao", "Yunxin Joy Jiao"),
    ],
)
def test_display_name_is_the_most_informative_spelling(seed_results, spelling, display):
    assert cluster_of(seed_results, spelling).name == display


def test_merges_record_rule_score_and_evidence(seed_results):
    [achiam] = [r for r in seed_results if r.key == "achiam"]
    [merge] = achiam.merges
    assert (merge.a_name, merge.b_name, merge.rule, merge.score) == ("Josh Achiam", "Joshua Achiam", "nickname", 0.85)
    assert merge.evidence.startswith("shared co-authors: ")
    assert merge.evidence.endswith("shared profiles: Schulman, John")


def test_result_does_not_depend_on_input_order(seed_results):
    refs = seed_mentions()
    for seed in range(3):
        random.Random(seed).shuffle(refs)
        assert resolve_all(refs) == seed_results


def test_same_paper_mentions_never_merge():
    result = resolve_block([ref(1, "p1", "Tillet", "Phil"), ref(2, "p1", "Tillet", "Philippe")])
    assert [c.members for c in result.clusters] == [(1,), (2,)]


def test_compatible_names_without_evidence_are_candidates():
    result = resolve_block([ref(1, "p1", "McKeown", "Kathy"), ref(2, "p2", "McKeown", "Kathleen")])
    assert len(result.clusters) == 2 and result.merges == []
    assert result.candidates == [
        Candidate("Kathleen McKeown", "Kathy McKeown", 0.85, "nickname: no shared co-author or profile (needs 1)")
    ]


def test_string_similarity_alone_never_merges():
    result = resolve_block(
        [
            ref(1, "p1", "Chen", "Ruby", coauthors={"x a"}),
            ref(2, "p2", "Chen", "Roy", coauthors={"x a"}),
        ]
    )
    assert len(result.clusters) == 2


def test_added_middle_initial_merges_when_it_is_the_only_reading():
    result = resolve_block([ref(1, "p1", "Bowman", "Samuel"), ref(2, "p2", "Bowman", "Samuel R.")])
    assert [c.name for c in result.clusters] == ["Samuel R. Bowman"]
    assert result.merges[0].rule == "middle-initial"


def test_added_middle_initial_needs_evidence_when_ambiguous():
    result = resolve_block(
        [
            ref(1, "p1", "Bowman", "Samuel"),
            ref(2, "p2", "Bowman", "Samuel R."),
            ref(3, "p3", "Bowman", "Samuel T."),
        ]
    )
    assert len(result.clusters) == 3


def test_an_initial_cannot_glue_two_people_together():
    shared = {"doe jane", "roe richard", "poe edgar"}
    result = resolve_block(
        [
            ref(1, "p1", "Smith", "J.", coauthors=shared),
            ref(2, "p2", "Smith", "Josh", coauthors=shared),
            ref(3, "p3", "Smith", "Jim", coauthors=shared),
            ref(4, "p4", "Smith", "Joshua", coauthors=shared),
        ]
    )
    clusters = [sorted(c.members) for c in result.clusters]
    assert not any({2, 3} <= set(members) for members in clusters)
    assert any({2, 4} <= set(members) for members in clusters)


def test_a_namesake_who_is_no_reading_of_either_name_does_not_raise_the_bar():
    result = resolve_block(
        [
            ref(1, "p1", "Bowman", "Samuel"),
            ref(2, "p2", "Bowman", "Samuel R."),
            ref(3, "p3", "Bowman", "Eric"),
        ]
    )
    assert len(result.clusters) == 3
    assert result.candidates == [
        Candidate("Samuel Bowman", "Samuel R. Bowman", 0.92, "middle-initial: no shared co-author or profile (needs 1)")
    ]


def test_a_rival_reading_raises_the_bar():
    result = resolve_block(
        [
            ref(1, "p1", "Bowman", "Samuel"),
            ref(2, "p2", "Bowman", "Samuel R."),
            ref(3, "p3", "Bowman", "Samuel T."),
        ]
    )
    assert len(result.clusters) == 3
    assert result.candidates[0] == Candidate(
        "Samuel Bowman",
        "Samuel R. Bowman",
        0.92,
        "middle-initial: no shared co-author or profile (needs 3: samuel t bowman is another reading)",
    )


@pytest.mark.parametrize(
    "shared, merged",
    [
        ({"king irwin"}, False),
        ({"king irwin", "doe jane"}, False),
        ({"king irwin", "doe jane", "roe richard"}, True),
    ],
)
def test_a_rival_reading_needs_more_shared_coauthors(shared, merged):
    result = resolve_block(
        [
            ref(1, "p1", "Lyu", "Michael", coauthors=shared),
            ref(2, "p2", "Lyu", "Michael R.", coauthors=shared),
            ref(3, "p3", "Lyu", "Michael T."),
        ]
    )
    assert [c.name for c in result.clusters] == (
        ["Michael R. Lyu", "Michael T. Lyu"] if merged else ["Michael Lyu", "Michael R. Lyu", "Michael T. Lyu"]
    )


def test_a_namesake_of_another_first_name_leaves_one_shared_coauthor_enough():
    result = resolve_block(
        [
            ref(1, "p1", "Lyu", "Michael", coauthors={"king irwin"}),
            ref(2, "p2", "Lyu", "Michael R.", coauthors={"king irwin"}),
            ref(3, "p3", "Lyu", "Yajuan", coauthors={"king irwin"}),
        ]
    )
    assert [c.name for c in result.clusters] == ["Michael R. Lyu", "Yajuan Lyu"]
    assert result.merges[0].evidence == "shared co-authors: king irwin"


@pytest.fixture(params=["per cluster", "one index"])
def initials_by(request, monkeypatch):
    """Co-authors written as an initial matched as a small block does, and as a big one does
    (`_Block.by_initial`, from INITIAL_INDEX_MIN_MENTIONS mentions)."""
    if request.param == "one index":
        monkeypatch.setattr(resolve, "INITIAL_INDEX_MIN_MENTIONS", 0)
    return request.param


def test_a_coauthor_written_as_an_initial_is_shared_with_the_full_first_name(initials_by):
    result = resolve_block(
        [
            ref(1, "p1", "Och", "F. J.", coauthors={"och f", "ney h", "tillmann c"}),
            ref(2, "p2", "Och", "Franz Josef", coauthors={"och franz", "ney hermann", "zens richard"}),
        ]
    )
    assert [c.members for c in result.clusters] == [(1, 2)]
    assert (result.merges[0].rule, result.merges[0].evidence) == ("initial", "shared co-authors: ney h")


def test_a_coauthor_initial_does_not_match_another_first_initial(initials_by):
    result = resolve_block(
        [
            ref(1, "p1", "Och", "F. J.", coauthors={"ney k"}),
            ref(2, "p2", "Och", "Franz Josef", coauthors={"ney hermann"}),
        ]
    )
    assert len(result.clusters) == 2


@pytest.mark.parametrize("shared, merged", [({"simard michel"}, False), ({"simard michel", "goutte cyril"}, True)])
def test_a_given_name_spelling_slip_merges_with_two_shared_coauthors(shared, merged):
    result = resolve_block(
        [
            ref(1, "p1", "Langlais", "Philippe", coauthors=shared),
            ref(2, "p2", "Langlais", "Phillippe", coauthors=shared),
        ]
    )
    assert len(result.clusters) == (1 if merged else 2)
    assert [m.rule for m in result.merges] + [c.reason.split(":")[0] for c in result.candidates] == ["spelling"]


def test_spellings_equal_after_folding_merge_even_when_the_family_name_is_shared():
    result = resolve_block(
        [
            ref(1, "p1", "Lee", "Hung-Yi"),
            ref(2, "p2", "Lee", "Hung-yi"),
            ref(3, "p3", "Lee", "Jinhyuk"),
        ]
    )
    assert [c.members for c in result.clusters] == [(1, 2), (3,)]
    assert result.merges[0].rule == "folded-equal"


@pytest.mark.parametrize(
    "shared, merged",
    [
        ({"poria soujanya"}, False),
        ({"poria soujanya", "cambria erik", "morency louisphilippe"}, True),
    ],
)
def test_a_compound_match_needs_two_shared_coauthors(shared, merged):
    result = resolve_block(
        [
            ref(1, "p1", "Zadeh", "Amir", coauthors=shared),
            ref(2, "p2", "Bagher Zadeh", "AmirAli", coauthors=shared),
        ]
    )
    if merged:
        assert [(m.rule, m.score, m.evidence) for m in result.merges] == [
            ("compound", 0.63, "shared co-authors: cambria erik; morency louisphilippe; poria soujanya")
        ]
    else:
        assert len(result.clusters) == 2
        assert [(c.score, c.reason) for c in result.candidates] == [
            (0.63, "compound: shared co-authors: poria soujanya (needs 2)")
        ]


def test_a_compound_match_merges_by_override():
    overrides = parse_overrides("merge: Zadeh, Amir = Bagher Zadeh, AmirAli\n")
    result = resolve_block([ref(1, "p1", "Zadeh", "Amir"), ref(2, "p2", "Bagher Zadeh", "AmirAli")], overrides)
    assert [c.members for c in result.clusters] == [(1, 2)]


@pytest.mark.parametrize("shared, clusters", [(set(), [(1,), (2,)]), ({"doe jane"}, [(1, 2)])])
def test_a_part_moved_between_family_and_given_name_needs_evidence(shared, clusters):
    result = resolve_block(
        [
            ref(1, "p1", "Ratn Shah", "Rajiv", coauthors=shared),
            ref(2, "p2", "Shah", "Rajiv Ratn", coauthors=shared),
        ]
    )
    assert [c.members for c in result.clusters] == clusters
    assert [m.rule for m in result.merges] + [c.reason.split(":")[0] for c in result.candidates] == ["re-split"]


OVERRIDES = """\
# people the rules cannot tell
merge: Kumar, Ayush = Ayush, Kumar
split: Achiam, Josh != Achiam, Joshua   # two people after all
"""


def test_overrides_are_parsed():
    overrides = parse_overrides(OVERRIDES)
    assert overrides.merges == ((("kumar", ("ayush",)), ("ayush", ("kumar",))),)
    assert overrides.splits == frozenset({frozenset({("achiam", ("josh",)), ("achiam", ("joshua",))})})
    assert overrides.block_alias("kumar") == "ayush" and overrides.block_alias("ayush") == "ayush"


@pytest.mark.parametrize(
    "text, message",
    [
        ("merge: Achiam, Josh\n", "overrides line 1: expected"),
        ("# ok\njoin: A, B = C, D\n", "overrides line 2: expected"),
        ("split: A, B = C, D\n", "overrides line 1: expected"),
        ("merge: , Josh = Achiam, Joshua\n", "overrides line 1: empty name"),
        ("merge: A, B = A, B\n", "overrides line 1: both sides"),
        ("merge: A, B = C, D\nsplit: C, D != A, B\n", "both merged and split"),
    ],
)
def test_malformed_overrides_raise_with_line_number(text, message):
    with pytest.raises(ValueError, match=message):
        parse_overrides(text)


def test_merge_override_joins_across_blocks(tmp_path):
    path = tmp_path / "overrides.txt"
    path.write_text(OVERRIDES, encoding="utf-8")
    overrides = load_overrides(path)
    results = resolve_all([ref(1, "p1", "Kumar", "Ayush"), ref(2, "p2", "Ayush", "Kumar")], overrides)
    assert [(r.key, [c.members for c in r.clusters]) for r in results] == [("ayush", [(1, 2)])]
    assert results[0].merges[0].rule == "override"


def test_split_override_forbids_a_merge():
    refs = [
        ref(1, "p1", "Achiam", "Josh", coauthors={"doe jane"}),
        ref(2, "p2", "Achiam", "Joshua", coauthors={"doe jane"}),
    ]
    assert len(resolve_block(refs).clusters) == 1
    result = resolve_block(refs, parse_overrides(OVERRIDES))
    assert len(result.clusters) == 2
    assert [c.reason for c in result.candidates] == ["split override"]


def test_family_name_slips_in_long_names_merge_across_blocks_under_evidence():
    shared = {"doe jane", "roe richard"}
    results = resolve_all(
        [
            ref(1, "p1", "Tootoonchian", "Amin", coauthors=shared),
            ref(2, "p2", "Tootoochian", "Amin", coauthors=shared),
            ref(3, "p3", "Levin", "Daniel", coauthors=shared),
            ref(4, "p4", "Levy", "Daniel", coauthors=shared),
            ref(5, "p5", "Bandyopadhyay", "Sivaji"),
            ref(6, "p6", "Bandopadhyay", "Sivaji"),
        ]
    )
    assert sorted(c.name for r in results for c in r.clusters) == [
        "Amin Tootoonchian",
        "Daniel Levin",
        "Daniel Levy",
        "Sivaji Bandopadhyay",
        "Sivaji Bandyopadhyay",
    ]
    [merge] = [m for r in results for m in r.merges]
    assert (merge.a_name, merge.b_name, merge.rule) == ("Amin Tootoochian", "Amin Tootoonchian", "family-slip")
    assert merge.evidence == "shared co-authors: doe jane; roe richard"


@pytest.mark.parametrize(
    "a, b, rule",
    [
        (("Gojenola Galletebeitia", "Koldo"), ("Gojenola", "Koldo"), "family-part"),
        (("Juan-Císcar", "Alberto"), ("Juan", "A."), "family-part+initial"),
        (("Schütze", "Hinrich"), ("Schuetze", "Hinrich"), "family-umlaut"),
    ],
)
def test_compound_family_names_and_written_out_umlauts_meet_across_blocks(a, b, rule):
    results = resolve_all(
        [
            ref(1, "p1", *a, coauthors={"doe jane", "roe richard"}),
            ref(2, "p2", *b, coauthors={"doe jane", "roe richard"}),
        ]
    )
    [result] = results
    assert [c.members for c in result.clusters] == [(1, 2)]
    assert [m.rule for m in result.merges] == [rule]


def test_a_cross_block_match_with_two_readings_is_only_a_candidate():
    # `Gojenola, K.` reads as either Koldo or Karmele Gojenola Galletebeitia: neither is taken.
    refs = [
        ref(1, "p1", "Gojenola", "K.", coauthors={"doe jane", "roe richard"}),
        ref(2, "p2", "Gojenola Galletebeitia", "Koldo", coauthors={"doe jane", "roe richard"}),
        ref(3, "p3", "Gojenola Galletebeitia", "Karmele", coauthors={"doe jane", "roe richard"}),
    ]
    [result] = resolve_all(refs)
    assert len(result.clusters) == 3 and result.merges == []
    assert sorted((c.a_name, c.b_name) for c in result.candidates) == [
        ("K. Gojenola", "Karmele Gojenola Galletebeitia"),
        ("K. Gojenola", "Koldo Gojenola Galletebeitia"),
    ]


def test_linked_blocks_resolve_alike_in_any_order():
    refs = [
        ref(i, f"p{i}", family, given, coauthors={"doe jane", f"x{i % 3} a"})
        for i, (family, given) in enumerate(
            [
                ("Gojenola Galletebeitia", "Koldo"),
                ("Gojenola", "Koldo"),
                ("Gojenola", "K."),
                ("Galletebeitia", "Koldo"),
                ("Müller", "Thomas"),
                ("Mueller", "Thomas"),
                ("Muller", "T."),
                ("Tootoonchian", "Amin"),
                ("Tootoochian", "Amin"),
                ("Tootoonchian", "A."),
            ]
        )
    ]
    expected = resolve_all(refs)
    assert len(expected) < 6  # the linked blocks resolve as groups
    for seed in range(5):
        random.Random(seed).shuffle(refs)
        assert resolve_all(refs) == expected


def test_a_given_name_in_the_family_field_or_an_initial_after_the_name_links_no_blocks():
    """Only a compound part that may be a family name links blocks (`block_links.family_like`):
    `Pedro Luis` holds a given name, `Molly A` an initial, and neither may glue `pedro`,
    `molly` or `a` to other blocks; `Ben Hamadou` is a compound whose part `ben` is also a
    family name, and stays linked."""

    def spelling(family, given, n=1):
        return (block_key(family, given), family, given, n)

    pedro_as_given = [spelling("Garcia", "Pedro", 41), spelling("Pedro", "Ana")]
    ben_as_given = [spelling("Smith", "Ben", 40), spelling("Ben", "Abir")]
    spellings = [
        *pedro_as_given,
        spelling("Pedro Luis", "Maria"),  # a given name written in the family field
        spelling("Molly A", "Jones"),  # an initial after the name
        spelling("Molly", "Ann"),
        *ben_as_given,
        spelling("Ben Hamadou", "Abir"),
    ]
    assert block_links.links(spellings, lambda keys: []) == {("ben", "hamadou")}
    # One more mention of `Pedro` as a family name, and it is as often a family name as 40x allows.
    assert ("luis", "pedro") in block_links.links([*spellings, spelling("Pedro", "Rui")], lambda keys: [])


def test_given_names_one_letter_apart_with_a_shared_coauthor_are_candidates():
    result = resolve_block(
        [
            ref(1, "p1", "Chen", "Fang", coauthors={"xu an"}),
            ref(2, "p2", "Chen", "Gang", coauthors={"xu an"}),
            ref(3, "p3", "Chen", "Tang", coauthors={"li bo"}),
        ]
    )
    assert len(result.clusters) == 3
    assert result.candidates == [
        Candidate("Fang Chen", "Gang Chen", 0.5, "given names one letter apart; shared co-authors: xu an")
    ]


def synthetic_block(people: int, mentions: int, seed: int = 0) -> list[Mention]:
    """One family name shared by many people, each written as `Given`, `Given M.` or now and
    then `G.`, with a few co-authors of their own."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfghjklmnprstvwz" for v in "aeiou"]
    names: set[str] = set()
    while len(names) < people:
        names.add("".join(rng.choices(syllables, k=3)).capitalize())
    spellings = []
    for person, name in enumerate(sorted(names)):
        spellings += [(person, name), (person, f"{name} {rng.choice('ABCDEFGHJKLMNPRSTW')}.")]
        if rng.random() < 0.05:
            spellings.append((person, f"{name[0]}."))
    refs = []
    for i in range(mentions):
        person, given = rng.choice(spellings)
        coauthors = {f"co{person} {rng.randrange(3)}", f"other {rng.randrange(10 * people)}"}
        refs.append(ref(i, f"p{i}", "Wang", given, coauthors=coauthors))
    return refs


def compared_name_pairs(refs: list[Mention], monkeypatch) -> int:
    """How many times resolving the block compared two names."""
    calls = 0
    compare = resolve._names_compatibility

    def counting(a, b):
        nonlocal calls
        calls += 1
        return compare(a, b)

    with monkeypatch.context() as patch:
        patch.setattr(resolve, "_names_compatibility", counting)
        resolve_block(refs)
    return calls


def test_work_grows_with_the_block_not_with_its_pairs(monkeypatch):
    small, big = synthetic_block(160, 2_000), synthetic_block(1_600, 20_000)
    spellings = len({m.given for m in big})
    assert spellings > 3_000
    small_work, big_work = compared_name_pairs(small, monkeypatch), compared_name_pairs(big, monkeypatch)
    # Ten times the mentions: all pairs of spellings grow ~100 times, the comparisons ~13.
    assert big_work < 2 * 10 * small_work
    assert big_work < spellings * (spellings - 1) // 2 / 100


def test_a_big_block_matches_initials_from_one_index_with_the_same_result(monkeypatch):
    """From INITIAL_INDEX_MIN_MENTIONS mentions a block matches co-authors written as an
    initial through one index of its co-author keys, and every cluster keeps only those it
    writes as an initial: the same clusters, merges and candidates as the sets of a smaller
    block. Synthetic co-authors meet by initial: `other 7` is the initial key of `other 74`."""
    refs = synthetic_block(160, 2_000, seed=3)
    assert len(refs) < resolve.INITIAL_INDEX_MIN_MENTIONS
    small = resolve_block(refs)
    lookups, found = 0, 0
    met = resolve._Block.initials_met

    def counting(block, initials, group):
        nonlocal lookups, found
        result = met(block, initials, group)
        lookups, found = lookups + 1, found + bool(result)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(resolve, "INITIAL_INDEX_MIN_MENTIONS", len(refs))
        patch.setattr(resolve._Block, "initials_met", counting)
        big = resolve_block(refs)
    assert lookups > 500 and found > 10
    assert (big.clusters, big.merges, big.candidates) == (small.clusters, small.merges, small.candidates)
    assert [m.member for m in big.merges] == [m.member for m in small.merges]
    assert [(c.a_member, c.b_member) for c in big.candidates] == [(c.a_member, c.b_member) for c in small.candidates]


def test_empty_overrides_change_nothing():
    refs = seed_mentions()[:40]
    assert resolve_all(refs, Overrides()) == resolve_all(refs)


def test_a_mention_made_in_memory_has_the_loaders_name_and_block_and_no_author():
    m = Mention.of(1, "p1", "Gontijo-Lopes", "Rapha", coauthors=frozenset({"achiam josh"}))
    assert (m.name, m.block_key, m.author_id) == ("Rapha Gontijo-Lopes", "lopes", None)


def test_a_mention_pickles_whole_and_without_its_evidence():
    m = Mention(7, 3, "Liam Fedus", "Fedus", "Liam", "fedus", False, None, 242, frozenset({"zoph barret"}))
    bare = m.without_evidence()
    assert pickle.loads(pickle.dumps(m)) == m
    assert (
        pickle.loads(pickle.dumps(bare))
        == bare
        == Mention(7, 3, "Liam Fedus", "Fedus", "Liam", "fedus", False, None, 242)
    )
    assert (bare.coauthors, bare.profiles, bare.title_words) == ((), frozenset(), ())


def titled(key, family, given, words) -> Mention:
    return Mention.of(key, f"p{key}", family, given, title_words=frozenset(words))


def test_distinctive_title_words_stand_for_a_missing_coauthor():
    result = resolve_block(
        [
            titled(1, "Rosé", "Carolyn", {"tutorial", "dialogue", "agents"}),
            titled(2, "Rosé", "Carolyn Penstein", {"tutorial", "dialogue", "classroom"}),
        ]
    )
    assert [c.members for c in result.clusters] == [(1, 2)]
    assert [(m.rule, m.evidence) for m in result.merges] == [("middle-name", "shared title words: dialogue; tutorial")]


@pytest.mark.parametrize(
    "others, shared",
    [
        (0, {"tutorial"}),  # one word is not enough
        (3, {"tutorial", "dialogue"}),  # words five of the block's papers use are not distinctive
    ],
)
def test_title_words_that_say_little_are_no_evidence(others, shared):
    refs = [titled(1, "Rosé", "Carolyn", shared | {"agents"}), titled(2, "Rosé", "Carolyn Penstein", shared)]
    refs += [titled(10 + i, "Rosé", "Zed", {"tutorial", "dialogue"}) for i in range(others)]
    result = resolve_block(refs)
    assert result.merges == [] or all(m.a_name == "Zed Rosé" for m in result.merges)
    assert sorted(c.name for c in result.clusters)[:2] == ["Carolyn Penstein Rosé", "Carolyn Rosé"]


def test_title_words_never_join_a_spelling_slip():
    result = resolve_block(
        [
            titled(1, "Pauls", "Philippe", {"tutorial", "dialogue"}),
            titled(2, "Pauls", "Phillippe", {"tutorial", "dialogue"}),
        ]
    )
    assert len(result.clusters) == 2


# --- ORCIDs -------------------------------------------------------------------------------

ORCID_A, ORCID_B = "0000-0002-1825-0097", "0000-0001-5109-3700"


def orcid_ref(key, paper, family, given, orcid=None, coauthors=()) -> Mention:
    return Mention.of(key, paper, family, given, orcid=orcid, coauthors=frozenset(coauthors))


def test_one_orcid_is_one_person_without_any_other_evidence():
    result = resolve_block([orcid_ref(1, "p1", "Smith", "J.", ORCID_A), orcid_ref(2, "p2", "Smith", "John", ORCID_A)])
    [cluster] = result.clusters
    assert (cluster.members, cluster.name, cluster.orcids) == ((1, 2), "John Smith", (ORCID_A,))
    assert result.merges == [resolve.Merge("J. Smith", "John Smith", "orcid", 1.0, f"same ORCID {ORCID_A}")]


def test_one_orcid_joins_names_no_rule_would():
    # A married name or a transliteration: the names are incompatible, the ORCID says one person.
    result = resolve_block([orcid_ref(1, "p1", "Smith", "Jane", ORCID_A), orcid_ref(2, "p2", "Smith", "Mary", ORCID_A)])
    assert [(c.members, c.orcids) for c in result.clusters] == [((1, 2), (ORCID_A,))]


def test_two_orcids_stay_two_people_despite_one_spelling_and_shared_coauthors():
    shared = {"doe a", "roe b"}
    mentions = [
        orcid_ref(1, "p1", "Smith", "John", ORCID_A, shared),
        orcid_ref(2, "p2", "Smith", "John", ORCID_B, shared),
        orcid_ref(3, "p3", "Smith", "J.", ORCID_B, shared),
    ]
    result = resolve_block(mentions)
    assert sorted((c.members, c.orcids) for c in result.clusters) == [((1,), (ORCID_A,)), ((2, 3), (ORCID_B,))]
    assert result.candidates == []  # different ORCIDs are settled, not for review


def test_two_orcids_stay_apart_under_a_nickname_and_an_initial():
    shared = {"doe a"}
    mentions = [
        orcid_ref(1, "p1", "Achiam", "Josh", ORCID_A, shared),
        orcid_ref(2, "p2", "Achiam", "Joshua", ORCID_B, shared),
        orcid_ref(3, "p3", "Achiam", "J.", None, shared),
    ]
    clusters = resolve_block(mentions).clusters
    # `J.` joins one of them (the first by name order); Josh and Joshua stay two people.
    assert sorted((c.members, c.orcids) for c in clusters) == [((1, 3), (ORCID_A,)), ((2,), (ORCID_B,))]


def test_a_mention_without_orcid_joins_the_one_with_evidence_by_the_usual_rules():
    mentions = [
        orcid_ref(1, "p1", "Smith", "John", ORCID_A, {"doe a"}),
        orcid_ref(2, "p2", "Smith", "John", ORCID_B, {"roe b"}),
        orcid_ref(3, "p3", "Smith", "John", None, {"roe b", "poe c"}),
        orcid_ref(4, "p4", "Smith", "Johnny", None, {"doe a"}),  # a nickname, with a shared co-author
    ]
    clusters = resolve_block(mentions).clusters
    assert sorted((c.members, c.orcids) for c in clusters) == [((1, 4), (ORCID_A,)), ((2, 3), (ORCID_B,))]


def test_orcid_resolution_does_not_depend_on_input_order():
    mentions = [
        orcid_ref(1, "p1", "Smith", "John", ORCID_A, {"doe a"}),
        orcid_ref(2, "p2", "Smith", "John", ORCID_B, {"doe a"}),
        orcid_ref(3, "p3", "Smith", "J.", ORCID_A),
        orcid_ref(4, "p4", "Smith", "John", None, {"doe a", "roe b"}),
        orcid_ref(5, "p5", "Smith", "J. R.", None, {"roe b"}),
        orcid_ref(6, "p6", "Smyth", "John", ORCID_B),
    ]
    expected = resolve_all(mentions)
    for seed in range(6):
        shuffled = mentions[:]
        random.Random(seed).shuffle(shuffled)
        assert resolve_all(shuffled) == expected


def test_overrides_win_over_orcids():
    both = [orcid_ref(1, "p1", "Smith", "John", ORCID_A), orcid_ref(2, "p2", "Smith", "Jon", ORCID_B)]
    merged = resolve_block(both, parse_overrides("merge: Smith, John = Smith, Jon\n"))
    assert [(c.members, c.orcids) for c in merged.clusters] == [((1, 2), (ORCID_B, ORCID_A))]  # sorted
    one = [orcid_ref(1, "p1", "Smith", "John", ORCID_A), orcid_ref(2, "p2", "Smith", "J.", ORCID_A)]
    split = resolve_block(one, parse_overrides("split: Smith, John != Smith, J.\n"))
    assert len(split.clusters) == 2
    assert split.candidates[0] == Candidate("J. Smith", "John Smith", 1.0, f"same ORCID {ORCID_A}: split override")


def test_one_orcid_twice_on_one_paper_stays_two_mentions():
    result = resolve_block([orcid_ref(1, "p1", "Smith", "John", ORCID_A), orcid_ref(2, "p1", "Smith", "Jon", ORCID_A)])
    assert len(result.clusters) == 2
    assert result.candidates[0].reason == f"same ORCID {ORCID_A}: both on one paper (p1)"
